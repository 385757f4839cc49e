"""Logbook pages: entries (written online or through the outbox), search, exports, flat checks."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth import wants_json
from app.auth.scoping import role_required, team_ids
from app.exports import csv_bytes, download
from app.extensions import db
from app.forms import choices
from app.htmx import is_htmx, render
from app.inventories import photos as photo_store
from app.logbook import pdf, queries, services
from app.logbook import timeline as _timeline  # noqa: F401  (registers the provider)
from app.logbook.forms import CheckForm, EntryForm, FiltersForm, SettingsForm
from app.logbook.models import CATEGORIES, CHECK_POINTS, CHECK_STATES, TITLES
from app.logbook.rules import check_status, utc_to_paris_naive
from app.nav import NavItem, register
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris, utcnow

bp = Blueprint("logbook", __name__, url_prefix="/journal")

register(NavItem("Journal de bord", "logbook.index", "today", order=47, roles=CASE_ROLES,
                 blueprints=("logbook",), phone=False))


def logbook_title(team) -> str:
    """'Journal d'expérimentation' for Logement d'abord teams, else 'Journal de bord'."""
    return TITLES.get(team.programme, "Journal de bord")


def logbook_last_check(flat):
    """The flat's last check and its status, for the housing flat page (None without access)."""
    if flat.team_id not in team_ids(current_user, CASE_ROLES):
        return None
    last = queries.last_check(flat)
    return {"last": last, "status": check_status(last.checked_on if last else None,
                                                 today_paris(),
                                                 queries.check_every_days(flat.team_id))}


bp.add_app_template_global(logbook_last_check, "logbook_last_check")
bp.add_app_template_filter(logbook_title, "logbook_title")


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """The logbook names residents: coordinators and workers only, volunteers get 403."""
    return None


def _people_choices(team_id: int, entry=None):
    people = queries.residents(team_id, today_paris())
    if entry is not None:  # people an entry names stay choosable after they left
        known = {p.id for p in people}
        people += [p.person for p in entry.people if p.person_id not in known]
    return queries.resident_choices(people)


def _refuse(form, exc: services.LogbookError) -> str | None:
    if isinstance(exc, services.CheckErrors):
        loose = [_refuse(form, services.LogbookError(m, f)) for f, m in exc.errors]
        return " ".join(m for m in loose if m) or None
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(exc)]
        return None
    return str(exc)


def _uploads() -> list[bytes]:
    return [f.read() for f in request.files.getlist("photos") if f and f.filename]


# ---- the logbook of a team -------------------------------------------------------------------

@bp.route("/")
def index():
    """The person's logbooks (straight to it when there is only one)."""
    teams = queries.teams(current_user)
    if len(teams) == 1:
        return redirect(url_for("logbook.team", team_id=teams[0].id))
    return render("logbook/index.html", teams=teams, stats=queries.last_entries(current_user))


def _filters(team_id: int) -> tuple[FiltersForm, queries.Filters]:
    """The filters: period, category and person by GET (ids, codes, dates); the text searched
    is posted (CSRF-protected) with them, never read from the URL (history, server logs)."""
    posted = request.method == "POST"
    form = FiltersForm(request.form if posted else request.args)
    form.personne.choices = choices([("", "Toutes")] + _people_choices(team_id))
    form.validate()
    if not posted:  # a text in the query string is ignored
        form.texte.data = None
    category = form.categorie.data if form.categorie.data in CATEGORIES else None
    person = form.personne.data if not form.personne.errors else None
    text = None if form.texte.errors else form.texte.data
    return form, queries.Filters(start=None if form.du.errors else form.du.data,
                                 end=None if form.au.errors else form.au.data,
                                 category=category, text=text, person_id=person)


def _filter_args(f: queries.Filters) -> dict:
    """The filters a URL may carry: ids, codes and dates, never the text searched."""
    return {k: v for k, v in {"du": f.start.isoformat() if f.start else None,
                              "au": f.end.isoformat() if f.end else None,
                              "categorie": f.category,
                              "personne": f.person_id}.items() if v}


def _audited(f: queries.Filters) -> dict:
    return {**_filter_args(f), **({"texte": True} if f.text else {})}


