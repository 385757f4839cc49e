"""Backups: the database (SQLite online backup API, or pg_dump) and the stored files (photos,
documents) in one dated archive with a manifest; restore into an empty instance.

The archive (`terrain-backup-<UTC stamp>.tar.gz`, mode 0600) holds `manifest.json`,
`database.sqlite3` or `database.pgdump`, and `files/<storage key>`. The manifest lists the row
count of every table (taken from the same snapshot as the copy), and the size and SHA-256 of
every member, so a restore can prove it lost nothing.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, func, inspect, select, table, text

from app.extensions import db
from app.storage import get_storage

FORMAT = "terrain-backup-1"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is French."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _libpq_url(url) -> str:
    """A SQLAlchemy URL as the plain postgresql:// URL pg_dump understands."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def stored_keys() -> list[str]:
    """Keys of the stored files to back up: everything in a folder of the storage (photos/…),
    never the instance's top-level files (database, secret key, VAPID key)."""
    return sorted(k for k in get_storage().keys() if "/" in k)


def _counts(conn) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    # Table names are quoted by SQLAlchemy (no SQL built from strings: test_security_hardening).
    return {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one()
            for n in names}


@dataclass
class BackupResult:
    """Where the archive is and what it holds."""

    path: Path
    tables: dict[str, int]
    files: int


def backup(folder: Path, now: datetime) -> BackupResult:
    """Write a consistent backup archive of the database and stored files into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    engine = db.engine
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if engine.dialect.name == "sqlite":
            db_name = "database.sqlite3"
            source = sqlite3.connect(engine.url.database)
            target = sqlite3.connect(tmp / db_name)
            try:
                source.backup(target)  # online, page by page, consistent
            finally:
                source.close()
                target.close()
            copy = create_engine(f"sqlite:///{tmp / db_name}")
            with copy.connect() as conn:
                tables = _counts(conn)
            copy.dispose()
        elif engine.dialect.name == "postgresql":
            db_name = "database.pgdump"
            tables = _pg_dump(engine, tmp / db_name)
        else:
            raise BackupError(f"Base de données non prise en charge : {engine.dialect.name}.")
        storage = get_storage()
        files = []
        for key in stored_keys():
            data = storage.get(key)
            path = tmp / "files" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files.append({"key": key, "size": len(data), "sha256": _sha256(data)})
        manifest = {
            "format": FORMAT, "created_at": now.isoformat(timespec="seconds") + "Z",
            "dialect": engine.dialect.name,
            "database": {"member": db_name, "size": (tmp / db_name).stat().st_size,
                         "sha256": _file_sha256(tmp / db_name), "tables": tables},
            "files": files,
        }
        name = f"terrain-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
        out = folder / name
        partial = folder / f".{name}.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
            tar.add(tmp / db_name, arcname=db_name)
            for f in files:
                tar.add(tmp / "files" / f["key"], arcname=f"files/{f['key']}")
        os.replace(partial, out)
    return BackupResult(out, tables, len(files))


def _pg_dump(engine, target: Path) -> dict[str, int]:
    """pg_dump from an exported snapshot, and the row counts read in that same snapshot."""
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump est introuvable : installez postgresql-client.")
    with engine.connect() as conn:
        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        tables = _counts(conn)
        done = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot}", f"--file={target}", _libpq_url(engine.url)],
            capture_output=True, text=True)
        conn.execute(text("COMMIT"))
    if done.returncode != 0:
        raise BackupError("pg_dump a échoué : " + done.stderr.strip()[-500:])
    return tables


@dataclass
class RestoreResult:
    """What a restore put back."""

    tables: dict[str, int]
    files: int


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError("Archive sans manifeste lisible : ce n'est pas une sauvegarde "
                          "Terrain.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("Format de sauvegarde inconnu.")
    return manifest


def restore(archive: Path) -> RestoreResult:
    """Restore an archive into this instance, which must be empty (no table, no stored file);
    every member is checked against the manifest, then every count."""
    archive = Path(archive)
    engine = db.engine
    with tarfile.open(archive, "r:gz") as tar, tempfile.TemporaryDirectory() as tmp:
        manifest = _read_manifest(tar)
        if manifest["dialect"] != engine.dialect.name:
            raise BackupError(f"Sauvegarde {manifest['dialect']} : elle ne peut pas être "
                              f"restaurée dans une base {engine.dialect.name}.")
        with engine.connect() as conn:
            if inspect(conn).get_table_names():
                raise BackupError("La base de destination n'est pas vide : la restauration se "
                                  "fait dans une instance neuve.")
        storage = get_storage()
        if stored_keys():
            raise BackupError("Le stockage de destination contient déjà des fichiers.")
        db_member = manifest["database"]["member"]
        if "/" in db_member or db_member.startswith("."):
            raise BackupError("Manifeste invalide.")
        db_file = Path(tmp) / db_member
        with tar.extractfile(db_member) as src, open(db_file, "wb") as dst:
            shutil.copyfileobj(src, dst)
        if _file_sha256(db_file) != manifest["database"]["sha256"]:
            raise BackupError("La copie de la base est altérée (empreinte différente).")
        files = {}
        for f in manifest["files"]:
            data = tar.extractfile(f"files/{f['key']}").read()
            if _sha256(data) != f["sha256"]:
                raise BackupError(f"Fichier altéré dans l'archive : {f['key']}.")
            files[f["key"]] = data
        if engine.dialect.name == "sqlite":
            target = Path(engine.url.database)
            db.session.remove()
            engine.dispose()
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            source = sqlite3.connect(db_file)
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                source.close()
                dest.close()
        else:
            done = subprocess.run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                 f"--dbname={_libpq_url(engine.url)}", str(db_file)],
                capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError("pg_restore a échoué : " + done.stderr.strip()[-500:])
        for key, data in files.items():
            storage.put(key, data)
    with engine.connect() as conn:
        tables = _counts(conn)
    if tables != manifest["database"]["tables"]:
        raise BackupError("Restauration incomplète : les nombres de lignes diffèrent du "
                          "manifeste.")
    current_app.logger.info("restored %s tables and %s files", len(tables), len(files))
    return RestoreResult(tables, len(files))
