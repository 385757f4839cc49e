"""Case-file pages: list and search, the household file and its sections, caseload."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user

from app.audit.services import commit_read, record
from app.auth.scoping import role_required, team_ids
from app.extensions import db
from app.forms import conflict_rows
from app.households import forms, queries, services
from app.households import timeline as _timeline  # noqa: F401  (registers the provider)
from app.households.models import Barrier, Enrolment, Goal, Note, Person, Right
from app.htmx import render
from app.nav import NavItem, register
from app.programmes import CASE_ROLES, LEAD_ROLES, PROGRAMMES
from app.timeline import KINDS, events_for
from app.timeutil import today_paris, utcnow

bp = Blueprint("households", __name__, url_prefix="/menages")

register(NavItem("Ménages", "households.index", "households", order=20, roles=CASE_ROLES,
                 blueprints=("households",)))


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """Volunteers and admins without a case role never reach a case file."""
    return None


def _read(household, section: str):
    """Trace the reading of one section of a case file."""
    record("household.read", actor=current_user, object_type="household", object_id=household.id,
           team_id=household.team_id, detail={"section": section})
    commit_read()


# ---- list, search, caseload ---------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
def index():
    """Households of my teams, mine first; search by name or alias as one types.

    The name typed is posted (CSRF-protected), never put in the URL: a URL ends up in the
    browser history, the server and proxy logs. Filters and the page without a name are GET.
    """
    values = request.form if request.method == "POST" else request.args
    q = request.form.get("q", "").strip()[:100] if request.method == "POST" else ""
    mine = values.get("mes") == "1"
    programme = values.get("programme", "")
    if programme not in PROGRAMMES:
        programme = ""
    page = max(values.get("page", 1, type=int), 1)
    # Audit first: a commit after the search would expire the rows read (one query each).
    record("household.list", actor=current_user, detail={"q": bool(q), "page": page})
    db.session.commit()
    result = queries.search(current_user, q, mine, programme, page,
                            current_app.config["PAGE_SIZE"])
    my_programmes = sorted({m.team.programme for m in current_user.memberships
                            if m.role in CASE_ROLES})
    return render("households/index.html", block="results", result=result, q=q, mine=mine,
                  programme=programme,
                  programmes=[(p, PROGRAMMES[p]) for p in my_programmes])


@bp.route("/charge")
@role_required(*LEAD_ROLES)
def caseload():
    """Coordinators: each worker's households, the unassigned ones, and reassignment."""
    record("household.list", actor=current_user, detail={"view": "caseload"})
    db.session.commit()
    return render("households/caseload.html", teams=queries.caseload(current_user))


# ---- opening a case file ------------------------------------------------------------------

def _team_choices(role_filter=CASE_ROLES):
    ids = team_ids(current_user, role_filter)
    return [(m.team_id, m.team.name) for m in sorted(current_user.memberships,
                                                     key=lambda m: m.team.name)
            if m.team_id in ids]


@bp.route("/nouveau", methods=["GET", "POST"])
def create():
    """Open a case file: the household and its first person."""
    form = forms.HouseholdCreateForm()
    teams = _team_choices()
    form.team_id.choices = forms.choices(teams)
    team_id = form.team_id.data if form.team_id.data in dict(teams) else teams[0][0]
    people = queries.referent_choices(team_id)
    form.referent_id.choices = forms.choices(
        [("", "Pas encore de référent·e")] + [(u.id, u.display_name) for u in people])
    if request.method == "GET" and current_user.id in {u.id for u in people}:
        form.referent_id.data = current_user.id
    error = None
    if form.validate_on_submit():
        person = form.values(*services.PERSON_FIELDS)
        person["phone"] = form.person_phone.data
        try:
            household = services.create_household(
                current_user, form.team_id.data, form.referent_id.data,
                form.values(*services.HOUSEHOLD_FIELDS), person, now=utcnow(),
                today=today_paris())
        except services.CaseFileError as exc:
            error = _attach(form, exc)
        else:
            flash("Ménage créé.", "success")
            return redirect(url_for("households.show", household_id=household.id))
    status = 422 if request.method == "POST" else 200
    return render("households/create.html", status=status, form=form, error=error)


# ---- the case file ------------------------------------------------------------------------

