"""Visits: planning, reports saved exactly once, conflicts kept, scoping, the JSON answers."""
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.visits import services
from app.visits.models import ReportConflict, Visit, VisitReport
from app.visits.queries import today_and_week, waiting_reports
from tests import factories

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0)
JSON = {"Accept": "application/json"}


@pytest.fixture
def household(team_a, worker):
    return factories.household(team_a, referent=worker, name="Famille Test")


@pytest.fixture
def visit(household, worker):
    return factories.visit(household, worker, DAY)


def content(household, **kw):
    values = {"seen": [household.people[0].id], "observations": "Logement en ordre.",
              "next_steps": "Appeler la CAF."}
    values.update(kw)
    return values


def submit(actor, visit, client_id, values, base=None):
    return services.submit_report(actor, visit, client_id, values, base, written_at=NOW, now=NOW)


def count(model):
    return db.session.scalar(select(func.count(model.id)))


def test_first_report_marks_the_visit_done(app, worker, visit, household):
    result = submit(worker, visit, str(uuid.uuid4()), content(household))
    assert result.outcome == "created"
    assert visit.status == "faite" and visit.report.next_steps == "Appeler la CAF."


def test_replay_with_same_client_id_and_payload_is_harmless(app, worker, visit, household):
    cid = str(uuid.uuid4())
    first = submit(worker, visit, cid, content(household))
    again = submit(worker, visit, cid, content(household, observations="  Logement en ordre. "))
    assert again.outcome == "replay" and again.report.id == first.report.id
    assert count(VisitReport) == 1 and count(ReportConflict) == 0


def test_same_client_id_other_payload_is_kept_as_conflict(app, worker, visit, household):
    cid = str(uuid.uuid4())
    submit(worker, visit, cid, content(household))
    result = submit(worker, visit, cid, content(household, next_steps="Autre chose."))
    assert result.outcome == "conflict"
    assert result.conflict.reason == "same_client_id"
    assert result.conflict.payload["next_steps"] == "Autre chose."
    assert visit.report.next_steps == "Appeler la CAF."  # nothing overwritten
    # The same conflicting replay again does not pile up conflicts.
    submit(worker, visit, cid, content(household, next_steps="Autre chose."))
    assert count(ReportConflict) == 1


def test_edit_on_current_version_updates(app, worker, visit, household):
    first = submit(worker, visit, str(uuid.uuid4()), content(household))
    result = submit(worker, visit, str(uuid.uuid4()), content(household, next_steps="Fait."),
                    base=first.report.version)
    assert result.outcome == "updated" and result.report.version == 2
    assert count(VisitReport) == 1


def test_edit_on_stale_version_or_second_first_report_is_a_conflict(app, worker, visit,
                                                                   household):
    submit(worker, visit, str(uuid.uuid4()), content(household))
    second_phone = submit(worker, visit, str(uuid.uuid4()), content(household, next_steps="B"))
    assert second_phone.outcome == "conflict"
    assert second_phone.conflict.reason == "stale_version"
    assert visit.report.next_steps == "Appeler la CAF."


def test_resolve_conflict_keeping_mine_or_theirs(app, worker, visit, household):
    submit(worker, visit, str(uuid.uuid4()), content(household))
    conflict = submit(worker, visit, str(uuid.uuid4()), content(household, next_steps="B")).conflict
    services.resolve_conflict(worker, conflict, "mine", now=NOW)
    assert visit.report.next_steps == "B" and visit.report.version == 2
    with pytest.raises(services.VisitError, match="déjà résolu"):
        services.resolve_conflict(worker, conflict, "theirs", now=NOW)
    other = submit(worker, visit, str(uuid.uuid4()), content(household, next_steps="C")).conflict
    services.resolve_conflict(worker, other, "theirs", now=NOW)
    assert visit.report.next_steps == "B"


