"""One storage interface for files the app keeps (photos, thumbnails, documents).

A local folder by default (the instance folder, shared by every worker of one machine), or an
S3-compatible object store when Terrain runs on several machines (`TERRAIN_STORAGE=s3`). Keys
are relative paths made by the app ("photos/<hex>.jpg"), never derived from user input; a key
with anything but letters, digits, '.', '-', '_' and '/' separators is refused. Files are never
exposed by URL: views stream them after checking who may see them.
"""
from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, Response, current_app

CHUNK = 64 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class StorageError(ValueError):
    """A refused key, or a storage that is not configured right."""


class NotFound(StorageError, KeyError):
    """No file under that key."""


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative key, else raise StorageError."""
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    """Files in a folder; `mounts` sends a first path segment elsewhere (PHOTO_FOLDER)."""

    kind = "local"

    def __init__(self, root: Path | str, mounts: dict[str, Path | str] | None = None):
        self.root = Path(root)
        self.mounts = {name: Path(folder) for name, folder in (mounts or {}).items()}

    def path(self, key: str) -> Path:
        """The file that holds `key` (it may not exist)."""
        head, _, rest = check_key(key).partition("/")
        if rest and head in self.mounts:
            return self.mounts[head] / rest
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Write atomically: a reader never sees half a file."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o640)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """The whole file."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound(key) from None

    def stream(self, key: str) -> tuple[Iterator[bytes], int]:
        """(chunks, size) for sending the file without loading it whole."""
        path = self.path(key)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise NotFound(key) from None
        size = os.fstat(fh.fileno()).st_size

        def chunks():
            with fh:
                while block := fh.read(CHUNK):
                    yield block

        return chunks(), size

    def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file; a missing one is not an error."""
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (for backups and checks)."""
        seen = set()
        roots = [(self.root, "")] + [(folder, f"{name}/") for name, folder in self.mounts.items()]
        for folder, lead in roots:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if not path.is_file() or path.name.startswith(".tmp-"):
                    continue
                key = lead + path.relative_to(folder).as_posix()
                if key in seen or not key.startswith(prefix) or not _KEY.match(key):
                    continue
                if lead == "" and key.partition("/")[0] in self.mounts:
                    continue  # shadowed by a mount
                seen.add(key)
                yield key


class S3Storage:
    """Objects in one bucket of an S3-compatible store, under an optional prefix."""

    kind = "s3"

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client=None):
        if not bucket:
            raise StorageError("TERRAIN_S3_BUCKET is required when TERRAIN_STORAGE=s3")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            import boto3  # only needed when object storage is configured
            from botocore.config import Config as BotoConfig

            # Credentials come from boto3's usual chain: AWS_ACCESS_KEY_ID /
            # AWS_SECRET_ACCESS_KEY in the environment, a profile, or an instance role.
            client = boto3.client("s3", endpoint_url=endpoint_url or None,
                                  region_name=region or None,
                                  config=BotoConfig(retries={"max_attempts": 3,
                                                             "mode": "standard"},
                                                    connect_timeout=5, read_timeout=30))
        self.client = client

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _missing(self, exc) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Upload one object (a single PUT: photos and PDFs are small)."""
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                               ContentType=content_type or "application/octet-stream")

    def get(self, key: str) -> bytes:
        """The whole object."""
        chunks, _size = self.stream(key)
        return b"".join(chunks)

    def stream(self, key: str) -> tuple[Iterator[bytes], int]:
        """(chunks, size) read from the object's body as it arrives."""
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if self._missing(exc):
                raise NotFound(key) from None
            raise
        body = answer["Body"]

        def chunks():
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        return chunks(), int(answer["ContentLength"])

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error (S3 semantics)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix`."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix):]


_lock = threading.Lock()


def _settings(app: Flask) -> tuple:
    cfg = app.config
    kind = (cfg.get("STORAGE") or "local").lower()
    if kind == "s3":
        return ("s3", cfg.get("S3_BUCKET"), cfg.get("S3_PREFIX") or "",
                cfg.get("S3_ENDPOINT_URL"), cfg.get("S3_REGION"))
    if kind != "local":
        raise StorageError(f"unknown TERRAIN_STORAGE {kind!r} (local or s3)")
    return ("local", cfg.get("STORAGE_FOLDER") or app.instance_path, cfg.get("PHOTO_FOLDER"))


def get_storage(app: Flask | None = None):
    """The storage configured for `app` (default: the current app), built once per setting."""
    app = app or current_app._get_current_object()
    settings = _settings(app)
    cache = app.extensions.setdefault("terrain_storage", {})
    store = cache.get(settings)
    if store is None:
        with _lock:
            store = cache.get(settings)
            if store is None:
                if settings[0] == "s3":
                    _kind, bucket, prefix, endpoint, region = settings
                    store = S3Storage(bucket, prefix=prefix, endpoint_url=endpoint,
                                      region=region)
                else:
                    _kind, root, photo_folder = settings
                    store = LocalStorage(root, {"photos": photo_folder} if photo_folder else {})
                cache.clear()  # one live setting at a time (tests change the config)
                cache[settings] = store
    return store


def send(key: str, mimetype: str, *, download_name: str | None = None) -> Response:
    """A private, uncached response streaming the stored file (raises NotFound)."""
    chunks, size = get_storage().stream(key)
    response = Response(chunks, mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    if download_name:
        response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response
