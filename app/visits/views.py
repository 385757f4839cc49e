"""Visit pages: plan, read, write the report (online or through the outbox), conflicts."""
from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from app.auth import wants_json
from app.auth.scoping import role_required
from app.extensions import db
from app.households.models import Barrier, Goal
from app.households.queries import household_or_404
from app.htmx import render
from app.programmes import CASE_ROLES
from app.timeutil import today_paris, utcnow
from app.visits import forms, queries, services
from app.visits import timeline as _timeline  # noqa: F401  (registers the provider)
from app.visits.models import ReportConflict

bp = Blueprint("visits", __name__, url_prefix="/visites")


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """Visits belong to case files: volunteers never see them."""
    return None


@bp.route("/<int:visit_id>")
def show(visit_id: int):
    """A visit and its report."""
    visit = queries.visit_or_404(visit_id, current_user)
    from app.audit.services import record

    record("household.read", actor=current_user, object_type="household",
           object_id=visit.household_id, team_id=visit.team_id,
           detail={"section": "visite", "visit": visit.id})
    db.session.commit()
    report = visit.report
    labels = _worked_on_choices(visit)
    return render("visits/show.html", visit=visit, report=report,
                  seen_people=[p for p in visit.household.people
                               if report and p.id in report.seen],
                  worked_labels=[label for value, label in labels
                                 if report and value in report.worked_on])


def _worked_on_choices(visit) -> list[tuple[str, str]]:
    goals = db.session.scalars(db.select(Goal).where(Goal.household_id == visit.household_id,
                                                     Goal.status == "en_cours"))
    barriers = db.session.scalars(db.select(Barrier).where(
        Barrier.household_id == visit.household_id, Barrier.status != "leve"))
    return ([(f"goal:{g.id}", f"Objectif : {g.title}") for g in goals]
            + [(f"barrier:{b.id}", f"Frein : {b.category_label}") for b in barriers])


def _report_form(visit, formdata=None):
    form = forms.ReportForm(formdata=formdata)
    form.seen.choices = forms.choices([(p.id, p.label) for p in visit.household.people])
    form.worked_on.choices = forms.choices(_worked_on_choices(visit))
    return form


@bp.route("/<int:visit_id>/compte-rendu", methods=["GET"])
def report_form(visit_id: int):
    """The report form (also kept offline on the phone for the coming days' visits)."""
    visit = queries.visit_or_404(visit_id, current_user)
    form = _report_form(visit, formdata=None)
    report = visit.report
    if report is not None:
        form.process(data={"seen": report.seen, "worked_on": report.worked_on,
                           "observations": report.observations, "next_steps": report.next_steps,
                           "orientation": report.orientation,
                           "duration_minutes": report.duration_minutes,
                           "follow_up_on": report.follow_up_on, "version": report.version})
    else:
        form.seen.data = [p.id for p in visit.household.people]
    # Without JavaScript this id is used; the page script replaces it each time the form opens.
    form.client_id.data = str(uuid.uuid4())
    return render("visits/report.html", visit=visit, form=form, error=None)


def _test_fault() -> bool:
    """Test-only switch: fail every Nth report request (TEST_FAIL_EVERY_NTH_REPORT)."""
    every = current_app.config.get("TEST_FAIL_EVERY_NTH_REPORT")
    if not (every and current_app.config.get("TERRAIN_TEST_SWITCHES")):
        return False
    counter = current_app.extensions.setdefault("terrain_fault_counter", itertools.count(1))
    return next(counter) % every == 0


@bp.route("/<int:visit_id>/compte-rendu", methods=["POST"])
def submit_report(visit_id: int):
    """Receive a report: from the page, or replayed by the phone's outbox (JSON answers)."""
    visit = queries.visit_or_404(visit_id, current_user)
    fault = _test_fault()
    if fault and not current_app.config.get("TEST_FAIL_AFTER_SAVE"):
        return jsonify(status="error", error="Panne simulée"), 503
    form = _report_form(visit, formdata=request.form)
    as_json = wants_json()
    error = None
    if form.validate():
        try:
            result = services.submit_report(
                current_user, visit, form.client_id.data,
                {f: getattr(form, f).data for f in services.REPORT_FIELDS},
                form.base_version(), written_at=_written_at(form.written_at.data),
                now=utcnow())
        except services.VisitError as exc:
            error = str(exc)
            if exc.field and hasattr(form, exc.field):
                getattr(form, exc.field).errors = [str(exc)]
        else:
            if fault:  # the report is saved but the answer is lost on the way back
                return jsonify(status="error", error="Panne simulée"), 503
            return _submitted(visit, result, as_json)
    if as_json:
        errors = {name: list(f.errors) for name, f in form._fields.items() if f.errors}
        return jsonify(status="invalid", error=error or "Le compte rendu est incomplet.",
                       errors=errors), 422
    return render("visits/report.html", status=422, visit=visit, form=form, error=error)