@bp.route("/<int:team_id>", methods=["GET", "POST"])
def team(team_id: int):
    """A team's entries, newest first, with filters (period, category, text, person).

    The text searched is posted, never put in the URL; the other filters are GET, and an htmx
    search pushes only them (ids, codes, dates) into the history.
    """
    team = queries.team_or_404(team_id, current_user)
    form, f = _filters(team.id)
    rows = queries.entries(current_user, team.id, f)
    total = queries.count_entries(current_user, team.id, f)
    record("logbook.read", actor=current_user, object_type="team", object_id=team.id,
           team_id=team.id, detail={"filters": _audited(f)})
    db.session.commit()
    args = _filter_args(f)
    body, status = render("logbook/team.html", block="results", team=team, form=form, rows=rows,
                          total=total, filters=f, args=args, categories=CATEGORIES,
                          flats=queries.flat_rows(current_user, team.id, today_paris()))
    headers = {}
    if request.method == "POST" and is_htmx():
        headers["HX-Push-Url"] = url_for("logbook.team", team_id=team.id, **args)
    return body, status, headers


@bp.route("/<int:team_id>/nouvelle", methods=["GET"])
def new(team_id: int):
    """The entry form (also kept on the phone, to write with no network)."""
    team = queries.team_or_404(team_id, current_user)
    form = EntryForm(formdata=None)
    form.people.choices = choices(_people_choices(team.id))
    form.occurred_at.data = utc_to_paris_naive(utcnow()).replace(second=0, microsecond=0)
    # Without JavaScript this id is used; the page script makes a new one each time it opens.
    form.client_id.data = str(uuid.uuid4())
    return render("logbook/new.html", team=team, form=form, error=None)


@bp.route("/<int:team_id>/nouvelle", methods=["POST"])
def create(team_id: int):
    """Receive an entry: from the page, or replayed by the phone's outbox (JSON answers)."""
    team = queries.team_or_404(team_id, current_user)
    form = EntryForm()
    form.people.choices = choices(_people_choices(team.id))
    as_json = wants_json()
    error = None
    if form.validate():
        try:
            result = services.create_entry(current_user, team, form.client_id.data or "",
                                           form.values(), _uploads(), now=utcnow())
        except services.LogbookError as exc:
            db.session.rollback()
            error = _refuse(form, exc)
        else:
            return _submitted(result, as_json)
    if as_json:
        errors = {name: list(f.errors) for name, f in form._fields.items() if f.errors}
        details = " ".join(m for messages in errors.values() for m in messages)
        return jsonify(status="invalid", errors=errors,
                       error=error or f"L'entrée est incomplète : {details}"), 422
    return render("logbook/new.html", status=422, team=team, form=form, error=error)


def _submitted(result: services.Submitted, as_json: bool):
    url = url_for("logbook.show", entry_id=result.entry.id)
    if result.outcome == "conflict":
        if as_json:
            return jsonify(status="conflict", conflict=result.conflict.id, url=url,
                           message="Cette entrée était déjà enregistrée avec un autre contenu : "
                                   "rien n'est perdu, choisissez quoi garder."), 409
        flash("Cette entrée était déjà enregistrée avec un autre contenu : choisissez quoi "
              "garder.", "error")
        return redirect(url, 303)
    if as_json:
        return jsonify(status=result.outcome, entry=result.entry.id,
                       version=result.entry.version, url=url), \
            201 if result.outcome == "created" else 200
    flash("Entrée enregistrée." if result.outcome == "created"
          else "Cette entrée était déjà enregistrée.", "success")
    return redirect(url, 303)


@bp.route("/entree/<int:entry_id>")
def show(entry_id: int):
    """One entry, its people, photos, and any kept conflicting version."""
    entry = queries.entry_or_404(entry_id, current_user)
    record("logbook.entry_read", actor=current_user, object_type="logbook_entry",
           object_id=entry.id, team_id=entry.team_id)
    db.session.commit()
    conflicts = queries.open_conflicts(entry)
    people = dict(queries.resident_choices(queries.residents(entry.team_id, today_paris())))
    return render("logbook/show.html", entry=entry, conflicts=conflicts, people=people,
                  categories=CATEGORIES)


