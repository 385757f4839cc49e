"""The alert centre, its actions and the notification settings, through HTTP."""
from __future__ import annotations

import base64
import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app.alerts import services
from app.alerts.models import Alert, AlertSetting, PushPreference, PushSubscription
from app.audit.models import AuditEvent
from app.extensions import db
from app.timeutil import today_paris, utcnow
from tests import factories


@pytest.fixture
def coordinator(team_a):
    return factories.user((team_a, "coordinator"), email="coord@exemple.test",
                          display_name="Corinne Coord")


@pytest.fixture
def alerts(team_a, worker):
    """A visit tomorrow for the worker, a missing report, and another team's alert."""
    tomorrow = today_paris() + timedelta(days=1)
    factories.visit(factories.household(team_a, referent=worker, name="Famille Demain"), worker,
                    day=tomorrow)
    factories.visit(factories.household(team_a, referent=worker, name="Famille Retard"), worker,
                    day=today_paris() - timedelta(days=5))
    other = factories.team("iml", name="IML Z")
    stranger = factories.user((other, "worker"), email="z@exemple.test")
    factories.visit(factories.household(other, referent=stranger, name="Famille Ailleurs"),
                    stranger, day=tomorrow)
    services.run_pass(utcnow(), sender=None)
    return list(db.session.scalars(select(Alert)))


