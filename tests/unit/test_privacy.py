"""Privacy services: export, anonymisation, audit guard, retention, backup and restore."""
from __future__ import annotations

import json
import tarfile
from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, inspect, null, select, text, update
from sqlalchemy.exc import DatabaseError
from werkzeug.exceptions import NotFound

from app import create_app
from app.audit.models import AuditEvent
from app.audit.services import record
from app.extensions import db
from app.households.models import Household, Note, Person
from app.housing.models import Payment
from app.inventories import photos
from app.inventories.models import InventoryPhoto, Signature
from app.privacy import backup, dropin, graph, services
from app.privacy.models import HouseholdArchive, RetentionRun
from tests import factories

NOW = datetime(2026, 11, 23, 10, 0)
TODAY = date(2026, 11, 23)


@pytest.fixture
def coordinator(team_a):
    return factories.user((team_a, "coordinator"), email="coord@exemple.test",
                          display_name="Coralie Coord")


@pytest.fixture
def case(team_a, worker):
    return factories.closed_case(team_a, worker)


# ---- who may do what ---------------------------------------------------------------------------

def test_only_coordinators_of_the_owning_team_and_admins_with_a_case_role_manage(
        app, team_a, team_b, worker, coordinator, admin, case):
    other_coord = factories.user((team_b, "coordinator"))
    admin_worker = factories.user((team_a, "worker"), (team_b, "admin"))
    assert services.may_manage(coordinator, case)
    assert services.may_manage(admin_worker, case)
    assert not services.may_manage(worker, case)
    assert not services.may_manage(admin, case)  # admin of the team, but no case role there
    assert not services.may_manage(other_coord, case)


# ---- export ------------------------------------------------------------------------------------

def test_walk_finds_every_table_holding_household_data(app):
    names = {t.name for t, _ in graph.owned_tables()}
    assert {"household", "person", "note", "visit_report", "payment", "inventory_photo",
            "signature", "asll_link_sheet", "alert", "goal_step"} <= names
    assert "flat" not in names and "app_user" not in names and "team" not in names
    assert services.check_plan() == []  # every one of them has an anonymisation rule


def test_export_holds_every_row_of_the_household_and_who_read_it(app, coordinator, case):
    other = factories.closed_case(case.team, coordinator, with_photo=False)
    record("household.read", actor=coordinator, object_type="household", object_id=case.id)
    db.session.commit()
    data = services.export_data(coordinator, case, NOW)
    tables = data["tables"]
    assert [h["id"] for h in tables["household"]] == [case.id]
    assert {p["first_name"] for p in tables["person"]} == {"Alex", "Nora"}
    assert len(tables["note"]) == 3 and data["withheld"] == {}  # coordinators read every level
    for name in ("barrier", "goal", "goal_step", "right_application", "enrolment", "visit",
                 "visit_report", "contract", "payment", "rent_terms", "inventory",
                 "inventory_room", "inventory_photo", "signature", "asll_measure",
                 "asll_link_sheet", "alert"):
        assert tables[name], name
    assert all(r.get("household_id") in (None, case.id) for rows in tables.values()
               for r in rows), "a row of another household leaked in"
    assert other.id not in {v["household_id"] for v in tables["visit"]}
    assert data["photos"][0]["sha256"] == tables["inventory_photo"][0]["sha256"]
    assert any(a["action"] == "household.read" and a["actor"] == "Coralie Coord"
               for a in data["audit"])
    json.dumps(data)  # serialisable as is
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "privacy.export", AuditEvent.object_id == case.id)) == 1


def test_a_worker_export_leaves_out_the_notes_they_may_not_read(app, team_a, coordinator, case):
    colleague = factories.user((team_a, "worker"))
    data = services.export_data(colleague, case, NOW)
    assert [n["confidentiality"] for n in data["tables"]["note"]] == ["equipe"]
    assert data["withheld"] == {"note": 2}


