"""The photo pipeline: check the real type, turn upright, re-encode, strip every metadata.

Photos are evidence in a legal document and also personal data: the server never trusts the
file name or the browser's type, keeps no EXIF (GPS included), and stores them outside the
static folder, served only to people allowed to see the household.
"""
from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats accepted from phones (HEIC is converted by the browser before upload).
ACCEPTED = {"JPEG", "PNG", "WEBP"}
LONG_EDGE = 1600
THUMB_EDGE = 320
QUALITY = 80


class PhotoError(ValueError):
    """A refused photo; the message is French."""


@dataclass
class StoredPhoto:
    """A photo written to the photo folder."""

    key: str  #: file name stem (random), never derived from the upload
    sha256: str  #: hash of the stored JPEG, part of the signed document's hash
    width: int
    height: int
    size: int  #: bytes of the stored JPEG


def photo_folder() -> Path:
    """Where photos live: PHOTO_FOLDER, by default instance/photos (shared by all workers)."""
    folder = Path(current_app.config.get("PHOTO_FOLDER")
                  or Path(current_app.instance_path) / "photos")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def process(data: bytes) -> tuple[bytes, bytes, int, int]:
    """Validate and normalise an upload: (full JPEG, thumbnail JPEG, width, height)."""
    limit = current_app.config.get("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
    if not data:
        raise PhotoError("Le fichier est vide.")
    if len(data) > limit:
        raise PhotoError(f"La photo dépasse {limit // (1024 * 1024)} Mo : "
                         "reprenez-la ou choisissez-en une plus légère.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure check; the image must be reopened afterwards
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED:
            raise PhotoError("Ce fichier n'est pas une photo (JPEG, PNG ou WebP attendu).")
        if image.width * image.height > 80_000_000:
            raise PhotoError("Cette image est trop grande.")
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise PhotoError("Ce fichier n'est pas une photo lisible (JPEG, PNG ou WebP attendu).") \
            from None
    image = ImageOps.exif_transpose(image)  # upright, whatever the camera wrote
    image = image.convert("RGB")
    image.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    full = _jpeg(image, QUALITY)
    thumb_image = image.copy()
    thumb_image.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return full, _jpeg(thumb_image, 75), image.width, image.height


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # A fresh RGB image saved without exif=, icc_profile= or comment: no metadata survives.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    clean.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def store(data: bytes) -> StoredPhoto:
    """Process an upload and write it (and its thumbnail) under a random key."""
    full, thumb, width, height = process(data)
    key = uuid.uuid4().hex
    folder = photo_folder()
    (folder / f"{key}.jpg").write_bytes(full)
    (folder / f"{key}.thumb.jpg").write_bytes(thumb)
    return StoredPhoto(key, hashlib.sha256(full).hexdigest(), width, height, len(full))


def path_of(key: str, thumb: bool = False) -> Path:
    """The file of a stored photo (keys are hex, so no path tricks are possible)."""
    if not key or any(c not in "0123456789abcdef" for c in key):
        raise PhotoError("Photo inconnue.")
    return photo_folder() / (f"{key}.thumb.jpg" if thumb else f"{key}.jpg")
