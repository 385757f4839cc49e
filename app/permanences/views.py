"""Permanence pages: planning and shifts, the live queue, intakes, people, partners,
dysfunctions, figures and the coordinators' organisation."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth.scoping import role_required
from app.extensions import db
from app.forms import choices
from app.htmx import is_htmx, render
from app.nav import NavItem, register
from app.permanences import forms, queries, services, vocab
from app.permanences.models import (Closure, DropInPerson, DropInSession, SessionSchedule,
                                    VulnerabilityCriterion, role_label)
from app.permanences.services import PermanenceError
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris, utcnow

bp = Blueprint("permanences", __name__, url_prefix="/permanences")

register(NavItem("Permanences", "permanences.index", "today", order=45,
                 roles=queries.PERM_ROLES, blueprints=("permanences",), phone=False,
                 programmes=("permanence",)))


@bp.before_request
@role_required(*queries.PERM_ROLES)
def permanence_members_only():
    """Members of a permanence team only (volunteers, workers, coordinators).

    The planning page itself answers everyone with one of those roles, with an explanation
    when they are in no permanence team (the navigation entry cannot tell teams apart)."""
    if request.endpoint != "permanences.index" and not queries.perm_team_ids(current_user):
        record("access.denied", actor=current_user, detail={"view": request.endpoint})
        db.session.commit()
        abort(403)
    return None


@bp.context_processor
def perm_roles():
    """Whether the person is staff / coordinator of a permanence team (for tabs and links)."""
    if not current_user.is_authenticated:
        return {}
    return {"perm_staff": bool(queries.perm_team_ids(current_user, CASE_ROLES)),
            "perm_lead": bool(queries.perm_team_ids(current_user, LEAD_ROLES)),
            "role_label": role_label, "vocab": vocab}


def _lead_only():
    if not queries.perm_team_ids(current_user, LEAD_ROLES):
        record("access.denied", actor=current_user, detail={"view": request.endpoint})
        db.session.commit()
        abort(403)


def _staff_only():
    if not queries.perm_team_ids(current_user, CASE_ROLES):
        record("access.denied", actor=current_user, detail={"view": request.endpoint})
        db.session.commit()
        abort(403)


def _fragment() -> bool:
    """An htmx request for a piece of page (polling, a queue button), not a boosted page."""
    return is_htmx() and not request.headers.get("HX-Boosted")


def _refuse(form, exc: PermanenceError) -> str | None:
    """Put a service's refusal next to its field; return it when no field fits."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*list(target.errors), str(exc)]
        return None
    return str(exc)


