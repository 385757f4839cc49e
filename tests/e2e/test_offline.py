"""The offline promise in a real browser: a report written with no network reaches the server
exactly once; a flaky server and an expired session lose and double nothing."""
import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.households.models import Household
from app.timeutil import today_paris, utcnow
from app.visits.models import ReportConflict, Visit, VisitReport
from tests.e2e.conftest import screenshot, serious_violations, sign_in, wait_until

pytestmark = pytest.mark.e2e

WORKER = "travailleur@terrain.test"


def wait_for_worker(page):
    """Wait until the service worker controls the page.

    A page that loaded while its worker was still installing may stay uncontrolled until the
    next load (as on a phone the first time): then reload once, as a person reopening would.
    """
    wait_until(page, """async () => {
        const r = await navigator.serviceWorker.getRegistration();
        return !!(r && r.active && r.active.state === 'activated');
    }""", timeout_ms=30_000)
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    wait_until(page, "() => navigator.serviceWorker.controller !== null", timeout_ms=30_000)


def wait_until_cached(page, path):
    wait_until(page, """async (path) => {
        for (const name of await caches.keys()) {
            if (name.startsWith('terrain-pages-') && await (await caches.open(name)).match(path))
                return true;
        }
        return false;
    }""", path)


def outbox_size(page):
    return page.evaluate("""() => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve(e.data.count);
        navigator.serviceWorker.controller.postMessage(
            {type: 'count', user: document.body.dataset.user}, [channel.port2]);
    })""")


def replay(page):
    return page.evaluate("""() => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve(e.data.count);
        navigator.serviceWorker.controller.postMessage(
            {type: 'replay', user: document.body.dataset.user}, [channel.port2]);
    })""")


def todays_visit(server):
    with server.app.app_context():
        worker = db.session.scalar(select(User).where(User.email == WORKER))
        visit = db.session.scalar(select(Visit).join(Household).where(
            Visit.day == today_paris(), Household.name == "Famille Benkirane"))
        return visit.id, worker.id


def reports_for(server, visit_id):
    with server.app.app_context():
        return db.session.scalar(select(func.count(VisitReport.id))
                                 .where(VisitReport.visit_id == visit_id))


def test_report_written_offline_arrives_exactly_once(page, server):
    visit_id, _ = todays_visit(server)
    form_path = f"/visites/{visit_id}/compte-rendu"
    sign_in(page, server, WORKER)
    expect(page.get_by_role("heading", name=re.compile("Mes visites aujourd'hui"))).to_be_visible()
    assert serious_violations(page) == []
    wait_for_worker(page)
    wait_until_cached(page, form_path)
    screenshot(page, "today-phone")

    page.context.set_offline(True)
    page.get_by_role("region", name=re.compile("Mes visites aujourd'hui")).get_by_role(
        "link", name=re.compile("Écrire le compte rendu .* Famille Benkirane")).click()
    expect(page.get_by_role("heading", name="Compte rendu")).to_be_visible()
    page.get_by_label("Observations").fill("Vu Mme Benkirane et les enfants. Fenêtre réparée.")
    page.get_by_label("Suites à donner").fill("Déposer le dossier FSL maintien.")
    expect(page.get_by_text("Brouillon gardé sur le téléphone")).to_be_visible()

    # Reload with no network: the page comes from the phone and the draft is back.
    page.reload()
    expect(page.get_by_label("Observations")).to_have_value(
        "Vu Mme Benkirane et les enfants. Fenêtre réparée.")
    expect(page.get_by_text("Brouillon repris depuis le téléphone.")).to_be_visible()
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(page.get_by_text("Enregistré sur le téléphone, envoi dès que le réseau revient.")
           ).to_be_visible()
    expect(page.locator("[data-outbox-badge]")).to_have_text("1 compte rendu en attente d'envoi")
    page.reload()
    expect(page.locator("[data-outbox-badge]")).to_have_text("1 compte rendu en attente d'envoi")
    expect(page.get_by_label("Suites à donner")).to_have_value("Déposer le dossier FSL maintien.")
    assert serious_violations(page) == []
    screenshot(page, "report-queued-phone")
    assert reports_for(server, visit_id) == 0

    page.context.set_offline(False)  # the page hears "online" and asks for a replay
    expect(page).to_have_url(re.compile(rf"/visites/{visit_id}$"))
    expect(page.get_by_text("Déposer le dossier FSL maintien.")).to_be_visible()
    assert reports_for(server, visit_id) == 1
    assert outbox_size(page) == 0
    # Coming back to the form and sending the same content again saves nothing more.
    replay(page)
    assert reports_for(server, visit_id) == 1