def test_export_pdf_is_french_and_readable(app, coordinator, case):
    from pypdf import PdfReader
    import io

    from app.privacy import document

    data = services.export_data(coordinator, case, NOW, fmt="pdf")
    with app.test_request_context():
        pdf = document.render_pdf(data, case.name)
    content = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("Données personnelles", "Famille Zerbib", "Personnes", "Nora",
                  "Paiements", "123.45", "Consultations et modifications"):
        assert words in content


# ---- anonymisation -------------------------------------------------------------------------------

def test_anonymise_removes_personal_data_keeps_amounts_and_deletes_photo_files(
        app, coordinator, case):
    record("household.read", actor=coordinator, object_type="household", object_id=case.id,
           subject="nora@exemple.test", detail={"section": "notes"})
    db.session.commit()
    key = db.session.scalar(select(InventoryPhoto.key))
    assert photos.exists(key)
    result = services.anonymise(coordinator, case, "demande_personne", "Courrier du 2 nov.",
                                NOW, TODAY, confirmed=True)
    db.session.expire_all()
    h = db.session.get(Household, case.id)
    assert h.name == f"Ménage anonymisé n° {case.id}" and h.search_text == ""
    assert h.address is None and h.phone is None and h.situation is None
    assert all(p.first_name is None and p.last_name is None and p.alias is None
               and p.phone is None and p.birth_date is None for p in h.people)
    assert db.session.scalar(select(func.count(Note.id))) == 0
    assert db.session.scalar(select(func.count(InventoryPhoto.id))) == 0
    assert not photos.exists(key) and result.photo_files == [key]
    sig = db.session.scalar(select(Signature))
    assert sig.image is None and sig.signer_name == "—"
    payment = db.session.scalar(select(Payment))
    assert str(payment.amount) == "123.45" and payment.reference is None
    dump = json.dumps(services.export_data(coordinator, h, NOW)["tables"], default=str)
    for word in ("Zerbib", "Nora", "Invisible", "06 00", "Chèque", "CAF n°"):
        assert word not in dump, word
    state = db.session.get(HouseholdArchive, case.id)
    assert (state.reason, state.reason_text, state.anonymised_by_id) == (
        "demande_personne", "Courrier du 2 nov.", coordinator.id)
    assert state.archived_at == NOW
    read = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.read"))
    assert read.actor_id == coordinator.id and read.subject is None and read.detail is None
    done = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.anonymise"))
    assert done.detail["reason"] == "demande_personne" and done.detail["photos"] == 1


@pytest.mark.parametrize("reason,text,confirmed,field", [
    ("demande_personne", None, False, "confirm"),
    ("", None, True, "reason"),
    ("autre", "  ", True, "reason_text"),
])
def test_anonymise_refuses_without_confirmation_or_reason(app, coordinator, case, reason, text,
                                                          confirmed, field):
    with pytest.raises(services.PrivacyError) as err:
        services.anonymise(coordinator, case, reason, text, NOW, TODAY, confirmed=confirmed)
    assert err.value.field == field
    assert db.session.get(Household, case.id).name == "Famille Zerbib"


def test_anonymise_refuses_a_running_support_or_lease_and_a_worker(app, team_a, worker,
                                                                   coordinator):
    running = factories.household(team_a, worker)
    factories.enrolment(running, date(2026, 1, 1))
    with pytest.raises(services.PrivacyError, match="accompagnement est en cours"):
        services.anonymise(coordinator, running, "demande_personne", None, NOW, TODAY, True)
    leased = factories.household(team_a, worker)
    factories.enrolment(leased, date(2025, 1, 1), date(2025, 12, 31))
    factories.contract(factories.flat(team_a), leased, start_on=date(2025, 1, 1))
    with pytest.raises(services.PrivacyError, match="contrat de logement est en cours"):
        services.anonymise(coordinator, leased, "demande_personne", None, NOW, TODAY, True)
    closed = factories.closed_case(team_a, worker, with_photo=False)
    with pytest.raises(services.PrivacyError, match="coordination"):
        services.anonymise(worker, closed, "demande_personne", None, NOW, TODAY, True)


