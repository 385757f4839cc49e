"""Permanence pages: who may open what (and until when), htmx fragments of the live queue,
forms that refuse in French and keep what was typed, home page and navigation."""
import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.permanences.models import (Arrival, DropInPerson, DropInSession, Dysfunction, Intake,
                                    SessionSchedule, Shift, VulnerabilityCriterion)
from tests import factories

MONDAY = date(2026, 11, 23)  # 9:00–12:30 in Paris is 8:00–11:30 UTC
DURING = datetime(2026, 11, 23, 9, 0)
BEFORE = datetime(2026, 11, 16, 9, 0)


@pytest.fixture
def clock(monkeypatch):
    """Set the time the permanence pages see (naive UTC)."""

    def set_to(moment: datetime):
        monkeypatch.setattr("app.permanences.views.utcnow", lambda: moment)

    set_to(DURING)
    return set_to


@pytest.fixture
def perm(app):
    return factories.team("permanence", name="Permanence Test")


@pytest.fixture
def coord(perm):
    return factories.user((perm, "coordinator"), email="coord@exemple.test")


@pytest.fixture
def staff(perm):
    return factories.user((perm, "worker"), email="staff@exemple.test")


@pytest.fixture
def vol(perm):
    return factories.user((perm, "volunteer"), email="vol@exemple.test",
                          display_name="Vera Bénévole")


@pytest.fixture
def session_(perm):
    return factories.dropin_session(perm, MONDAY)


def _denied(user_id) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.actor_id == user_id, AuditEvent.action == "access.denied"))


@pytest.mark.parametrize("path,status", [
    ("/permanences/", 200), ("/permanences/partenaires", 200),
    ("/permanences/dysfonctionnements", 200), ("/permanences/dysfonctionnements/nouveau", 200),
    ("/permanences/personnes", 403), ("/permanences/chiffres", 403),
    ("/permanences/besoins", 403), ("/permanences/organisation", 403),
    ("/permanences/partenaires/nouveau", 403), ("/permanences/seances/nouvelle", 403),
    ("/menages/", 403),
])
def test_volunteer_reaches_the_planning_never_the_files(client, auth, vol, clock, path, status):
    auth.login(vol.email)
    assert client.get(path).status_code == status


def test_volunteer_cannot_open_a_person_nor_another_session(client, auth, perm, vol, session_,
                                                            clock):
    a = factories.arrival(session_)
    auth.login(vol.email)
    for path in (f"/permanences/personnes/{a.person_id}",
                 f"/permanences/personnes/{a.person_id}/fusion"):
        assert client.get(path).status_code == 403
    # No shift on this session: its queue and its people are out of reach.
    assert client.get(f"/permanences/seances/{session_.id}/file").status_code == 404
    assert client.get(f"/permanences/arrivees/{a.id}/entretien").status_code == 404
    assert _denied(vol.id) >= 4


def test_worker_outside_any_permanence_team(client, auth, team_a, worker):
    auth.login(worker.email)
    page = client.get("/permanences/")
    assert page.status_code == 200 and "aucune équipe de permanence" in page.page
    assert client.get("/permanences/partenaires").status_code == 403


def test_volunteer_intake_shows_role_sections_and_expires_with_the_session(
        client, auth, perm, vol, session_, clock):
    factories.shift(session_, vol, "accueil")
    a = factories.arrival(session_)
    db.session.add(VulnerabilityCriterion(team_id=perm.id, label="Femme enceinte"))
    db.session.commit()
    auth.login(vol.email)
    clock(datetime(2026, 11, 23, 11, 29, 59))  # 12:29:59 in Paris
    page = client.get(f"/permanences/arrivees/{a.id}/entretien")
    assert page.status_code == 200
    assert "Critères de vulnérabilité" in page.page and "Femme enceinte" in page.page
    assert "Couverture maladie" not in page.page and "Orientations" not in page.page
    assert "Aides" not in page.page and "Historique de la personne" not in page.page
    read = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "intake.read"))
    assert read.object_id == a.person_id and read.detail["sections"] == ["identite",
                                                                         "criteres"]
    clock(datetime(2026, 11, 23, 11, 30))  # 12:30: the session is over
    assert client.get(f"/permanences/arrivees/{a.id}/entretien").status_code == 404
    assert client.get(f"/permanences/seances/{session_.id}/file").status_code == 404
    assert _denied(vol.id) == 2


