"""Writes to case files. One use case per function, one transaction, explicit actor and `now`.

Edits carry the `version` the person saw; if the row moved on since, `Conflict` is raised with
the current row and nothing is written, so the view can show both versions side by side.
"""
from __future__ import annotations

from datetime import date, datetime

from app.audit.services import record
from app.auth.scoping import team_ids
from app.extensions import db
from app.households import vocab
from app.households.models import (Barrier, Enrolment, Goal, GoalStep, Household, Note, Person,
                                   Right)
from app.households.queries import coordinates, referent_choices
from app.programmes import CASE_ROLES


class CaseFileError(ValueError):
    """A refused change; the message is French and meant for the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  #: the form field the message belongs to, if any


class Conflict(Exception):
    """The row was changed by someone else since the form was opened."""

    def __init__(self, current):
        super().__init__("conflict")
        self.current = current


def _check_version(row, seen_version: int | None) -> None:
    if seen_version is not None and int(seen_version) != row.version:
        raise Conflict(row)


def _touch(row, actor, now: datetime) -> None:
    row.version = (row.version or 0) + 1
    row.updated_at = now
    row.updated_by_id = actor.id


def _apply(row, values: dict, fields: tuple[str, ...]) -> dict:
    """Set `fields` from `values`; return {field: (old, new)} for those that changed."""
    changed = {}
    for f in fields:
        if f in values and getattr(row, f) != values[f]:
            changed[f] = (getattr(row, f), values[f])
            setattr(row, f, values[f])
    return changed


HOUSEHOLD_FIELDS = ("name", "address", "postcode", "city", "phone", "composition",
                    "resources_amount", "resources_detail", "situation", "prescriber", "siao_ref")
PERSON_FIELDS = ("first_name", "last_name", "alias", "birth_year", "birth_date", "birth_presumed",
                 "role", "languages", "interpreter_needed", "phone")


def _check_person(values: dict, today: date) -> None:
    if not any((values.get("first_name"), values.get("last_name"), values.get("alias"))):
        raise CaseFileError("Indiquez au moins un prénom, un nom ou un alias.", "alias")
    year, born = values.get("birth_year"), values.get("birth_date")
    if year and not (today.year - 120 <= year <= today.year):
        raise CaseFileError(f"Année de naissance entre {today.year - 120} et {today.year}.",
                            "birth_year")
    if born and born > today:
        raise CaseFileError("La date de naissance ne peut pas être dans le futur.", "birth_date")
    if born and year and born.year != year:
        raise CaseFileError("L'année et la date de naissance ne concordent pas.", "birth_year")


def _check_referent(team_id: int, referent_id: int | None) -> None:
    if referent_id and referent_id not in {u.id for u in referent_choices(team_id)}:
        raise CaseFileError("Ce·tte référent·e ne fait pas partie de l'équipe du ménage.",
                            "referent_id")


def create_household(actor, team_id: int, referent_id: int | None, values: dict,
                     first_person: dict, *, now: datetime, today: date) -> Household:
    """Open a case file: the household, its first person and its enrolment in the team's programme."""
    if team_id not in team_ids(actor, CASE_ROLES):
        raise CaseFileError("Vous ne pouvez créer un ménage que dans vos équipes.", "team_id")
    _check_referent(team_id, referent_id)
    _check_person(first_person, today)
    household = Household(team_id=team_id, referent_id=referent_id, created_at=now,
                          created_by_id=actor.id, updated_at=now, updated_by_id=actor.id)
    _apply(household, values, HOUSEHOLD_FIELDS)
    person = Person()
    _apply(person, first_person, PERSON_FIELDS)
    if not household.name:
        household.name = _default_name(person)
    household.people.append(person)
    from app.auth.models import Team

    team = db.session.get(Team, team_id)
    household.enrolments.append(Enrolment(team_id=team_id, programme=team.programme,
                                          entry_date=today, updated_at=now,
                                          updated_by_id=actor.id))
    household.refresh_search_text()
    db.session.add(household)
    db.session.flush()
    record("household.create", actor=actor, object_type="household", object_id=household.id,
           team_id=team_id, now=now)
    db.session.commit()
    return household


def _default_name(person: Person) -> str:
    if person.last_name:
        return f"Ménage {person.last_name}"
    return person.alias or person.first_name or "Ménage sans nom"


def update_household(actor, household: Household, values: dict, seen_version: int | None,
                     *, now: datetime) -> dict:
    """Edit the household's facts; returns what changed."""
    _check_version(household, seen_version)
    if "name" in values and not (values["name"] or "").strip():
        raise CaseFileError("Le nom du ménage est obligatoire.", "name")
    changed = _apply(household, values, HOUSEHOLD_FIELDS)
    if changed:
        _touch(household, actor, now)
        household.refresh_search_text()
        record("household.update", actor=actor, object_type="household", object_id=household.id,
               team_id=household.team_id, detail={"fields": sorted(changed)}, now=now)
    db.session.commit()
    return changed


