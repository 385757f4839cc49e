"""Browser fixtures: a live Terrain on localhost, Debian's Chromium through Playwright, axe-core.

The server runs in a thread on a real SQLite file; each test starts from the demo association.
Pages are opened at phone size (390×844) unless a test asks otherwise. Any Content-Security-
Policy violation or uncaught script error fails the test.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from app import create_app, demo
from app.config import TestConfig
from app.extensions import db
from app.timeutil import utcnow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


class LiveServer:
    """Terrain served by werkzeug in a background thread."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.app = app
        self.server = make_server("localhost", 0, app, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        """Empty every table and load the demo association again."""
        with self.app.app_context():
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            demo.load(utcnow())


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "terrain.db"
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", WTF_CSRF_ENABLED=True,
                    TESTING=False, INSTANCE_PATH=str(path.parent / "instance"))
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    server = LiveServer(app)
    server.thread.start()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Problems:
    """Console CSP violations and uncaught errors seen by a page."""

    def __init__(self):
        self.items: list[str] = []

    def console(self, msg):
        if msg.type == "error" and ("Content Security Policy" in msg.text
                                    or "Refused to" in msg.text):
            self.items.append(msg.text)

    def page_error(self, exc):
        self.items.append(str(exc))


@pytest.fixture
def server(live_server):
    live_server.reset()
    return live_server


def _new_context(browser, viewport, problems):
    context = browser.new_context(viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris")
    context.add_init_script(path=str(AXE))
    context.set_default_timeout(10_000)
    context.on("page", lambda p: (p.on("console", problems.console),
                                  p.on("pageerror", problems.page_error)))
    return context


@pytest.fixture
def new_page(browser, server):
    """Open an extra page (own cookies) at a given viewport: new_page(viewport=LAPTOP)."""
    problems = Problems()
    contexts = []

    def make(viewport=PHONE):
        context = _new_context(browser, viewport, problems)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert problems.items == [], problems.items


@pytest.fixture
def page(new_page):
    """A phone-sized page."""
    return new_page()


def sign_in(page, server, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    """Sign in through the form and wait for the home page."""
    page.goto(server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url + "/")


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the current page."""
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations
          .filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
