"""ASLL measure pages: list and load per worker, a measure, its fiches de lien, funder batches."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth.scoping import role_required, team_ids
from app.extensions import db
from app.auth.models import Team
from app.forms import choices
from app.measures import pdf, queries, rules, services
from app.measures import timeline  # noqa: F401  (registers the timeline provider)
from app.exports import csv_bytes, download
from app.measures.forms import (AssignForm, BatchForm, ContractForm, EditForm, EndForm,
                                NotifyForm, SheetForm)
from app.measures.models import FUNDERS
from app.measures.services import MeasureError
from app.nav import NavItem, register
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris, utcnow

bp = Blueprint("measures", __name__, url_prefix="/mesures")

register(NavItem("Mesures ASLL", "measures.index", "households", order=45, roles=CASE_ROLES,
                 blueprints=("measures",), phone=False, programmes=("asll",)))

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]


def month_name(day: date) -> str:
    """'mars 2026'."""
    return f"{MONTHS[day.month - 1]} {day.year}"


bp.add_app_template_filter(month_name, "month_fr")


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """Coordinators and workers only; volunteers get 403."""
    return None


def _month(text: str) -> date:
    try:
        year, month = (int(x) for x in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        abort(404)


def _refuse(form, exc: MeasureError) -> str | None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(exc)]
        return None
    return str(exc)


@bp.route("/")
def index():
    """Measures of my ASLL teams by phase, each worker's load, and one worker's measures."""
    today = today_paris()
    items = queries.measures(current_user)
    loads = queries.loads(current_user, items, today)
    rows = [(m, rules.status(m, today)) for m in items]
    who, state = request.args.get("intervenant", ""), request.args.get("etat", "")
    chosen = None
    if who:
        # Only a worker shown in one of my teams' load tables (nobody else's name is shown).
        chosen = next((r for t in loads for r in t.rows
                       if (r.worker_id is None and who == "aucune")
                       or str(r.worker_id) == who), None)
        if chosen is None:
            abort(404)
        rows = [(m, s) for m, s in rows if m.worker_id == chosen.worker_id]
    if state:
        if state not in queries.STATES:
            abort(404)
        rows = [(m, s) for m, s in rows if s.phase in queries.STATES[state]]
    return render_template("measures/index.html", rows=rows, today=today, loads=loads,
                           chosen=chosen, state=state,
                           lead=bool(team_ids(current_user, LEAD_ROLES)),
                           batch_month=rules.previous_month(today), funders=FUNDERS,
                           teams=queries.asll_teams(current_user, CASE_ROLES))


@bp.route("/nouvelle", methods=["GET", "POST"])
def new():
    """Record a measure notified by the funder (coordination)."""
    teams = queries.asll_teams(current_user)
    if not teams:
        abort(403)
    form = NotifyForm()
    form.team_id.choices = choices([(t.id, t.name) for t in teams])
    households = queries.households_for(current_user)
    form.household_id.choices = choices([(h.id, h.name) for h in households])
    error, status = None, 200
    if request.method == "POST":
        if form.validate():
            team = next(t for t in teams if t.id == form.team_id.data)
            household = next((h for h in households if h.id == form.household_id.data), None)
            try:
                m = services.notify(actor=current_user, now=utcnow(), team=team,
                                    household=household, reference=form.reference.data,
                                    notified_on=form.notified_on.data, funder=form.funder.data,
                                    prescriber=form.prescriber.data,
                                    objectives=form.objectives.data)
                flash("Mesure enregistrée.", "success")
                return redirect(url_for("measures.show", measure_id=m.id))
            except MeasureError as exc:
                db.session.rollback()
                error = _refuse(form, exc)
        status = 422
    return render_template("measures/new.html", form=form, error=error), status


def _show(m, *, assign=None, contract=None, end=None, error=None, status=200):
    today = today_paris()
    lead = m.team_id in team_ids(current_user, LEAD_ROLES)
    assign = assign or AssignForm(formdata=None, received_on=today, worker_id=m.worker_id)
    assign.worker_id.choices = choices(queries.worker_choices(m.team_id))
    contract = contract or ContractForm(formdata=None)
    end = end or EndForm(formdata=None)
    s = rules.status(m, today)
    months = []
    if m.received_on:
        month = rules.month_start(min(m.ended_on or today, today))
        while month >= rules.month_start(m.notified_on) and len(months) < 12:
            months.append(month)
            month = rules.previous_month(month)
    written = {x.month: x for x in queries.sheets(m)}
    return render_template("measures/show.html", m=m, s=s, today=today, lead=lead,
                           project=queries.project(m),
                           assign=assign, contract=contract, end=end, error=error,
                           months=months, written=written), status


@bp.route("/<int:measure_id>")
def show(measure_id: int):
    """One measure: dates computed, phase, what to do next, fiches de lien."""
    m = queries.get(measure_id, current_user)
    record("measure.read", actor=current_user, object_type="asll_measure", object_id=m.id,
           team_id=m.team_id)
    db.session.commit()
    return _show(m)


@bp.route("/<int:measure_id>/modifier", methods=["GET", "POST"])
def edit(measure_id: int):
    """Correct the facts of a measure (coordination); computed dates follow."""
    m = queries.get(measure_id, current_user)
    if m.team_id not in team_ids(current_user, LEAD_ROLES):
        abort(403)
    form = EditForm(obj=m) if request.method == "GET" else EditForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                services.edit(m, actor=current_user, now=utcnow(),
                              **{k: getattr(form, k).data for k in services.EDITABLE})
                flash("Mesure corrigée.", "success")
                return redirect(url_for("measures.show", measure_id=m.id))
            except MeasureError as exc:
                db.session.rollback()
                error = _refuse(form, exc)
        status = 422
    return render_template("measures/edit.html", form=form, m=m, error=error), status


@bp.post("/<int:measure_id>/attribution")
def assign(measure_id: int):
    """Confirm receipt and assign the measure to a worker."""
    m = queries.get(measure_id, current_user)
    form = AssignForm()
    form.worker_id.choices = choices(queries.worker_choices(m.team_id))
    if form.validate():
        worker = next(u for u in queries.team_workers(m.team_id) if u.id == form.worker_id.data)
        try:
            services.confirm_and_assign(m, actor=current_user, now=utcnow(),
                                        received_on=form.received_on.data, worker=worker)
            flash(f"Mesure attribuée à {worker.display_name}.", "success")
            return redirect(url_for("measures.show", measure_id=m.id))
        except MeasureError as exc:
            db.session.rollback()
            return _show(m, assign=form, error=_refuse(form, exc), status=422)
    return _show(m, assign=form, status=422)


@bp.post("/<int:measure_id>/contrat")
def contract(measure_id: int):
    """Record the day the contract was signed."""
    m = queries.get(measure_id, current_user)
    form = ContractForm()
    if form.validate():
        try:
            services.sign_contract(m, actor=current_user, now=utcnow(),
                                   signed_on=form.signed_on.data)
            flash("Contrat enregistré : la phase 2 commence.", "success")
            return redirect(url_for("measures.show", measure_id=m.id))
        except MeasureError as exc:
            db.session.rollback()
            return _show(m, contract=form, error=_refuse(form, exc), status=422)
    return _show(m, contract=form, status=422)


@bp.post("/<int:measure_id>/fin")
def finish(measure_id: int):
    """End or renew the measure."""
    m = queries.get(measure_id, current_user)
    form = EndForm()
    if form.validate():
        try:
            renewal = services.end(m, actor=current_user, now=utcnow(),
                                   ended_on=form.ended_on.data, outcome=form.outcome.data,
                                   reason=form.reason.data)
            flash("Mesure renouvelée." if renewal else "Mesure terminée.", "success")
            return redirect(url_for("measures.show", measure_id=(renewal or m).id))
        except MeasureError as exc:
            db.session.rollback()
            return _show(m, end=form, error=_refuse(form, exc), status=422)
    return _show(m, end=form, status=422)


def _sheet_context(m, month: date):
    end = min(rules.month_end(month), m.ended_on or rules.month_end(month))
    return dict(m=m, month=month, a=queries.month_activity(m, month), s=rules.status(m, end),
                days=rules.support_days(m, month), sheet=queries.sheet(m, month))


@bp.route("/<int:measure_id>/fiche/<month>", methods=["GET", "POST"])
def sheet(measure_id: int, month: str):
    """The month's fiche de lien: the month's activity, next steps and the worker's text."""
    m = queries.get(measure_id, current_user)
    day = _month(month)
    if not rules.is_running_in(m, day) or m.received_on is None:
        abort(404)
    ctx = _sheet_context(m, day)
    form = SheetForm(obj=ctx["sheet"]) if request.method == "GET" else SheetForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                services.save_sheet(m, actor=current_user, now=utcnow(), month=day,
                                    summary=form.summary.data, next_steps=form.next_steps.data)
                flash("Fiche de lien enregistrée.", "success")
                return redirect(url_for("measures.sheet", measure_id=m.id, month=month))
            except MeasureError as exc:
                db.session.rollback()
                error = _refuse(form, exc)
        status = 422
    else:
        record("measure.sheet_read", actor=current_user, object_type="asll_measure",
               object_id=m.id, team_id=m.team_id)
        db.session.commit()
    return render_template("measures/sheet.html", form=form, error=error, **ctx), status


