"""Privacy pages: a case file's access journal, GDPR export and anonymisation, archived files,
retention settings (admins), revoking a signed-in device (admins)."""
from __future__ import annotations

import json
from datetime import date

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user

from app.audit.services import ACTION_LABELS, record
from app.auth.models import LoginSession, User
from app.auth.scoping import role_required
from app.extensions import db
from app.forms import choices
from app.households.queries import coordinates
from app.htmx import render
from app.privacy import document, forms, queries, services, vocab
from app.privacy.models import ArchiveAccess
from app.programmes import CASE_ROLES, PROGRAMMES
from app.timeutil import today_paris, utcnow

bp = Blueprint("privacy", __name__, url_prefix="/confidentialite")



def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


# ---- a case file's journal -------------------------------------------------------------------

def _refusal_in_place(form, exc) -> str | None:
    """Put a refused erasure's French message beside its field; the page-level message when
    it concerns no field (returned)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is None:
        return str(exc)
    field.errors = [str(exc)]
    return None


@bp.route("/menages/<int:household_id>/journal")
@role_required(*CASE_ROLES)
def journal(household_id: int):
    """Who read or changed this case file, filterable by person, action and period."""
    household = queries.journal_or_404(household_id, current_user)
    page = max(request.args.get("page", 1, type=int), 1)
    action = request.args.get("action", "")
    filters = queries.JournalFilter(
        actor_id=request.args.get("personne", type=int),
        action=action if action in ACTION_LABELS else "",
        start=_parse_day(request.args.get("du")), end=_parse_day(request.args.get("au")))
    rows, has_more, people = queries.household_journal(household, filters, page)
    record("audit.read", actor=current_user, object_type="household", object_id=household.id,
           team_id=household.team_id, detail={"page": page, "action": filters.action or None})
    db.session.commit()
    args = {"personne": filters.actor_id, "action": filters.action or None,
            "du": filters.start.isoformat() if filters.start else None,
            "au": filters.end.isoformat() if filters.end else None}
    return render("privacy/journal.html", block="results", household=household, rows=rows,
                  page=page, has_more=has_more, people=people, f=filters, args=args,
                  actions=ACTION_LABELS)


# ---- GDPR rights -----------------------------------------------------------------------------

@bp.route("/menages/<int:household_id>", methods=["GET", "POST"])
@role_required(*CASE_ROLES)
def household(household_id: int):
    """Personal data of a case file: export (PDF or JSON) after confirmation, and rectification
    and erasure explained."""
    household = queries.manageable_or_404(household_id, current_user)
    form = forms.ExportForm()
    error = None
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = ["Cochez la case pour confirmer."]
        else:
            data = services.export_data(current_user, household, utcnow(), fmt=form.fmt.data)
            stem = f"terrain-menage-{household.id}-{today_paris():%Y-%m-%d}"
            if form.fmt.data == "json":
                body = json.dumps(data, ensure_ascii=False, indent=2)
                return _download(body.encode("utf-8"), "application/json", f"{stem}.json")
            return _download(document.render_pdf(data, household.name), "application/pdf",
                             f"{stem}.pdf")
    status = 422 if request.method == "POST" else 200
    return render("privacy/household.html", status=status, household=household, form=form,
                  error=error, state=services.state_of(household.id),
                  archived=queries.is_archived(household.id))


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/menages/<int:household_id>/anonymiser", methods=["GET", "POST"])
@role_required(*CASE_ROLES)
def erase(household_id: int):
    """Anonymise a closed case file, with the reason recorded; one transaction, audited."""
    household = queries.manageable_or_404(household_id, current_user)
    state = services.state_of(household.id)
    form = forms.ErasureForm()
    error = None
    if form.validate_on_submit():
        try:
            result = services.anonymise(current_user, household, form.reason.data,
                                        form.reason_text.data, utcnow(), today_paris(),
                                        confirmed=bool(form.confirm.data))
        except services.PrivacyError as exc:
            error = _refusal_in_place(form, exc)
        else:
            flash(f"Dossier n° {household.id} anonymisé : "
                  f"{sum(result.scrubbed.values())} lignes effacées, "
                  f"{sum(result.deleted.values())} supprimées, "
                  f"{len(result.photo_files)} photo(s) retirée(s) du stockage.", "success")
            return redirect(url_for("privacy.erased", household_id=household.id))
    status = 422 if request.method == "POST" else 200
    return render("privacy/erase.html", status=status, household=household, form=form,
                  error=error, state=state, kept=_KEPT)


#: What anonymisation keeps and why (shown before confirming, and in docs/security.md).
_KEPT = [
    ("Dates d'entrée et de sortie, dispositif, destination",
     "statistiques et rapports d'activité demandés par les financeurs"),
    ("Contrats, loyers, paiements (montants et dates), étapes d'impayé (sans note)",
     "obligations comptables : 10 ans (code de commerce, art. L123-22)"),
    ("Référence de la mesure ASLL et jours d'accompagnement",
     "justification des sommes versées par le financeur"),
    ("Journal des accès (qui, quand, quelle action)",
     "traçabilité exigée pour des données sensibles ; les détails en sont effacés"),
]


@bp.route("/menages/<int:household_id>/anonymise")
@role_required(*CASE_ROLES)
def erased(household_id: int):
    """What remains of an anonymised case file, and what was done."""
    household = queries.manageable_or_404(household_id, current_user)
    state = services.state_of(household.id)
    if state is None or state.anonymised_at is None:
        abort(404)
    return render("privacy/erased.html", household=household, state=state,
                  reasons=vocab.ERASURE_REASONS)


# ---- people received at a permanence --------------------------------------------------------

@bp.route("/accueil/<int:person_id>", methods=["GET", "POST"])
@role_required(*CASE_ROLES)
def dropin(person_id: int):
    """Personal data of someone received at a permanence: export (PDF or JSON) after
    confirmation, rectification and erasure explained."""
    from app.privacy import dropin as dropin_privacy

    person = queries.dropin_manageable_or_404(person_id, current_user)
    form = forms.ExportForm()
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = ["Cochez la case pour confirmer."]
        else:
            data = dropin_privacy.export_data(current_user, person, utcnow(), fmt=form.fmt.data)
            stem = f"terrain-accueil-{person.number:04d}-{today_paris():%Y-%m-%d}"
            if form.fmt.data == "json":
                body = json.dumps(data, ensure_ascii=False, indent=2)
                return _download(body.encode("utf-8"), "application/json", f"{stem}.json")
            return _download(document.render_pdf(data, person.label), "application/pdf",
                             f"{stem}.pdf")
    status = 422 if request.method == "POST" else 200
    return render("privacy/dropin.html", status=status, person=person, form=form,
                  state=dropin_privacy.state_of(person.id))


@bp.route("/accueil/<int:person_id>/anonymiser", methods=["GET", "POST"])
@role_required(*CASE_ROLES)
def dropin_erase(person_id: int):
    """Anonymise someone received at a permanence, with the reason recorded; audited."""
    from app.privacy import dropin as dropin_privacy

    person = queries.dropin_manageable_or_404(person_id, current_user)
    form = forms.ErasureForm()
    error = None
    if form.validate_on_submit():
        try:
            result = dropin_privacy.anonymise(current_user, person, form.reason.data,
                                              form.reason_text.data, utcnow(), today_paris(),
                                              confirmed=bool(form.confirm.data))
        except dropin_privacy.DropInPrivacyError as exc:
            error = _refusal_in_place(form, exc)
        else:
            flash(f"Fiche n° {person.number:04d} anonymisée : "
                  f"{sum(result.scrubbed.values())} lignes effacées.", "success")
            return redirect(url_for("privacy.dropin", person_id=person.id))
    status = 422 if request.method == "POST" else 200
    return render("privacy/dropin_erase.html", status=status, person=person, form=form,
                  error=error, state=dropin_privacy.state_of(person.id))


# ---- archives --------------------------------------------------------------------------------

@bp.route("/archives")
@role_required(*CASE_ROLES)
def archives():
    """Archived case files of the teams whose archives I may read."""
    from app.privacy import dropin as dropin_privacy

    found = queries.archives(current_user)
    people = dropin_privacy.archives(current_user)
    record("household.archive_list", actor=current_user)
    db.session.commit()
    return render("privacy/archives.html", found=found, people=people)


@bp.route("/archives/<int:household_id>")
@role_required(*CASE_ROLES)
def archive_show(household_id: int):
    """Read one archived case file (each reading is audited)."""
    household = queries.archived_or_404(household_id, current_user)
    record("household.archive_read", actor=current_user, object_type="household",
           object_id=household.id, team_id=household.team_id)
    db.session.commit()
    data = services.export_data(current_user, household, utcnow(), fmt="lecture")
    return render("privacy/archive_show.html", household=household, data=data,
                  sections=document.sections(data), audit=document.audit_lines(data),
                  state=services.state_of(household.id))


# ---- admin: retention, archive readers, devices ------------------------------------------------

@bp.route("/conservation", methods=["GET", "POST"])
@role_required("admin")
def retention():
    """Retention per programme, the job's last passes, and who may read archives."""
    now = utcnow()
    errors: dict[str, dict] = {}
    if request.method == "POST":
        programme = request.form.get("programme", "")
        form = forms.PolicyForm()
        if programme not in PROGRAMMES:
            abort(400)
        if form.validate_on_submit():
            try:
                services.set_policy(current_user, programme, form.active_months.data,
                                    form.archive_months.data, now)
            except services.PrivacyError as exc:
                errors[programme] = {exc.field or "active_months": [str(exc)]}
            else:
                flash(f"Durées enregistrées pour « {PROGRAMMES[programme]} ».", "success")
                return redirect(url_for("privacy.retention"))
        else:
            errors[programme] = {"values": dict(request.form), **form.errors}
    grant_form = _grant_form()
    status = 422 if errors else 200
    return render_template("privacy/retention.html", policies=queries.policies(),
                           errors=errors, runs=queries.runs(), grants=queries.grants(),
                           grant_form=grant_form), status