def test_twenty_reports_replayed_through_a_flaky_server(page, server):
    with server.app.app_context():
        worker = db.session.scalar(select(User).where(User.email == WORKER))
        household = db.session.scalar(select(Household).where(Household.name == "M. Dubois"))
        visits = []
        for i in range(20):
            v = Visit(household_id=household.id, team_id=household.team_id,
                      day=today_paris() - timedelta(days=1 + i % 5), place="domicile",
                      purpose=f"Visite {i}", created_at=utcnow())
            v.workers = [worker]
            db.session.add(v)
            visits.append(v)
        db.session.commit()
        visit_ids = [v.id for v in visits]
        person = household.people[0].id
    sign_in(page, server, WORKER)
    wait_for_worker(page)
    page.context.set_offline(True)
    statuses = page.evaluate("""async ({ids, person}) => {
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        const out = [];
        for (const id of ids) {
            const cid = crypto.randomUUID();
            const body = new URLSearchParams({client_id: cid, seen: String(person),
                observations: 'Compte rendu ' + id, next_steps: 'Suite ' + id});
            const r = await fetch('/visites/' + id + '/compte-rendu', {method: 'POST', body,
                headers: {'Accept': 'application/json', 'X-CSRFToken': token,
                          'X-Terrain-Outbox': '1', 'X-Terrain-User': document.body.dataset.user,
                          'X-Terrain-Client-Id': cid, 'X-Terrain-Draft': 'report-' + id}});
            out.push(r.status);
        }
        return out;
    }""", {"ids": visit_ids, "person": person})
    assert statuses == [202] * 20
    assert outbox_size(page) == 20

    server.app.config.update(TERRAIN_TEST_SWITCHES=True, TEST_FAIL_EVERY_NTH_REPORT=3,
                             TEST_FAIL_AFTER_SAVE=True)
    try:
        page.context.set_offline(False)
        remaining = 20
        for _ in range(60):  # each trigger sends until the next failure, as a phone would
            remaining = replay(page)
            if remaining == 0:
                break
        assert remaining == 0
    finally:  # the live server is shared by the browser tests: leave no switch on
        server.app.config.update(TERRAIN_TEST_SWITCHES=False, TEST_FAIL_EVERY_NTH_REPORT=None,
                                 TEST_FAIL_AFTER_SAVE=False)
    with server.app.app_context():
        per_visit = dict(db.session.execute(
            select(VisitReport.visit_id, func.count(VisitReport.id))
            .where(VisitReport.visit_id.in_(visit_ids)).group_by(VisitReport.visit_id)).all())
        conflicts = db.session.scalar(select(func.count(ReportConflict.id)))
    assert per_visit == {vid: 1 for vid in visit_ids}
    assert conflicts == 0


def test_queued_report_waits_for_a_new_sign_in(page, server):
    visit_id, worker_id = todays_visit(server)
    sign_in(page, server, WORKER)
    wait_for_worker(page)
    wait_until_cached(page, f"/visites/{visit_id}/compte-rendu")
    page.context.set_offline(True)
    page.goto(server.url + f"/visites/{visit_id}/compte-rendu")
    page.get_by_label("Observations").fill("Écrit avant l'expiration de la session.")
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(page.locator("[data-outbox-badge]")).to_have_text("1 compte rendu en attente d'envoi")

    with server.app.app_context():  # the session ends on the server meanwhile
        user = db.session.get(User, worker_id)
        user.session_version += 1
        db.session.commit()
    page.context.set_offline(False)
    replay(page)
    expect(page.locator("#net-status")).to_contain_text("Session expirée")
    assert reports_for(server, visit_id) == 0
    assert outbox_size(page) == 1

    sign_in(page, server, WORKER)  # the home page asks for a replay when it opens
    wait_until(page, """() => new Promise((resolve) => {
        const worker = navigator.serviceWorker.controller;
        if (!worker) return resolve(false);
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve(e.data.count === 0);
        worker.postMessage({type: 'count', user: document.body.dataset.user}, [channel.port2]);
    })""")
    expect(page.locator("[data-outbox-badge]")).to_be_hidden()
    assert reports_for(server, visit_id) == 1


def test_sign_out_leaves_nothing_on_the_phone(page, server):
    visit_id, _ = todays_visit(server)
    sign_in(page, server, WORKER)
    wait_for_worker(page)
    wait_until_cached(page, f"/visites/{visit_id}/compte-rendu")
    page.goto(server.url + f"/visites/{visit_id}/compte-rendu")
    page.get_by_label("Observations").fill("Brouillon à effacer")
    expect(page.get_by_text("Brouillon gardé sur le téléphone")).to_be_visible()
    page.goto(server.url + "/plus")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile("/connexion"))
    leftovers = page.evaluate("""async () => {
        const names = (await caches.keys()).filter(n => !n.includes('precache'));
        const drafts = await TerrainDB.entries('drafts', '');
        return {names, drafts: drafts.length, storage: localStorage.length};
    }""")
    assert leftovers == {"names": [], "drafts": 0, "storage": 0}
