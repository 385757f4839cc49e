"""Administration: roles, deactivation, the audit journal."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Membership
from app.extensions import db
from tests import factories


def test_admin_gives_and_removes_a_role(client, auth, admin, worker, team_b):
    auth.login(admin.email)
    response = client.post(f"/admin/personnes/{worker.id}", data={"team_id": team_b.id,
                                                                  "role": "coordinator"})
    assert response.status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == worker.id,
                                                            Membership.team_id == team_b.id))
    assert membership.role == "coordinator"
    same = client.post(f"/admin/personnes/{worker.id}", data={"team_id": team_b.id,
                                                              "role": "coordinator"})
    assert "a déjà ce rôle" in same.page
    membership_id = membership.id
    client.post(f"/admin/roles/{membership_id}/retirer")
    assert db.session.get(Membership, membership_id) is None


def test_rights_shrink_on_the_next_request(client, auth, admin, team_a):
    person = factories.user((team_a, "worker"))
    other = client.application.test_client()
    other.post("/connexion", data={"email": person.email, "password": factories.PASSWORD})
    assert other.get("/menages/").status_code == 200
    auth.login(admin.email)
    membership_id = person.memberships[0].id
    client.post(f"/admin/roles/{membership_id}/retirer")
    assert other.get("/menages/").status_code == 403


def test_last_admin_cannot_remove_own_admin_role(client, auth, admin):
    auth.login(admin.email)
    membership_id = admin.memberships[0].id
    body = client.post(f"/admin/roles/{membership_id}/retirer", follow_redirects=True
                       ).page
    assert "Il doit rester au moins" in body
    assert db.session.get(Membership, membership_id) is not None


def test_admin_deactivates_and_reactivates(client, auth, admin, worker):
    auth.login(admin.email)
    body = client.post(f"/admin/personnes/{worker.id}/activation", data={"active": "0"},
                       follow_redirects=True).page
    assert "Compte désactivé" in body
    db.session.refresh(worker)
    assert not worker.active
    client.post(f"/admin/personnes/{worker.id}/activation", data={"active": "1"})
    db.session.refresh(worker)
    assert worker.active


def test_admin_cannot_deactivate_self(client, auth, admin):
    auth.login(admin.email)
    body = client.post(f"/admin/personnes/{admin.id}/activation", data={"active": "0"},
                       follow_redirects=True).page
    assert "propre compte" in body


def test_journal_lists_events_and_is_itself_audited(client, auth, admin, worker):
    auth.login(worker.email, "mauvais")
    auth.login(admin.email)
    body = client.get("/admin/journal?action=auth.login_failed").page
    assert "Échec de connexion" in body and worker.email in body
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit.read"))


def test_users_search(client, auth, admin, worker):
    auth.login(admin.email)
    body = client.post("/admin/", data={"q": "wanda"}).page
    assert worker.email in body and admin.email not in body
