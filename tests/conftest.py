"""Shared fixtures: an app on a fresh database per test, a client, and an auth helper.

The database is SQLite by default; `--db postgres` (or TERRAIN_TEST_DB=postgres) runs the same
tests on a throwaway PostgreSQL cluster (tests/pgcluster.py). See `Databases` for isolation.
"""
from __future__ import annotations

import contextvars
import html
import itertools
import os
import shutil

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests import factories, pgcluster

BACKENDS = ("sqlite", "postgres")


def pytest_addoption(parser):
    parser.addoption("--db", choices=BACKENDS, default=os.environ.get("TERRAIN_TEST_DB", "sqlite"),
                     help="database the tests run on (default: $TERRAIN_TEST_DB, else sqlite)")


def pytest_configure(config):
    if config.getoption("--db") not in BACKENDS:
        raise pytest.UsageError(f"TERRAIN_TEST_DB must be one of {BACKENDS}")


def pytest_report_header(config):
    return f"database: {config.getoption('--db')}"


def pytest_collection_modifyitems(config, items):
    """Tests marked sqlite_only (SQLite's own pragmas and locking) are skipped on PostgreSQL."""
    if config.getoption("--db") == "sqlite":
        return
    skip = pytest.mark.skip(reason="SQLite-specific (pragmas, file locking)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


class Databases:
    """Fresh databases for tests, on the backend chosen with --db.

    SQLite: a file with the schema is built once (create_all) and copied for every test.
    PostgreSQL: one cluster for the session and one database with the schema; before each
    test every table is emptied with DELETE (foreign-key triggers off through
    session_replication_role) and every sequence restarted at 1 — about 10 ms, against
    ~120 ms for CREATE DATABASE … TEMPLATE and ~150 ms for TRUNCATE of the 66 tables.
    `empty(tmp_path)` gives a database with no tables at all (migration tests).
    """

    def __init__(self, backend: str, folder):
        self.backend = backend
        self.folder = folder
        self.counter = itertools.count(1)
        if backend == "sqlite":
            self.template = folder / "template.db"
            self._create_schema(f"sqlite:///{self.template}", folder / "instance")
        else:
            self.server = pgcluster.start()
            self.url = pgcluster.create_database(self.server, "unit")
            self._create_schema(self.url, folder / "instance")
            self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT",
                                       pool_size=1, max_overflow=0)
            self._clean_sql = None

    @staticmethod
    def _create_schema(url, instance):
        app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": str(instance)})
        with app.app_context():
            db.create_all()
            db.engine.dispose()  # on SQLite: checkpoints the WAL into the main file

    def fresh(self, tmp_path) -> str:
        """The URL of a database with the schema and no rows, for one test."""
        if self.backend == "sqlite":
            path = tmp_path / "terrain.db"
            shutil.copy(self.template, path)
            return f"sqlite:///{path}"
        with self.admin.connect() as conn:
            # A connection a previous test left open would block the DELETEs below.
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            conn.exec_driver_sql(self._clean(conn))
        return self.url

    def _clean(self, conn) -> str:
        if self._clean_sql is None:
            sequences = conn.exec_driver_sql(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                "FROM information_schema.sequences").scalars().all()
            statements = ["SET session_replication_role = replica"]
            statements += [f'DELETE FROM "{t.name}"' for t in db.metadata.sorted_tables]
            statements.append("SET session_replication_role = DEFAULT")
            if sequences:
                statements.append("SELECT " + ", ".join(
                    f"setval('{s}', 1, false)" for s in sequences))
            self._clean_sql = ";\n".join(statements)
        return self._clean_sql

    def empty(self, tmp_path) -> str:
        """The URL of a database with no tables (dropped at the end of the session)."""
        if self.backend == "sqlite":
            return f"sqlite:///{tmp_path / f'empty-{next(self.counter)}.db'}"
        return pgcluster.create_database(self.server, f"empty_{next(self.counter)}")

    def server_url(self, folder) -> str:
        """The URL of an empty database (no tables) for a live server of the session."""
        if self.backend == "sqlite":
            return f"sqlite:///{folder / 'terrain.db'}"
        return pgcluster.create_database(self.server, f"live_{next(self.counter)}")

    def close(self) -> None:
        if self.backend == "postgres":
            self.admin.dispose()
            pgcluster.stop()


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory):
    """The session's database factory (see `Databases`)."""
    dbs = Databases(request.config.getoption("--db"), tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.close()


@pytest.fixture
def empty_database_url(databases, tmp_path):
    """A database without any table, on the backend under test."""
    return databases.empty(tmp_path)


def _test_settings(_path=None) -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture
def app(databases, tmp_path):
    """A fresh app and an empty database (with the schema) for one test."""
    app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": databases.fresh(tmp_path),
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The test keeps an app context open for factories and assertions; without this, requests
    would share its `g` (Flask-Login caches the user there) and its database session. The
    test's own transaction is ended first, as another process's would be, so the request's
    BEGIN IMMEDIATE does not wait on it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `response.page`: the body as text with HTML entities decoded (d'accord, not d&#39;accord).
        self.response_wrapper = type("PageResponse", (self.response_wrapper,), {
            "page": property(lambda r: html.unescape(r.get_data(as_text=True)))})

    def open(self, *args, **kwargs):
        db.session.rollback()

        def isolated():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(isolated)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = factories.PASSWORD, follow: bool = False):
        return self.client.post("/connexion", data={"email": email, "password": password},
                                follow_redirects=follow)

    def logout(self):
        return self.client.post("/deconnexion")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def team_a(app):
    return factories.team("iml", name="IML A")


@pytest.fixture
def team_b(app):
    return factories.team("asll", name="ASLL B")


@pytest.fixture
def worker(team_a):
    return factories.user((team_a, "worker"), email="worker@exemple.test",
                          display_name="Wanda Worker")


@pytest.fixture
def admin(team_a):
    return factories.user((team_a, "admin"), email="admin@exemple.test",
                          display_name="Ada Admin")