@bp.route("/<int:measure_id>/fiche/<month>.pdf")
def sheet_pdf(measure_id: int, month: str):
    """The month's fiche de lien as a PDF (once written)."""
    m = queries.get(measure_id, current_user)
    day = _month(month)
    ctx = _sheet_context(m, day)
    if ctx["sheet"] is None:
        abort(404)
    body = pdf.sheet_pdf(m, day, ctx["sheet"], ctx["a"], ctx["s"], ctx["days"])
    record("measure.sheet_pdf", actor=current_user, object_type="asll_measure", object_id=m.id,
           team_id=m.team_id)
    db.session.commit()
    return download(body, pdf.sheet_filename(m, day), "application/pdf")


def _batch_team(team_id: int, funder: str) -> None:
    if team_id not in team_ids(current_user, CASE_ROLES) or funder not in FUNDERS:
        record("access.denied", actor=current_user, object_type="team", object_id=team_id)
        db.session.commit()
        abort(404)


@bp.route("/lot/<int:team_id>/<funder>/<month>", methods=["GET", "POST"])
def batch(team_id: int, funder: str, month: str):
    """A month's batch for a funder: measures, phase and days of support; when it was sent."""
    _batch_team(team_id, funder)
    day = _month(month)
    form = BatchForm(formdata=None, sent_on=today_paris()) if request.method == "GET" \
        else BatchForm()
    error, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                services.record_batch_sent(actor=current_user, now=utcnow(), team_id=team_id,
                                           funder=funder, month=day, sent_on=form.sent_on.data)
                flash("Envoi du lot enregistré.", "success")
                return redirect(url_for("measures.batch", team_id=team_id, funder=funder,
                                        month=month))
            except MeasureError as exc:
                db.session.rollback()
                error = _refuse(form, exc)
        status = 422
    lines = queries.batch_lines(current_user, team_id, funder, day)
    return render_template("measures/batch.html", form=form, error=error, lines=lines,
                           month=day, funder=FUNDERS[funder], sent=queries.batch(team_id, funder,
                                                                                 day),
                           lead=team_id in team_ids(current_user, LEAD_ROLES),
                           prev=rules.previous_month(day),
                           next=rules.month_start(rules.month_end(day) + timedelta(1)),
                           team_id=team_id, funder_code=funder,
                           total=sum(x.days for x in lines)), status