def _grant_form() -> forms.GrantForm:
    form = forms.GrantForm()
    options = [("", "Choisir…")]
    from app.admin.queries import teams

    for team in teams():
        for user in services.members_of(team.id):
            options.append((f"{user.id}:{team.id}", f"{user.display_name} — {team.name}"))
    form.grant.choices = choices(options)
    return form


@bp.route("/conservation/lancer", methods=["POST"])
@role_required("admin")
def retention_run():
    """Run the retention now (or as a dry run) and show what it did."""
    dry = request.form.get("essai") == "1"
    result = services.run_retention(utcnow(), today_paris(), dry_run=dry, actor=current_user)
    flash(result.summary() + ".", "success")
    return redirect(url_for("privacy.retention"))


@bp.route("/conservation/acces", methods=["POST"])
@role_required("admin")
def grant():
    """Let a team member read the team's archived files."""
    form = _grant_form()
    if form.validate_on_submit() and ":" in form.grant.data:
        user_id, team_id = (int(x) for x in form.grant.data.split(":"))
        person = db.session.get(User, user_id) or abort(404)
        try:
            services.grant_archive_access(current_user, person, team_id, utcnow())
        except services.PrivacyError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{person.display_name} peut lire les archives de l'équipe.", "success")
    else:
        flash("Choisissez une personne.", "error")
    return redirect(url_for("privacy.retention"))