@bp.route("/<int:household_id>")
def show(household_id: int):
    """The case file's summary: facts, people, programmes, referent."""
    household = queries.household_or_404(household_id, current_user)
    _read(household, "resume")
    referent_form = None
    if queries.coordinates(current_user, household):
        referent_form = _referent_form(household)
    from app.visits.queries import household_visits

    return render("households/show.html", household=household, section="resume",
                  household_visits=household_visits,
                  today=today_paris(), referent_form=referent_form,
                  can_enrol=bool(_enrol_choices(household)))


def _referent_form(household):
    form = forms.ReferentForm(formdata=None, referent_id=household.referent_id)
    form.referent_id.choices = forms.choices(
        [("", "Aucun·e")] + [(u.id, u.display_name)
                             for u in queries.referent_choices(household.team_id)])
    return form


@bp.route("/<int:household_id>/referent", methods=["POST"])
def set_referent(household_id: int):
    """Change the referent (coordination)."""
    household = queries.household_or_404(household_id, current_user)
    form = _referent_form(household)
    form.process(request.form)
    back = request.form.get("retour") == "charge"
    try:
        if not form.validate():
            raise services.CaseFileError("Choix de référent·e invalide.")
        services.set_referent(current_user, household, form.referent_id.data, now=utcnow())
    except services.CaseFileError as exc:
        flash(str(exc), "error")
    else:
        name = household.referent.display_name if household.referent else "personne"
        flash(f"Référent·e de {household.name} : {name}.", "success")
    if back:
        return redirect(url_for("households.caseload"))
    return redirect(url_for("households.show", household_id=household.id))


@bp.route("/<int:household_id>/modifier", methods=["GET", "POST"])
def edit(household_id: int):
    """Edit the household's facts."""
    household = queries.household_or_404(household_id, current_user)
    form = forms.HouseholdEditForm(obj=household)
    return _form_page(
        household, form, "Modifier le ménage", services.HOUSEHOLD_FIELDS,
        lambda: services.update_household(current_user, household,
                                          form.values(*services.HOUSEHOLD_FIELDS),
                                          form.seen_version(), now=utcnow()),
        current=household, done="Ménage enregistré.", section="resume")


@bp.route("/<int:household_id>/personnes/nouvelle", methods=["GET", "POST"])
def add_person(household_id: int):
    """Add a person to the household."""
    household = queries.household_or_404(household_id, current_user)
    form = forms.PersonFields()
    return _form_page(
        household, form, "Ajouter une personne", services.PERSON_FIELDS,
        lambda: services.add_person(current_user, household,
                                    form.values(*services.PERSON_FIELDS), now=utcnow(),
                                    today=today_paris()),
        done="Personne ajoutée.", section="resume")


@bp.route("/<int:household_id>/personnes/<int:person_id>/modifier", methods=["GET", "POST"])
def edit_person(household_id: int, person_id: int):
    """Edit a person of the household."""
    household = queries.household_or_404(household_id, current_user)
    person = queries.child_or_404(Person, person_id, household, current_user)
    form = forms.PersonFields(obj=person)
    if request.method == "GET":
        form.version.data = household.version
    return _form_page(
        household, form, f"Modifier : {person.label}", services.PERSON_FIELDS,
        lambda: services.update_person(current_user, person,
                                       form.values(*services.PERSON_FIELDS),
                                       form.seen_version(), now=utcnow(), today=today_paris()),
        current=person, done="Personne enregistrée.", section="resume",
        conflict_version=lambda: household.version)


def _enrol_choices(household):
    active = {e.team_id for e in household.enrolments if e.exit_date is None}
    return [(tid, f"{name}") for tid, name in _team_choices() if tid not in active]


@bp.route("/<int:household_id>/accompagnements/nouveau", methods=["GET", "POST"])
def enrol(household_id: int):
    """Enrol the household in another programme of my teams."""
    household = queries.household_or_404(household_id, current_user)
    form = forms.EnrolmentForm()
    form.team_id.choices = forms.choices(_enrol_choices(household))
    if request.method == "GET":
        form.entry_date.data = today_paris()
    return _form_page(
        household, form, "Nouvel accompagnement", ("team_id", "entry_date"),
        lambda: services.enrol(current_user, household, form.team_id.data, form.entry_date.data,
                               now=utcnow()),
        done="Accompagnement ajouté.", section="resume")


@bp.route("/<int:household_id>/accompagnements/<int:enrolment_id>/fin",
          methods=["GET", "POST"])