def test_anonymise_is_one_transaction(app, coordinator, case, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record", boom)
    with pytest.raises(RuntimeError):
        services.anonymise(coordinator, case, "demande_personne", None, NOW, TODAY, True)
    db.session.rollback()
    assert db.session.get(Household, case.id).name == "Famille Zerbib"
    assert db.session.scalar(select(func.count(Note.id))) == 3
    assert photos.exists(db.session.scalar(select(InventoryPhoto.key)))


# ---- the audit guard -------------------------------------------------------------------------

def test_audit_rows_cannot_be_changed_or_deleted_only_emptied(app, worker):
    row = record("household.read", actor=worker, object_type="household", object_id=1,
                 subject="x@exemple.test", detail={"section": "notes"})
    db.session.commit()
    for change in ({"action": "household.update"}, {"object_id": 2},
                   {"at": datetime(2020, 1, 1)}, {"subject": "autre"},
                   {"detail": {"section": "resume"}}):
        with pytest.raises(DatabaseError):
            db.session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(**change))
        db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()
    # Erasing values is what anonymisation (and a deleted account) needs: allowed.
    db.session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(
        subject=None, detail=null(), ip=None, actor_id=None))
    db.session.commit()
    kept = db.session.get(AuditEvent, row.id)
    assert (kept.action, kept.object_id, kept.subject, kept.actor_id) == (
        "household.read", 1, None, None)


def test_no_route_can_change_or_delete_audit_rows(app):
    """The journal pages only read; no code but the anonymisation writes to existing rows."""
    from pathlib import Path

    for endpoint in ("admin.journal", "privacy.journal"):
        rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
        assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)
    root = Path(app.root_path)
    writers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if any(w in p.read_text() for w in ("update(AuditEvent", "delete(AuditEvent")))
    assert writers == ["privacy/dropin.py", "privacy/services.py"]  # the two anonymisations
    for name in ("dropin.py", "services.py"):
        assert "delete(AuditEvent" not in (root / "privacy" / name).read_text()


# ---- retention -------------------------------------------------------------------------------

def test_retention_archives_after_the_active_period_then_anonymises(app, team_a, worker,
                                                                     coordinator):
    case = factories.closed_case(team_a, worker, exit_on=date(2024, 3, 31), with_photo=False)
    # IML default: 24 months active, then 60 archived.
    assert services.due(date(2026, 3, 30)) == []
    result = services.run_retention(NOW, date(2026, 3, 31))
    assert result.archived == [case.id] and result.anonymised == []
    from app.households.queries import search

    assert search(worker).rows == []  # gone from the normal list
    assert services.run_retention(NOW, date(2026, 4, 1)).archived == []  # already archived
    assert services.due(date(2031, 3, 30)) == []
    result = services.run_retention(NOW, date(2031, 3, 31))
    assert result.anonymised == [case.id]
    state = db.session.get(HouseholdArchive, case.id)
    assert state.reason == "fin_conservation" and state.anonymised_by_id is None
    runs = db.session.scalars(select(RetentionRun).order_by(RetentionRun.id)).all()
    assert [(r.archived, r.anonymised) for r in runs] == [(1, 0), (0, 0), (0, 1)]
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "privacy.retention_run")) == 3


def test_dry_run_changes_nothing_and_a_policy_shortens_the_delay(app, team_a, worker, admin):
    case = factories.closed_case(team_a, worker, exit_on=date(2026, 1, 31), with_photo=False)
    assert services.run_retention(NOW, TODAY, dry_run=True).archived == []
    services.set_policy(admin, "iml", 6, 12, NOW)
    result = services.run_retention(NOW, date(2026, 7, 31), dry_run=True)
    assert result.archived == [case.id]
    assert db.session.get(HouseholdArchive, case.id) is None
    run = db.session.scalar(select(RetentionRun).order_by(RetentionRun.id.desc()))
    assert run.dry_run and run.archived == 1 and run.detail["archived"] == [case.id]
    services.set_policy(admin, "iml", 24, 60, NOW)  # back to the default: the row goes
    assert services.policy_for("iml") == (24, 60)
    with pytest.raises(services.PrivacyError):
        services.set_policy(admin, "iml", 0, 12, NOW)