def test_interviewer_volunteer_writes_the_situation(client, auth, perm, vol, session_, clock):
    factories.shift(session_, vol, "entretien")
    a = factories.arrival(session_)
    auth.login(vol.email)
    page = client.get(f"/permanences/arrivees/{a.id}/entretien")
    assert "Couverture maladie" in page.page and "Orientations" in page.page
    assert "Accorder l'aide" not in page.page
    response = client.post(f"/permanences/arrivees/{a.id}/entretien", data={
        "alias": "Mimi", "health_coverage": "aucune", "domiciliation": "ccas",
        "in_france_since": "2026-09", "information": ["droits_sante"], "version": ""})
    assert response.status_code == 303
    intake = db.session.scalar(select(Intake))
    assert intake.health_coverage == "aucune" and intake.in_france_since == date(2026, 9, 1)
    stale = client.post(f"/permanences/arrivees/{a.id}/entretien", data={
        "alias": "Mimi", "health_coverage": "ame", "version": ""})
    assert stale.status_code == 409 and "pendant que vous l'écriviez" in stale.page
    assert '<option selected value="ame">' in stale.page  # what was typed is kept
    bad = client.post(f"/permanences/arrivees/{a.id}/entretien", data={
        "alias": "", "first_name": "", "version": "1"})
    assert bad.status_code == 422 and "il en faut un" in bad.page


def test_sign_up_and_cancel_from_the_planning(client, auth, perm, vol, clock):
    clock(BEFORE)
    s = factories.dropin_session(perm, MONDAY)
    far = factories.dropin_session(perm, date(2027, 2, 1))
    auth.login(vol.email)
    planning = client.get("/permanences/")
    assert "Semaine du 23 novembre" in planning.page and "M'inscrire" in planning.page
    response = client.post(f"/permanences/seances/{s.id}/inscription",
                           data={"slot": "accueil", "next": "/permanences/"})
    assert response.status_code == 303 and response.headers["Location"] == "/permanences/"
    shift = db.session.scalar(select(Shift))
    assert (shift.user_id, shift.role) == (vol.id, "accueil")
    page = client.get("/permanences/").page
    assert "Vous êtes inscrit·e : Accueil" in page and "Vous y êtes : Accueil" in page
    refused = client.post(f"/permanences/seances/{far.id}/inscription",
                          data={"slot": "accueil"}, follow_redirects=True)
    assert "semaines à l'avance" in refused.page
    assert db.session.scalar(select(func.count(Shift.id))) == 1
    client.post(f"/permanences/creneaux/{shift.id}/annulation", data={})
    db.session.refresh(shift)
    assert shift.cancelled_at == BEFORE
    other = factories.user((perm, "volunteer"))
    theirs = factories.shift(s, other)
    assert client.post(f"/permanences/creneaux/{theirs.id}/annulation").status_code == 404


def test_home_shows_next_shifts_calls_and_the_nav_entry(client, auth, perm, vol):
    today = date.today()
    s = factories.dropin_session(perm, today + timedelta(days=7))
    factories.shift(s, vol, "accueil")
    auth.login(vol.email)
    home = client.get("/").page
    assert "Mes prochains créneaux" in home and "M'inscrire à une permanence" in home
    assert f'/permanences/seances/{s.id}' in home
    more = client.get("/plus").page
    assert 'href="/permanences/"' in more


