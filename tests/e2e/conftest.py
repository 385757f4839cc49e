"""Browser fixtures: a live Terrain on localhost, Debian's Chromium through Playwright, axe-core.

The server runs in a thread on a real database (a SQLite file, or PostgreSQL with --db postgres);
each test starts from the demo association.
Pages are opened at phone size (390×844) unless a test asks otherwise. Any Content-Security-
Policy violation or uncaught script error fails the test.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from app import demo
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# Screenshots of the PostgreSQL run go to their own folder: `make test` runs both at once.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / (
    "postgres" if os.environ.get("TERRAIN_TEST_DB") == "postgres" else "")
PHONE = {"width": 390, "height": 844}

# Assertions wait up to 15 s (a ceiling, not a delay): a 2-core CI machine running the suite,
# a service worker replaying its outbox and WeasyPrint can be slower than the 5 s default.
expect.set_options(timeout=15_000)
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, databases):
    folder = tmp_path_factory.mktemp("e2e")
    server = LiveServer.start(folder, databases.server_url(folder))
    yield server
    server.stop()


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
    page.get_by_role("button", name="Se connecter", exact=True).click()
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # caret="initial": otherwise Playwright leaves style="" on inputs, which htmx then copies
    # (a CSP violation on the next boosted click).
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def wait_until(page, predicate: str, arg=None, timeout_ms: int = 10_000):
    """Wait until an (async) JS predicate holds, without eval (the CSP forbids it).

    `page.wait_for_function` evaluates strings inside the page, which a strict CSP blocks;
    this passes the whole function to `evaluate` (run by the DevTools protocol) and polls there.
    """
    return page.evaluate(f"""async (arg) => {{
        const predicate = {predicate};
        const deadline = Date.now() + {timeout_ms};
        for (;;) {{
            const value = await predicate(arg);
            if (value) return value;
            if (Date.now() > deadline) throw new Error('condition not met in time');
            await new Promise((resolve) => setTimeout(resolve, 50));
        }}
    }}""", arg)