def set_referent(actor, household: Household, referent_id: int | None, *, now: datetime) -> None:
    """Give the household a new referent (coordinators of its teams only)."""
    if not coordinates(actor, household):
        raise CaseFileError("Seule la coordination peut changer le ou la référent·e.")
    _check_referent(household.team_id, referent_id)
    if household.referent_id == referent_id:
        return
    previous = household.referent_id
    household.referent_id = referent_id
    _touch(household, actor, now)
    record("household.referent", actor=actor, object_type="household", object_id=household.id,
           team_id=household.team_id, detail={"from": previous, "to": referent_id}, now=now)
    db.session.commit()


def add_person(actor, household: Household, values: dict, *, now: datetime,
               today: date) -> Person:
    """Add someone to the household."""
    _check_person(values, today)
    person = Person()
    _apply(person, values, PERSON_FIELDS)
    household.people.append(person)
    household.refresh_search_text()
    _touch(household, actor, now)
    db.session.flush()
    record("person.create", actor=actor, object_type="household", object_id=household.id,
           team_id=household.team_id, detail={"person": person.id}, now=now)
    db.session.commit()
    return person


def update_person(actor, person: Person, values: dict, seen_version: int | None, *,
                  now: datetime, today: date) -> dict:
    """Edit a person; the household's version guards against concurrent edits."""
    household = person.household
    _check_version(household, seen_version)
    merged = {f: values.get(f, getattr(person, f)) for f in PERSON_FIELDS}
    _check_person(merged, today)
    changed = _apply(person, values, PERSON_FIELDS)
    if changed:
        household.refresh_search_text()
        _touch(household, actor, now)
        record("person.update", actor=actor, object_type="household", object_id=household.id,
               team_id=household.team_id, detail={"person": person.id, "fields": sorted(changed)},
               now=now)
    db.session.commit()
    return changed


def enrol(actor, household: Household, team_id: int, entry_date: date, *,
          now: datetime) -> Enrolment:
    """Start following the household in another programme (a team of the actor's)."""
    if team_id not in team_ids(actor, CASE_ROLES):
        raise CaseFileError("Vous ne pouvez inscrire un ménage que dans vos équipes.", "team_id")
    if any(e.team_id == team_id and e.exit_date is None for e in household.enrolments):
        raise CaseFileError("Ce ménage est déjà accompagné par cette équipe.", "team_id")
    from app.auth.models import Team

    team = db.session.get(Team, team_id)
    enrolment = Enrolment(team_id=team_id, programme=team.programme, entry_date=entry_date,
                          updated_at=now, updated_by_id=actor.id)
    household.enrolments.append(enrolment)
    db.session.flush()
    record("enrolment.create", actor=actor, object_type="household", object_id=household.id,
           team_id=team_id, detail={"enrolment": enrolment.id}, now=now)
    db.session.commit()
    return enrolment


def end_enrolment(actor, enrolment: Enrolment, exit_date: date, destination: str, reason: str,
                  seen_version: int | None, *, now: datetime) -> None:
    """Record the end of an accompagnement: date, destination and reason."""
    _check_version(enrolment, seen_version)
    if enrolment.exit_date is not None:
        raise CaseFileError("Cet accompagnement est déjà terminé.")
    if exit_date < enrolment.entry_date:
        raise CaseFileError("La date de sortie précède la date d'entrée.", "exit_date")
    if destination not in vocab.DESTINATIONS:
        raise CaseFileError("Choisissez une destination.", "exit_destination")
    enrolment.exit_date = exit_date
    enrolment.exit_destination = destination
    enrolment.exit_reason = reason or None
    _touch(enrolment, actor, now)
    record("enrolment.end", actor=actor, object_type="household", object_id=enrolment.household_id,
           team_id=enrolment.team_id, detail={"enrolment": enrolment.id}, now=now)
    db.session.commit()


BARRIER_FIELDS = ("category", "description", "status", "identified_on", "resolved_on")
GOAL_FIELDS = ("title", "description", "barrier_id", "set_on", "target_on", "status")
RIGHT_FIELDS = ("kind", "person_id", "status", "filed_on", "decided_on", "expires_on",
                "next_step", "next_step_due", "comment")
NOTE_FIELDS = ("kind", "confidentiality", "title", "body", "written_on")


def _check_barrier(v: dict) -> None:
    if v.get("status") == "leve" and not v.get("resolved_on"):
        raise CaseFileError("Indiquez la date à laquelle le frein a été levé.", "resolved_on")
    if v.get("resolved_on") and v.get("identified_on") and v["resolved_on"] < v["identified_on"]:
        raise CaseFileError("La date de levée précède la date d'identification.", "resolved_on")


def save_barrier(actor, household: Household, barrier: Barrier | None, values: dict,
                 seen_version: int | None, *, now: datetime) -> Barrier:
    """Create or edit a barrier of the household's project."""
    merged = {f: values.get(f, getattr(barrier, f, None)) for f in BARRIER_FIELDS}
    _check_barrier(merged)
    if merged.get("status") != "leve":
        values = {**values, "resolved_on": None}
    return _save(actor, household, barrier or Barrier(household_id=household.id), values,
                 BARRIER_FIELDS, seen_version, "barrier", now)