def test_open_files_and_several_programmes_keep_the_longest_retention(app, team_a, team_b,
                                                                      worker, admin):
    open_ = factories.household(team_a, worker)
    factories.enrolment(open_, date(2020, 1, 1))
    both = factories.household(team_a, worker)
    factories.enrolment(both, date(2020, 1, 1), date(2020, 12, 31))
    factories.enrolment(both, date(2020, 1, 1), date(2020, 12, 31), team=team_b)
    services.set_policy(admin, "iml", 1, 1, NOW)
    services.set_policy(admin, "asll", 12, 1, NOW)
    assert [d.household_id for d in services.due(date(2021, 12, 30))] == []
    assert [(d.household_id, d.action) for d in services.due(date(2021, 12, 31))] == [
        (both.id, "archive")]


def test_daily_retention_runs_once_per_day(app):
    assert services.daily_retention(datetime(2026, 11, 23, 6, 0)) is not None
    assert services.daily_retention(datetime(2026, 11, 23, 20, 0)) is None
    assert services.daily_retention(datetime(2026, 11, 24, 6, 0)) is not None


def test_the_scheduler_pass_runs_the_retention_once_a_day(app, team_a, worker, monkeypatch):
    from app.alerts import scheduler

    factories.closed_case(team_a, worker, exit_on=date(2019, 1, 31), with_photo=False)
    clock = {}
    monkeypatch.setattr(scheduler, "utcnow", lambda: clock["now"])
    for now in (datetime(2026, 11, 23, 6, 0), datetime(2026, 11, 23, 6, 5),
                datetime(2026, 11, 24, 6, 0)):
        clock["now"] = now
        scheduler.one_pass(app)
    runs = db.session.scalars(select(RetentionRun).order_by(RetentionRun.id)).all()
    assert [(r.today, r.anonymised) for r in runs] == [(date(2026, 11, 23), 1),
                                                        (date(2026, 11, 24), 0)]


def test_cron_mode_of_the_scheduler_runs_the_retention_too(app, runner, team_a, worker,
                                                          monkeypatch):
    from app.alerts import scheduler

    factories.closed_case(team_a, worker, exit_on=date(2019, 1, 31), with_photo=False)
    monkeypatch.setattr(scheduler, "utcnow", lambda: datetime(2026, 11, 23, 6, 0))
    out = runner.invoke(args=["alerts", "run", "--once"])
    assert out.exit_code == 0, out.output
    assert "Conservation : 0 dossier(s) ont été archivé(s), 1 ont été anonymisé(s)" in out.output
    again = runner.invoke(args=["alerts", "run", "--once"])  # the same day: not again
    assert "Conservation" not in again.output
    assert db.session.scalar(select(func.count(RetentionRun.id))) == 1


def test_cli_retention_dry_run(app, runner, team_a, worker):
    # Closed in January 2019: 24 + 60 months are over by February 2026, whatever today is.
    factories.closed_case(team_a, worker, exit_on=date(2019, 1, 31), with_photo=False)
    out = runner.invoke(args=["privacy", "retention", "--dry-run"]).output
    assert "0 dossier(s) seraient archivé(s), 1 seraient anonymisé(s)" in out
    assert db.session.scalar(select(func.count(HouseholdArchive.household_id))) == 0


# ---- backup and restore ------------------------------------------------------------------------

def _dump(app_) -> tuple[dict, dict]:
    """Every row of every table (ordered) and every stored file's bytes."""
    from app.storage import get_storage

    with app_.app_context():
        conn = db.session.connection()
        tables = {}
        for name in sorted(inspect(conn).get_table_names()):
            tables[name] = [tuple(r) for r in conn.execute(
                text(f'SELECT * FROM "{name}" ORDER BY 1, 2'))]
        files = {k: get_storage().get(k) for k in backup.stored_keys()}
        db.session.remove()
    return tables, files