def test_queue_fragment_polling_204_and_286(client, auth, perm, vol, staff, session_, clock):
    factories.shift(session_, vol, "accueil")
    factories.arrival(session_, factories.dropin_person(perm, "Moussa"))
    auth.login(vol.email)
    full = client.get(f"/permanences/seances/{session_.id}/file")
    assert full.status_code == 200 and "<html" in full.page and "Moussa" in full.page
    assert 'hx-trigger="every 5s"' in full.page
    fragment = client.get(f"/permanences/seances/{session_.id}/file",
                          headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.page
    assert "HX-Request" in fragment.headers["Vary"] and 'id="queue"' in fragment.page
    version = re.search(r"file\?v=([0-9a-f]+)", fragment.page).group(1)
    same = client.get(f"/permanences/seances/{session_.id}/file?v={version}",
                      headers={"HX-Request": "true"})
    assert same.status_code == 204
    factories.arrival(session_, factories.dropin_person(perm, "Leyla"))
    changed = client.get(f"/permanences/seances/{session_.id}/file?v={version}",
                         headers={"HX-Request": "true"})
    assert changed.status_code == 200 and "Leyla" in changed.page
    clock(datetime(2026, 11, 23, 11, 30))
    ended = client.get(f"/permanences/seances/{session_.id}/file?v={version}",
                       headers={"HX-Request": "true"})
    assert ended.status_code == 286 and "terminée" in ended.page
    assert "Moussa" not in ended.page and "hx-trigger" not in ended.page
    queue_reads = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "queue.read"))
    assert queue_reads == 1  # the page, not every poll


def test_state_buttons_answer_the_queue_fragment(client, auth, perm, staff, session_, clock):
    a = factories.arrival(session_, factories.dropin_person(perm, "Moussa"))
    auth.login(staff.email)
    response = client.post(f"/permanences/arrivees/{a.id}/etat", data={"etat": "entretien"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.page
    assert "En entretien" in response.page and "Orienté·e" in response.page
    wrong = client.post(f"/permanences/arrivees/{a.id}/etat", data={"etat": "parti"},
                        headers={"HX-Request": "true"})
    assert "Impossible de passer" in wrong.page
    plain = client.post(f"/permanences/arrivees/{a.id}/etat", data={"etat": "oriente"})
    assert plain.status_code == 303
    assert db.session.get(Arrival, a.id).state == "oriente"


def test_arrival_form_refuses_in_french_and_keeps_what_was_typed(client, auth, perm, vol,
                                                                session_, clock):
    factories.shift(session_, vol, "accueil")
    auth.login(vol.email)
    url = f"/permanences/seances/{session_.id}/arrivee"
    bad = client.post(url, data={"name": "Amina", "language": "arabe"})
    assert bad.status_code == 422 and "Choisissez le motif de venue." in bad.page
    assert 'value="Amina"' in bad.page and '<option selected value="arabe">' in bad.page
    unknown = client.post(url, data={"number": "77", "reason": "soins"})
    assert unknown.status_code == 422 and "Aucune carte n° 0077" in unknown.page
    ok = client.post(url, data={"name": "Amina", "language": "arabe", "reason": "soins",
                                "interpreter_needed": "y"})
    assert ok.status_code == 303 and ok.headers["Location"] == url
    assert "Ticket n° 1 : Amina" in client.get(url).page
    assert db.session.scalar(select(Arrival)).interpreter_needed


def test_dysfunction_form_says_no_names_and_sends_names_back(client, auth, perm, vol, clock):
    factories.dropin_person(perm, "Moussa")
    auth.login(vol.email)
    form = client.get("/permanences/dysfonctionnements/nouveau").page
    assert "ni nom, ni prénom, ni alias" in form and "reste anonyme" in form
    data = {"kind": "refus_soins", "observed_on": "2026-11-23", "structure": "Pharmacie",
            "description": "Moussa s'est vu refuser ses médicaments."}
    refused = client.post("/permanences/dysfonctionnements/nouveau", data=data)
    assert refused.status_code == 422 and "(moussa)" in refused.page
    assert "refuser ses médicaments" in refused.page  # kept to be corrected
    assert db.session.scalar(select(func.count(Dysfunction.id))) == 0
    data["description"] = "Médicaments refusés sur présentation de l'attestation AME."
    assert client.post("/permanences/dysfonctionnements/nouveau", data=data).status_code == 302
    counts = client.get("/permanences/dysfonctionnements").page
    assert "Novembre 2026" in counts and "Refus de soins" in counts


def test_partner_directory_search_fragment(client, auth, perm, vol):
    factories.partner(perm, "PASS de l'hôpital Nord", "pass", languages="dari, anglais")
    factories.partner(perm, "Épicerie solidaire", "association")
    factories.partner(perm, "Ancienne structure", "pass", active=False)
    auth.login(vol.email)
    page = client.get("/permanences/partenaires?q=hopital", headers={"HX-Request": "true"})
    assert "<html" not in page.page and "PASS de l'hôpital Nord" in page.page
    assert "Épicerie" not in page.page
    assert "PASS de l'hôpital Nord" in client.get("/permanences/partenaires?q=DARI").page
    by_type = client.get("/permanences/partenaires?type=association").page
    assert "Épicerie solidaire" in by_type and "hôpital Nord" not in by_type
    assert "Ancienne structure" not in client.get("/permanences/partenaires").page


def test_staff_merge_pages(client, auth, perm, staff, session_):
    known = factories.dropin_person(perm, "Abdou")
    alias = factories.dropin_person(perm, "Doudou")
    factories.arrival(session_, alias)
    auth.login(staff.email)
    found = client.post(f"/permanences/personnes/{alias.id}/fusion", data={"q": "abdou"}).page
    assert f"garder={known.id}" in found
    confirm = client.get(f"/permanences/personnes/{alias.id}/fusion?garder={known.id}").page
    assert "passent sur la fiche n°\u00a00001" in confirm
    done = client.post(f"/permanences/personnes/{alias.id}/fusion",
                       data={"garder": str(known.id)})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/permanences/personnes/{known.id}"
    assert db.session.get(DropInPerson, alias.id).merged_into_id == known.id
    page = client.get(f"/permanences/personnes/{alias.id}").page
    assert "a été fusionnée" in page
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "dropin_person.read")) == 1