@bp.route("/conservation/acces/<int:grant_id>/retirer", methods=["POST"])
@role_required("admin")
def revoke_grant(grant_id: int):
    """Withdraw a permission to read archives."""
    row = db.session.get(ArchiveAccess, grant_id) or abort(404)
    services.revoke_archive_access(current_user, row, utcnow())
    flash("Accès aux archives retiré.", "success")
    return redirect(url_for("privacy.retention"))


@bp.route("/appareils/<int:user_id>/<handle>/revoquer", methods=["POST"])
@role_required("admin")
def revoke_device(user_id: int, handle: str):
    """End one signed-in device of a person: at its next request it wipes what it kept."""
    person = db.session.get(User, user_id) or abort(404)
    row = queries.session_by_handle(person, handle)
    if row is None:
        flash("Cette session est déjà fermée.", "error")
    else:
        services.revoke_session(current_user, row, utcnow())
        flash("Appareil déconnecté : à sa prochaine connexion, il efface ce qu'il gardait.",
              "success")
    return redirect(url_for("admin.user", user_id=person.id))


# ---- hooks: links on the household page, device wipe after a revocation -------------------

@bp.app_template_global("hidden_case")
def hidden_case(household) -> bool:
    """For pages of the team's flats and inventories: this occupant's file is archived and the
    current person may not read it, so the page names it "Ménage archivé" (no name, no link)."""
    return current_user.is_authenticated and queries.hidden_case(current_user, household)