def test_backup_and_restore_round_trip_loses_nothing(app, runner, team_a, worker, tmp_path,
                                                     empty_database_url):
    """`flask backup` then `flask restore` into an empty instance: every row, every file."""
    factories.closed_case(team_a, worker)
    record("household.read", actor=worker, object_type="household", object_id=1)
    db.session.commit()
    before_tables, before_files = _dump(app)
    assert len(before_files) == 2  # the photo and its thumbnail
    out = runner.invoke(args=["backup", str(tmp_path / "sauvegardes")])
    assert out.exit_code == 0, out.output
    archive = next((tmp_path / "sauvegardes").glob("terrain-backup-*.tar.gz"))
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["tables"]["household"] == 1
    assert {f["key"] for f in manifest["files"]} == set(before_files)

    fresh = tmp_path / "neuve"
    restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                           "INSTANCE_PATH": str(fresh), "ALERTS_SCHEDULER_IN_PROCESS": False})
    # `flask restore` itself, run by the new instance (its app context first: a command reuses
    # the context it finds, and the test's is the old instance's).
    with restored.app_context():
        out = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert out.exit_code == 0, out.output
        assert "Restauration terminée" in out.output and "2 fichiers" in out.output
        db.session.remove()
    after_tables, after_files = _dump(restored)
    assert after_tables == before_tables
    assert after_files == before_files
    with restored.app_context():  # a second restore is refused: the instance is not empty
        again = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert again.exit_code == 1 and "pas vide" in again.output
        with pytest.raises(backup.BackupError, match="pas vide"):
            backup.restore(archive)
        # The audit guard came back with the schema.
        with pytest.raises(DatabaseError):
            db.session.execute(delete(AuditEvent))
        db.session.rollback()
        db.engine.dispose()


def test_restore_refuses_an_altered_archive(app, runner, team_a, worker, tmp_path,
                                            empty_database_url):
    factories.household(team_a, worker)
    runner.invoke(args=["backup", str(tmp_path)])
    archive = next(tmp_path.glob("terrain-backup-*.tar.gz"))
    bad = tmp_path / "altered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        database = json.load(src.extractfile("manifest.json"))["database"]["member"]
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == database:
                data = data[:-10] + b"0123456789"
            member.size = len(data)
            import io

            dst.addfile(member, io.BytesIO(data))
    fresh = tmp_path / "neuve"
    restored = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url,
                           "INSTANCE_PATH": str(fresh), "ALERTS_SCHEDULER_IN_PROCESS": False})
    with restored.app_context():
        with pytest.raises(backup.BackupError, match="altérée"):
            backup.restore(bad)
        assert inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def test_people_of_an_anonymised_household_have_no_name_left(app, coordinator, case):
    services.anonymise(coordinator, case, "fin_conservation", None, NOW, TODAY, True)
    db.session.expire_all()
    assert {p.label for p in db.session.scalars(select(Person))} == {"Personne sans nom"}


# ---- people received at a permanence -----------------------------------------------------------

@pytest.fixture
def permanence(app):
    return factories.team("permanence", name="Permanence Nord")


@pytest.fixture
def perm_coordinator(permanence):
    return factories.user((permanence, "coordinator"), email="perm-coord@exemple.test",
                          display_name="Paule Perm")


@pytest.fixture
def received(permanence, perm_coordinator):
    return factories.received_person(permanence, perm_coordinator)


def test_dropin_walk_covers_every_table_and_the_plan_every_one(app):
    names = {t.name for t, _ in graph.owned_tables("dropin_person")}
    assert names == {"dropin_person", "arrival", "intake", "intake_criterion", "orientation",
                     "aid"}
    assert dropin.check_plan() == []
    # The household walk does not wander into the permanence, nor the reverse.
    assert not names & {t.name for t, _ in graph.owned_tables()}


