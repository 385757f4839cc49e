"""Least privilege: a person sees only their teams' data, by role; refusals are audited."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.scoping import get_scoped_or_404, scope, team_ids
from app.extensions import db
from app.households.models import Household
from tests import factories


def test_team_ids_by_role(team_a, team_b):
    person = factories.user((team_a, "worker"), (team_b, "volunteer"))
    assert team_ids(person) == {team_a.id}
    assert team_ids(person, ("volunteer",)) == {team_b.id}


def test_scope_filters_and_empty_scope_returns_nothing(team_a, team_b, worker):
    mine = factories.household(team_a)
    factories.household(team_b)
    rows = db.session.scalars(scope(select(Household), Household.team_id, worker)).all()
    assert rows == [mine]
    volunteer = factories.user((team_a, "volunteer"))
    assert db.session.scalars(scope(select(Household), Household.team_id, volunteer)).all() == []


def test_get_scoped_or_404_audits_refusal(app, team_b, worker):
    from werkzeug.exceptions import NotFound

    other = factories.household(team_b)
    with app.test_request_context():
        with pytest.raises(NotFound):
            get_scoped_or_404(Household, other.id, worker)
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.object_type, event.object_id, event.actor_id) == \
        ("access.denied", "household", other.id, worker.id)


def test_worker_lists_only_own_teams_households(client, auth, team_a, team_b, worker):
    factories.household(team_a, name="Famille Visible", referent=worker)
    factories.household(team_b, name="Famille Cachée")
    auth.login(worker.email)
    body = client.get("/menages/").page
    assert "Famille Visible" in body
    assert "Famille Cachée" not in body
    listed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.list"))
    assert listed.actor_id == worker.id


def test_my_households_first(client, auth, team_a, worker):
    factories.household(team_a, name="Aaa Autre")
    factories.household(team_a, name="Zzz Mien", referent=worker)
    auth.login(worker.email)
    body = client.get("/menages/").page
    assert body.index("Zzz Mien") < body.index("Aaa Autre")


def test_household_list_is_paginated(app, client, auth, team_a, worker):
    app.config["PAGE_SIZE"] = 2
    for i in range(5):
        factories.household(team_a, name=f"Ménage {i}")
    auth.login(worker.email)
    first = client.get("/menages/").page
    assert "Page 1 sur 3" in first
    last = client.get("/menages/?page=3").page
    assert "Ménage 4" in last and "Ménage 0" not in last


@pytest.mark.parametrize("path", ["/menages/"])
def test_volunteer_gets_403_on_case_files(client, auth, team_a, path):
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    response = client.get(path)
    assert response.status_code == 403
    assert "Accès refusé" in response.page
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.actor_id == volunteer.id, AuditEvent.action == "access.denied"))


@pytest.mark.parametrize("path", ["/admin/", "/admin/invitations", "/admin/equipes",
                                  "/admin/journal", "/admin/personnes/1"])
def test_admin_pages_need_admin_role(client, auth, worker, path):
    auth.login(worker.email)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/", "/plus", "/menages/", "/admin/", "/compte/mot-de-passe"])
def test_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_volunteer_navigation_has_no_case_files(client, auth, team_a):
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    body = client.get("/").page
    assert "Aujourd'hui" in body and "Plus" in body
    assert 'href="/menages/"' not in body