def _written_at(value: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return utcnow()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _submitted(visit, result: services.Submitted, as_json: bool):
    visit_url = url_for("visits.show", visit_id=visit.id)
    if result.outcome == "conflict":
        conflict_url = url_for("visits.conflict", conflict_id=result.conflict.id)
        if as_json:
            return jsonify(status="conflict", conflict=result.conflict.id, url=conflict_url,
                           message="Ce compte rendu entre en conflit avec une autre version : "
                                   "rien n'est perdu, choisissez quoi garder."), 409
        flash("Une autre version de ce compte rendu existe : comparez et choisissez.", "error")
        return redirect(conflict_url, 303)
    status = 201 if result.outcome == "created" else 200
    if as_json:
        return jsonify(status=result.outcome, report=result.report.id,
                       version=result.report.version, url=visit_url), status
    flash({"created": "Compte rendu enregistré.", "updated": "Compte rendu mis à jour.",
           "replay": "Ce compte rendu était déjà enregistré."}[result.outcome], "success")
    return redirect(visit_url, 303)


@bp.route("/nouvelle", methods=["GET", "POST"])
def plan():
    """Plan a visit with a household (?menage=ID)."""
    household = household_or_404(request.args.get("menage", 0, type=int), current_user)
    form = forms.PlanVisitForm()
    teams = sorted({e.team for e in household.enrolments if e.exit_date is None}
                   | {household.team}, key=lambda t: t.name)
    mine = [t for t in teams if current_user.roles_in(t.id) in CASE_ROLES] or teams
    form.team_id.choices = forms.choices([(t.id, t.name) for t in mine])
    team_id = form.team_id.data if form.team_id.data in {t.id for t in mine} else mine[0].id
    form.worker_ids.choices = forms.choices(
        [(u.id, u.display_name) for u in queries.team_workers(team_id)])
    if request.method == "GET":
        form.day.data = today_paris()
        form.worker_ids.data = [current_user.id]
        form.place_detail.data = household.address
    error = None
    if form.validate_on_submit():
        try:
            visit = services.plan_visit(
                current_user, household, form.team_id.data, form.day.data, form.at.data,
                form.place.data, form.place_detail.data, form.purpose.data,
                form.worker_ids.data or [], now=utcnow(), today=today_paris())
        except services.VisitError as exc:
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = [str(exc)]
            else:
                error = str(exc)
        else:
            flash("Visite planifiée.", "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    status = 422 if request.method == "POST" else 200
    return render("visits/plan.html", status=status, form=form, household=household,
                  error=error)


@bp.route("/<int:visit_id>/statut", methods=["POST"])
def set_status(visit_id: int):
    """Cancel a visit, or mark the household absent."""
    visit = queries.visit_or_404(visit_id, current_user)
    try:
        services.set_status(current_user, visit, request.form.get("statut", ""), now=utcnow())
    except services.VisitError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Visite : {visit.status_label.lower()}.", "success")
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.route("/conflits")
def conflicts():
    """Report conflicts waiting for me."""
    return render("visits/conflicts.html", conflicts=queries.open_conflicts(current_user))


@bp.route("/conflits/<int:conflict_id>", methods=["GET", "POST"])
def conflict(conflict_id: int):
    """Both versions side by side; choose which one to keep."""
    row = db.session.get(ReportConflict, conflict_id)
    if row is None:
        from app.auth.scoping import deny

        deny(current_user, "report_conflict", conflict_id)
    visit = queries.visit_or_404(row.visit_id, current_user)
    error = None
    if request.method == "POST":
        try:
            services.resolve_conflict(current_user, row, request.form.get("garder", ""),
                                      now=utcnow())
        except services.VisitError as exc:
            error = str(exc)
        else:
            flash("Conflit résolu.", "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    people = {p.id: p.label for p in visit.household.people}
    labels = dict(_worked_on_choices(visit))
    return render("visits/conflict.html", status=422 if error else 200, conflict=row,
                  visit=visit, report=visit.report, people=people, labels=labels, error=error)
