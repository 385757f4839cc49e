"""Shared fixtures: an app on a fresh SQLite file per test, a client, and an auth helper."""
from __future__ import annotations

import contextvars
import html
import shutil

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests import factories


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A database file with the schema, built once and copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app({**_test_settings(path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "INSTANCE_PATH": str(path.parent / "instance")})
    with app.app_context():
        db.create_all()
        db.engine.dispose()  # checkpoints the WAL into the main file
    return path


def _test_settings(path) -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture
def app(template_db, tmp_path):
    """A fresh app and database file for one test."""
    path = tmp_path / "terrain.db"
    shutil.copy(template_db, path)
    app = create_app({**_test_settings(path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
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
