"""The alert centre, its actions and the notification settings, through HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.alerts import services
from app.alerts.models import Alert, PushPreference, PushSubscription
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
                                                        "keys": {"p256dh": "B" * 87,
                                                                 "auth": "A" * 22}})
    assert bad.status_code == 422
    ok = client.post("/alertes/push/abonnement", json={
        "endpoint": "https://push.example.test/sub/1", "device": "Android, Chrome",
        "keys": {"p256dh": "B" * 87, "auth": "A" * 22}})
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
