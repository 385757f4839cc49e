"""The factory, configuration, SQLite settings, migrations, health check and headers."""
import os
import stat

import pytest
from flask import Flask
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.config import TestConfig, database_url, finalize
from app.extensions import db


def settings(tmp_path, **extra):
    base = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    base.update(INSTANCE_PATH=str(tmp_path / "instance"),
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}")
    base.update(extra)
    return base


def test_secret_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app(settings(tmp_path, SECRET_KEY=None))
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app(settings(tmp_path, SECRET_KEY=None))
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_secret_and_database_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@localhost/terrain")
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    finalize(app)
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@localhost/terrain"


@pytest.mark.parametrize("given, used", [
    ("postgresql://u@db/t", "postgresql+psycopg://u@db/t"),
    ("postgresql+psycopg://u@db/t", "postgresql+psycopg://u@db/t"),
    ("sqlite:////srv/terrain.db", "sqlite:////srv/terrain.db"),
])
def test_database_url_names_the_psycopg_driver(given, used):
    assert database_url(given) == used


def test_default_database_is_a_file_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app(settings(tmp_path, SQLALCHEMY_DATABASE_URI=None))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'terrain.db'}"


@pytest.mark.sqlite_only
def test_sqlite_pragmas_on_every_connection(app):
    conn = db.session.connection()
    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 256 * 1024 * 1024
    assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # memory


@pytest.mark.sqlite_only
def test_a_request_that_cannot_get_the_write_lock_is_asked_to_retry(tmp_path):
    """Another process holds SQLite's write lock past the busy timeout: a French 503 with
    Retry-After (the outbox retries it), never a 500; once the lock is free, the same
    request goes through."""
    import sqlite3

    app = create_app(settings(tmp_path, SQLITE_BUSY_TIMEOUT_MS=50))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        page = client.post("/connexion", data={"email": "a@exemple.test", "password": "x"})
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "5"
        assert "réessayez dans quelques secondes" in page.get_data(as_text=True)
        sent = client.post("/connexion", data={"email": "a@exemple.test", "password": "x"},
                           headers={"Accept": "application/json"})
        assert sent.status_code == 503
        assert sent.get_json()["status"] == "busy"
    finally:
        holder.rollback()
        holder.close()
    after = client.post("/connexion", data={"email": "a@exemple.test", "password": "x"})
    assert after.status_code == 401  # an ordinary wrong password, answered as such
    assert "Serveur occupé" not in after.get_data(as_text=True)


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from app.households.models import Household

    db.session.add(Household(name="Orphelin", team_id=999))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_migrations_build_exactly_the_models_schema(tmp_path, empty_database_url):
    """Alembic from nothing gives the same schema as the models, and downgrades cleanly."""
    app = create_app(settings(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    migrations = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")
    with app.app_context():
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        downgrade(directory=migrations, revision="base")
        db.engine.dispose()
    engine = create_engine(empty_database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tables == {"alembic_version"}


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app(settings(
        tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_security_headers_on_pages(client):
    response = client.get("/connexion")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https(client):
    response = client.get("/connexion", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_in_pages(client):
    body = client.get("/connexion").page
    assert "<script>" not in body
    assert all("src=" in tag for tag in body.split("<script")[1:])


def test_unknown_page_in_french(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.page


def test_case_file_migration_keeps_and_indexes_existing_households(tmp_path, empty_database_url):
    """Households made before 0002 survive it and become searchable without accents."""
    app = create_app(settings(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    migrations = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="0001_foundation")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO team (id, name, programme) VALUES (1, 'T', 'iml')"))
            conn.execute(text("INSERT INTO household (id, team_id, name, created_at, version) "
                              "VALUES (1, 1, 'Famille Nénette', '2026-01-01', 1)"))
            conn.execute(text("INSERT INTO person (household_id, alias) VALUES (1, 'Zoé')"))
        upgrade(directory=migrations, revision="0002_case_files")
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT search_text, updated_at FROM household")).one()
            person = conn.execute(text("SELECT interpreter_needed FROM person")).one()
        db.engine.dispose()
    assert row[0] == "famille nenette zoe" and row[1] is not None
    assert person[0] in (0, False)