def _check_goal(v: dict, household: Household) -> None:
    if v.get("target_on") and v.get("set_on") and v["target_on"] < v["set_on"]:
        raise CaseFileError("L'échéance précède la date de l'objectif.", "target_on")
    if v.get("barrier_id") and db.session.get(Barrier, v["barrier_id"]).household_id != household.id:
        raise CaseFileError("Ce frein n'appartient pas à ce ménage.", "barrier_id")


def save_goal(actor, household: Household, goal: Goal | None, values: dict,
              seen_version: int | None, *, now: datetime) -> Goal:
    """Create or edit a goal of the projet personnalisé."""
    merged = {f: values.get(f, getattr(goal, f, None)) for f in GOAL_FIELDS}
    _check_goal(merged, household)
    return _save(actor, household, goal or Goal(household_id=household.id), values, GOAL_FIELDS,
                 seen_version, "goal", now)


def record_progress(actor, goal: Goal, on: date, progress: int, comment: str,
                    seen_version: int | None, *, now: datetime) -> GoalStep:
    """Note a step of progress on a goal; 100 % marks it reached."""
    _check_version(goal, seen_version)
    if not 0 <= progress <= 100:
        raise CaseFileError("La progression va de 0 à 100 %.", "progress")
    if on < goal.set_on:
        raise CaseFileError("Cette date précède la définition de l'objectif.", "on")
    if goal.status != "en_cours":
        raise CaseFileError("Cet objectif n'est plus en cours.")
    step = GoalStep(goal=goal, on=on, progress=progress, comment=comment or None,
                    author_id=actor.id)
    goal.progress = progress
    if progress == 100:
        goal.status = "atteint"
        goal.achieved_on = on
    _touch(goal, actor, now)
    db.session.add(step)
    record("goal.progress", actor=actor, object_type="household", object_id=goal.household_id,
           detail={"goal": goal.id, "progress": progress}, now=now)
    db.session.commit()
    return step


def _check_right(v: dict, household: Household) -> None:
    status = v.get("status")
    if status in ("depose", "accorde", "refuse") and not v.get("filed_on"):
        raise CaseFileError("Indiquez la date de dépôt de la demande.", "filed_on")
    if status in ("accorde", "refuse") and not v.get("decided_on"):
        raise CaseFileError("Indiquez la date de la décision.", "decided_on")
    if v.get("decided_on") and v.get("filed_on") and v["decided_on"] < v["filed_on"]:
        raise CaseFileError("La décision précède le dépôt.", "decided_on")
    if v.get("expires_on") and v.get("decided_on") and v["expires_on"] < v["decided_on"]:
        raise CaseFileError("La fin de droit précède la décision.", "expires_on")
    if v.get("person_id") and v["person_id"] not in {p.id for p in household.people}:
        raise CaseFileError("Cette personne n'appartient pas au ménage.", "person_id")


def save_right(actor, household: Household, right: Right | None, values: dict,
               seen_version: int | None, *, now: datetime) -> Right:
    """Create or edit a rights application."""
    merged = {f: values.get(f, getattr(right, f, None)) for f in RIGHT_FIELDS}
    _check_right(merged, household)
    if merged.get("status") not in ("accorde", "refuse"):
        values = {**values, "decided_on": None}
    return _save(actor, household, right or Right(household_id=household.id, created_at=now),
                 values, RIGHT_FIELDS, seen_version, "right", now)


def save_note(actor, household: Household, note: Note | None, values: dict,
              seen_version: int | None, *, now: datetime) -> Note:
    """Write or edit a note; only its author may edit it afterwards."""
    if note is not None and note.author_id != actor.id:
        raise CaseFileError("Seul·e l'auteur·rice d'une note peut la modifier.")
    if not (values.get("body") or "").strip():
        raise CaseFileError("La note est vide.", "body")
    row = note or Note(household_id=household.id, author_id=actor.id, created_at=now)
    return _save(actor, household, row, values, NOTE_FIELDS, seen_version, "note", now)


def _save(actor, household: Household, row, values: dict, fields: tuple[str, ...],
          seen_version: int | None, kind: str, now: datetime):
    """Shared create-or-edit path: version check, apply, audit, commit."""
    creating = row.id is None
    if not creating:
        _check_version(row, seen_version)
    changed = _apply(row, values, fields)
    if creating or changed:
        if creating:
            row.updated_at, row.updated_by_id = now, actor.id
            db.session.add(row)
            db.session.flush()
        else:
            _touch(row, actor, now)
        record(f"{kind}.{'create' if creating else 'update'}", actor=actor,
               object_type="household", object_id=household.id, team_id=household.team_id,
               detail={kind: row.id, "fields": sorted(changed)}, now=now)
    db.session.commit()
    return row