@bp.route("/lot/<int:team_id>/<funder>/<month>.<any(csv, pdf):ext>")
def batch_export(team_id: int, funder: str, month: str, ext: str):
    """The month's batch as a CSV table or a PDF to send to the funder (recorded)."""
    _batch_team(team_id, funder)
    day = _month(month)
    lines = queries.batch_lines(current_user, team_id, funder, day)
    record("measure.batch_export", actor=current_user, object_type="team", object_id=team_id,
           team_id=team_id, detail={"funder": funder, "month": day.isoformat(), "format": ext})
    db.session.commit()
    name = pdf.batch_filename(team_id, funder, day, ext)
    if ext == "csv":
        body = csv_bytes(["Référence", "Ménage", "Prescripteur", "Notifiée le", "Phase",
                          "Intervenant·e", "Jours d'accompagnement"],
                         [(x.measure.reference, x.measure.household.name,
                           x.measure.prescriber, x.measure.notified_on.strftime("%d/%m/%Y"),
                           x.phase, x.measure.worker.display_name if x.measure.worker else "",
                           x.days) for x in lines])
        return download(body, name, "text/csv; charset=utf-8")
    body = pdf.batch_pdf(lines=lines, month=day, funder=FUNDERS[funder],
                         team=db.session.get(Team, team_id),
                         total=sum(x.days for x in lines),
                         sent=queries.batch(team_id, funder, day))
    return download(body, name, "application/pdf")