def end_enrolment(household_id: int, enrolment_id: int):
    """Record the end of an accompagnement."""
    household = queries.household_or_404(household_id, current_user)
    enrolment = queries.child_or_404(Enrolment, enrolment_id, household, current_user)
    form = forms.EndEnrolmentForm(obj=enrolment)
    if request.method == "GET":
        form.exit_date.data = today_paris()
    fields = ("exit_date", "exit_destination", "exit_reason")
    return _form_page(
        household, form, f"Fin de l'accompagnement {enrolment.team.name}", fields,
        lambda: services.end_enrolment(current_user, enrolment, form.exit_date.data,
                                       form.exit_destination.data, form.exit_reason.data,
                                       form.seen_version(), now=utcnow()),
        current=enrolment, done="Sortie enregistrée.", section="resume")


# ---- projet personnalisé ------------------------------------------------------------------

@bp.route("/<int:household_id>/projet")
def project(household_id: int):
    """Goals and barriers of the projet personnalisé."""
    household = queries.household_or_404(household_id, current_user)
    _read(household, "projet")
    return render("households/project.html", household=household, section="projet",
                  goals=queries.goals(household), barriers=queries.barriers(household))


@bp.route("/<int:household_id>/projet/freins/nouveau", methods=["GET", "POST"],
          defaults={"barrier_id": None})
@bp.route("/<int:household_id>/projet/freins/<int:barrier_id>", methods=["GET", "POST"])
def barrier(household_id: int, barrier_id: int | None):
    """Create or edit a barrier (frein)."""
    household = queries.household_or_404(household_id, current_user)
    row = queries.child_or_404(Barrier, barrier_id, household, current_user) \
        if barrier_id else None
    form = forms.BarrierForm(obj=row)
    if request.method == "GET" and row is None:
        form.identified_on.data = today_paris()
    return _form_page(
        household, form, "Modifier le frein" if row else "Nouveau frein", services.BARRIER_FIELDS,
        lambda: services.save_barrier(current_user, household, row,
                                      form.values(*services.BARRIER_FIELDS),
                                      form.seen_version(), now=utcnow()),
        current=row, done="Frein enregistré.", section="projet")


def _barrier_choices(household):
    return forms.choices([("", "Aucun")] + [
        (b.id, f"{b.category_label} — {b.description[:60]}") for b in queries.barriers(household)])


@bp.route("/<int:household_id>/projet/objectifs/nouveau", methods=["GET", "POST"],
          defaults={"goal_id": None})
@bp.route("/<int:household_id>/projet/objectifs/<int:goal_id>", methods=["GET", "POST"])
def goal(household_id: int, goal_id: int | None):
    """Create or edit a goal."""
    household = queries.household_or_404(household_id, current_user)
    row = queries.child_or_404(Goal, goal_id, household, current_user) if goal_id else None
    form = forms.GoalForm(obj=row)
    form.barrier_id.choices = _barrier_choices(household)
    if request.method == "GET" and row is None:
        form.set_on.data = today_paris()
    return _form_page(
        household, form, "Modifier l'objectif" if row else "Nouvel objectif",
        services.GOAL_FIELDS,
        lambda: services.save_goal(current_user, household, row,
                                   form.values(*services.GOAL_FIELDS), form.seen_version(),
                                   now=utcnow()),
        current=row, done="Objectif enregistré.", section="projet")


@bp.route("/<int:household_id>/projet/objectifs/<int:goal_id>/avancement",
          methods=["GET", "POST"])
def progress(household_id: int, goal_id: int):
    """Note a step of progress on a goal."""
    household = queries.household_or_404(household_id, current_user)
    row = queries.child_or_404(Goal, goal_id, household, current_user)
    form = forms.ProgressForm(version=row.version, progress=row.progress)
    if request.method == "GET":
        form.on.data = today_paris()
    return _form_page(
        household, form, f"Avancement : {row.title}", ("on", "progress", "comment"),
        lambda: services.record_progress(current_user, row, form.on.data, form.progress.data,
                                         form.comment.data, form.seen_version(), now=utcnow()),
        current=row, done="Avancement enregistré.", section="projet")


# ---- droits -------------------------------------------------------------------------------

@bp.route("/<int:household_id>/droits")
def rights(household_id: int):
    """Rights applications in progress and decided."""
    household = queries.household_or_404(household_id, current_user)
    _read(household, "droits")
    return render("households/rights.html", household=household, section="droits",
                  rights=queries.rights(household), today=today_paris())