def _back(default: str) -> str:
    """A same-site return address posted by the form, else `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default


def _team_choices(form, roles=LEAD_ROLES):
    teams = queries.my_teams(current_user, roles)
    form.team_id.choices = choices([(t.id, t.name) for t in teams])
    if form.team_id.data not in {t.id for t in teams} and teams:
        form.team_id.data = teams[0].id
    return teams


def _form_page(form, *, title: str, groups: list, submit: str, back: tuple[str, str],
               error: str | None = None, hints: dict | None = None, intro: list | None = None,
               status: int = 200, danger: bool = False, note: str | None = None):
    """The generic form page: fields in groups (legend or None, [names])."""
    return render("permanences/form.html", status=status, form=form, title=title,
                  groups=groups, submit=submit, back=back, error=error, hints=hints or {},
                  intro=intro or [], danger=danger, note=note)


# -- Planning and shifts ----------------------------------------------------------------------


@bp.route("/")
def index():
    """The planning: my shifts, calls for help, and the coming sessions to sign up for."""
    now = utcnow()
    today = today_paris(now)
    teams = queries.my_teams(current_user)
    if not teams:
        return render("permanences/none.html")
    for team in teams:
        services.extend_calendar(team.id, today, now=now)
    items = queries.planning(current_user, today, now)
    return render("permanences/index.html", items=items, today=today, now=now,
                  live=queries.live_sessions_for(current_user, now),
                  calls=queries.open_calls_for(current_user, now),
                  mine=queries.my_next_shifts(current_user, today, limit=10),
                  slot_form=forms.SlotForm(),
                  many_teams=len(teams) > 1,
                  many_places=len({p.session.place for p in items}) > 1,
                  weeks=max(queries.settings_for(t.id).signup_weeks for t in teams))


@bp.route("/seances/<int:session_id>")
def session(session_id: int):
    """A session: who is signed up for what, what is missing, and (staff) its figures."""
    s = queries.session_or_404(current_user, session_id)
    now = utcnow()
    today = today_paris(now)
    staffing = queries.staffing_of(s, today)
    lead = queries.is_lead(current_user, s.team_id)
    staff = queries.is_staff(current_user, s.team_id)
    planned = queries.planned(current_user, s, today, now)
    ctx = dict(s=s, staffing=staffing, lead=lead, staff=staff, now=now, today=today,
               mine=queries.my_shift(current_user, s), planned=planned,
               slot_form=forms.SlotForm(),
               access=queries.access_to(current_user, s, now),
               newcomers=queries.newcomer_ids(s.team_id, today,
                                              [sh.user_id for sh in s.active_shifts]))
    if lead:
        ctx["members"] = [m for m in queries.team_members(s.team_id, today)
                          if m["user"].active and m["user"].id not in
                          {sh.user_id for sh in s.active_shifts}]
        ctx["calls"] = queries.calls_of(s)
    if staff and s.day <= today:
        ctx["fig"] = queries.session_figures(s)
    return render("permanences/session.html", **ctx)


@bp.route("/seances/<int:session_id>/inscription", methods=["POST"])
def sign_up(session_id: int):
    """Sign me up (or, for a coordinator, someone else) for a role on a session."""
    s = queries.session_or_404(current_user, session_id)
    form = forms.SlotForm()
    back = _back(url_for("permanences.index"))
    if not form.validate_on_submit():
        flash("Le formulaire a expiré : recommencez.", "error")
        return redirect(back, 303)
    role, language = form.role_language()
    user = current_user
    if form.user_id.data:
        from app.auth.models import User

        user = db.session.get(User, int(form.user_id.data)) if form.user_id.data.isdigit() \
            else None
        if user is None:
            abort(404)
    try:
        shift = services.sign_up(current_user, s, role, language, now=utcnow(), user=user)
    except PermanenceError as exc:
        flash(str(exc), "error")
    else:
        who = "Vous êtes inscrit·e" if user.id == current_user.id else \
            f"{user.display_name} est inscrit·e"
        flash(f"{who} : {shift.label}, {_when(s)}.", "success")
    return redirect(back, 303)


def _when(s) -> str:
    """'lundi 23 novembre 2026 à 9 h' (or '9 h 30')."""
    from app.formatting import date_fr

    t = s.starts_at
    return f"{date_fr(s.day)} à {t.hour} h" + (f" {t.minute:02d}" if t.minute else "")


@bp.route("/creneaux/<int:shift_id>/annulation", methods=["POST"])
def cancel_shift(shift_id: int):
    """Cancel my shift (coordinators: anyone's)."""
    shift = queries.shift_or_404(current_user, shift_id)
    back = _back(url_for("permanences.index"))
    form = forms.SlotForm()
    if not form.validate_on_submit():
        flash("Le formulaire a expiré : recommencez.", "error")
        return redirect(back, 303)
    try:
        services.cancel_shift(current_user, shift, now=utcnow())
    except PermanenceError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Créneau annulé : {shift.label}, {_when(shift.session)}.", "success")
    return redirect(back, 303)


@bp.route("/seances/<int:session_id>/appel", methods=["POST"])
def call(session_id: int):
    """Ask the available volunteers who fit a missing role."""
    s = queries.session_or_404(current_user, session_id, LEAD_ROLES)
    form = forms.SlotForm()
    back = _back(url_for("permanences.session", session_id=s.id))
    if form.validate_on_submit():
        role, language = form.role_language()
        try:
            c = services.call_volunteers(current_user, s, role, language, now=utcnow())
        except PermanenceError as exc:
            flash(str(exc), "error")
        else:
            n = len(c.recipient_ids)
            flash(f"Appel envoyé à {n} bénévole{'s' if n > 1 else ''} ({c.label}) : il "
                  "s'affiche sur leur page « Aujourd'hui ».", "success")
    return redirect(back, 303)


@bp.route("/seances/nouvelle", methods=["GET", "POST"])
def add_session():
    """Add an exceptional session."""
    _lead_only()
    form = forms.SessionForm()
    _team_choices(form)
    if request.method == "GET":
        form.day.data = today_paris(utcnow())
    error = None
    if form.validate_on_submit():
        try:
            s = services.add_session(current_user, form.team_id.data, day=form.day.data,
                                     starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                                     place=form.place.data, needs=form.needs(), now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Permanence ajoutée.", "success")
            return redirect(url_for("permanences.session", session_id=s.id))
    return _form_page(form, title="Permanence exceptionnelle",
                      groups=[(None, ["team_id", "day", "starts_at", "ends_at", "place"]),
                              ("Besoins", list(forms.NeedsFields.NEED_FIELDS))],
                      submit="Ajouter la permanence", error=error, hints=NEED_HINTS,
                      back=("Planning", url_for("permanences.index")),
                      status=422 if request.method == "POST" else 200)


NEED_HINTS = {"need_interpretes": "Par exemple : arabe, dari, dari (deux interprètes en dari)."}


@bp.route("/seances/<int:session_id>/modifier", methods=["GET", "POST"])
def edit_session(session_id: int):
    """Change one session's end time (pushed back on the day) and needs."""
    s = queries.session_or_404(current_user, session_id, LEAD_ROLES)
    form = forms.SessionEditForm()
    if request.method == "GET":
        form.ends_at.data = s.ends_at
        form.fill_needs(s.needs)
    error = None
    if form.validate_on_submit():
        try:
            services.edit_session(current_user, s, ends_at=form.ends_at.data,
                                  needs=form.needs(), now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Permanence modifiée.", "success")
            return redirect(url_for("permanences.session", session_id=s.id))
    return _form_page(form, title=f"Modifier la permanence du {_when(s)}",
                      groups=[(None, ["ends_at"]),
                              ("Besoins", list(forms.NeedsFields.NEED_FIELDS))],
                      submit="Enregistrer", error=error,
                      hints={**NEED_HINTS, "ends_at": "Repousser la fin prolonge l'accès des "
                             "bénévoles à la file jusqu'à la nouvelle heure."},
                      back=("La permanence", url_for("permanences.session", session_id=s.id)),
                      status=422 if request.method == "POST" else 200)


@bp.route("/seances/<int:session_id>/annulation", methods=["GET", "POST"])
def cancel_session(session_id: int):
    """Cancel one session, with the reason shown to volunteers."""
    s = queries.session_or_404(current_user, session_id, LEAD_ROLES)
    form = forms.ReasonForm()
    error = None
    if form.validate_on_submit():
        try:
            services.cancel_session(current_user, s, form.reason.data, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Permanence annulée.", "success")
            return redirect(url_for("permanences.session", session_id=s.id))
    n = len(s.active_shifts)
    return _form_page(form, title=f"Annuler la permanence du {_when(s)}", groups=[
        (None, ["reason"])], submit="Annuler la permanence", danger=True, error=error,
        note=(f"{n} personne{'s' if n > 1 else ''} inscrite{'s' if n > 1 else ''} le verra "
              "sur sa page « Aujourd'hui »." if n else None),
        back=("La permanence", url_for("permanences.session", session_id=s.id)),
        status=422 if request.method == "POST" else 200)


@bp.route("/seances/<int:session_id>/reouverture", methods=["POST"])
def reopen_session(session_id: int):
    """Reopen a cancelled session."""
    s = queries.session_or_404(current_user, session_id, LEAD_ROLES)
    if forms.SlotForm().validate_on_submit():
        try:
            services.reopen_session(current_user, s, now=utcnow())
        except PermanenceError as exc:
            flash(str(exc), "error")
        else:
            flash("Permanence rouverte.", "success")
    return redirect(url_for("permanences.session", session_id=s.id), 303)


@bp.route("/besoins")
def gaps():
    """Coming sessions short of people, for coordinators, with a call button per gap."""
    _lead_only()
    now = utcnow()
    today = today_paris(now)
    for team in queries.my_teams(current_user, LEAD_ROLES):
        services.extend_calendar(team.id, today, now=now)
    return render("permanences/gaps.html", items=queries.gaps(current_user, today),
                  slot_form=forms.SlotForm(), today=today)


# -- The live queue ---------------------------------------------------------------------------


def _queue_version(arrivals, now) -> str:
    """Changes whenever the queue shown would change (at least every minute: waiting times)."""
    parts = [now.strftime("%Y%m%d%H%M")]
    for a in arrivals:
        parts.append(f"{a.id}:{a.state}:{a.interviewer_id}:{a.urgent}:{a.person_id}:"
                     f"{a.intake.version if a.intake else 0}:{len(a.orientations)}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def _queue_context(s, access, now):
    arrivals = queries.queue(s)
    return dict(s=s, access=access, arrivals=arrivals, now=now,
                version=_queue_version(arrivals, now), action_form=forms.SlotForm(),
                waiting=sum(1 for a in arrivals if a.state == "attente"),
                in_interview=sum(1 for a in arrivals if a.state == "entretien"),
                done=sum(1 for a in arrivals if a.state in ("oriente", "parti")))


@bp.route("/seances/<int:session_id>/file")
def queue(session_id: int):
    """The day's queue; htmx polls it every 5 s (204 when nothing changed)."""
    now = utcnow()
    if _fragment():
        s = db.session.get(DropInSession, session_id)
        access = queries.access_to(current_user, s, now) if s is not None else None
        if access is None:
            # The session ended for this volunteer: show it and stop polling (htmx: 286).
            return render("permanences/queue.html", block="queue", status=286, s=s,
                          access=None, arrivals=[], now=now, version="", ended=True)
        ctx = _queue_context(s, access, now)
        if request.args.get("v") == ctx["version"]:
            return "", 204
        return render("permanences/queue.html", block="queue", **ctx)
    s, access = queries.live_session_or_404(current_user, session_id, now)
    record("queue.read", actor=current_user, object_type="dropin_session", object_id=s.id,
           team_id=s.team_id)
    db.session.commit()
    return render("permanences/queue.html", **_queue_context(s, access, now))


@bp.route("/seances/<int:session_id>/arrivee", methods=["GET", "POST"])
def new_arrival(session_id: int):
    """Record an arrival at the desk; the form comes back empty for the next one."""
    now = utcnow()
    s, access = queries.live_session_or_404(current_user, session_id, now)
    form = forms.ArrivalForm()
    error = None
    if form.validate_on_submit():
        try:
            arrival = services.record_arrival(
                current_user, s, name=form.name.data, number=form.number.data,
                language=form.language.data, interpreter_needed=form.interpreter_needed.data,
                reason=form.reason.data, urgent=form.urgent.data, now=now)
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash(f"Ticket n° {arrival.ticket} : {arrival.person.label} (carte "
                  f"{arrival.person.card}), en attente.", "success")
            return redirect(url_for("permanences.new_arrival", session_id=s.id), 303)
    return render("permanences/arrival.html", status=422 if request.method == "POST" else 200,
                  form=form, error=error, **_queue_context(s, access, now))


@bp.route("/arrivees/<int:arrival_id>/etat", methods=["POST"])
def set_state(arrival_id: int):
    """Move an arrival in the queue; htmx gets the queue back, a plain form a redirect."""
    now = utcnow()
    arrival, access = queries.arrival_or_404(current_user, arrival_id, now)
    form = forms.SlotForm()
    error = None
    if not form.validate_on_submit():
        error = "Le formulaire a expiré : rechargez la page."
    else:
        try:
            services.set_state(current_user, arrival, request.form.get("etat", ""), now=now)
        except PermanenceError as exc:
            error = str(exc)
    if _fragment():
        ctx = _queue_context(arrival.session, access, now)
        return render("permanences/queue.html", block="queue", error=error, **ctx)
    if error:
        flash(error, "error")
    return redirect(_back(url_for("permanences.queue", session_id=arrival.session_id)), 303)


# -- Intake -----------------------------------------------------------------------------------


def _intake_form(arrival, access, formdata=None):
    form = forms.IntakeForm(formdata=formdata)
    crit = queries.active_criteria(arrival.team_id)
    if arrival.intake is not None:
        # A retired criterion still shows on the intakes that had it.
        crit += [c for c in arrival.intake.criteria if not c.active]
    form.criteria.choices = choices([(c.id, c.label) for c in crit])
    return form


def _fill_intake(form, arrival):
    person, intake = arrival.person, arrival.intake
    form.alias.data, form.first_name.data = person.alias, person.first_name
    form.last_name.data, form.birth_year.data = person.last_name, person.birth_year
    form.languages.data = list(person.languages or [])
    if not form.languages.data and arrival.language:
        form.languages.data = [arrival.language]
    if intake is not None:
        form.version.data = str(intake.version)
        form.criteria.data = [c.id for c in intake.criteria]
        for name in ("in_france_since", "health_coverage", "domiciliation", "asylum_stage",
                     "housing", "assessment", "information_note"):
            getattr(form, name).data = getattr(intake, name)
        form.information.data = list(intake.information or [])


def _intake_page(arrival, access, form, *, error=None, status=200, now):
    staff = access.staff
    aid_form = orientation_form = None
    if access.sees("orientations"):
        orientation_form = forms.OrientationForm(formdata=None, prefix="orientation")
        orientation_form.partner_id.choices = choices(
            [("", "— choisir dans l'annuaire —")] + queries.partner_choices(arrival.team_id))
    in_force = []
    if staff:
        in_force = queries.aid_criteria_in_force(arrival.team_id, today_paris(now))
        aid_form = forms.AidForm(formdata=None, prefix="aide")
        aid_form.kind.choices = choices([("", "— choisir —")]
                                        + [(c.kind, c.kind_label) for c in in_force])
    return render("permanences/intake.html", status=status, arrival=arrival, access=access,
                  form=form, error=error, orientation_form=orientation_form,
                  aid_form=aid_form, in_force=in_force,
                  sections=vocab.SECTIONS, now=now)


@bp.route("/arrivees/<int:arrival_id>/entretien", methods=["GET", "POST"])
def intake(arrival_id: int):
    """The intake of one arrival: the sections of my role only (volunteers: today only)."""
    now = utcnow()
    arrival, access = queries.arrival_or_404(current_user, arrival_id, now)
    if request.method == "GET":
        record("intake.read", actor=current_user, object_type="dropin_person",
               object_id=arrival.person_id, team_id=arrival.team_id,
               detail={"arrival": arrival.id, "sections": list(access.sections)})
        db.session.commit()
        form = _intake_form(arrival, access)
        _fill_intake(form, arrival)
        return _intake_page(arrival, access, form, now=now)
    form = _intake_form(arrival, access, formdata=request.form)
    error = None
    if form.validate():
        values = {name: getattr(form, name).data for name in form._fields}
        try:
            services.save_intake(current_user, arrival, values,
                                 base_version=form.base_version(), now=now)
        except services.StaleIntake as exc:
            db.session.rollback()
            form.version.data = str(arrival.intake.version)
            return _intake_page(arrival, access, form, error=str(exc), status=409, now=now)
        except PermanenceError as exc:
            db.session.rollback()
            error = _refuse(form, exc)
        else:
            flash("Entretien enregistré.", "success")
            return redirect(url_for("permanences.intake", arrival_id=arrival.id), 303)
    return _intake_page(arrival, access, form, error=error, status=422, now=now)


@bp.route("/arrivees/<int:arrival_id>/orientations", methods=["POST"])
def add_orientation(arrival_id: int):
    """Orient the person to a partner."""
    now = utcnow()
    arrival, access = queries.arrival_or_404(current_user, arrival_id, now)
    form = forms.OrientationForm(prefix="orientation")
    form.partner_id.choices = choices([("", "—")] + queries.partner_choices(arrival.team_id))
    if form.validate_on_submit():
        try:
            services.add_orientation(current_user, arrival, partner_id=form.partner_id.data,
                                     kind=form.kind.data, detail=form.detail.data, now=now)
        except PermanenceError as exc:
            flash(str(exc), "error")
        else:
            flash("Orientation enregistrée.", "success")
    else:
        flash(" ".join(e for f in form for e in f.errors) or "Formulaire invalide.", "error")
    return redirect(url_for("permanences.intake", arrival_id=arrival.id) + "#orientations", 303)


@bp.route("/orientations/<int:orientation_id>/suite", methods=["POST"])
def orientation_outcome(orientation_id: int):
    """Record what came of an orientation."""
    now = utcnow()
    row, access = queries.orientation_or_404(current_user, orientation_id, now)
    form = forms.OutcomeForm()
    if form.validate_on_submit():
        try:
            services.set_orientation_outcome(current_user, row, form.outcome.data,
                                             form.note.data, now=now)
        except PermanenceError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Suite enregistrée : {row.outcome_label.lower()}.", "success")
    default = url_for("permanences.intake", arrival_id=row.arrival_id) + "#orientations"
    return redirect(_back(default), 303)


@bp.route("/arrivees/<int:arrival_id>/aides", methods=["POST"])
def grant_aid(arrival_id: int):
    """Grant an aid (staff), under the criterion in force."""
    now = utcnow()
    arrival, access = queries.arrival_or_404(current_user, arrival_id, now)
    if not access.staff:
        abort(403)
    form = forms.AidForm(prefix="aide")
    form.kind.choices = choices([(k, v) for k, v in vocab.AID_KINDS.items()])
    if form.validate_on_submit():
        try:
            services.grant_aid(current_user, arrival, kind=form.kind.data,
                               quantity=form.quantity.data, note=form.note.data, now=now)
        except PermanenceError as exc:
            flash(str(exc), "error")
        else:
            flash("Aide enregistrée.", "success")
    else:
        flash(" ".join(e for f in form for e in f.errors) or "Formulaire invalide.", "error")
    return redirect(url_for("permanences.intake", arrival_id=arrival.id) + "#aides", 303)


# -- People (staff) ---------------------------------------------------------------------------


@bp.route("/personnes", methods=["GET", "POST"])
def people():
    """Find someone received at the permanence (alias, name, card number); the name is posted,
    never put in the URL (history, server logs)."""
    _staff_only()
    q = (request.form.get("q") or "").strip() if request.method == "POST" else ""
    rows = queries.search_people(current_user, q) if q else []
    if q:
        record("dropin_person.search", actor=current_user, detail={"results": len(rows)})
        db.session.commit()
    return render("permanences/people.html", block="results", q=q, rows=rows)


@bp.route("/personnes/<int:person_id>")
def person(person_id: int):
    """A person's history at the permanence: arrivals, intakes, orientations, aids."""
    _staff_only()
    p = queries.person_or_404(current_user, person_id)
    record("dropin_person.read", actor=current_user, object_type="dropin_person",
           object_id=p.id, team_id=p.team_id)
    db.session.commit()
    kept = db.session.get(DropInPerson, p.merged_into_id) if p.merged_into_id else None
    return render("permanences/person.html", p=p, history=queries.person_history(p),
                  aliases=queries.merged_aliases(p), kept=kept)


@bp.route("/personnes/<int:person_id>/fusion", methods=["GET", "POST"])
def merge(person_id: int):
    """Merge this record into the person it turns out to be (search, confirm, merge)."""
    _staff_only()
    p = queries.person_or_404(current_user, person_id)
    keep_id = request.values.get("garder", type=int)
    keep = queries.person_or_404(current_user, keep_id) if keep_id else None
    error = None
    if request.method == "POST" and keep is not None:
        if not forms.SlotForm().validate_on_submit():
            error = "Le formulaire a expiré : recommencez."
        else:
            try:
                services.merge_people(current_user, keep, p, now=utcnow())
            except PermanenceError as exc:
                error = str(exc)
            else:
                flash(f"Fiches fusionnées : tout est maintenant sur {keep.label} "
                      f"({keep.card}).", "success")
                return redirect(url_for("permanences.person", person_id=keep.id), 303)
    # The search for the record to keep is posted (no name in the URL); choosing it is a GET
    # with its id, merging a POST with that id.
    q = (request.form.get("q") or "").strip() if keep is None else ""
    rows = [r for r in queries.search_people(current_user, q) if r.id != p.id] if q else []
    return render("permanences/merge.html", status=422 if error else 200, p=p, keep=keep,
                  q=q, rows=rows, error=error, form=forms.SlotForm(),
                  p_history=queries.person_history(p),
                  keep_history=queries.person_history(keep) if keep else [])


# -- Partners ---------------------------------------------------------------------------------


@bp.route("/partenaires")
def partners():
    """The partners directory, searchable as one types."""
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("type") or None
    if kind not in vocab.PARTNER_KINDS:
        kind = None
    rows = queries.partners(current_user, q, kind)
    return render("permanences/partners.html", block="results", q=q, kind=kind, rows=rows,
                  kinds=vocab.PARTNER_KINDS,
                  can_edit=bool(queries.perm_team_ids(current_user, CASE_ROLES)))


@bp.route("/partenaires/<int:partner_id>")
def partner(partner_id: int):
    """One partner: address, hours, languages, how to refer."""
    p = queries.partner_or_404(current_user, partner_id)
    return render("permanences/partner.html", p=p,
                  can_edit=queries.is_staff(current_user, p.team_id))


PARTNER_HINTS = {
    "hours": "Comme la structure les affiche, par exemple : lundi au vendredi 9 h – 12 h.",
    "how_to_refer": "Pièces à apporter, rendez-vous ou non, contact à citer.",
}


@bp.route("/partenaires/nouveau", methods=["GET", "POST"])
@bp.route("/partenaires/<int:partner_id>/modifier", methods=["GET", "POST"])
def edit_partner(partner_id: int | None = None):
    """Add a partner to the directory, or update one (staff)."""
    _staff_only()
    p = queries.partner_or_404(current_user, partner_id, CASE_ROLES) if partner_id else None
    form = forms.PartnerForm(obj=p)
    _team_choices(form, CASE_ROLES)
    if p is not None:
        form.team_id.choices = choices([(p.team_id, "")])
        form.team_id.data = p.team_id
    error = None
    if form.validate_on_submit():
        try:
            saved = services.save_partner(current_user, form.team_id.data, p,
                                          {k: getattr(form, k).data
                                           for k in services.PARTNER_FIELDS}, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Annuaire mis à jour.", "success")
            return redirect(url_for("permanences.partner", partner_id=saved.id))
    fields = ["name", "kind", "address", "phone", "email", "hours", "languages", "services",
              "how_to_refer", "active"]
    if p is None and len(form.team_id.choices) > 1:
        fields.insert(0, "team_id")
    return _form_page(form, title=f"Modifier {p.name}" if p else "Nouveau partenaire",
                      groups=[(None, fields)], submit="Enregistrer", error=error,
                      hints=PARTNER_HINTS,
                      back=("Annuaire", url_for("permanences.partners")),
                      status=422 if request.method == "POST" else 200)


# -- Dysfunctions -----------------------------------------------------------------------------


@bp.route("/dysfonctionnements")
def dysfunctions():
    """Dysfunctions counted by type and month (no identity anywhere)."""
    ids = queries.perm_team_ids(current_user)
    today = today_paris(utcnow())
    return render("permanences/dysfunctions.html",
                  table=queries.dysfunction_counts(ids, today),
                  recent=queries.recent_dysfunctions(ids), today=today)


DYSFUNCTION_HINTS = {
    "structure": "Le nom de l'institution ou du service (par exemple « CPAM, accueil du "
                 "centre-ville »), jamais celui d'une personne.",
    "description": "Décrivez les faits sans rien qui identifie la personne accueillie : ni "
                   "nom, ni prénom, ni alias, ni date de naissance, ni numéro de carte ou de "
                   "dossier. Ce signalement sert au plaidoyer et reste anonyme.",
}


@bp.route("/dysfonctionnements/nouveau", methods=["GET", "POST"])
def new_dysfunction():
    """Record a dysfunction for advocacy, without identity."""
    form = forms.DysfunctionForm()
    _team_choices(form, queries.PERM_ROLES)
    form.partner_id.choices = choices(
        [("", "— aucune —")] + [c for t in form.team_id.choices
                                for c in queries.partner_choices(int(t.value))])
    if request.method == "GET":
        form.observed_on.data = today_paris(utcnow())
        kind = request.args.get("type")
        if kind in vocab.DYSFUNCTION_KINDS:
            form.kind.data = kind
        partner_id = request.args.get("partenaire", type=int)
        if partner_id and partner_id in {c.value for c in form.partner_id.choices}:
            form.partner_id.data = partner_id
    error = None
    if form.validate_on_submit():
        try:
            services.record_dysfunction(
                current_user, form.team_id.data, kind=form.kind.data,
                observed_on=form.observed_on.data, structure=form.structure.data,
                partner_id=form.partner_id.data, description=form.description.data,
                confirmed_anonymous=form.confirmed_anonymous.data, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Dysfonctionnement enregistré, sans identité. Merci.", "success")
            return redirect(url_for("permanences.dysfunctions"))
    fields = ["kind", "observed_on", "partner_id", "structure", "description",
              "confirmed_anonymous"]
    if len(form.team_id.choices) > 1:
        fields.insert(0, "team_id")
    return _form_page(form, title="Signaler un dysfonctionnement", groups=[(None, fields)],
                      submit="Enregistrer", error=error, hints=DYSFUNCTION_HINTS,
                      note="Aucune identité : ce signalement n'est lié à aucune personne "
                           "accueillie.",
                      back=("Dysfonctionnements", url_for("permanences.dysfunctions")),
                      status=422 if request.method == "POST" else 200)


# -- Figures ----------------------------------------------------------------------------------


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return default


@bp.route("/chiffres")
def figures():
    """Figures of a period (staff): people received, new and returning, languages,
    orientations by type, aids; and the past sessions."""
    _staff_only()
    today = today_paris(utcnow())
    start = _date_arg("du", today.replace(day=1))
    end = _date_arg("au", today)
    if end < start:
        start, end = end, start
    ids = queries.perm_team_ids(current_user, CASE_ROLES)
    record("permanence.figures", actor=current_user,
           detail={"from": start.isoformat(), "to": end.isoformat()})
    db.session.commit()
    past = queries.past_sessions(current_user, today + timedelta(days=1))
    return render("permanences/figures.html", fig=queries.figures(ids, start, end),
                  start=start, end=end, past=past,
                  counts=queries.arrival_counts([s.id for s in past]))


# -- Organisation (coordinators) --------------------------------------------------------------


@bp.route("/organisation")
def organisation():
    """Schedules, closures, checklist, aid criteria, rules and volunteers of my teams."""
    _lead_only()
    today = today_paris(utcnow())
    teams = []
    for team in queries.my_teams(current_user, LEAD_ROLES):
        teams.append(dict(
            team=team, settings=queries.settings_for(team.id),
            schedules=queries.schedules(team.id), closures=queries.closures(team.id, today),
            criteria=queries.all_criteria(team.id),
            aid_rules=queries.aid_criteria_history(team.id),
            members=queries.team_members(team.id, today)))
    return render("permanences/organisation.html", teams=teams, today=today,
                  criterion_form=forms.CriterionForm(), action_form=forms.SlotForm())


@bp.route("/organisation/creneaux/nouveau", methods=["GET", "POST"])
def add_schedule():
    """Add a recurring session."""
    _lead_only()
    form = forms.ScheduleForm()
    _team_choices(form)
    if request.method == "GET":
        form.valid_from.data = today_paris(utcnow())
    error = None
    if form.validate_on_submit():
        try:
            services.add_schedule(current_user, form.team_id.data, weekday=form.weekday.data,
                                  starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                                  place=form.place.data, valid_from=form.valid_from.data,
                                  needs=form.needs(), now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Créneau ajouté : les permanences sont au planning.", "success")
            return redirect(url_for("permanences.organisation"))
    return _form_page(form, title="Nouveau créneau récurrent",
                      groups=[(None, ["team_id", "weekday", "starts_at", "ends_at", "place",
                                      "valid_from"]),
                              ("Besoins de chaque permanence", list(forms.NeedsFields.NEED_FIELDS))],
                      submit="Ajouter le créneau", error=error, hints=NEED_HINTS,
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


@bp.route("/organisation/creneaux/<int:schedule_id>", methods=["GET", "POST"])
def edit_schedule(schedule_id: int):
    """Change what a recurring session needs (coming sessions follow)."""
    sched = queries.row_or_404(current_user, SessionSchedule, schedule_id)
    form = forms.NeedsForm()
    if request.method == "GET":
        form.fill_needs(sched.needs)
    error = None
    if form.validate_on_submit():
        try:
            n = services.update_schedule_needs(current_user, sched, form.needs(), now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash(f"Besoins enregistrés ; permanences à venir mises à jour : {n}.", "success")
            return redirect(url_for("permanences.organisation"))
    return _form_page(form, title=f"Besoins du {sched.weekday_label} "
                                  f"{sched.starts_at.strftime('%H:%M')}",
                      groups=[(None, list(forms.NeedsFields.NEED_FIELDS))],
                      submit="Enregistrer", error=error, hints=NEED_HINTS,
                      note="Les permanences à venir de ce créneau suivent, sauf celles "
                           "modifiées une à une.",
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


@bp.route("/organisation/creneaux/<int:schedule_id>/fin", methods=["GET", "POST"])
def end_schedule(schedule_id: int):
    """Stop a recurring session after a given day."""
    sched = queries.row_or_404(current_user, SessionSchedule, schedule_id)
    form = forms.EndScheduleForm()
    if request.method == "GET":
        form.last_day.data = today_paris(utcnow())
    error = None
    if form.validate_on_submit():
        try:
            n = services.end_schedule(current_user, sched, form.last_day.data, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash(f"Créneau arrêté ; {n} permanence(s) annulée(s).", "success")
            return redirect(url_for("permanences.organisation"))
    return _form_page(form, title=f"Arrêter le créneau du {sched.weekday_label}",
                      groups=[(None, ["last_day"])], submit="Arrêter le créneau", danger=True,
                      error=error, note="Les permanences après ce jour sont annulées ; les "
                      "bénévoles inscrit·es le voient.",
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


@bp.route("/organisation/fermetures/nouvelle", methods=["GET", "POST"])
def add_closure():
    """Close the permanence for a period (holidays, move…)."""
    _lead_only()
    form = forms.ClosureForm()
    _team_choices(form)
    error = None
    if form.validate_on_submit():
        try:
            services.add_closure(current_user, form.team_id.data, start_on=form.start_on.data,
                                 end_on=form.end_on.data, reason=form.reason.data, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Fermeture enregistrée.", "success")
            return redirect(url_for("permanences.organisation"))
    return _form_page(form, title="Fermeture de la permanence",
                      groups=[(None, ["team_id", "start_on", "end_on", "reason"])],
                      submit="Enregistrer la fermeture", error=error,
                      hints={"reason": "Par exemple : fermeture estivale."},
                      note="Les jours fériés sont fermés d'office.",
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


@bp.route("/organisation/fermetures/<int:closure_id>/suppression", methods=["POST"])
def remove_closure(closure_id: int):
    """Remove a closure; its sessions open again."""
    closure = queries.row_or_404(current_user, Closure, closure_id)
    if forms.SlotForm().validate_on_submit():
        n = services.remove_closure(current_user, closure, now=utcnow())
        flash(f"Fermeture supprimée ; {n} permanence(s) rouverte(s).", "success")
    return redirect(url_for("permanences.organisation"), 303)


@bp.route("/organisation/<int:team_id>/criteres", methods=["POST"])
def add_criterion(team_id: int):
    """Add a vulnerability criterion."""
    queries.team_or_404(current_user, team_id)
    form = forms.CriterionForm()
    if form.validate_on_submit():
        services.add_criterion(current_user, team_id, form.label.data, now=utcnow())
        flash("Critère ajouté.", "success")
    else:
        flash(" ".join(form.label.errors) or "Formulaire expiré.", "error")
    return redirect(url_for("permanences.organisation") + "#criteres", 303)


@bp.route("/organisation/criteres/<int:criterion_id>", methods=["POST"])
def toggle_criterion(criterion_id: int):
    """Retire a criterion, or bring it back."""
    row = queries.row_or_404(current_user, VulnerabilityCriterion, criterion_id)
    if forms.SlotForm().validate_on_submit():
        services.set_criterion_active(current_user, row, request.form.get("actif") == "1",
                                      now=utcnow())
        flash("Critère " + ("rétabli." if row.active else "retiré."), "success")
    return redirect(url_for("permanences.organisation") + "#criteres", 303)


@bp.route("/organisation/aides/nouveau", methods=["GET", "POST"])
def add_aid_criterion():
    """Put a new rule in force for a kind of aid."""
    _lead_only()
    form = forms.AidCriterionForm()
    _team_choices(form)
    if request.method == "GET":
        form.valid_from.data = today_paris(utcnow())
        kind = request.args.get("aide")
        if kind in vocab.AID_KINDS:
            form.kind.data = kind
    error = None
    if form.validate_on_submit():
        try:
            services.set_aid_criterion(current_user, form.team_id.data, kind=form.kind.data,
                                       rule=form.rule.data, max_quantity=form.max_quantity.data,
                                       valid_from=form.valid_from.data, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Critère d'attribution en vigueur.", "success")
            return redirect(url_for("permanences.organisation") + "#aides")
    return _form_page(form, title="Critère d'attribution d'une aide",
                      groups=[(None, ["team_id", "kind", "rule", "max_quantity",
                                      "valid_from"])],
                      submit="Mettre en vigueur", error=error,
                      note="Le critère précédent pour cette aide prend fin la veille ; les "
                           "aides déjà accordées gardent le leur.",
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


@bp.route("/organisation/<int:team_id>/reglages", methods=["GET", "POST"])
def team_settings(team_id: int):
    """The sign-up window, the newcomer threshold and when volunteers see the queue."""
    team = queries.team_or_404(current_user, team_id)
    current = queries.settings_for(team_id)
    form = forms.SettingsForm(obj=current)
    error = None
    if form.validate_on_submit():
        try:
            services.save_settings(current_user, team_id, signup_weeks=form.signup_weeks.data,
                                   newcomer_shifts=form.newcomer_shifts.data,
                                   opens_minutes_before=form.opens_minutes_before.data,
                                   now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash("Règles enregistrées.", "success")
            return redirect(url_for("permanences.organisation"))
    return _form_page(form, title=f"Règles des créneaux — {team.name}",
                      groups=[(None, ["signup_weeks", "newcomer_shifts",
                                      "opens_minutes_before"])],
                      submit="Enregistrer", error=error,
                      hints={"newcomer_shifts": "Aucune permanence ne doit être tenue "
                             "seulement par des nouveaux·elles.",
                             "opens_minutes_before": "L'accès se ferme à la fin de la "
                             "permanence."},
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


@bp.route("/organisation/<int:team_id>/benevoles/<int:user_id>", methods=["GET", "POST"])
def profile(team_id: int, user_id: int):
    """What a member can do at the permanence (roles, languages, experienced)."""
    team = queries.team_or_404(current_user, team_id)
    from app.auth.models import User

    member = db.session.get(User, user_id)
    if member is None or team_id not in queries.perm_team_ids(member):
        from app.auth.scoping import deny

        deny(current_user, "app_user", user_id)
    roles, langs = queries.roles_of(member, team_id)
    prof = queries.profiles(team_id).get(member.id)
    form = forms.ProfileForm()
    if request.method == "GET":
        form.roles.data, form.languages.data = roles, langs
        form.experienced.data = bool(prof and prof.experienced)
    error = None
    if form.validate_on_submit():
        try:
            services.save_profile(current_user, team_id, member, roles=form.roles.data or [],
                                  languages=form.languages.data or [],
                                  experienced=form.experienced.data, now=utcnow())
        except PermanenceError as exc:
            error = _refuse(form, exc)
        else:
            flash(f"Profil de {member.display_name} enregistré.", "success")
            return redirect(url_for("permanences.organisation") + "#benevoles")
    done = queries.done_shifts(team_id, today_paris(utcnow()), [member.id]).get(member.id, 0)
    return _form_page(form, title=f"{member.display_name} — {team.name}",
                      groups=[(None, ["roles", "languages", "experienced"])],
                      submit="Enregistrer", error=error,
                      intro=[("Permanences faites", str(done))],
                      back=("Organisation", url_for("permanences.organisation")),
                      status=422 if request.method == "POST" else 200)


# -- Aids given this month (coordinators check them against the criteria) --------------------


@bp.route("/organisation/<int:team_id>/aides")
def aids(team_id: int):
    """Aids granted this month, with who decided and under which criterion."""
    team = queries.team_or_404(current_user, team_id)
    today = today_paris(utcnow())
    rows = queries.aids_of_team_month(team_id, today)
    record("permanence.figures", actor=current_user, team_id=team_id,
           detail={"aids_month": today.strftime("%Y-%m")})
    db.session.commit()
    return render("permanences/aids.html", team=team, rows=rows, today=today)


@bp.cli.command("calendrier")
def calendar_command():
    """Make the coming sessions of every permanence team (idempotent)."""
    n = services.extend_calendars(utcnow())
    print(f"{n} permanence(s) ajoutée(s) au planning.")