@bp.app_template_global("hidden_person")
def hidden_person(person) -> bool:
    """For a session's queue: this person's record is archived and the current person may not
    read it, so the queue says "Personne archivée"."""
    from app.privacy import dropin as dropin_privacy

    return current_user.is_authenticated and dropin_privacy.closed_to(current_user, person)


@bp.app_template_global("dropin_privacy")
def dropin_privacy_link(person) -> bool:
    """Whether the current person gets the personal-data link on a drop-in person's page."""
    return current_user.is_authenticated and services.may_manage(current_user, person)


@bp.app_template_global("privacy_links")
def privacy_links(household) -> dict:
    """Which privacy links the current person gets on a household page."""
    if not current_user.is_authenticated:
        return {}
    return {"journal": coordinates(current_user, household),
            "manage": services.may_manage(current_user, household)}


@bp.app_template_global("archive_reader")
def archive_reader() -> bool:
    """Whether the current person may read some team's archived files (link on "Plus")."""
    return current_user.is_authenticated and bool(
        services.archive_reader_team_ids(current_user))


@bp.app_template_filter("device_label")
def device_label(user_agent: str | None) -> str:
    """A browser's user agent as 'Chrome sur Android'."""
    return queries.device_label(user_agent)


@bp.app_template_global("device_sessions")
def device_sessions(person) -> list:
    """A person's signed-in devices with their handles (admin page)."""
    return queries.open_sessions(person)


#: Ends of a session after which the device must forget everything: an admin revoked it
#: (one device, or all of them with the lost-phone reset) or deactivated the account. A
#: password change ends the other sessions without wiping (their waiting reports are kept).
WIPE_REASONS = {"revoked", "deactivated"}


def _detect_revoked_device():
    """Runs before the session checks: a cookie whose session an admin revoked means this
    device must forget what it kept (the check that follows signs it out)."""
    sid = session.get("sid")
    if not sid or request.endpoint in (None, "static"):
        return None
    row = db.session.get(LoginSession, sid)
    if row is not None and row.ended_at is not None and row.end_reason in WIPE_REASONS:
        g.wipe_device = True
    return None


def _tell_device_to_wipe(response):
    """Mark the answer to a revoked device; the next page it shows carries the wipe order."""
    if g.get("wipe_device"):
        response.headers["X-Terrain-Wipe"] = "1"
        from app.auth.sessions import is_prefetch

        if not is_prefetch():
            session["wipe"] = True
            if not request.accept_mimetypes.accept_json or request.accept_mimetypes.accept_html:
                flash("Cet appareil a été déconnecté par l'administration : les pages, brouillons "
                      "et envois en attente qu'il gardait sont effacés.", "info")
    return response


@bp.app_context_processor
def wipe_flag():
    """`wipe_device` for base.html: this page must clear caches, IndexedDB and storage."""
    return {"wipe_device": bool(session.pop("wipe", False)) if request else False}


@bp.record_once
def _install(state):
    app = state.app
    # First of the app's before_request hooks: the session check would forget the cookie.
    app.before_request_funcs.setdefault(None, []).insert(0, _detect_revoked_device)
    app.after_request(_tell_device_to_wipe)
    from app.privacy import cli

    cli.init_app(app)
