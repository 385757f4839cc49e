"""Demo data and each role's home page."""
import pytest
from sqlalchemy import func, select

from app import demo
from app.auth.models import Team, User
from app.extensions import db
from app.households.models import Household
from app.housing.models import Flat
from app.programmes import PROGRAMMES
from app.timeutil import utcnow


def test_demo_load_is_idempotent_and_complete(app):
    first = demo.load(utcnow())
    assert first["users"] >= 8 and first["households"] > 0 and first["flats"] > 0
    again = demo.load(utcnow())
    assert set(again.values()) == {0}
    assert {t.programme for t in db.session.scalars(select(Team))} == set(PROGRAMMES)
    for role in ("admin", "coordinator", "worker", "volunteer"):
        holders = [u for u in db.session.scalars(select(User)) if u.has_role(role)]
        assert len(holders) >= 2, role


def test_demo_cli_if_empty(runner):
    out = runner.invoke(args=["demo", "load", "--if-empty"]).output
    assert "ajouté" in out
    assert "non rechargées" in runner.invoke(args=["demo", "load", "--if-empty"]).output
    # Features add households of their own (former, archived, to rehouse): count the base list.
    names = [h[0] for h in demo.HOUSEHOLDS]
    assert db.session.scalar(select(func.count(Household.id))
                             .where(Household.name.in_(names))) == len(demo.HOUSEHOLDS)
    assert db.session.scalar(select(func.count(Flat.id))) == len(demo.FLATS)


def test_demo_accounts_printed(runner):
    out = runner.invoke(args=["demo", "accounts", "--url", "http://localhost:5000"]).output
    assert "http://localhost:5000" in out and "terrain-demo" in out
    for email, _ in demo.DEMO_ACCOUNTS:
        assert email in out


def test_create_admin_cli(runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "Chef@Exemple.test",
                                 "--name", "Chef Fe", "--team", "Siège IT",
                                 "--password", "une phrase assez longue"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "chef@exemple.test"))
    assert user.is_admin


@pytest.mark.parametrize("email,expected,absent", [
    ("admin@terrain.test", ["Administration", "comptes actifs"], ["Mes ménages"]),
    ("coordination@terrain.test", ["Mes équipes en chiffres", "IML Toulouse"], ["comptes actifs"]),
    ("travailleur@terrain.test", ["Mes ménages", "Famille Benkirane"], ["Mes équipes en chiffres"]),
    ("benevole@terrain.test", ["Vos coordinateur·rices", "Paul Girard"], ["Mes ménages"]),
])
def test_each_demo_role_sees_its_home(client, email, expected, absent):
    demo.load(utcnow())
    response = client.post("/connexion", data={"email": email, "password": demo.DEMO_PASSWORD},
                           follow_redirects=True)
    body = response.page
    assert response.status_code == 200
    for text in expected:
        assert text in body, text
    for text in absent:
        assert text not in body, text


def test_french_formatting(app):
    from datetime import date, datetime

    from app.formatting import date_fr, datetime_fr, money

    assert date_fr(date(2026, 11, 23)) == "lundi 23 novembre 2026"
    assert date_fr(date(2026, 11, 23), "short") == "23/11/2026"
    assert datetime_fr(datetime(2026, 7, 14, 12, 5), "short") == "14/07/2026 14:05"  # UTC+2
    assert money(1234.5) == "1\u202f234,50\xa0€"


def test_htmx_request_gets_the_named_block_only(app):
    from app.htmx import render

    with app.test_request_context(headers={"HX-Request": "true"}):
        body, status = render("core/error.html", block="content", title="T", text="X", code=1)
    assert status == 200 and "<html" not in body and "X" in body
    with app.test_request_context():
        body, _ = render("core/error.html", block="content", title="T", text="X", code=1)
    assert "<html" in body


def test_demo_case_files_are_filled(app):
    """The demo shows case files with a project, rights and notes, not empty shells."""
    from app.households.models import Goal, Note, Right

    demo.load(utcnow())
    for model in (Goal, Note, Right):
        assert db.session.scalar(select(func.count(model.id))) > 0, model.__name__


def test_programme_tools_show_in_the_navigation_only_for_their_teams(app):
    """An ASLL coordinator sees "Mesures ASLL"; a drop-in coordinator sees neither it nor
    the housing, relogement or ASLL tools, but sees "Permanences"."""
    from app.nav import items_for
    from tests import factories

    asll, perm = factories.team("asll"), factories.team("permanence")
    both = factories.user((asll, "coordinator"), (perm, "volunteer"))
    dropin = factories.user((perm, "coordinator"))
    labels = {u.id: {i.label for i in items_for(u)} for u in (both, dropin)}
    assert {"Mesures ASLL", "Permanences", "Ménages"} <= labels[both.id]
    assert not {"Logements", "Relogement"} & labels[both.id]
    assert "Permanences" in labels[dropin.id]
    assert not {"Mesures ASLL", "Logements", "Relogement"} & labels[dropin.id]
