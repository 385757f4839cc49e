"""Admins invite people with a one-time, expiring link; the link is mailed when SMTP is set."""
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import services
from app.auth.models import Invitation, User
from app.extensions import db
from app.timeutil import utcnow
from tests import factories


def invite(client, email="nouvelle@exemple.test", team=None, role="worker"):
    return client.post("/admin/invitations", data={"email": email, "team_id": team.id,
                                                   "role": role})


def link_from(body: str) -> str:
    return body.split('id="invite-link"')[1].split('value="')[1].split('"')[0]


def test_admin_invites_and_person_creates_account(client, auth, admin, team_a):
    auth.login(admin.email)
    response = invite(client, team=team_a)
    assert response.status_code == 200
    link = link_from(response.page)
    path = link.replace("http://localhost", "")
    auth.logout()
    page = client.get(path).page
    assert "IML A" in page and "nouvelle@exemple.test" in page
    done = client.post(path, data={"display_name": "Nora Nouvelle",
                                   "password": "une phrase assez longue",
                                   "confirm": "une phrase assez longue"})
    assert done.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "nouvelle@exemple.test"))
    assert [(m.team_id, m.role) for m in user.memberships] == [(team_a.id, "worker")]
    assert "Bonjour Nora" in client.get("/").page
    # The link only works once.
    client.post("/deconnexion")
    again = client.get(path)
    assert again.status_code == 410
    assert "déjà servi" in again.page
    logged = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "invitation.create" in logged and "invitation.accept" in logged


def test_token_is_stored_hashed(app, admin, team_a):
    invitation, token = services.create_invitation(admin, "x@exemple.test", team_a, "volunteer",
                                                   now=utcnow())
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64


def test_expired_link_refused(app, client, admin, team_a):
    now = utcnow()
    _, token = services.create_invitation(admin, "x@exemple.test", team_a, "worker",
                                          now=now - app.config["INVITATION_TTL"]
                                          - timedelta(minutes=1))
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 410
    assert "expiré" in response.page


def test_revoked_link_refused(client, auth, admin, team_a):
    invitation, token = services.create_invitation(admin, "x@exemple.test", team_a, "worker",
                                                   now=utcnow())
    auth.login(admin.email)
    assert client.post(f"/admin/invitations/{invitation.id}/annuler").status_code == 302
    auth.logout()
    assert "annulée" in client.get(f"/invitation/{token}").page


def test_unknown_token_refused(client):
    response = client.get("/invitation/n-importe-quoi")
    assert response.status_code == 410
    assert "n'est pas valable" in response.page


def test_invitation_for_existing_account_refused(client, auth, admin, worker, team_a):
    auth.login(admin.email)
    response = invite(client, email=worker.email.upper(), team=team_a)
    assert response.status_code == 422
    assert "Un compte existe déjà" in response.page


def test_invitation_form_errors_keep_input(client, auth, admin, team_a):
    auth.login(admin.email)
    response = invite(client, email="pas-une-adresse", team=team_a)
    body = response.page
    assert response.status_code == 422
    assert "Adresse e-mail invalide." in body
    assert 'value="pas-une-adresse"' in body
    assert db.session.scalar(select(Invitation.id)) is None


def test_weak_password_at_acceptance_keeps_name(client, admin, team_a):
    _, token = services.create_invitation(admin, "x@exemple.test", team_a, "worker",
                                          now=utcnow())
    response = client.post(f"/invitation/{token}", data={
        "display_name": "Xavier", "password": "court", "confirm": "court"})
    body = response.page
    assert response.status_code == 422
    assert "au moins 12 caractères" in body
    assert 'value="Xavier"' in body
    assert client.get(f"/invitation/{token}").status_code == 200  # still usable


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_invitation_mailed_when_smtp_configured(app, client, auth, admin, team_a, smtp_server):
    controller, inbox = smtp_server
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, MAIL_FROM="terrain@exemple.test")
    auth.login(admin.email)
    body = invite(client, team=team_a).page
    assert "envoyée par courriel" in body
    link = link_from(body)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.rcpt_tos == ["nouvelle@exemple.test"]
    text = message.content.decode()
    assert "IML A" in text
    assert link.split("/invitation/")[1] in text.replace("=\r\n", "")


def test_mail_failure_still_shows_link(app, client, auth, admin, team_a):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)
    auth.login(admin.email)
    body = invite(client, team=team_a).page
    assert "le courriel n'a pas pu partir" in body
    assert "/invitation/" in link_from(body)
