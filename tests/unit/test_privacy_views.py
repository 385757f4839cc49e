"""Privacy pages: the case file's journal, export and erasure, archives, retention, devices."""
from __future__ import annotations

import ast
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import LoginSession
from app.extensions import db
from app.households.models import Household
from app.privacy import queries, services
from app.privacy.models import ArchiveAccess, DropInArchive, HouseholdArchive
from app.timeutil import utcnow
from tests import factories


@pytest.fixture
def coordinator(team_a):
    return factories.user((team_a, "coordinator"), email="coord@exemple.test",
                          display_name="Coralie Coord")


@pytest.fixture
def case(team_a, worker):
    return factories.closed_case(team_a, worker, with_photo=False)


def _count(action, **kw):
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    for k, v in kw.items():
        stmt = stmt.where(getattr(AuditEvent, k) == v)
    return db.session.scalar(stmt)


# ---- the journal of a case file ----------------------------------------------------------------

def test_coordinator_reads_who_opened_the_file_and_filters(client, auth, worker, coordinator,
                                                           case):
    auth.login(worker.email)
    client.get(f"/menages/{case.id}")
    client.get(f"/menages/{case.id}/notes")
    auth.logout()
    auth.login(coordinator.email)
    page = client.get(f"/menages/{case.id}")
    assert "Journal des accès au dossier" in page.page
    r = client.get(f"/confidentialite/menages/{case.id}/journal")
    assert r.status_code == 200
    assert "Wanda Worker" in r.page and "Ménage consulté" in r.page and "section notes" in r.page
    r = client.get(f"/confidentialite/menages/{case.id}/journal?personne={coordinator.id}")
    assert "Wanda Worker" not in r.page.split("<tbody>")[1]
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    r = client.get(f"/confidentialite/menages/{case.id}/journal?du={tomorrow}")
    assert "Aucun accès ne correspond." in r.page
    r = client.get(f"/confidentialite/menages/{case.id}/journal?action=household.read",
                   headers={"HX-Request": "true"})
    assert "<html" not in r.page and 'id="journal-results"' in r.page
    assert _count("audit.read", object_id=case.id) == 4


def test_workers_and_other_teams_do_not_get_the_journal(client, auth, team_b, worker, case):
    auth.login(worker.email)
    assert "Journal des accès" not in client.get(f"/menages/{case.id}").page
    assert client.get(f"/confidentialite/menages/{case.id}/journal").status_code == 404
    auth.logout()
    other = factories.user((team_b, "coordinator"))
    auth.login(other.email)
    assert client.get(f"/confidentialite/menages/{case.id}/journal").status_code == 404
    assert _count("access.denied", object_id=case.id) == 2


def test_admin_journal_filters_by_household_and_period(client, auth, admin, worker, case):
    auth.login(worker.email)
    client.get(f"/menages/{case.id}")
    auth.logout()
    auth.login(admin.email)
    r = client.get(f"/admin/journal?menage={case.id}")
    assert r.status_code == 200 and "Ménage consulté" in r.page
    assert "Connexion" not in r.page.split("<tbody>")[1]
    past = (date.today() - timedelta(days=3)).isoformat()
    r = client.get(f"/admin/journal?menage={case.id}&du={past}&au={past}")
    assert "Aucune action ne correspond." in r.page


# ---- export and erasure ----------------------------------------------------------------------

def test_export_needs_confirmation_then_downloads_json_and_pdf(client, auth, coordinator, case):
    auth.login(coordinator.email)
    assert "Données personnelles (RGPD)" in client.get(f"/menages/{case.id}").page
    url = f"/confidentialite/menages/{case.id}"
    r = client.post(url, data={"fmt": "json"})
    assert r.status_code == 422 and "Cochez la case pour confirmer." in r.page
    assert _count("privacy.export") == 0
    r = client.post(url, data={"fmt": "json", "confirm": "y"})
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "private, no-store"
    data = json.loads(r.data)
    assert data["household_id"] == case.id and data["tables"]["person"]
    r = client.post(url, data={"fmt": "pdf", "confirm": "y"})
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert _count("privacy.export", object_id=case.id) == 2