def test_dropin_export_holds_the_person_their_merged_record_and_who_read_them(
        app, perm_coordinator, received):
    record("dropin_person.read", actor=perm_coordinator, object_type="dropin_person",
           object_id=received.id)
    db.session.commit()
    data = dropin.export_data(perm_coordinator, received, NOW)
    tables = data["tables"]
    assert {p["alias"] for p in tables["dropin_person"]} == {"Amina Secrète", "Mina"}
    assert len(tables["arrival"]) == 2 and len(tables["dropin_session"]) == 2
    intake = tables["intake"][0]
    assert (intake["asylum_stage"], intake["health_coverage"]) == ("dublin", "aucune")
    assert tables["vulnerability_criterion"][0]["label"] == "Femme enceinte"
    assert tables["orientation"][0]["detail"].startswith("PASS Lariboisière")
    assert tables["aid"][0]["note"] == "Pour aller à la PASS"
    assert any(a["action"] == "dropin_person.read" and a["actor"] == "Paule Perm"
               for a in data["audit"])
    json.dumps(data)
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "privacy.export", AuditEvent.object_type == "dropin_person",
        AuditEvent.object_id == received.id)) == 1


def test_dropin_export_pdf_is_french_and_readable(app, perm_coordinator, received):
    import io

    from pypdf import PdfReader

    from app.privacy import document

    data = dropin.export_data(perm_coordinator, received, NOW, fmt="pdf")
    with app.test_request_context():
        pdf = document.render_pdf(data, received.label)
    content = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("Données personnelles", "Amina Secrète", "personne accueillie",
                  "Passages à la permanence", "Couverture santé", "Aucune couverture",
                  "Procédure Dublin", "arabe", "Femme enceinte", "Dort à la gare",
                  "Consultations et modifications"):
        assert words in content, words


def test_dropin_anonymise_removes_names_and_texts_keeps_codes_and_the_reason(
        app, perm_coordinator, received):
    from app.permanences.models import Aid, Arrival, DropInPerson, Intake, Orientation

    record("dropin_person.read", actor=perm_coordinator, object_type="dropin_person",
           object_id=received.id, subject="amina", detail={"q": "Amina"})
    db.session.commit()
    result = dropin.anonymise(perm_coordinator, received, "demande_personne",
                              "Demande orale le 2 nov.", NOW, TODAY, confirmed=True)
    assert result.scrubbed["dropin_person"] == 2  # the merged record too
    people = db.session.scalars(select(DropInPerson)).all()
    assert all(p.alias is None and p.first_name is None and p.last_name is None
               and p.languages == [] and p.search_text == "" for p in people)
    intake = db.session.scalar(select(Intake))
    assert intake.assessment is None and intake.information_note is None
    assert (intake.asylum_stage, intake.health_coverage, len(intake.criteria)) == (
        "dublin", "aucune", 1)  # the permanence's figures stay
    orientation = db.session.scalar(select(Orientation))
    assert orientation.detail is None and orientation.outcome_note is None
    assert db.session.scalar(select(Aid)).note is None
    assert db.session.scalar(select(func.count(Arrival.id))) == 2
    dump = json.dumps(dropin.export_data(perm_coordinator, db.session.get(
        DropInPerson, received.id), NOW)["tables"], default=str)
    for word in ("Amina", "Kessoum", "Mina", "gare", "Lariboisière", "Rendez-vous PASS"):
        assert word not in dump, word
    state = dropin.state_of(received.id)
    assert (state.reason, state.reason_text, state.anonymised_by_id) == (
        "demande_personne", "Demande orale le 2 nov.", perm_coordinator.id)
    read = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "dropin_person.read"))
    assert read.subject is None and read.detail is None and read.actor_id == perm_coordinator.id
    done = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.anonymise"))
    assert done.object_type == "dropin_person" and done.detail["reason"] == "demande_personne"