def test_coordinator_organises_the_permanence(client, auth, perm, coord, vol, clock):
    clock(datetime(2026, 11, 16, 7, 0))
    auth.login(coord.email)
    response = client.post("/permanences/organisation/creneaux/nouveau", data={
        "team_id": str(perm.id), "weekday": "2", "starts_at": "09:00", "ends_at": "12:30",
        "place": "Local", "valid_from": "2026-11-16", "need_accueil": "2", "need_entretien": "1",
        "need_medecin": "0", "need_infirmier": "0", "need_interpretes": "Arabe, dari, dari"})
    assert response.status_code == 302
    sched = db.session.scalar(select(SessionSchedule))
    assert {(n.role, n.language, n.count) for n in sched.needs} == {
        ("accueil", None, 2), ("entretien", None, 1), ("interprete", "arabe", 1),
        ("interprete", "dari", 2)}
    assert db.session.scalar(select(func.count(DropInSession.id))) == 7  # 6 weeks + 1
    bad = client.post("/permanences/organisation/creneaux/nouveau", data={
        "team_id": str(perm.id), "weekday": "2", "starts_at": "12:00", "ends_at": "09:00",
        "place": "Local", "valid_from": "2026-11-16", "need_interpretes": "klingon"})
    assert bad.status_code == 422 and "Langue inconnue : klingon." in bad.page
    assert 'value="Local"' in bad.page
    settings = client.post(f"/permanences/organisation/{perm.id}/reglages", data={
        "signup_weeks": "30", "newcomer_shifts": "3", "opens_minutes_before": "60"})
    assert settings.status_code == 422 and "Entre 1 et 26." in settings.page
    client.post(f"/permanences/organisation/{perm.id}/criteres", data={"label": "Femme enceinte"})
    assert db.session.scalar(select(VulnerabilityCriterion)).label == "Femme enceinte"
    page = client.get("/permanences/organisation").page
    assert "Mercredi 09:00–12:30" in page and vol.display_name in page
    assert client.get("/permanences/besoins").status_code == 200
    s = db.session.scalar(select(DropInSession).order_by(DropInSession.day))
    signed = client.post(f"/permanences/seances/{s.id}/inscription",
                         data={"slot": "accueil", "user_id": str(vol.id)})
    assert signed.status_code == 303
    assert db.session.scalar(select(Shift)).added_by_id == coord.id