@bp.route("/entree/<int:entry_id>/modifier", methods=["GET", "POST"])
def edit(entry_id: int):
    """Change an entry (its author only), with the version the form was opened on."""
    entry = queries.entry_or_404(entry_id, current_user)
    if entry.author_id != current_user.id:
        abort(403)
    if request.method == "GET":
        form = EntryForm(formdata=None, data={**services.edit_values(entry),
                                              "version": entry.version})
    else:
        form = EntryForm()
    form.people.choices = choices(_people_choices(entry.team_id, entry))
    error, status, saved = None, 200, None
    if request.method == "POST":
        status = 422
        if form.validate():
            remove = [int(x) for x in request.form.getlist("remove_photo") if x.isdigit()]
            try:
                services.edit_entry(current_user, entry, form.values(), form.base_version(),
                                    _uploads(), remove, now=utcnow())
            except services.Conflict:
                db.session.rollback()
                entry = queries.entry_or_404(entry_id, current_user)
                saved = entry
                form.version.data = str(entry.version)
                error = ("Cette entrée a été modifiée entre-temps (voir la version enregistrée "
                         "ci-dessous). Votre texte est gardé : enregistrez de nouveau pour le "
                         "garder à la place.")
                status = 409
            except services.LogbookError as exc:
                db.session.rollback()
                entry = queries.entry_or_404(entry_id, current_user)
                error = _refuse(form, exc)
            else:
                flash("Entrée modifiée.", "success")
                return redirect(url_for("logbook.show", entry_id=entry.id), 303)
    return render("logbook/edit.html", status=status, entry=entry, form=form, error=error,
                  saved=saved)


@bp.route("/conflit/<int:conflict_id>", methods=["POST"])
def resolve(conflict_id: int):
    """Keep the version sent by the phone, or the saved one."""
    conflict = queries.conflict_or_404(conflict_id, current_user)
    try:
        services.resolve_conflict(current_user, conflict, request.form.get("garder", ""),
                                  now=utcnow())
    except services.LogbookError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash("Version choisie.", "success")
    return redirect(url_for("logbook.show", entry_id=conflict.entry_id), 303)


@bp.route("/photo/<key>")
def photo(key: str):
    """An entry's photo, only for the case roles of the entry's team (never cached)."""
    row = queries.photo_or_404(key, current_user)
    try:
        return photo_store.send(row.key, thumb=bool(request.args.get("mini")))
    except photo_store.PhotoError:
        abort(404)


# ---- exports ---------------------------------------------------------------------------------

def _export_period(team_id: int) -> queries.Filters:
    """The exported selection: by GET without a text, posted when a text narrows it."""
    return _filters(team_id)[1]


@bp.route("/<int:team_id>/export.csv", methods=["GET", "POST"])
def export_csv(team_id: int):
    """The entries of the filtered period as a CSV for French Excel (audited)."""
    team = queries.team_or_404(team_id, current_user)
    f = _export_period(team.id)
    rows = queries.entries(current_user, team.id, f, limit=None)
    rows.reverse()  # oldest first, as a report reads
    record("logbook.export", actor=current_user, object_type="team", object_id=team.id,
           team_id=team.id, detail={"format": "csv", "entries": len(rows),
                                    "filters": _audited(f)})
    db.session.commit()
    from app.formatting import datetime_fr

    body = csv_bytes(
        ["Date et heure", "Catégorie", "Texte", "Habitant·es", "Partenaires", "Auteur·rice",
         "Photos"],
        ([datetime_fr(e.occurred_at, "short"), e.category_label, e.text,
          ", ".join(p.shown_name for p in e.people), e.partners,
          e.author.display_name if e.author else "", len(e.photos)] for e in rows))
    return download(body, pdf.filename(team, f, "csv"), "text/csv; charset=utf-8")


@bp.route("/<int:team_id>/export.pdf", methods=["GET", "POST"])
def export_pdf(team_id: int):
    """The period as a French PDF for the experimentation report: entries and flat checks."""
    team = queries.team_or_404(team_id, current_user)
    f = _export_period(team.id)
    values = request.form if request.method == "POST" else request.args
    by = "date" if values.get("par") == "date" else "categorie"
    rows = queries.entries(current_user, team.id, f, limit=None)
    rows.reverse()
    checks = queries.checks_between(current_user, team.id, f.start, f.end)
    record("logbook.export", actor=current_user, object_type="team", object_id=team.id,
           team_id=team.id, detail={"format": "pdf", "by": by, "entries": len(rows),
                                    "checks": len(checks), "filters": _audited(f)})
    db.session.commit()
    data = pdf.report_pdf(team=team, title=logbook_title(team), filters=f, entries=rows,
                          checks=checks, by=by)
    return download(data, pdf.filename(team, f, "pdf"), "application/pdf")