def test_workers_and_admins_without_case_role_cannot_export(client, auth, worker, admin, case):
    for person in (worker, admin):
        auth.login(person.email)
        r = client.post(f"/confidentialite/menages/{case.id}", data={"fmt": "json",
                                                                     "confirm": "y"})
        assert r.status_code in (403, 404)
        auth.logout()
    assert _count("privacy.export") == 0


def test_erasure_asks_reason_and_confirmation_then_anonymises(client, auth, coordinator, case):
    auth.login(coordinator.email)
    url = f"/confidentialite/menages/{case.id}/anonymiser"
    page = client.get(url)
    assert "Ce qui est gardé, et pourquoi" in page.page and "L123-22" in page.page
    r = client.post(url, data={"reason": "autre", "reason_text": "", "confirm": "y"})
    assert r.status_code == 422 and "Précisez le motif." in r.page
    r = client.post(url, data={"reason": "demande_personne", "reason_text": "Lettre du 3/11"})
    assert r.status_code == 422 and "Cochez la case pour confirmer." in r.page
    assert "Lettre du 3/11" in r.page  # what was typed is kept
    r = client.post(url, data={"reason": "demande_personne", "reason_text": "Lettre du 3/11",
                               "confirm": "y"}, follow_redirects=True)
    assert r.status_code == 200 and "Dossier anonymisé" in r.page
    assert "Demande d'effacement de la personne" in r.page and "Coralie Coord" in r.page
    assert db.session.get(Household, case.id).name.startswith("Ménage anonymisé")
    # Gone from the lists and the case file pages.
    assert "Zerbib" not in client.get("/menages/").page
    assert client.get(f"/menages/{case.id}").status_code == 404


def test_running_support_is_refused_with_a_french_message(client, auth, team_a, coordinator,
                                                          worker):
    h = factories.household(team_a, worker)
    factories.enrolment(h, date(2026, 1, 1))
    auth.login(coordinator.email)
    r = client.post(f"/confidentialite/menages/{h.id}/anonymiser",
                    data={"reason": "demande_personne", "confirm": "y"})
    assert r.status_code == 422 and "accompagnement est en cours" in r.page


# ---- people received at a permanence -----------------------------------------------------------

@pytest.fixture
def permanence(app):
    return factories.team("permanence", name="Permanence Nord")


@pytest.fixture
def perm_staff(permanence):
    return (factories.user((permanence, "coordinator"), email="perm-coord@exemple.test"),
            factories.user((permanence, "worker"), email="perm-worker@exemple.test"))


def test_dropin_export_and_erasure_pages(client, auth, permanence, perm_staff):
    lead, worker = perm_staff
    person = factories.received_person(permanence, worker)
    auth.login(worker.email)  # a worker reads the person, but exports nothing
    assert "Données personnelles (RGPD)" not in client.get(
        f"/permanences/personnes/{person.id}").page
    assert client.get(f"/confidentialite/accueil/{person.id}").status_code == 404
    auth.logout()
    auth.login(lead.email)
    page = client.get(f"/permanences/personnes/{person.id}").page
    assert f"/confidentialite/accueil/{person.id}" in page
    url = f"/confidentialite/accueil/{person.id}"
    r = client.post(url, data={"fmt": "json"})
    assert r.status_code == 422 and "Cochez la case pour confirmer." in r.page
    r = client.post(url, data={"fmt": "json", "confirm": "y"})
    assert r.mimetype == "application/json" and r.headers["Cache-Control"] == "private, no-store"
    assert "terrain-accueil-" in r.headers["Content-Disposition"]
    data = json.loads(r.data)
    assert data["dropin_person_id"] == person.id and data["tables"]["intake"]
    r = client.post(url, data={"fmt": "pdf", "confirm": "y"})
    assert r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    r = client.post(f"{url}/anonymiser", data={"reason": "autre", "confirm": "y"})
    assert r.status_code == 422 and "Précisez le motif." in r.page
    r = client.post(f"{url}/anonymiser", data={"reason": "opposition", "confirm": "y"},
                    follow_redirects=True)
    assert "anonymisée" in r.page
    assert "Amina" not in client.get(f"/permanences/personnes/{person.id}").page
    state = db.session.get(DropInArchive, person.id)
    assert state.reason == "opposition" and state.anonymised_by_id == lead.id


