"""Case files: creation, scoping, audit, search, conflicts, confidentiality, project, rights."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.households import queries, services
from app.households.models import Enrolment, Goal, Household, Note, Person, Right
from app.households.text import fold, fuzzy_match
from app.timeline import events_for
from app.timeutil import utcnow
from tests import factories

TODAY = date(2026, 11, 23)


def audit_actions(**where):
    stmt = select(AuditEvent.action).order_by(AuditEvent.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditEvent, k) == v)
    return list(db.session.scalars(stmt))


@pytest.fixture(autouse=True)
def request_context(app):
    """Timeline providers build links, which needs a request context."""
    with app.test_request_context():
        yield


@pytest.fixture
def coordinator(team_a):
    return factories.user((team_a, "coordinator"), display_name="Cora Coord")


@pytest.fixture
def colleague(team_a):
    return factories.user((team_a, "worker"), display_name="Colin Collègue")


@pytest.fixture
def family(team_a, worker):
    return factories.household(team_a, referent=worker, name="Famille Nénette")


# ---- opening a case file ------------------------------------------------------------------

def test_create_household_with_first_person_and_enrolment(client, auth, worker, team_a):
    auth.login(worker.email)
    response = client.post("/menages/nouveau", data={
        "team_id": team_a.id, "referent_id": worker.id, "first_name": "Awa", "last_name": "Diop",
        "birth_year": "1990", "languages": "wolof, français", "interpreter_needed": "y",
        "composition": "monoparental", "resources_amount": "845,20", "city": "Toulouse"})
    assert response.status_code == 302
    household = db.session.scalar(select(Household).where(Household.name == "Ménage Diop"))
    assert household.referent_id == worker.id
    assert str(household.resources_amount) == "845.20"
    assert [(p.first_name, p.interpreter_needed) for p in household.people] == [("Awa", True)]
    assert [(e.team_id, e.programme) for e in household.enrolments] == [(team_a.id, "iml")]
    assert "household.create" in audit_actions(object_id=household.id)
    page = client.get(response.headers["Location"]).page
    assert "Awa Diop" in page and "interprète nécessaire" in page and "845,20" in page


def test_alias_alone_is_enough(client, auth, worker, team_a):
    auth.login(worker.email)
    client.post("/menages/nouveau", data={"team_id": team_a.id, "referent_id": "",
                                          "alias": "Tonton"})
    household = db.session.scalar(select(Household).where(Household.name == "Tonton"))
    assert household.people[0].label == "Tonton"
    assert household.referent_id is None


def test_create_without_any_name_keeps_input(client, auth, worker, team_a):
    auth.login(worker.email)
    response = client.post("/menages/nouveau", data={
        "team_id": team_a.id, "referent_id": worker.id, "city": "Albi", "birth_year": "1990"})
    assert response.status_code == 422
    assert "Indiquez au moins un prénom, un nom ou un alias." in response.page
    assert 'value="Albi"' in response.page and 'value="1990"' in response.page
    assert db.session.scalar(select(func.count(Household.id))) == 0


@pytest.mark.parametrize("data,message", [
    ({"birth_year": "1850"}, "Année de naissance entre"),
    ({"birth_date": "2030-01-01"}, "ne peut pas être dans le futur"),
    ({"birth_year": "1990", "birth_date": "1991-05-04"}, "ne concordent pas"),
    ({"resources_amount": "-5"}, "Un montant positif"),
])
def test_create_rejects_bad_input(client, auth, worker, team_a, data, message):
    auth.login(worker.email)
    response = client.post("/menages/nouveau", data={
        "team_id": team_a.id, "referent_id": "", "first_name": "Léa", **data})
    assert response.status_code == 422
    assert message in response.page
    assert db.session.scalar(select(func.count(Household.id))) == 0


def test_cannot_create_in_another_team(app, worker, team_b):
    with pytest.raises(services.CaseFileError):
        services.create_household(worker, team_b.id, None, {}, {"alias": "X"}, now=utcnow(),
                                  today=TODAY)


def test_referent_must_belong_to_the_team(app, worker, team_a, team_b):
    outsider = factories.user((team_b, "worker"))
    with pytest.raises(services.CaseFileError, match="ne fait pas partie"):
        services.create_household(worker, team_a.id, outsider.id, {}, {"alias": "X"},
                                  now=utcnow(), today=TODAY)


# ---- least privilege ----------------------------------------------------------------------

CASE_PATHS = ["/menages/{h}", "/menages/{h}/modifier", "/menages/{h}/projet",
              "/menages/{h}/droits", "/menages/{h}/notes", "/menages/{h}/chronologie",
              "/menages/{h}/personnes/nouvelle", "/menages/{h}/personnes/{p}/modifier",
              "/menages/{h}/droits/nouveau", "/menages/{h}/notes/nouvelle",
              "/menages/{h}/projet/objectifs/nouveau", "/menages/{h}/projet/freins/nouveau",
              "/menages/{h}/accompagnements/nouveau"]


@pytest.mark.parametrize("path", CASE_PATHS)
def test_other_team_gets_404_and_an_audit_row(client, auth, worker, team_b, path):
    other = factories.household(team_b, name="Famille Ailleurs")
    auth.login(worker.email)
    response = client.get(path.format(h=other.id, p=other.people[0].id))
    assert response.status_code == 404
    assert "Famille Ailleurs" not in response.page
    denied = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert (denied.actor_id, denied.object_type, denied.object_id) == (worker.id, "household",
                                                                       other.id)


def test_other_team_cannot_post_either(client, auth, worker, team_b):
    other = factories.household(team_b, name="Famille Ailleurs")
    auth.login(worker.email)
    response = client.post(f"/menages/{other.id}/modifier", data={"name": "Piraté"})
    assert response.status_code == 404
    db.session.refresh(other)
    assert other.name == "Famille Ailleurs"


def test_other_team_household_not_listed_nor_found(client, auth, worker, team_a, team_b):
    factories.household(team_a, name="Famille Visible")
    factories.household(team_b, name="Famille Cachée")
    auth.login(worker.email)
    assert "Famille Cachée" not in client.get("/menages/").page
    assert "Famille Cachée" not in client.post("/menages/", data={"q": "cachee"}).page


def test_child_of_another_household_is_404(client, auth, worker, team_a, team_b, family):
    other = factories.household(team_b)
    right = Right(household_id=other.id, kind="apl", status="a_faire")
    db.session.add(right)
    db.session.commit()
    auth.login(worker.email)
    assert client.get(f"/menages/{family.id}/droits/{right.id}").status_code == 404
    person_id = other.people[0].id
    assert client.get(f"/menages/{family.id}/personnes/{person_id}/modifier").status_code == 404


def test_enrolment_makes_household_visible_to_that_team(app, worker, team_a, team_b):
    household = factories.household(team_a)
    asll_worker = factories.user((team_b, "worker"))
    assert household not in queries.search(asll_worker).rows
    db.session.add(Enrolment(household_id=household.id, team_id=team_b.id, programme="asll",
                             entry_date=TODAY))
    db.session.commit()
    assert household in queries.search(asll_worker).rows


@pytest.mark.parametrize("path", ["/menages/", "/menages/nouveau", "/menages/{h}",
                                  "/menages/{h}/notes", "/menages/{h}/droits",
                                  "/menages/{h}/projet", "/menages/{h}/chronologie",
                                  "/menages/charge"])
def test_volunteer_gets_403_on_every_case_file_page(client, auth, team_a, family, path):
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    response = client.get(path.format(h=family.id))
    assert response.status_code == 403
    assert "Nénette" not in response.page


def test_reads_are_audited_by_section(client, auth, worker, family):
    auth.login(worker.email)
    for section in ("", "/projet", "/droits", "/notes", "/chronologie"):
        assert client.get(f"/menages/{family.id}{section}").status_code == 200
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "household.read",
                                                        AuditEvent.object_id == family.id)
                               .order_by(AuditEvent.id)).all()
    assert [r.detail["section"] for r in reads] == ["resume", "projet", "droits", "notes",
                                                     "chronologie"]
    assert {r.actor_id for r in reads} == {worker.id}


# ---- search -------------------------------------------------------------------------------

def test_fold():
    assert fold("Nénette-Œuvre  d'Ève") == "nenette oeuvre d eve"


@pytest.mark.parametrize("query,found", [
    ("nenette", True), ("NÉNE", True), ("nén", True), ("famille nenette", True),
    ("nenete", True),       # one typo, 6 letters
    ("nenettr", True),      # one typo while typing
    ("nanotte", False),     # two typos on a short word
    ("xyz", False),
])
def test_fuzzy_rules(query, found):
    assert fuzzy_match(query, fold("Famille Nénette Alex Martin")) is found


def test_short_words_need_exact_prefix():
    assert not fuzzy_match("mra", fold("Mariam"))
    assert fuzzy_match("mar", fold("Mariam"))


@pytest.mark.parametrize("query,name,found", [
    ("aly", "Ali", True), ("awe", "Awa", True), ("lai", "Ali", True),  # short names, one typo
    ("aly", "Alice", False),  # a short query is not matched loosely against longer names
    ("al", "Ali", True), ("ak", "Ali", False),  # two letters: exact prefix only
])
def test_short_names_tolerate_one_typo(query, name, found):
    assert fuzzy_match(query, fold(f"Famille {name}")) is found


def test_search_view_accent_and_typo(client, auth, worker, team_a):
    factories.household(team_a, name="Famille Benkirane")
    factories.household(team_a, name="Pépito")
    auth.login(worker.email)
    assert "Famille Benkirane" in client.post("/menages/", data={"q": "benkrane"}).page
    page = client.post("/menages/", data={"q": "pepit"}).page
    assert "Pépito" in page and "Benkirane" not in page


def test_search_finds_people_names_and_aliases(app, worker, team_a):
    household = factories.household(team_a, name="Ménage 1")
    services.add_person(worker, household, {"alias": "Zazou", "first_name": "Éloïse"},
                        now=utcnow(), today=TODAY)
    assert household in queries.search(worker, "eloise").rows
    assert household in queries.search(worker, "zaz").rows


def test_search_htmx_returns_results_fragment(client, auth, worker, family):
    auth.login(worker.email)
    response = client.post("/menages/", data={"q": "nen"}, headers={"HX-Request": "true"})
    assert "<html" not in response.page
    assert "Famille Nénette" in response.page
    assert "HX-Request" in response.headers["Vary"]


def test_list_paginated_mine_first(app, client, auth, worker, team_a):
    app.config["PAGE_SIZE"] = 2
    factories.household(team_a, name="Aaa")
    factories.household(team_a, name="Bbb")
    factories.household(team_a, name="Zzz", referent=worker)
    auth.login(worker.email)
    first = client.get("/menages/").page
    assert first.index("Zzz") < first.index("Aaa") and "Bbb" not in first
    assert "Page 1 sur 2" in first
    assert "Mes ménages" in first
    assert "Aaa" not in client.get("/menages/?mes=1").page


def test_a_search_keeps_the_name_out_of_every_url(app, client, auth, worker, team_a):
    """The name is posted; its pages are posted too; a name in the query string is ignored."""
    app.config["PAGE_SIZE"] = 1
    factories.household(team_a, name="Famille Vasseur")
    factories.household(team_a, name="Vasseur-Diallo")
    factories.household(team_a, name="Famille Autre")
    auth.login(worker.email)
    first = client.post("/menages/", data={"q": "vasseur"}).page
    assert "Page 1 sur 2" in first and "Famille Autre" not in first
    urls = re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', first)
    assert urls and not [u for u in urls if "vasseur" in u.lower()]
    assert 'name="q" value="vasseur"' in first  # the next page is a form posting the name
    second = client.post("/menages/", data={"q": "vasseur", "page": "2"}).page
    assert "Page 2 sur 2" in second
    assert "Famille Autre" in client.get("/menages/?q=vasseur&page=1").page  # q ignored


# ---- concurrent edits ---------------------------------------------------------------------

def test_conflicting_edit_is_shown_not_overwritten(client, auth, worker, colleague, family):
    auth.login(worker.email)
    opened_version = family.version
    services.update_household(colleague, family, {"city": "Muret"}, opened_version, now=utcnow())
    response = client.post(f"/menages/{family.id}/modifier", data={
        "name": family.name, "city": "Albi", "version": opened_version})
    assert response.status_code == 409
    assert "Rien n'a été écrasé" in response.page
    assert "Muret" in response.page and "Albi" in response.page
    db.session.refresh(family)
    assert family.city == "Muret"
    # Saving again from the conflict page keeps the person's version, deliberately.
    new_version = response.page.split('name="version" type="hidden" value="')[1].split('"')[0]
    again = client.post(f"/menages/{family.id}/modifier", data={
        "name": family.name, "city": "Albi", "version": new_version})
    assert again.status_code == 302
    db.session.refresh(family)
    assert family.city == "Albi"


def test_conflict_on_person_edit(client, auth, worker, colleague, family):
    person = family.people[0]
    auth.login(worker.email)
    seen = family.version
    services.update_person(colleague, person, {"languages": "turc"}, seen, now=utcnow(),
                           today=TODAY)
    response = client.post(f"/menages/{family.id}/personnes/{person.id}/modifier", data={
        "first_name": "Alex", "languages": "kurde", "version": seen})
    assert response.status_code == 409
    assert "turc" in response.page and "kurde" in response.page
    db.session.refresh(person)
    assert person.languages == "turc"


def test_conflict_on_right(app, worker, colleague, family):
    right = services.save_right(worker, family, None, {"kind": "apl", "status": "a_faire"}, None,
                                now=utcnow())
    seen = right.version
    services.save_right(colleague, family, right, {"next_step": "Appeler la CAF"}, seen,
                        now=utcnow())
    with pytest.raises(services.Conflict):
        services.save_right(worker, family, right, {"next_step": "Écrire à la CAF"}, seen,
                            now=utcnow())
    assert db.session.get(Right, right.id).next_step == "Appeler la CAF"


# ---- notes and confidentiality ------------------------------------------------------------

def _note(author, household, level, title):
    return services.save_note(author, household, None, {
        "kind": "note", "confidentiality": level, "title": title, "body": "Texte.",
        "written_on": TODAY}, None, now=utcnow())


def test_note_confidentiality(app, client, auth, worker, colleague, coordinator, family):
    _note(colleague, family, "equipe", "Note équipe")
    _note(colleague, family, "referent", "Note référent")
    _note(colleague, family, "sante", "Note santé")
    titles = lambda user: {n.title for n in queries.notes(user, family)}  # noqa: E731
    assert titles(colleague) == {"Note équipe", "Note référent", "Note santé"}  # author
    assert titles(worker) == {"Note équipe", "Note référent"}  # referent of the household
    assert titles(coordinator) == {"Note équipe", "Note référent", "Note santé"}
    other = factories.user((family.team, "worker"))
    assert titles(other) == {"Note équipe"}
    auth.login(other.email)
    page = client.get(f"/menages/{family.id}/notes").page
    assert "Note santé" not in page and "2 notes confidentielles" in page
    hidden = db.session.scalar(select(Note.id).where(Note.title == "Note santé"))
    assert client.get(f"/menages/{family.id}/notes/{hidden}").status_code == 404
    timeline_titles = [e.title for e in events_for(family, other)]
    assert not any("Note santé" in t for t in timeline_titles)


def test_only_author_edits_a_note(app, worker, colleague, family):
    note = _note(colleague, family, "equipe", "À moi")
    with pytest.raises(services.CaseFileError, match="auteur"):
        services.save_note(worker, family, note, {"body": "changé"}, note.version, now=utcnow())


def test_empty_note_refused_with_french_message(client, auth, worker, family):
    auth.login(worker.email)
    response = client.post(f"/menages/{family.id}/notes/nouvelle", data={
        "kind": "note", "confidentiality": "equipe", "title": "Visite",
        "written_on": "2026-11-20", "body": "   "})
    assert response.status_code == 422
    assert "La note est vide." in response.page
    assert 'value="Visite"' in response.page
    assert db.session.scalar(select(func.count(Note.id))) == 0


# ---- project, rights, enrolments ----------------------------------------------------------

def test_goal_progress_to_done(app, worker, family):
    goal = services.save_goal(worker, family, None, {"title": "Ouvrir les droits APL",
                                                     "set_on": TODAY}, None, now=utcnow())
    services.record_progress(worker, goal, TODAY, 50, "Dossier déposé", goal.version,
                             now=utcnow())
    services.record_progress(worker, goal, TODAY + timedelta(days=10), 100, "", goal.version,
                             now=utcnow())
    goal = db.session.get(Goal, goal.id)
    assert (goal.status, goal.progress, goal.achieved_on) == ("atteint", 100,
                                                              TODAY + timedelta(days=10))
    assert [s.progress for s in goal.steps] == [100, 50]
    with pytest.raises(services.CaseFileError, match="plus en cours"):
        services.record_progress(worker, goal, TODAY, 50, "", goal.version, now=utcnow())


def test_goal_progress_before_it_was_set_refused(app, worker, family):
    goal = services.save_goal(worker, family, None, {"title": "X", "set_on": TODAY}, None,
                              now=utcnow())
    with pytest.raises(services.CaseFileError, match="précède"):
        services.record_progress(worker, goal, TODAY - timedelta(days=1), 25, "", goal.version,
                                 now=utcnow())


def test_goal_deadline_before_start_refused_in_view(client, auth, worker, family):
    auth.login(worker.email)
    response = client.post(f"/menages/{family.id}/projet/objectifs/nouveau", data={
        "title": "Trouver un emploi", "set_on": "2026-11-20", "target_on": "2026-11-01",
        "status": "en_cours", "barrier_id": ""})
    assert response.status_code == 422
    assert "L'échéance précède la date de l'objectif." in response.page
    assert 'value="Trouver un emploi"' in response.page


def test_barrier_lifted_needs_a_date(app, worker, family):
    with pytest.raises(services.CaseFileError, match="levé"):
        services.save_barrier(worker, family, None, {
            "category": "budget", "description": "Dettes", "status": "leve",
            "identified_on": TODAY}, None, now=utcnow())


@pytest.mark.parametrize("values,message", [
    ({"status": "depose"}, "date de dépôt"),
    ({"status": "accorde", "filed_on": TODAY}, "date de la décision"),
    ({"status": "refuse", "filed_on": TODAY, "decided_on": TODAY - timedelta(days=1)},
     "La décision précède le dépôt."),
    ({"status": "accorde", "filed_on": TODAY, "decided_on": TODAY,
      "expires_on": TODAY - timedelta(days=1)}, "La fin de droit précède la décision."),
])
def test_right_date_rules(app, worker, family, values, message):
    with pytest.raises(services.CaseFileError, match=message):
        services.save_right(worker, family, None, {"kind": "ame", **values}, None, now=utcnow())


def test_right_for_a_person_of_another_household_refused(app, worker, team_a, family):
    other = factories.household(team_a)
    with pytest.raises(services.CaseFileError, match="n'appartient pas"):
        services.save_right(worker, family, None, {"kind": "ame", "status": "a_faire",
                                                   "person_id": other.people[0].id}, None,
                            now=utcnow())


def test_right_form_in_view(client, auth, worker, family):
    auth.login(worker.email)
    response = client.post(f"/menages/{family.id}/droits/nouveau", data={
        "kind": "apl", "person_id": "", "status": "depose", "filed_on": "2026-11-02",
        "next_step": "Relancer la CAF", "next_step_due": "2026-11-30"})
    assert response.status_code == 302
    page = client.get(f"/menages/{family.id}/droits").page
    assert "APL" in page and "déposé le 02/11/2026" in page and "Relancer la CAF" in page


def test_end_enrolment_rules(app, worker, family):
    enrolment = family.enrolments[0] if family.enrolments else None
    if enrolment is None:
        enrolment = services.enrol(worker, family, family.team_id, TODAY, now=utcnow())
    with pytest.raises(services.CaseFileError, match="précède"):
        services.end_enrolment(worker, enrolment, enrolment.entry_date - timedelta(days=1),
                               "rue", "", enrolment.version, now=utcnow())
    with pytest.raises(services.CaseFileError, match="destination"):
        services.end_enrolment(worker, enrolment, enrolment.entry_date, "", "",
                               enrolment.version, now=utcnow())
    services.end_enrolment(worker, enrolment, enrolment.entry_date + timedelta(days=30),
                           "logement_autonome", "Relogé·e", enrolment.version, now=utcnow())
    assert enrolment.status(enrolment.entry_date + timedelta(days=31)) == "terminé"
    assert enrolment.status(enrolment.entry_date + timedelta(days=29)) == "en cours"
    with pytest.raises(services.CaseFileError, match="déjà terminé"):
        services.end_enrolment(worker, enrolment, TODAY, "rue", "", enrolment.version,
                               now=utcnow())


def test_enrol_twice_in_same_team_refused(app, worker, family):
    services.enrol(worker, family, family.team_id, TODAY, now=utcnow())
    with pytest.raises(services.CaseFileError, match="déjà accompagné"):
        services.enrol(worker, family, family.team_id, TODAY, now=utcnow())


# ---- caseload -----------------------------------------------------------------------------

def test_coordinator_caseload_and_reassignment(client, auth, coordinator, worker, colleague,
                                               family, team_a):
    unassigned = factories.household(team_a, name="Famille Sans Référent")
    auth.login(coordinator.email)
    page = client.get("/menages/charge").page
    assert "Wanda Worker" in page and "Famille Nénette" in page and "Famille Sans Référent" in page
    response = client.post(f"/menages/{unassigned.id}/referent", data={
        "referent_id": colleague.id, "retour": "charge"})
    assert response.headers["Location"] == "/menages/charge"
    db.session.refresh(unassigned)
    assert unassigned.referent_id == colleague.id
    events = [e.title for e in events_for(unassigned, coordinator)]
    assert "Référent·e : Colin Collègue" in events


def test_worker_cannot_reassign_nor_see_caseload(client, auth, worker, colleague, family):
    auth.login(worker.email)
    assert client.get("/menages/charge").status_code == 403
    client.post(f"/menages/{family.id}/referent", data={"referent_id": colleague.id})
    db.session.refresh(family)
    assert family.referent_id == worker.id


def test_reassign_to_outsider_refused(app, coordinator, family, team_b):
    outsider = factories.user((team_b, "worker"))
    with pytest.raises(services.CaseFileError):
        services.set_referent(coordinator, family, outsider.id, now=utcnow())


# ---- timeline and people ------------------------------------------------------------------

def test_timeline_gathers_events_newest_first(app, client, auth, worker, family):
    services.save_right(worker, family, None, {"kind": "apl", "status": "depose",
                                               "filed_on": TODAY - timedelta(days=5)}, None,
                        now=utcnow())
    services.save_goal(worker, family, None, {"title": "Budget", "set_on": TODAY}, None,
                       now=utcnow())
    _note(worker, family, "equipe", "Visite")
    events = events_for(family, worker)
    titles = [e.title for e in events]
    assert "APL : demande déposée" in titles and "Objectif défini : Budget" in titles
    assert "Note sociale : Visite" in titles and "Dossier ouvert" in titles
    keys = [e.sort_key for e in events]
    assert keys == sorted(keys, reverse=True)
    auth.login(worker.email)
    only_rights = client.get(f"/menages/{family.id}/chronologie?type=droit").page
    assert "APL : demande déposée" in only_rights and "Objectif défini" not in only_rights


def test_person_age():
    person = Person(birth_date=date(2000, 11, 24))
    assert person.age(date(2026, 11, 23)) == 25
    assert person.age(date(2026, 11, 24)) == 26
    assert Person(birth_year=1990).age(date(2026, 1, 1)) == 36
    assert Person().age(date(2026, 1, 1)) is None


@pytest.mark.parametrize("typed,expected", [("1 234,50 €", "1234.50"), ("845,2", "845.20"),
                                            ("845.20", "845.20"), ("1\u202f000", "1000.00")])
def test_money_field_reads_french_amounts(app, typed, expected):
    from werkzeug.datastructures import MultiDict

    from app.households.forms import HouseholdEditForm

    form = HouseholdEditForm(MultiDict({"name": "X", "resources_amount": typed}))
    assert form.validate(), form.errors
    assert str(form.resources_amount.data) == expected


def test_money_field_refuses_text_in_french(app):
    from werkzeug.datastructures import MultiDict

    from app.households.forms import HouseholdEditForm

    form = HouseholdEditForm(MultiDict({"name": "X", "resources_amount": "beaucoup"}))
    assert not form.validate()
    assert "Montant invalide" in " ".join(form.resources_amount.errors)