@bp.route("/<int:household_id>/droits/nouveau", methods=["GET", "POST"],
          defaults={"right_id": None})
@bp.route("/<int:household_id>/droits/<int:right_id>", methods=["GET", "POST"])
def right(household_id: int, right_id: int | None):
    """Create or edit a rights application."""
    household = queries.household_or_404(household_id, current_user)
    row = queries.child_or_404(Right, right_id, household, current_user) if right_id else None
    form = forms.RightForm(obj=row)
    form.person_id.choices = forms.choices(
        [("", "Tout le ménage")] + [(p.id, p.label) for p in household.people])
    return _form_page(
        household, form, f"Droit : {row.kind_label}" if row else "Nouveau droit",
        services.RIGHT_FIELDS,
        lambda: services.save_right(current_user, household, row,
                                    form.values(*services.RIGHT_FIELDS), form.seen_version(),
                                    now=utcnow()),
        current=row, done="Droit enregistré.", section="droits")


# ---- notes --------------------------------------------------------------------------------

@bp.route("/<int:household_id>/notes")
def notes(household_id: int):
    """Social notes and evaluation reports this person may read."""
    household = queries.household_or_404(household_id, current_user)
    _read(household, "notes")
    readable = queries.notes(current_user, household)
    return render("households/notes.html", household=household, section="notes",
                  notes=readable, hidden=queries.hidden_notes_count(household, len(readable)))


@bp.route("/<int:household_id>/notes/nouvelle", methods=["GET", "POST"],
          defaults={"note_id": None})
@bp.route("/<int:household_id>/notes/<int:note_id>", methods=["GET", "POST"])
def note(household_id: int, note_id: int | None):
    """Write or edit (author only) a note."""
    household = queries.household_or_404(household_id, current_user)
    row = None
    if note_id:
        row = queries.child_or_404(Note, note_id, household, current_user,
                                   extra=queries.note_condition(current_user, household))
    form = forms.NoteForm(obj=row)
    if request.method == "GET" and row is None:
        form.written_on.data = today_paris()
    return _form_page(
        household, form, "Modifier la note" if row else "Nouvelle note", services.NOTE_FIELDS,
        lambda: services.save_note(current_user, household, row,
                                   form.values(*services.NOTE_FIELDS), form.seen_version(),
                                   now=utcnow()),
        current=row, done="Note enregistrée.", section="notes")


# ---- chronologie --------------------------------------------------------------------------

@bp.route("/<int:household_id>/chronologie")
def timeline(household_id: int):
    """Everything that happened to the household, newest first."""
    household = queries.household_or_404(household_id, current_user)
    kind = request.args.get("type", "")
    _read(household, "chronologie")
    events = events_for(household, current_user, {kind} if kind in KINDS else None)
    return render("households/timeline.html", block="events", household=household,
                  section="chronologie", events=events, kinds=KINDS, kind=kind)


# ---- shared form handling -----------------------------------------------------------------

def _attach(form, exc: services.CaseFileError) -> str | None:
    """Put a service refusal next to its field; return it when it belongs to no field."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc)]
        return None
    return str(exc)




def _form_page(household, form, title, fields, save, *, done, section, current=None,
               conflict_version=None):
    """GET shows the form; POST validates, saves, and on refusal or conflict shows it again."""
    error = None
    conflict = None
    status = 200
    back = url_for({"resume": "households.show", "projet": "households.project",
                    "droits": "households.rights", "notes": "households.notes"}[section],
                   household_id=household.id)
    if current is not None and request.method == "GET" and "version" in form \
            and conflict_version is None:
        form.version.data = current.version
    if form.validate_on_submit():
        try:
            save()
        except services.CaseFileError as exc:
            error = _attach(form, exc)
            status = 422
        except services.Conflict as exc:
            # Compare with what is saved now (a person's edit is guarded by its household).
            source = current if current is not None else exc.current
            db.session.refresh(exc.current)
            if source is not exc.current:
                db.session.refresh(source)
            conflict = conflict_rows(form, source, fields)
            # Re-submitting now means "keep my version" over the one shown.
            form.version.data = conflict_version() if conflict_version else exc.current.version
            status = 409
        else:
            flash(done, "success")
            return redirect(back)
    elif request.method == "POST":
        status = 422
    return render("households/form.html", status=status, household=household, form=form,
                  title=title,
                  fields=[f for f in fields if hasattr(form, f)], error=error,
                  conflict=conflict, section=section, back=back)