def test_an_archived_drop_in_person_is_read_only_by_granted_people(client, auth, permanence,
                                                                  perm_staff, admin):
    from app.privacy import dropin

    lead, worker = perm_staff
    person = factories.received_person(permanence, worker)
    dropin.archive(person, date(2024, 6, 3), utcnow())
    db.session.commit()
    arrival = person.arrivals[0]
    auth.login(worker.email)
    before = _count("access.denied")
    assert client.get(f"/permanences/personnes/{person.id}").status_code == 404
    assert client.get(f"/permanences/arrivees/{arrival.id}/entretien").status_code == 404
    assert _count("access.denied") == before + 2
    found = client.post("/permanences/personnes", data={"q": "amina"}).page
    assert "Personne ne correspond" in found and "Amina Secrète" not in found
    queue = client.get(f"/permanences/seances/{arrival.session_id}/file").page
    assert "Personne archivée" in queue and "Amina" not in queue
    auth.logout()
    auth.login(admin.email)
    client.post("/confidentialite/conservation/acces",
                data={"grant": f"{worker.id}:{permanence.id}"})
    auth.logout()
    auth.login(worker.email)
    assert "Amina Secrète" in client.get("/confidentialite/archives").page
    assert client.get(f"/permanences/personnes/{person.id}").status_code == 200


# ---- archives -----------------------------------------------------------------------------------

def test_archived_files_are_read_only_by_granted_people_and_audited(client, auth, team_a, admin,
                                                                    coordinator, worker, case):
    services.archive(case, date(2024, 6, 30), utcnow())
    db.session.commit()
    auth.login(worker.email)
    assert client.get(f"/menages/{case.id}").status_code == 404
    assert client.get(f"/confidentialite/archives/{case.id}").status_code == 404
    assert "Dossiers archivés" not in client.get("/plus").page
    auth.logout()
    auth.login(admin.email)
    r = client.post("/confidentialite/conservation/acces",
                    data={"grant": f"{worker.id}:{team_a.id}"}, follow_redirects=True)
    assert "peut lire les archives" in r.page
    auth.logout()
    auth.login(worker.email)
    assert "Dossiers archivés" in client.get("/plus").page
    assert "Famille Zerbib" in client.get("/confidentialite/archives").page
    r = client.get(f"/confidentialite/archives/{case.id}")
    assert r.status_code == 200 and "Nora" in r.page and "Personnes" in r.page
    assert _count("household.archive_read", object_id=case.id) == 1
    auth.logout()
    auth.login(admin.email)
    grant = db.session.scalar(select(ArchiveAccess))
    client.post(f"/confidentialite/conservation/acces/{grant.id}/retirer")
    auth.logout()
    auth.login(worker.email)
    assert client.get(f"/confidentialite/archives/{case.id}").status_code == 404


def test_a_volunteer_cannot_be_granted_archives(client, auth, team_a, admin):
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(admin.email)
    r = client.post("/confidentialite/conservation/acces",
                    data={"grant": f"{volunteer.id}:{team_a.id}"}, follow_redirects=True)
    assert db.session.scalar(select(func.count(ArchiveAccess.id))) == 0
    assert r.status_code == 200


# ---- retention page -----------------------------------------------------------------------

