"""The case file's own events on the household timeline."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from app.households import queries
from app.households.models import Barrier, Goal, GoalStep, Note, Right
from app.timeline import TimelineEvent, provider, register_kind

register_kind("dossier", "Dossier")
register_kind("accompagnement", "Accompagnements")
register_kind("projet", "Projet")
register_kind("droit", "Droits")
register_kind("note", "Notes")


@provider
def case_file_events(household, user):
    """Creation, referent changes, enrolments, goals, barriers, rights and readable notes."""
    hid = household.id
    show = url_for("households.show", household_id=hid)
    yield TimelineEvent(household.created_at, "dossier", "Dossier ouvert", url=show)

    changes = db.session.execute(
        select(AuditEvent.at, AuditEvent.detail, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "household", AuditEvent.object_id == hid,
               AuditEvent.action == "household.referent")).all()
    names = {}
    for at, detail, who in changes:
        new = (detail or {}).get("to")
        if new and new not in names:
            names[new] = db.session.get(User, new).display_name
        yield TimelineEvent(at, "dossier",
                            f"Référent·e : {names[new]}" if new else "Référent·e retiré·e",
                            author=who)

    for e in household.enrolments:
        yield TimelineEvent(e.entry_date, "accompagnement",
                            f"Entrée : {e.team.programme_label}", detail=e.team.name, url=show)
        if e.exit_date:
            yield TimelineEvent(e.exit_date, "accompagnement",
                                f"Sortie : {e.team.programme_label}",
                                detail=" — ".join(x for x in (e.destination_label, e.exit_reason)
                                                  if x), url=show)

    project = url_for("households.project", household_id=hid)
    for g in db.session.scalars(select(Goal).where(Goal.household_id == hid)):
        yield TimelineEvent(g.set_on, "projet", f"Objectif défini : {g.title}", url=project)
        if g.achieved_on:
            yield TimelineEvent(g.achieved_on, "projet", f"Objectif atteint : {g.title}",
                                url=project)
    steps = db.session.execute(
        select(GoalStep, Goal.title).join(Goal).where(Goal.household_id == hid)).all()
    for step, title in steps:
        if step.progress < 100:
            yield TimelineEvent(step.on, "projet", f"Avancement {step.progress} % : {title}",
                                detail=step.comment, url=project,
                                author=step.author.display_name if step.author else None)
    for b in db.session.scalars(select(Barrier).where(Barrier.household_id == hid)):
        yield TimelineEvent(b.identified_on, "projet", f"Frein identifié : {b.category_label}",
                            detail=b.description, url=project)
        if b.resolved_on:
            yield TimelineEvent(b.resolved_on, "projet", f"Frein levé : {b.category_label}",
                                url=project)

    for r in db.session.scalars(select(Right).where(Right.household_id == hid)):
        url = url_for("households.right", household_id=hid, right_id=r.id)
        if r.filed_on:
            yield TimelineEvent(r.filed_on, "droit", f"{r.kind_label} : demande déposée", url=url)
        if r.decided_on:
            yield TimelineEvent(r.decided_on, "droit", f"{r.kind_label} : {r.status_label.lower()}",
                                url=url)
        if not r.filed_on and not r.decided_on:
            yield TimelineEvent(r.created_at, "droit", f"{r.kind_label} : démarche à faire",
                                detail=r.next_step, url=url)

    notes_url = url_for("households.notes", household_id=hid)
    for n in db.session.scalars(select(Note).where(Note.household_id == hid,
                                                   queries.note_condition(user, household))):
        yield TimelineEvent(n.written_on, "note", f"{n.kind_label} : {n.title}", url=notes_url,
                            author=n.author.display_name if n.author else None)
