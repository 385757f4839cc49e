"""One storage for photos and documents: a local folder by default, S3-compatible object storage
when configured (tested against moto's server mode on loopback, reached over real HTTP)."""
import io
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import MultiDict

from app import storage
from app.inventories import photos, services
from tests import factories
from tests.unit.test_inventories import both_sign, upload
from tests.unit.test_photos import camera_jpeg

NOW = datetime(2026, 11, 23, 9, 0)
DAY = date(2026, 11, 23)


# ---- local folder (the default) ------------------------------------------------------------

def test_local_storage_is_the_default_and_lives_in_the_instance_folder(app):
    store = storage.get_storage()
    assert store.kind == "local"
    stored = photos.store(camera_jpeg(800, 600, orientation=1))
    path = store.path(photos.storage_key(stored.key))
    assert path.parent == store.root / "photos" and path.is_file()
    assert str(path).startswith(app.instance_path)
    assert photos.read(stored.key) == path.read_bytes()
    assert photos.exists(stored.key)
    photos.delete(stored.key)
    assert not photos.exists(stored.key) and not path.exists()
    assert not store.path(photos.storage_key(stored.key, thumb=True)).exists()
    with pytest.raises(photos.PhotoError, match="introuvable"):
        photos.read(stored.key)


def test_local_storage_put_get_stream_keys_and_refused_keys(tmp_path):
    store = storage.LocalStorage(tmp_path / "files", {"photos": tmp_path / "elsewhere"})
    store.put("documents/2026/edl-1.pdf", b"%PDF-1.7 one")
    store.put("photos/abc.jpg", b"jpeg")
    assert (tmp_path / "elsewhere" / "abc.jpg").read_bytes() == b"jpeg"  # a mounted folder
    assert store.get("documents/2026/edl-1.pdf") == b"%PDF-1.7 one"
    chunks, size = store.stream("documents/2026/edl-1.pdf")
    assert b"".join(chunks) == b"%PDF-1.7 one" and size == 12
    assert sorted(store.keys()) == ["documents/2026/edl-1.pdf", "photos/abc.jpg"]
    assert list(store.keys("photos/")) == ["photos/abc.jpg"]
    store.put("documents/2026/edl-1.pdf", b"%PDF-1.7 two")  # replaced whole, no temp left
    assert store.get("documents/2026/edl-1.pdf") == b"%PDF-1.7 two"
    assert not [p for p in (tmp_path / "files").rglob(".tmp-*")]
    store.delete("documents/2026/edl-1.pdf")
    store.delete("documents/2026/edl-1.pdf")  # a missing file is not an error
    with pytest.raises(storage.NotFound):
        store.get("documents/2026/edl-1.pdf")
    for bad in ("../secret", "/etc/passwd", "a/../../b", "a//b", "", "a/.hidden/..", "a b"):
        with pytest.raises(storage.StorageError):
            store.put(bad, b"x")


def test_unknown_storage_kind_is_refused(app):
    app.config["STORAGE"] = "ftp"
    with pytest.raises(storage.StorageError, match="local or s3"):
        storage.get_storage()


# ---- S3-compatible object storage (moto's server on loopback) -------------------------------

@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on 127.0.0.1 (a free port), for this module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(app, s3_endpoint, monkeypatch):
    """The app configured for object storage in a fresh bucket; returns a raw boto3 client."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "terrain-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "terrain-test-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"terrain-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    app.config.update(STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint,
                      S3_REGION="us-east-1", S3_PREFIX="asso")
    client.bucket = bucket
    return client


def objects(client) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=client.bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=client.bucket, Key=o["Key"])["Body"].read()
            for o in listing}


@pytest.fixture
def occupancy(team_a, worker):
    flat = factories.flat(team_a, kind="T3", water_meter="EAU-123")
    household = factories.household(team_a, referent=worker)
    contract = factories.contract(flat, household, start_on=date(2026, 1, 1))
    return flat, household, contract


def test_s3_storage_interface(s3):
    store = storage.get_storage()
    assert store.kind == "s3"
    store.put("documents/edl-7.pdf", b"%PDF-1.7 " + bytes(200_000), "application/pdf")
    assert objects(s3)["asso/documents/edl-7.pdf"].startswith(b"%PDF-1.7")  # under the prefix
    assert store.exists("documents/edl-7.pdf") and not store.exists("documents/edl-8.pdf")
    chunks, size = store.stream("documents/edl-7.pdf")
    assert size == 200_009 and len(b"".join(chunks)) == 200_009
    assert list(store.keys("documents/")) == ["documents/edl-7.pdf"]
    store.delete("documents/edl-7.pdf")
    store.delete("documents/edl-7.pdf")  # idempotent, as on local storage
    assert objects(s3) == {}
    with pytest.raises(storage.NotFound):
        store.get("documents/edl-7.pdf")
    with pytest.raises(storage.StorageError):
        store.put("../escape", b"x")


def test_photo_upload_thumbnail_and_scoped_view_from_s3(app, client, auth, worker, occupancy,
                                                          team_b, s3):
    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    auth.login(worker.email)
    answer = upload(client, inventory.id, camera_jpeg(1200, 900), inventory.rooms[0].items[0].id)
    assert answer.status_code == 201
    key = answer.get_json()["key"]
    stored = objects(s3)
    assert set(stored) == {f"asso/photos/{key}.jpg", f"asso/photos/{key}.thumb.jpg"}
    assert max(Image.open(io.BytesIO(stored[f"asso/photos/{key}.thumb.jpg"])).size) == 320
    assert not (Path(app.instance_path) / "photos").exists()  # nothing written locally
    full = client.get(f"/edl/photo/{key}")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert full.data == stored[f"asso/photos/{key}.jpg"]
    assert full.headers["Cache-Control"] == "private, no-store"
    thumb = client.get(f"/edl/photo/{key}?mini=1")
    assert thumb.data == stored[f"asso/photos/{key}.thumb.jpg"]
    auth.logout()
    auth.login(factories.user((team_b, "worker")).email)
    assert client.get(f"/edl/photo/{key}").status_code == 404  # another team: not served


def test_inventory_pdf_embeds_photos_from_s3_and_deletion(client, auth, worker, occupancy, s3):
    from pypdf import PdfReader

    flat, _, contract = occupancy
    inventory = services.start(worker, flat, "entrant", contract, DAY, now=NOW)
    item = inventory.rooms[1].items[0]
    photo, _ = services.add_photo(worker, inventory, str(uuid.uuid4()), camera_jpeg(1000, 800),
                                  item_id=item.id, now=NOW)
    form = MultiDict({f"cond-{i.id}": "bon" for r in inventory.rooms for i in r.items})
    services.save(worker, inventory, services.parse_form(form), inventory.version, now=NOW)
    services.sign(worker, inventory, both_sign(), now=NOW)
    auth.login(worker.email)
    response = client.get(f"/edl/{inventory.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len({img.data for p in reader.pages for img in p.images}) == 3  # photo + 2 signatures

    photos.delete(photo.key)
    assert objects(s3) == {}
    assert client.get(f"/edl/photo/{photo.key}").status_code == 404
    with pytest.raises(photos.PhotoError):
        photos.read(photo.key)