def test_admin_sets_a_retention_and_runs_the_job(client, auth, admin, team_a, worker):
    old = factories.closed_case(team_a, worker, exit_on=date(2020, 1, 31), with_photo=False)
    auth.login(admin.email)
    page = client.get("/confidentialite/conservation")
    assert page.status_code == 200 and "2023-095" in page.page
    r = client.post("/confidentialite/conservation",
                    data={"programme": "iml", "active_months": "0", "archive_months": "12"})
    assert r.status_code == 422 and "Entre 1 et 120 mois." in r.page
    r = client.post("/confidentialite/conservation",
                    data={"programme": "iml", "active_months": "12", "archive_months": "12"},
                    follow_redirects=True)
    assert "Durées enregistrées" in r.page and "modifié" in r.page
    r = client.post("/confidentialite/conservation/lancer", data={"essai": "1"},
                    follow_redirects=True)
    assert "0 dossier(s) seraient archivé(s), 1 seraient anonymisé(s)" in r.page
    assert "simulation" in r.page
    assert db.session.get(HouseholdArchive, old.id) is None
    client.post("/confidentialite/conservation/lancer", follow_redirects=True)
    assert db.session.get(HouseholdArchive, old.id).anonymised_at is not None


def test_retention_pages_are_for_admins(client, auth, coordinator):
    auth.login(coordinator.email)
    assert client.get("/confidentialite/conservation").status_code == 403
    assert client.post("/confidentialite/conservation/lancer").status_code == 403


# ---- devices ----------------------------------------------------------------------------------

def test_admin_revokes_one_device_and_its_next_request_is_told_to_wipe(app, client, auth,
                                                                         admin, worker):
    phone = app.test_client()
    phone.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    assert phone.get("/").status_code == 200
    auth.login(admin.email)
    page = client.get(f"/admin/personnes/{worker.id}")
    assert "Déconnecter cet appareil" in page.page
    row = db.session.scalar(select(LoginSession).where(LoginSession.user_id == worker.id))
    assert row.id not in page.page  # the session id is a secret: only a handle is shown
    handle = queries.session_handle(row)
    r = client.post(f"/confidentialite/appareils/{worker.id}/{handle}/revoquer",
                    follow_redirects=True)
    assert "Appareil déconnecté" in r.page
    db.session.expire_all()
    assert db.session.get(LoginSession, row.id).end_reason == "revoked"
    assert _count("auth.session_revoked", object_id=worker.id) == 1
    # The phone's next request: signed out, told to wipe; the sign-in page carries the order.
    r = phone.get("/")
    assert r.status_code == 302 and r.headers["X-Terrain-Wipe"] == "1"
    login = phone.get(r.headers["Location"])
    assert "data-wipe-device" in login.page
    assert "Cet appareil a été déconnecté par l'administration" in login.page
    assert "data-wipe-device" not in phone.get(r.headers["Location"]).page  # once
    # A plain sign-out does not wipe other people's data.
    other = app.test_client()
    other.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    other.post("/deconnexion")
    r = other.get("/")
    assert "X-Terrain-Wipe" not in r.headers


ROOT = Path(__file__).resolve().parents[2]
#: Query-string keys that links (url_for) and GET forms may carry: ids, codes, dates, pages.
QUERY_KEYS = {
    "annee", "au", "debut", "destination", "dispositif", "droit", "du", "equipe", "etat", "fin",
    "garder", "immeuble", "intervenant", "lieu", "menage", "mes", "mini", "next", "page", "par",
    "partenaire", "personne", "phase", "place", "programme", "quoi", "statut", "type", "v",
    "voir", "vue", "action", "urgence",
}
#: GET forms with a free-text field, and why what is typed there is not a person's name.
FREE_TEXT_GET = {
    "permanences/partners.html": "the directory of partner structures, not of people",
}
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(input|textarea|select)\b([^>]*)>", re.I)
URL_FOR = re.compile(r"url_for\(\s*['\"]([\w.]+)['\"]((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)")
KEYWORD = re.compile(r"(?<![=!<>])\b(\w+)\s*=(?!=)")


