"""The photo pipeline: check the real type, turn upright, re-encode, strip every metadata.

Photos are evidence in a legal document and also personal data: the server never trusts the
file name or the browser's type, keeps no EXIF (GPS included), and stores them outside the
static folder (app/storage.py: a local folder or object storage), served only to people allowed
to see the household.
"""
from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from app.storage import LocalStorage, NotFound, get_storage
from app.storage import send as send_stored

#: Formats accepted from phones (HEIC is converted by the browser before upload).
ACCEPTED = {"JPEG", "PNG", "WEBP"}
LONG_EDGE = 1600
THUMB_EDGE = 320
QUALITY = 80


class PhotoError(ValueError):
    """A refused photo; the message is French."""


@dataclass
class StoredPhoto:
    """A photo written to storage."""

    key: str  #: file name stem (random), never derived from the upload
    sha256: str  #: hash of the stored JPEG, part of the signed document's hash
    width: int
    height: int
    size: int  #: bytes of the stored JPEG


def photo_folder() -> Path:
    """The local folder of photos (local storage only): PHOTO_FOLDER, else <storage>/photos."""
    store = get_storage()
    if not isinstance(store, LocalStorage):
        raise PhotoError("Les photos sont dans un stockage objet, pas dans un dossier.")
    folder = store.path("photos/x").parent
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


def storage_key(key: str, thumb: bool = False) -> str:
    """The storage key of a photo or its thumbnail (keys are hex: no path tricks possible)."""
    if not key or any(c not in "0123456789abcdef" for c in key):
        raise PhotoError("Photo inconnue.")
    return f"photos/{key}.thumb.jpg" if thumb else f"photos/{key}.jpg"


def store(data: bytes) -> StoredPhoto:
    """Process an upload and store it (and its thumbnail) under a random key."""
    full, thumb, width, height = process(data)
    key = uuid.uuid4().hex
    storage = get_storage()
    storage.put(storage_key(key, thumb=True), thumb, "image/jpeg")
    storage.put(storage_key(key), full, "image/jpeg")
    return StoredPhoto(key, hashlib.sha256(full).hexdigest(), width, height, len(full))


def read(key: str, thumb: bool = False) -> bytes:
    """The stored JPEG (or its thumbnail); PhotoError when it is missing."""
    try:
        return get_storage().get(storage_key(key, thumb))
    except NotFound:
        raise PhotoError("Photo introuvable dans le stockage.") from None


def send(key: str, thumb: bool = False) -> Response:
    """A private, uncached response streaming the photo; PhotoError when it is missing."""
    try:
        return send_stored(storage_key(key, thumb), "image/jpeg")
    except NotFound:
        raise PhotoError("Photo introuvable dans le stockage.") from None


def exists(key: str) -> bool:
    """Whether the photo is in storage."""
    return get_storage().exists(storage_key(key))


def delete(key: str) -> None:
    """Remove a photo and its thumbnail from storage (the caller removes its row)."""
    storage = get_storage()
    storage.delete(storage_key(key))
    storage.delete(storage_key(key, thumb=True))


def path_of(key: str, thumb: bool = False) -> Path:
    """The file of a stored photo, on local storage only (prefer read() and send())."""
    store_ = get_storage()
    if not isinstance(store_, LocalStorage):
        raise PhotoError("Les photos sont dans un stockage objet, pas dans un dossier.")
    return store_.path(storage_key(key, thumb))