@pytest.mark.parametrize("values,message", [
    ({"seen": []}, "au moins une personne"),
    ({"seen": [999999]}, "n'appartient pas au ménage"),
    ({"observations": "", "next_steps": ""}, "au moins une observation"),
    ({"duration_minutes": 0}, None),
    ({"duration_minutes": 900}, "de 1 à 720"),
    ({"worked_on": ["goal:999999"]}, "n'appartient pas au ménage"),
    ({"follow_up_on": DAY}, "après cette visite"),
])
def test_report_rules(app, worker, visit, household, values, message):
    if message is None:  # 0 minutes means "not given"
        assert submit(worker, visit, str(uuid.uuid4()), content(household, **values)).outcome \
            == "created"
        return
    with pytest.raises(services.VisitError, match=message):
        submit(worker, visit, str(uuid.uuid4()), content(household, **values))
    assert count(VisitReport) == 0


def test_client_id_must_be_a_uuid(app, worker, visit, household):
    with pytest.raises(services.VisitError, match="Identifiant"):
        submit(worker, visit, "pas-un-uuid", content(household))


def test_follow_up_visit_is_planned(app, worker, visit, household):
    submit(worker, visit, str(uuid.uuid4()), content(household,
                                                     follow_up_on=DAY + timedelta(days=14)))
    follow = db.session.scalar(select(Visit).where(Visit.follows_id == visit.id))
    assert follow.day == DAY + timedelta(days=14) and follow.workers == [worker]


def test_today_and_week_and_waiting(app, worker, household):
    factories.visit(household, worker, DAY)
    factories.visit(household, worker, DAY + timedelta(days=6))
    factories.visit(household, worker, DAY + timedelta(days=7))
    factories.visit(household, worker, DAY - timedelta(days=1))
    today, week = today_and_week(worker, DAY)
    assert [v.day for v in today] == [DAY]
    assert [v.day for v in week] == [DAY + timedelta(days=6)]
    assert [v.day for v in waiting_reports(worker, DAY)] == [DAY - timedelta(days=1)]


def test_visits_of_a_team_the_worker_has_left_leave_their_day(app, household, team_a, team_b):
    """Workers are chosen among the visit's team: once someone leaves that team, its visits
    leave their Aujourd'hui even when the household stays visible through another team."""
    from app.auth.models import Membership

    both = factories.user((team_a, "worker"), (team_b, "worker"), email="deux@exemple.test")
    factories.enrolment(household, date(2026, 1, 1), team=team_b)
    factories.visit(household, both, DAY)
    factories.visit(household, both, DAY - timedelta(days=1))
    assert len(today_and_week(both, DAY)[0]) == 1 and len(waiting_reports(both, DAY)) == 1
    db.session.execute(Membership.__table__.delete().where(
        Membership.user_id == both.id, Membership.team_id == team_a.id))
    db.session.commit()
    db.session.expire_all()
    assert today_and_week(both, DAY) == ([], []) and waiting_reports(both, DAY) == []


def test_plan_visit_rules(app, worker, household, team_b):
    outsider = factories.user((team_b, "worker"))
    with pytest.raises(services.VisitError, match="ne fait pas partie"):
        services.plan_visit(worker, household, household.team_id, DAY, None, "domicile", None,
                            "Point", [outsider.id], now=NOW, today=DAY)
    with pytest.raises(services.VisitError, match="aujourd'hui ou plus tard"):
        services.plan_visit(worker, household, household.team_id, DAY - timedelta(days=1), None,
                            "domicile", None, "Point", [worker.id], now=NOW, today=DAY)


# ---- views and the JSON contract used by the outbox ---------------------------------------

def form_data(household, cid, **kw):
    data = {"client_id": cid, "seen": [str(household.people[0].id)],
            "observations": "RAS", "next_steps": "Revoir dans 15 jours"}
    data.update(kw)
    return data


def test_json_created_then_replay_then_conflict(client, auth, worker, visit, household):
    auth.login(worker.email)
    cid = str(uuid.uuid4())
    url = f"/visites/{visit.id}/compte-rendu"
    first = client.post(url, data=form_data(household, cid), headers=JSON)
    assert first.status_code == 201 and first.get_json()["status"] == "created"
    again = client.post(url, data=form_data(household, cid), headers=JSON)
    assert again.status_code == 200 and again.get_json()["status"] == "replay"
    other = client.post(url, data=form_data(household, cid, next_steps="Autre"), headers=JSON)
    assert other.status_code == 409
    assert other.get_json()["url"].startswith("/visites/conflits/")
    assert count(VisitReport) == 1 and count(ReportConflict) == 1