def _attr(attrs: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', attrs)
    return found.group(1) if found else None


def _get_forms():
    """(template, form attributes, [(tag, name, type)]) of every form that is not posted."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for attrs, body in FORM.findall(path.read_text(encoding="utf-8")):
            if (_attr(attrs, "method") or "get").lower() == "post" or "hx-post" in attrs:
                continue
            fields = [(tag.lower(), _attr(a, "name"), (_attr(a, "type") or "text").lower())
                      for tag, a in FIELD.findall(body)]
            yield path.relative_to(ROOT / "templates").as_posix(), attrs, fields


def _free_text(tag: str, kind: str) -> bool:
    return tag == "textarea" or (tag == "input" and kind in ("text", "search"))


def test_search_forms_post_the_name():
    """No form that searches by name sends it in the URL: a form with a free-text field (and
    any field named q) is posted, except the documented directory searches; none pushes what
    was typed into the history."""
    offenders = []
    for template, attrs, fields in _get_forms():
        if template in FREE_TEXT_GET:
            continue
        typed = [name for tag, name, kind in fields if _free_text(tag, kind) or name == "q"]
        if typed:
            offenders.append(f"{template}: GET form with {typed}")
    assert not offenders, "\n".join(offenders)
    for path in (ROOT / "templates").rglob("*.html"):
        if path.relative_to(ROOT / "templates").as_posix() in FREE_TEXT_GET:
            continue
        for attrs, body in FORM.findall(path.read_text(encoding="utf-8")):
            if 'name="q"' in body or 'type="search"' in body:
                assert "hx-push-url" not in attrs, path


def test_urls_carry_ids_and_codes_never_names(app):
    """Every path parameter is an integer id, or one of these codes and random keys; every
    query-string key a link (url_for, in templates and code) or a GET form can produce is an
    id, a code or a date of QUERY_KEYS. A new text parameter must be looked at (could a name or
    an e-mail end up in a URL, a history, a server log?)."""
    codes = {"filename", "token", "key", "month", "funder", "ext", "page", "fmt", "kind",
             "handle"}
    arguments: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        arguments.setdefault(rule.endpoint, set()).update(rule.arguments)
        for name, converter in rule._converters.items():
            if type(converter).__name__ != "IntegerConverter":
                assert name in codes, (rule.rule, name)
    query = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for endpoint, rest in URL_FOR.findall(path.read_text(encoding="utf-8")):
            query |= {(k, path.name) for k in KEYWORD.findall(rest)
                      if k not in arguments.get(endpoint, set()) and not k.startswith("_")}
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(
                    node.func, "attr", None)) == "url_for" and node.args and isinstance(
                    node.args[0], ast.Constant):
                query |= {(k.arg, path.name) for k in node.keywords
                          if k.arg and k.arg not in arguments.get(node.args[0].value, set())
                          and not k.arg.startswith("_")}
    for template, _, fields in _get_forms():
        query |= {(name, template) for _, name, _ in fields
                  if name and "{" not in name and template not in FREE_TEXT_GET}
    unknown = sorted(f"{k} ({where})" for k, where in query if k not in QUERY_KEYS)
    assert not unknown, f"query-string keys to look at: {unknown}"


@pytest.mark.parametrize("reason,wipes", [("revoked", True), ("deactivated", True),
                                          ("password", False), ("logout", False)])
def test_which_ends_of_a_session_wipe_the_device(app, worker, reason, wipes):
    from app.auth.services import revoke_sessions

    phone = app.test_client()
    phone.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    revoke_sessions(worker, reason, utcnow())
    db.session.commit()
    r = phone.get("/")
    assert r.status_code == 302
    assert (r.headers.get("X-Terrain-Wipe") == "1") is wipes


def test_an_archived_files_journal_needs_the_archive_grant(client, auth, team_a, admin,
                                                           coordinator, case):
    """The access journal names the file: once archived, its coordinators need the grant."""
    auth.login(coordinator.email)
    assert client.get(f"/confidentialite/menages/{case.id}/journal").status_code == 200
    services.archive(case, date(2024, 6, 30), utcnow())
    db.session.commit()
    denied = _count("access.denied", object_id=case.id)
    assert client.get(f"/confidentialite/menages/{case.id}/journal").status_code == 404
    assert _count("access.denied", object_id=case.id) == denied + 1
    auth.logout()
    auth.login(admin.email)
    client.post("/confidentialite/conservation/acces",
                data={"grant": f"{coordinator.id}:{team_a.id}"})
    auth.logout()
    auth.login(coordinator.email)
    r = client.get(f"/confidentialite/menages/{case.id}/journal")
    assert r.status_code == 200 and "Famille Zerbib" in r.page