def _alert(label_part):
    return db.session.scalar(select(Alert).where(Alert.label.contains(label_part)))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_keys() -> dict:
    """The keys a browser sends when it subscribes: a P-256 public point and an auth secret."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {"p256dh": b64(key.public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)),
            "auth": b64(os.urandom(16))}


def test_my_alerts_most_urgent_first_and_only_mine(client, auth, worker, alerts):
    auth.login(worker.email)
    page = client.get("/alertes/").page
    assert page.index("Famille Retard") < page.index("Famille Demain")
    assert "Famille Ailleurs" not in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "alerts.view"))


def test_another_teams_alert_is_a_404(client, auth, worker, alerts):
    auth.login(worker.email)
    theirs = _alert("Famille Ailleurs")
    assert client.post(f"/alertes/{theirs.id}/vu").status_code == 404
    assert client.get(f"/alertes/{theirs.id}/reporter").status_code == 404


def test_acknowledge_snooze_and_reopen(client, auth, worker, alerts):
    auth.login(worker.email)
    a = _alert("Famille Demain")
    assert client.post(f"/alertes/{a.id}/vu").status_code == 302
    assert "Famille Demain" not in client.get("/alertes/").page
    assert "Famille Demain" in client.get("/alertes/?voir=ack").page
    client.post(f"/alertes/{a.id}/rouvrir")
    bad = client.post(f"/alertes/{a.id}/reporter", data={"until": today_paris().isoformat()})
    assert bad.status_code == 422 and "à partir de demain" in bad.page
    later = today_paris() + timedelta(days=3)
    assert client.post(f"/alertes/{a.id}/reporter",
                       data={"until": later.isoformat()}).status_code == 302
    assert "Famille Demain" not in client.get("/alertes/").page
    assert "Famille Demain" in client.get("/alertes/?voir=snoozed").page


def test_assign_to_a_colleague_and_coordinator_team_view(client, auth, worker, coordinator,
                                                        alerts):
    auth.login(worker.email)
    a = _alert("Famille Retard")
    assert client.post(f"/alertes/{a.id}/confier", data={"user_id": 424242}).status_code == 422
    assert client.post(f"/alertes/{a.id}/confier",
                       data={"user_id": coordinator.id}).status_code == 302
    assert "Famille Retard" not in client.get("/alertes/").page
    auth.logout()
    auth.login(coordinator.email)
    assert "Famille Retard" in client.get("/alertes/").page
    team = client.get("/alertes/?vue=equipe").page
    assert "Famille Demain" in team and "Pour Wanda Worker" in team
    assert "Famille Ailleurs" not in team
    only = client.get(f"/alertes/?vue=equipe&personne={coordinator.id}").page
    assert "Famille Demain" not in only and "Famille Retard" in only


def test_settings_page_subscribe_preferences_and_unsubscribe(client, auth, worker):
    auth.login(worker.email)
    page = client.get("/alertes/notifications").page
    assert "écran d'accueil" in page and "data-public-key" in page
    bad = client.post("/alertes/push/abonnement", json={"endpoint": "http://evil.test/x",
                                                        "keys": browser_keys()})
    assert bad.status_code == 422 and "https" in bad.get_json()["error"]
    ok = client.post("/alertes/push/abonnement", json={
        "endpoint": "https://push.example.test/sub/1", "device": "Android, Chrome",
        "keys": browser_keys()})
    assert ok.status_code == 201
    assert db.session.scalar(select(PushSubscription.user_id)) == worker.id
    assert "Android, Chrome" in client.get("/alertes/notifications").page
    r = client.post("/alertes/notifications", data={"kinds": ["lease_end", "visit_tomorrow"],
                                                    "quiet_start": "21:00", "quiet_end": "",
                                                    "digest_at": "08:00"})
    assert r.status_code == 422 and "le début et la fin" in r.page
    r = client.post("/alertes/notifications", data={"kinds": ["lease_end"], "quiet_start": "21:00",
                                                    "quiet_end": "07:00", "digest": "y",
                                                    "digest_at": "07:30"})
    assert r.status_code == 302
    pref = db.session.scalar(select(PushPreference))
    assert pref.digest and "visit_tomorrow" in pref.muted_rules and "lease_end" not in pref.muted_rules
    client.post("/alertes/push/desabonnement", json={"endpoint": "https://push.example.test/sub/1"})
    assert db.session.scalar(select(PushSubscription)) is None


def test_team_lead_times_for_coordinators_only(client, auth, worker, coordinator, team_a):
    auth.login(worker.email)
    assert client.get(f"/alertes/delais/{team_a.id}").status_code == 403
    auth.logout()
    auth.login(coordinator.email)
    assert "Ménage sans visite" in client.get(f"/alertes/delais/{team_a.id}").page
    from app.alerts.rules import RULES

    data = {f"lead_{c}": r.default_lead for c, r in RULES.items()}
    bad = client.post(f"/alertes/delais/{team_a.id}", data={**data, "lead_not_seen": "-3"})
    assert bad.status_code == 422
    assert client.post(f"/alertes/delais/{team_a.id}",
                       data={**data, "lead_not_seen": "45"}).status_code == 302
    from app.alerts.queries import leads_of

    assert leads_of(team_a.id)["not_seen"] == 45


def test_more_page_links_to_notifications_and_nav_has_alerts(client, auth, worker):
    auth.login(worker.email)
    page = client.get("/plus").page
    assert "/alertes/notifications" in page
    assert 'href="/alertes/"' in client.get("/").page


def test_service_worker_has_the_push_handlers(client):
    script = client.get("/service-worker.js").get_data(as_text=True)
    assert 'addEventListener("push"' in script and "notificationclick" in script
    assert '"alerts": "/alertes/"' in script


def test_a_subscription_whose_keys_cannot_encrypt_is_refused_in_french(client, auth, worker):
    auth.login(worker.email)
    good = browser_keys()
    point = base64.urlsafe_b64decode(good["p256dh"] + "=")
    off_curve = point[:-1] + bytes([point[-1] ^ 1])  # 65 bytes, 0x04 first, not on P-256
    compressed = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    for p256dh in ("B" * 87, b64(off_curve), b64(compressed), good["p256dh"] + "*", ""):
        r = client.post("/alertes/push/abonnement", json={
            "endpoint": "https://push.example.test/sub/1", "keys": {**good, "p256dh": p256dh}})
        assert r.status_code == 422, p256dh
        assert "clé de chiffrement envoyée par le navigateur est invalide" in r.get_json()["error"]
    for secret in ("A" * 22 + "AA", b64(os.urandom(15)), ""):
        r = client.post("/alertes/push/abonnement", json={
            "endpoint": "https://push.example.test/sub/1", "keys": {**good, "auth": secret}})
        assert r.status_code == 422 and "secret d'authentification" in r.get_json()["error"]
    assert client.post("/alertes/push/abonnement", json={
        "endpoint": "https://push.example.test/sub/1"}).status_code == 422
    assert db.session.scalar(select(PushSubscription)) is None
    padded = {"p256dh": good["p256dh"] + "=", "auth": good["auth"] + "=="}  # padding is fine
    assert client.post("/alertes/push/abonnement", json={
        "endpoint": "https://push.example.test/sub/1", "keys": padded}).status_code == 201


def test_plain_http_push_service_only_in_tests_debug_or_when_allowed(app, client, auth, worker,
                                                                     monkeypatch):
    auth.login(worker.email)
    local = {"endpoint": "http://127.0.0.1:8089/push/1", "keys": browser_keys()}
    monkeypatch.setitem(app.config, "TESTING", False)  # production: https only
    r = client.post("/alertes/push/abonnement", json=local)
    assert r.status_code == 422
    assert r.get_json()["error"] == "Le service de notification doit être joint en https."
    assert client.post("/alertes/push/abonnement", json={
        "endpoint": "https://push.example.test/sub/1", "keys": browser_keys()}).status_code == 201
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", True)
    assert client.post("/alertes/push/abonnement", json=local).status_code == 201
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", False)
    monkeypatch.setitem(app.config, "TESTING", True)
    # Even where http is allowed, only on loopback.
    r = client.post("/alertes/push/abonnement", json={**local,
                                                      "endpoint": "http://push.example.test/2"})
    assert r.status_code == 422
    assert sorted(db.session.scalars(select(PushSubscription.endpoint))) == [
        "http://127.0.0.1:8089/push/1", "https://push.example.test/sub/1"]


def test_coordinator_filters_the_team_view_by_programme(client, auth, team_a, team_b):
    coord = factories.user((team_a, "coordinator"), (team_b, "coordinator"),
                           email="both@exemple.test")
    past = today_paris() - timedelta(days=5)
    for team, name in ((team_a, "Famille Iml"), (team_b, "Famille Asll")):
        factories.visit(factories.household(team, referent=coord, name=name), coord, day=past)
    services.run_pass(utcnow(), sender=None)
    auth.login(coord.email)
    both = client.get("/alertes/?vue=equipe").page
    assert "Famille Iml" in both and "Famille Asll" in both
    asll = client.get("/alertes/?vue=equipe&dispositif=asll").page
    assert "Famille Asll" in asll and "Famille Iml" not in asll
    iml = client.get("/alertes/?vue=equipe&dispositif=iml").page
    assert "Famille Iml" in iml and "Famille Asll" not in iml
    unknown = client.get("/alertes/?vue=equipe&dispositif=nimporte").page  # ignored
    assert "Famille Iml" in unknown and "Famille Asll" in unknown


def test_coordinator_filters_the_team_view_by_urgency(client, auth, team_a, worker):
    coord = factories.user((team_a, "coordinator"), email="lead@exemple.test")
    factories.visit(factories.household(team_a, referent=worker, name="Famille Retard"), worker,
                    day=today_paris() - timedelta(days=5))  # report missing: urgent
    factories.visit(factories.household(team_a, referent=worker, name="Famille Demain"), worker,
                    day=today_paris() + timedelta(days=1))  # visit tomorrow: soon
    services.run_pass(utcnow(), sender=None)
    auth.login(coord.email)
    urgent = client.get("/alertes/?vue=equipe&urgence=urgent").page
    assert "Famille Retard" in urgent and "Famille Demain" not in urgent
    assert '<option value="urgent" selected>' in urgent
    # The other lists of the page keep the filter.
    assert "urgence=urgent" in urgent.split('aria-label="Quelles alertes"')[1].split("</nav>")[0]
    soon = client.get("/alertes/?vue=equipe&urgence=soon").page
    assert "Famille Demain" in soon and "Famille Retard" not in soon
    every = client.get("/alertes/?vue=equipe&urgence=nimporte").page  # ignored
    assert "Famille Retard" in every and "Famille Demain" in every


def test_lead_times_page_shows_only_the_rules_of_the_teams_programme(client, auth, team_a):
    drop_in = factories.team("permanence", name="Permanence P")
    coord = factories.user((team_a, "coordinator"), (drop_in, "coordinator"),
                           email="both@exemple.test")
    auth.login(coord.email)
    iml = client.get(f"/alertes/delais/{team_a.id}").page
    for shown in ("Fin de sous-location", "Glissement du bail", "Ménage sans visite"):
        assert shown in iml
    for hidden in ("Créneau de permanence", "Permanence en manque", "Appel aux bénévoles",
                   "ASLL"):
        assert hidden not in iml
    perm = client.get(f"/alertes/delais/{drop_in.id}").page
    assert "Créneau de permanence le lendemain" in perm and "Permanence en manque" in perm
    # The call to volunteers is sent when the coordinator calls: no lead time to set.
    assert "Appel aux bénévoles" not in perm and 'name="lead_shift_call"' not in perm
    assert "Fin de sous-location" not in perm
    from app.alerts.rules import RULES, settable

    data = {f"lead_{c}": r.default_lead for c, r in settable("permanence").items()}
    r = client.post(f"/alertes/delais/{drop_in.id}", data={
        **data, "lead_shift_tomorrow": "2", "lead_shift_call": "9", "lead_lease_end": "20"})
    assert r.status_code == 302
    rows = db.session.execute(select(AlertSetting.rule, AlertSetting.lead)).all()
    assert rows == [("shift_tomorrow", 2)]  # what the page does not show is not saved
    assert set(settable("iml")) >= {"lease_end", "not_seen"} and "shift_call" in RULES


def test_a_long_team_list_comes_in_pages_of_fifty(client, auth, worker, coordinator, team_a):
    """62 visits tomorrow: 50 alerts on page 1, 12 on page 2, filters kept, total in the title."""
    tomorrow = today_paris() + timedelta(days=1)
    for n in range(62):
        factories.visit(factories.household(team_a, referent=worker, name=f"Famille N{n:02d}"),
                        worker, day=tomorrow)
    services.run_pass(utcnow(), sender=None)
    auth.login(coordinator.email)
    first = client.get(f"/alertes/?vue=equipe&personne={worker.id}")
    assert first.status_code == 200
    assert first.page.count('class="list-item alert ') == 50
    assert '<span class="count">62</span>' in first.page
    assert "Alertes 1 à 50 sur 62" in first.page
    assert f"/alertes/?page=2&voir=open&vue=equipe&personne={worker.id}" in first.page
    second = client.get(f"/alertes/?page=2&vue=equipe&personne={worker.id}")
    assert second.page.count('class="list-item alert ') == 12
    assert "Alertes 51 à 62 sur 62" in second.page and 'rel="next"' not in second.page
    shown = {n for n in range(62) if f"Famille N{n:02d}" in first.page + second.page}
    assert shown == set(range(62))  # every alert on exactly one of the two pages
    assert not {n for n in range(62) if f"Famille N{n:02d}" in first.page} & {
        n for n in range(62) if f"Famille N{n:02d}" in second.page}
    beyond = client.get(f"/alertes/?page=9&vue=equipe&personne={worker.id}")
    assert beyond.status_code == 302 and "page=2" in beyond.headers["Location"]


def test_alerts_about_an_archived_file_leave_the_centre(client, auth, worker, coordinator,
                                                       alerts):
    """An archived file is read only in the archives: its alerts, which name it, are not
    listed any more (mine or the team's, whatever the tab)."""
    from app.privacy import services as privacy

    retard = _alert("Famille Retard")
    auth.login(worker.email)
    assert "Famille Retard" in client.get("/alertes/").page
    from app.households.models import Household

    assert retard.household_id is not None
    privacy.archive(db.session.get(Household, retard.household_id), None, utcnow())
    db.session.commit()
    for path in ("/alertes/", "/alertes/?voir=resolved", "/alertes/?voir=ack"):
        assert "Famille Retard" not in client.get(path).page
    assert "Famille Demain" in client.get("/alertes/").page
    auth.logout()
    auth.login(coordinator.email)
    assert "Famille Retard" not in client.get("/alertes/?vue=equipe").page