def test_dropin_anonymise_refusals(app, permanence, perm_coordinator, received):
    from app.permanences.models import DropInPerson

    volunteer = factories.user((permanence, "worker"))
    with pytest.raises(dropin.DropInPrivacyError, match="coordination"):
        dropin.anonymise(volunteer, received, "demande_personne", None, NOW, TODAY, True)
    with pytest.raises(dropin.DropInPrivacyError) as exc:
        dropin.anonymise(perm_coordinator, received, "", None, NOW, TODAY, True)
    assert exc.value.field == "reason"
    merged = db.session.scalar(select(DropInPerson).where(DropInPerson.alias == "Mina"))
    with pytest.raises(dropin.DropInPrivacyError, match="fusionnée"):
        dropin.anonymise(perm_coordinator, merged, "demande_personne", None, NOW, TODAY, True)
    factories.arrival(factories.dropin_session(permanence, day=TODAY), received)
    with pytest.raises(dropin.DropInPrivacyError, match="permanence d'aujourd'hui"):
        dropin.anonymise(perm_coordinator, received, "demande_personne", None, NOW, TODAY, True)
    assert dropin.state_of(received.id) is None


def test_dropin_retention_archives_after_a_year_then_anonymises_and_reports(
        app, permanence, perm_coordinator, received):
    from app.permanences import queries as perm_queries

    # Last arrival 3 June 2024; permanence default: 12 months active, then 24 archived.
    assert dropin.due(date(2025, 6, 2)) == []
    result = services.run_retention(NOW, date(2025, 6, 3))
    assert result.dropin_archived == [received.id] and result.archived == []
    assert perm_queries.search_people(perm_coordinator, "Amina") == []  # out of the search
    with pytest.raises(NotFound):
        perm_queries.person_or_404(perm_coordinator, received.id)
    assert services.run_retention(NOW, date(2025, 6, 4)).dropin_archived == []
    assert dropin.due(date(2027, 6, 2)) == []
    result = services.run_retention(NOW, date(2027, 6, 3))
    assert result.dropin_anonymised == [received.id]
    state = dropin.state_of(received.id)
    assert state.reason == "fin_conservation" and state.anonymised_by_id is None
    runs = db.session.scalars(select(RetentionRun).order_by(RetentionRun.id)).all()
    assert [(r.dropin_archived, r.dropin_anonymised) for r in runs] == [(1, 0), (0, 0), (0, 1)]
    assert runs[0].detail["dropin_archived"] == [received.id]
    assert "1 personne(s) accueillie(s) ont été archivée(s)" in \
        services.RunResult(dropin_archived=[1]).summary()


def test_dropin_policy_and_a_returning_card(app, permanence, perm_coordinator, admin, received):
    from app.permanences import services as perm_services
    from app.permanences.services import PermanenceError

    services.set_policy(admin, "permanence", 3, 1, NOW)
    assert [(d.person_id, d.action) for d in dropin.due(date(2024, 9, 3))] == [
        (received.id, "archive")]
    services.run_retention(NOW, date(2024, 9, 3))
    assert dropin.is_archived(received.id)
    # The person comes back with their card: the record is active again (retention restarts).
    session = factories.dropin_session(permanence, day=date(2024, 9, 9))
    at = session.start_utc
    arrival = perm_services.record_arrival(perm_coordinator, session, name="",
                                           number=received.number, language="",
                                           interpreter_needed=False, reason="juridique",
                                           urgent=False, now=at)
    assert arrival.person_id == received.id and dropin.state_of(received.id) is None
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.action == "privacy.unarchive")) == 1
    # An anonymised card no longer works at the desk.
    dropin.anonymise(perm_coordinator, received, "opposition", None, NOW, date(2024, 9, 10),
                     True)
    later = factories.dropin_session(permanence, day=date(2024, 9, 16))
    with pytest.raises(PermanenceError, match="plus valable"):
        perm_services.record_arrival(perm_coordinator, later, name="", number=received.number,
                                     language="", interpreter_needed=False, reason="juridique",
                                     urgent=False, now=later.start_utc)