# ---- flat checks ------------------------------------------------------------------------------

@bp.route("/<int:team_id>/logements", methods=["GET", "POST"])
def flats(team_id: int):
    """The team's flats with their last check; flats not checked for too long come first."""
    team = queries.team_or_404(team_id, current_user)
    lead = team.id in team_ids(current_user, LEAD_ROLES)
    every = queries.check_every_days(team.id)
    form = SettingsForm(formdata=None, days=every)
    status = 200
    if request.method == "POST":
        form = SettingsForm()
        if form.validate():
            try:
                services.set_check_every(current_user, team, form.days.data, now=utcnow())
            except services.LogbookError as exc:
                db.session.rollback()
                form.days.errors = [str(exc)]
            else:
                flash("Délai entre deux contrôles enregistré.", "success")
                return redirect(url_for("logbook.flats", team_id=team.id), 303)
        status = 422
    record("flat.list", actor=current_user, object_type="team", object_id=team.id,
           team_id=team.id, detail={"view": "logbook_checks"})
    db.session.commit()
    return render("logbook/flats.html", status=status, team=team, lead=lead, every=every,
                  form=form, rows=queries.flat_rows(current_user, team.id, today_paris()))


@bp.route("/logement/<int:flat_id>")
def flat(flat_id: int):
    """One flat's contrôles du savoir-habiter, newest first."""
    flat = queries.flat_or_404(flat_id, current_user)
    record("flat.read", actor=current_user, object_type="flat", object_id=flat.id,
           team_id=flat.team_id, detail={"view": "logbook_checks"})
    db.session.commit()
    checks = queries.checks_of(flat)
    state = check_status(checks[0].checked_on if checks else None, today_paris(),
                         queries.check_every_days(flat.team_id))
    return render("logbook/flat.html", flat=flat, checks=checks, state=state,
                  points=CHECK_POINTS)


def _check_page(flat, initial: dict, save, done: str, check=None):
    """The check form: shown filled with `initial`, or posted to `save(values)` (a service
    call); refused values come back with each field's reason (422), nothing saved."""
    form = CheckForm(formdata=None, data=initial) if request.method == "GET" else CheckForm()
    error, status = None, 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                saved = save(form.data)
            except services.LogbookError as exc:
                db.session.rollback()
                error = _refuse(form, exc)
            else:
                flash(done, "success")
                return redirect(url_for("logbook.check", check_id=saved.id), 303)
    return render("logbook/check_form.html", status=status, flat=flat, form=form, error=error,
                  points=CHECK_POINTS, states=CHECK_STATES, check=check)


@bp.route("/logement/<int:flat_id>/controle", methods=["GET", "POST"])
def new_check(flat_id: int):
    """Record a check of a flat: each point of the checklist, the outcome and a follow-up."""
    flat = queries.flat_or_404(flat_id, current_user)
    return _check_page(flat, {"checked_on": today_paris()}, lambda values: services.record_check(
        current_user, flat, values, now=utcnow(), today=today_paris()), "Contrôle enregistré.")


@bp.route("/controle/<int:check_id>")
def check(check_id: int):
    """One check of a flat."""
    row = queries.check_or_404(check_id, current_user)
    record("flat.read", actor=current_user, object_type="flat", object_id=row.flat_id,
           team_id=row.team_id, detail={"view": "logbook_check", "check": row.id})
    db.session.commit()
    return render("logbook/check.html", check=row,
                  may_edit=services.may_edit_check(current_user, row))


@bp.route("/controle/<int:check_id>/modifier", methods=["GET", "POST"])
def edit_check(check_id: int):
    """Correct a check: its author or the team's coordination; the same rules as recording."""
    row = queries.check_or_404(check_id, current_user)
    if not services.may_edit_check(current_user, row):
        abort(403)
    return _check_page(row.flat, services.check_values(row), lambda values: services.update_check(
        current_user, row, values, now=utcnow(), today=today_paris()), "Contrôle corrigé.",
        check=row)