def test_json_invalid_gives_422_with_french_errors(client, auth, worker, visit, household):
    auth.login(worker.email)
    response = client.post(f"/visites/{visit.id}/compte-rendu",
                           data=form_data(household, str(uuid.uuid4()), seen=[]), headers=JSON)
    assert response.status_code == 422
    assert "au moins une personne" in response.get_json()["error"]


def test_expired_session_answers_401_json_not_a_login_page(client, visit, household):
    response = client.post(f"/visites/{visit.id}/compte-rendu",
                           data=form_data(household, str(uuid.uuid4())), headers=JSON)
    assert response.status_code == 401
    assert count(VisitReport) == 0


def test_plain_form_post_redirects(client, auth, worker, visit, household):
    auth.login(worker.email)
    response = client.post(f"/visites/{visit.id}/compte-rendu",
                           data=form_data(household, str(uuid.uuid4())))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).page
    assert "Compte rendu enregistré." in page and "Revoir dans 15 jours" in page


def test_plain_form_errors_keep_typed_text(client, auth, worker, visit, household):
    auth.login(worker.email)
    response = client.post(f"/visites/{visit.id}/compte-rendu",
                           data=form_data(household, str(uuid.uuid4()), seen=[],
                                          observations="Texte précieux"))
    assert response.status_code == 422
    assert "Texte précieux" in response.page and "au moins une personne" in response.page


def test_conflict_page_side_by_side_and_resolution(client, auth, worker, visit, household):
    auth.login(worker.email)
    url = f"/visites/{visit.id}/compte-rendu"
    client.post(url, data=form_data(household, str(uuid.uuid4())), headers=JSON)
    conflict_url = client.post(url, data=form_data(household, str(uuid.uuid4()),
                                                   next_steps="Version du téléphone"),
                               headers=JSON).get_json()["url"]
    page = client.get(conflict_url).page
    assert "Revoir dans 15 jours" in page and "Version du téléphone" in page
    assert client.post(conflict_url, data={"garder": "mine"}).status_code == 302
    assert visit.report.next_steps == "Version du téléphone"


def test_other_team_cannot_see_or_report(client, auth, visit, household, team_b):
    outsider = factories.user((team_b, "worker"))
    auth.login(outsider.email)
    assert client.get(f"/visites/{visit.id}").status_code == 404
    response = client.post(f"/visites/{visit.id}/compte-rendu",
                           data=form_data(household, str(uuid.uuid4())), headers=JSON)
    assert response.status_code == 404
    assert count(VisitReport) == 0


def test_volunteer_gets_403(client, auth, visit, team_a):
    volunteer = factories.user((team_a, "volunteer"))
    auth.login(volunteer.email)
    assert client.get(f"/visites/{visit.id}").status_code == 403


def test_test_fault_switch_is_off_unless_tests_enable_it(app, client, auth, worker, visit,
                                                         household):
    app.config["TEST_FAIL_EVERY_NTH_REPORT"] = 1  # without TERRAIN_TEST_SWITCHES: ignored
    auth.login(worker.email)
    response = client.post(f"/visites/{visit.id}/compte-rendu",
                           data=form_data(household, str(uuid.uuid4())), headers=JSON)
    assert response.status_code == 201


def test_session_state_for_the_outbox(client, auth, worker):
    assert client.get("/session/etat", headers=JSON).status_code == 401
    auth.login(worker.email)
    state = client.get("/session/etat", headers=JSON).get_json()
    assert state["user"] == worker.id and state["csrf"]


def test_service_worker_and_manifest(client):
    sw = client.get("/service-worker.js")
    assert sw.status_code == 200 and sw.mimetype == "application/javascript"
    body = sw.get_data(as_text=True)
    assert "self.TERRAIN" in body and "terrain-outbox" in body
    assert "/static/vendor/workbox-7.4.1/" in body and "https://" not in body
    assert sw.headers["X-Terrain-Version"] in body
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["lang"] == "fr" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_offline_page_has_no_personal_data(client, auth, worker):
    auth.login(worker.email)
    page = client.get("/hors-ligne").page
    assert "Pas de réseau" in page and worker.display_name not in page and "csrf" not in page.lower()
