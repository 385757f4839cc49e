"""Alerts in a real browser: the alert centre and the settings pages (axe, phone and laptop),
and the service worker's push handler: a push shows a notification that names no one, and
tapping it opens the alert centre after sign-in."""
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (LAPTOP, screenshot, serious_violations, sign_in, wait_until)
from tests.e2e.test_offline import wait_for_worker

pytestmark = pytest.mark.e2e

WORKER = "travailleur@terrain.test"
COORDINATOR = "coordination@terrain.test"


def test_alert_centre_on_a_phone(page, server):
    sign_in(page, server, WORKER)
    nav = page.get_by_role("navigation", name="Navigation principale")
    page.locator(".bottombar, nav").get_by_role("link", name="Alertes").first.click()
    expect(page).to_have_url(server.url + "/alertes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alertes")
    expect(page.locator("li.alert").first).to_be_visible()
    expect(nav.get_by_role("link", name="Alertes")).to_have_attribute("aria-current", "page")
    assert serious_violations(page) == []
    screenshot(page, "alerts-phone")
    first = page.locator("li.alert").first
    label = first.locator(".list-title").inner_text()
    first.get_by_role("button", name="Vu").click()
    expect(page.get_by_text("Alerte marquée comme vue")).to_be_visible()
    expect(page.locator("li.alert .list-title", has_text=label)).to_have_count(0)


def test_coordinator_filters_the_team_view_by_urgency_on_a_phone(page, server):
    sign_in(page, server, COORDINATOR)
    page.goto(server.url + "/alertes/?vue=equipe")
    expect(page.locator("li.alert").first).to_be_visible()
    page.get_by_label("Urgence").select_option(label="Urgent")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"urgence=urgent"))
    tags = page.locator("li.alert .tag")
    expect(tags.first).to_be_visible()
    assert set(tags.all_inner_texts()) == {"Urgent"}
    expect(page.get_by_label("Urgence")).to_have_value("urgent")
    # Four filters and long programme names still fit the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
    screenshot(page, "alerts-team-urgent-phone")


def test_coordinator_team_view_on_a_laptop(new_page, server):
    page = new_page(LAPTOP)
    sign_in(page, server, COORDINATOR)
    page.goto(server.url + "/alertes/?vue=equipe")
    expect(page.get_by_role("link", name="Toute l'équipe")).to_have_attribute("aria-current", "page")
    expect(page.locator("li.alert").first).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "alerts-team-laptop")
    page.locator("li.alert").first.get_by_role("link", name="Reporter").click()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Reporter").click()
    expect(page.get_by_text("Indiquez un jour.")).to_be_visible()
    page.goto(server.url + "/alertes/notifications")
    page.get_by_role("link", name="Délais des alertes").first.click()
    assert serious_violations(page) == []
    screenshot(page, "alerts-leads-laptop")


def test_notification_settings_page(page, server):
    sign_in(page, server, WORKER)
    page.goto(server.url + "/plus")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    # Chromium has the Push API: the iPhone explanation gives way to the button.
    expect(page.get_by_role("button", name="Activer les notifications")).to_be_visible()
    expect(page.get_by_text("Notifications indisponibles")).to_be_hidden()
    assert serious_violations(page) == []
    screenshot(page, "alerts-settings-phone")
    page.get_by_label("Visite le lendemain").uncheck()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Préférences enregistrées.")).to_be_visible()
    expect(page.get_by_label("Visite le lendemain")).not_to_be_checked()


def test_without_the_push_api_the_page_explains_the_iphone_home_screen(new_page, server):
    """Safari on an iPhone outside the home screen has no PushManager: French explanation."""
    phone = new_page()
    phone.add_init_script("delete window.PushManager;")
    sign_in(phone, server, WORKER)
    phone.goto(server.url + "/alertes/notifications")
    expect(phone.get_by_text("Sur l'écran d'accueil")).to_be_visible()
    expect(phone.get_by_role("button", name="Activer les notifications")).to_be_hidden()
    screenshot(phone, "alerts-settings-no-push-phone")


def _registration(page, registrations, scope, timeout_s=10):
    """The service worker registration for `scope`, once DevTools has reported it.

    CDP events reach Python only while Playwright is talking to the browser, so each
    round trip (a short in-page poll) lets them in; the loop ends on the condition.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [r for r in registrations if r["scopeURL"] == scope]
        if found:
            return found[0]
        page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")
    raise AssertionError(f"no service worker registration reported for {scope}")


def test_push_shows_a_notification_and_a_tap_opens_the_alert_centre(page, server):
    page.context.grant_permissions(["notifications"], origin=server.url)
    sign_in(page, server, WORKER)
    wait_for_worker(page)
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    reg = _registration(page, registrations, server.url + "/")
    payload = {"title": "Terrain", "body": "2 nouvelles alertes", "count": 2}
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": server.url, "registrationId": reg["registrationId"],
        "data": json.dumps(payload)})
    shown = wait_until(page, """async () => {
        const r = await navigator.serviceWorker.ready;
        const n = await r.getNotifications();
        return n.length ? {title: n[0].title, body: n[0].body, tag: n[0].tag} : null;
    }""")
    assert shown == {"title": "Terrain", "body": "2 nouvelles alertes", "tag": "terrain-alerts"}

    # The session ends before the tap: the tap leads to sign-in, then to the alert centre.
    page.goto(server.url + "/plus")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(server.url + "/connexion")
    [worker] = page.context.service_workers
    worker.evaluate("""async () => {
        const [n] = await self.registration.getNotifications();
        const event = new NotificationEvent("notificationclick", {notification: n});
        event.waitUntil = (p) => p;  // a synthetic event may not extend its lifetime
        self.dispatchEvent(event);
    }""")
    expect(page).to_have_url(server.url + "/connexion?next=/alertes/")
    page.get_by_label("Adresse e-mail").fill(WORKER)
    page.get_by_label("Mot de passe").fill("terrain-demo")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(server.url + "/alertes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alertes")
    remaining = wait_until(page, """async () => {
        const r = await navigator.serviceWorker.ready;
        return {n: (await r.getNotifications()).length};
    }""")
    assert remaining == {"n": 0}  # the tapped notification is closed