def test_staff_figures_page(client, auth, perm, staff, session_, clock):
    factories.arrival(session_, language="dari")
    auth.login(staff.email)
    page = client.get("/permanences/chiffres?du=2026-11-01&au=2026-11-30").page
    assert "1 permanence" in page and "dari" in page
    assert "personne reçue" in page


def test_exceptional_session_and_end_pushed_back(client, auth, perm, coord, clock):
    auth.login(coord.email)
    response = client.post("/permanences/seances/nouvelle", data={
        "team_id": str(perm.id), "day": "2026-11-23", "starts_at": "14:00", "ends_at": "17:00",
        "place": "Gymnase", "need_accueil": "1"})
    assert response.status_code == 302
    s = db.session.scalar(select(DropInSession))
    assert s.schedule_id is None and s.needs_customised
    client.post(f"/permanences/seances/{s.id}/modifier", data={
        "ends_at": "18:00", "need_accueil": "2"})
    db.session.refresh(s)
    assert s.ends_at == time(18) and s.needs[0].count == 2


def test_orientation_outcome_and_aid_forms(client, auth, perm, staff, coord, session_, clock):
    from app.permanences import services
    from app.permanences.models import Aid, Orientation

    pass_ = factories.partner(perm, "PASS Nord", "pass")
    services.set_aid_criterion(coord, perm.id, kind="transport", rule="Deux tickets",
                               max_quantity=2, valid_from=date(2026, 11, 1), now=DURING)
    a = factories.arrival(session_)
    auth.login(staff.email)
    url = f"/permanences/arrivees/{a.id}"
    page = client.get(f"{url}/entretien").page
    assert 'id="orientation-kind"' in page and 'id="aide-kind"' in page  # no clashing ids
    client.post(f"{url}/orientations", data={"orientation-partner_id": str(pass_.id),
                                             "orientation-detail": "Demain matin"})
    o = db.session.scalar(select(Orientation))
    assert (o.partner_id, o.kind, o.detail) == (pass_.id, "pass", "Demain matin")
    client.post(f"/permanences/orientations/{o.id}/suite", data={"outcome": "refusee"})
    db.session.refresh(o)
    assert o.outcome == "refusee"
    page = client.get(f"{url}/entretien").page
    assert "Signaler un dysfonctionnement (anonyme)" in page
    too_many = client.post(f"{url}/aides", data={"aide-kind": "transport",
                                                 "aide-quantity": "3"}, follow_redirects=True)
    assert "limite cette aide à 2" in too_many.page
    client.post(f"{url}/aides", data={"aide-kind": "transport", "aide-quantity": "2"})
    aid = db.session.scalar(select(Aid))
    assert (aid.quantity, aid.decided_by_id) == (2, staff.id)


def test_boosted_navigation_gets_the_page_not_the_fragment(client, auth, perm, staff, session_,
                                                           clock):
    a = factories.arrival(session_)
    auth.login(staff.email)
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    page = client.get(f"/permanences/seances/{session_.id}/file", headers=boosted)
    assert page.status_code == 200 and "<html" in page.page
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "queue.read")) == 1
    done = client.post(f"/permanences/arrivees/{a.id}/etat", headers=boosted,
                       data={"etat": "oriente", "next": f"/permanences/seances/{session_.id}/file"})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/permanences/seances/{session_.id}/file"
