"""The photo pipeline with real images: upright, smaller, no metadata, impostors refused."""
import io

import pytest
from PIL import Image

from app.inventories import photos


def camera_jpeg(width=4000, height=3000, orientation=6) -> bytes:
    """A 12-megapixel JPEG like a phone's: EXIF orientation and GPS position included."""
    image = Image.new("RGB", (width, height))
    # A picture with content (not flat colour), so sizes are realistic.
    for x in range(0, width, 50):
        image.paste((x % 256, (x * 3) % 256, 120), (x, 0, x + 25, height))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90° clockwise to display
    exif[0x010F] = "TéléphoneMarque"
    gps = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_large_photo_comes_out_small_upright_and_clean(app):
    original = camera_jpeg()
    full, thumb, width, height = photos.process(original)
    assert len(full) < len(original) and len(full) <= 400 * 1024
    # Orientation 6 means the sensor's 4000x3000 is shown 3000x4000: upright, long edge 1600.
    assert (width, height) == (1200, 1600)
    stored = Image.open(io.BytesIO(full))
    assert stored.format == "JPEG" and stored.size == (1200, 1600)
    assert not stored.getexif()  # no orientation, no maker, no GPS left
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert max(Image.open(io.BytesIO(thumb)).size) == 320


def test_png_is_accepted_and_becomes_jpeg(app):
    out = io.BytesIO()
    Image.new("RGBA", (800, 600), (10, 20, 30, 128)).save(out, "PNG")
    full, _, width, height = photos.process(out.getvalue())
    assert Image.open(io.BytesIO(full)).format == "JPEG" and (width, height) == (800, 600)


@pytest.mark.parametrize("data,message", [
    (b"Ceci est un texte, pas une photo.\n" * 20, "pas une photo"),
    (b"", "vide"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "pas une photo"),  # a JPEG header and nothing else
])
def test_impostors_refused_in_french(app, data, message):
    with pytest.raises(photos.PhotoError, match=message):
        photos.process(data)


def test_gif_refused(app):
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    with pytest.raises(photos.PhotoError, match="JPEG, PNG ou WebP"):
        photos.process(out.getvalue())


def test_size_limit(app):
    app.config["PHOTO_MAX_BYTES"] = 1024
    with pytest.raises(photos.PhotoError, match="dépasse"):
        photos.process(camera_jpeg(400, 300))


def test_store_writes_outside_static_under_random_key(app, tmp_path):
    app.config["PHOTO_FOLDER"] = str(tmp_path / "photos")
    stored = photos.store(camera_jpeg(800, 600, orientation=1))
    path = photos.path_of(stored.key)
    assert path.exists() and path.parent == tmp_path / "photos"
    assert photos.path_of(stored.key, thumb=True).exists()
    with pytest.raises(photos.PhotoError):
        photos.path_of("../../etc/passwd")
