"""Rehousing pages: operations and their progress, buildings, households to rehouse,
proposals and answers, move and outcome, missions given to providers."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth.scoping import role_required, team_ids
from app.extensions import db
from app.formatting import date_fr
from app.forms import choices, conflict_rows
from app.htmx import render
from app.nav import NavItem, register
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.relogement import queries, services, vocab
from app.relogement import timeline  # noqa: F401  (registers the timeline provider)
from app.relogement.forms import (AnswerForm, BuildingForm, CaseFields, MissionForm,
                                  NewCaseForm, OperationForm, OutcomeForm, ProposalForm)
from app.relogement.services import Conflict, RelogementError
from app.timeutil import today_paris, utcnow

bp = Blueprint("relogement", __name__, url_prefix="/relogement")

register(NavItem("Relogement", "relogement.index", "households", order=48, roles=CASE_ROLES,
                 blueprints=("relogement",), phone=False, programmes=("relogement",)))


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """Coordinators and workers only; volunteers get 403."""
    return None


def _read(action: str, object_type: str, row) -> None:
    record(action, actor=current_user, object_type=object_type, object_id=row.id,
           team_id=row.team_id)
    db.session.commit()


def _lead(team_id: int) -> bool:
    return team_id in team_ids(current_user, LEAD_ROLES)


def _require_lead(team_id: int) -> None:
    if not _lead(team_id):
        record("access.denied", actor=current_user, detail={"view": request.endpoint})
        db.session.commit()
        abort(403)


# ---- generic form page ----------------------------------------------------------------------



def _attach(form, exc: RelogementError) -> str | None:
    """Put a refusal next to its field; return it when it belongs to no field shown."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(exc)]
        return None
    return str(exc)


def _form_page(form, *, title: str, fields, save, done: str, back: str, crumbs: list,
               current=None, intro: str | None = None, hints: dict | None = None,
               context: dict | None = None):
    """GET shows the form; POST validates and saves; a refusal (422) or a concurrent edit (409)
    shows it again with what was typed."""
    error = conflict = None
    status = 200
    if current is not None and request.method == "GET" and "version" in form:
        form.version.data = current.version
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                target = save()
            except RelogementError as exc:
                db.session.rollback()
                error = _attach(form, exc)
            except Conflict as exc:
                db.session.rollback()
                db.session.refresh(exc.current)
                conflict = conflict_rows(form, exc.current, fields)
                # Saving again now means "keep my version" over the one shown.
                form.version.data = exc.current.version
                status = 409
            else:
                flash(done, "success")
                return redirect(target or back)
    return render_template("relogement/form.html", form=form, title=title, fields=fields,
                           error=error, conflict=conflict, back=back, crumbs=crumbs,
                           intro=intro, hints=hints or {}, **(context or {})), status


def _crumbs(op=None, row=None) -> list[tuple[str, str]]:
    out = [("Relogement", url_for("relogement.index"))]
    if op is not None:
        out.append((op.name, url_for("relogement.operation", operation_id=op.id)))
    if row is not None:
        out.append((row.household.name, url_for("relogement.case", case_id=row.id)))
    return out


# ---- operations -----------------------------------------------------------------------------

@bp.route("/")
def index():
    """Operations of my teams, each with its progress."""
    items = queries.operations(current_user)
    record("relogement.list", actor=current_user)
    db.session.commit()
    return render_template("relogement/index.html", items=items,
                           progress=queries.progress_by_operation(items),
                           lead=bool(queries.relogement_teams(current_user)))


@bp.route("/operations/nouvelle", methods=["GET", "POST"])
def new_operation():
    """Open an operation (coordination of a relogement team)."""
    teams = queries.relogement_teams(current_user)
    if not teams:
        _require_lead(-1)
    form = OperationForm()
    form.team_id.choices = choices([(t.id, t.name) for t in teams])
    if request.method == "GET":
        form.started_on.data = today_paris()
        form.status.data = "en_cours"

    def save():
        team = next((t for t in teams if t.id == form.team_id.data), None)
        op = services.create_operation(current_user, team, {f: form[f].data
                                                            for f in form.FIELDS},
                                       now=utcnow())
        return url_for("relogement.operation", operation_id=op.id)

    return _form_page(form, title="Nouvelle opération", fields=("team_id", *form.FIELDS),
                      save=save, done="Opération créée.", back=url_for("relogement.index"),
                      crumbs=_crumbs())


@bp.route("/operations/<int:operation_id>")
def operation(operation_id: int):
    """An operation at a glance: progress, per building, households by status, missions."""
    op = queries.operation_or_404(operation_id, current_user)
    status = request.args.get("statut") or None
    if status not in vocab.CASE_STATUSES:
        status = None
    building_id = request.args.get("immeuble", type=int)
    today = today_paris()
    _read("relogement.operation_read", "relogement_operation", op)
    return render(
        "relogement/operation.html", block="cases", op=op, today=today, filter_status=status,
        building_id=building_id, p=queries.progress(op, today),
        buildings=queries.progress_by_building(op, today),
        counts=queries.status_counts(op),
        cases=queries.cases(op, status, building_id),
        missions=queries.missions(op), lead=_lead(op.team_id),
        statuses=vocab.CASE_STATUS_CHIPS)


@bp.route("/operations/<int:operation_id>/modifier", methods=["GET", "POST"])
def edit_operation(operation_id: int):
    """Edit an operation's facts (coordination)."""
    op = queries.operation_or_404(operation_id, current_user)
    _require_lead(op.team_id)
    form = OperationForm(obj=op)
    del form.team_id
    back = url_for("relogement.operation", operation_id=op.id)
    return _form_page(
        form, title="Modifier l'opération", fields=form.FIELDS, current=op,
        save=lambda: services.update_operation(current_user, op, {f: form[f].data
                                                                  for f in form.FIELDS},
                                               form.seen_version(), now=utcnow()) and None,
        done="Opération enregistrée.", back=back, crumbs=_crumbs(op))


@bp.route("/operations/<int:operation_id>/immeubles/nouveau", methods=["GET", "POST"],
          defaults={"building_id": None})
@bp.route("/immeubles/<int:building_id>/modifier", methods=["GET", "POST"],
          defaults={"operation_id": None})
def building(operation_id: int | None, building_id: int | None):
    """Add a building to the operation, or edit one (coordination)."""
    b = queries.building_or_404(building_id, current_user) if building_id else None
    op = b.operation if b else queries.operation_or_404(operation_id, current_user)
    _require_lead(op.team_id)
    form = BuildingForm(obj=b)
    back = url_for("relogement.operation", operation_id=op.id)
    return _form_page(
        form, title="Modifier l'immeuble" if b else "Ajouter un immeuble", fields=form.FIELDS,
        current=b, save=lambda: services.save_building(
            current_user, op, b, {f: form[f].data for f in form.FIELDS}, form.seen_version(),
            now=utcnow()) and None,
        done="Immeuble enregistré.", back=back, crumbs=_crumbs(op))


# ---- households -----------------------------------------------------------------------------

def _building_choices(form, op) -> None:
    form.building_id.choices = choices([("", "— Choisir —")] + [
        (b.id, b.address) for b in op.buildings])


CASE_HINTS = {
    "first_contact_on": "Le premier rendez-vous au sujet du relogement : les délais se "
                        "comptent depuis ce jour.",
    "household_id": "Un ménage déjà suivi par l'équipe ; sinon, laissez « Nouveau ménage » "
                    "et donnez un nom ci-dessous : son dossier sera créé.",
    "needs": "Par exemple : logement adapté PMR, rez-de-chaussée, famille nombreuse.",
    "wished_areas": "Par ordre de préférence.",
    "name": "Facultatif : « Ménage » suivi du nom de la personne, sinon.",
}


@bp.route("/operations/<int:operation_id>/menages/nouveau", methods=["GET", "POST"])
def new_case(operation_id: int):
    """Add a household living in one of the operation's buildings."""
    op = queries.operation_or_404(operation_id, current_user)
    form = NewCaseForm()
    _building_choices(form, op)
    linkable = queries.linkable_households(op)
    form.household_id.choices = choices([("", "Nouveau ménage")] +
                                        [(h.id, h.name) for h in linkable])
    if request.method == "GET":
        form.building_id.data = request.args.get("immeuble", type=int)

    def save():
        household = next((h for h in linkable if h.id == form.household_id.data), None)
        row = services.add_case(
            current_user, op, household=household,
            new_household={f: form[f].data for f in ("name", "first_name", "last_name")},
            values={f: form[f].data for f in form.FIELDS}, now=utcnow(), today=today_paris())
        return url_for("relogement.case", case_id=row.id)

    return _form_page(
        form, title="Ajouter un ménage", save=save, done="Ménage ajouté à l'opération.",
        fields=("household_id", "name", "first_name", "last_name", *form.FIELDS),
        back=url_for("relogement.operation", operation_id=op.id), crumbs=_crumbs(op),
        hints=CASE_HINTS, context={"groups": CASE_GROUPS_NEW, "show_when": dict.fromkeys(
            ("name", "first_name", "last_name"), "household_id:")})


#: Field groups of the household form, as (legend, fields).
CASE_GROUPS = [
    ("Logement actuel", ("building_id", "staircase", "flat_number", "first_contact_on")),
    ("Situation", ("current_rent", "tenure", "needs")),
    ("Souhaits", ("wished_areas", "typology", "max_rent")),
    ("Contraintes", ("mobility", "school", "health", "animals", "work")),
]
CASE_GROUPS_NEW = [("Le ménage", ("household_id", "name", "first_name", "last_name")),
                   *CASE_GROUPS]


@bp.route("/menages/<int:case_id>")
def case(case_id: int):
    """One household to rehouse: situation, wishes, constraints, proposals, outcome, missions."""
    row = queries.case_or_404(case_id, current_user)
    _read("relogement.case_read", "relogement_case", row)
    op = row.operation
    return render_template("relogement/case.html", c=row, op=op, today=today_paris(),
                           missions=queries.missions(op, row.id), lead=_lead(op.team_id),
                           tenures=vocab.TENURES,
                           next_ordinal=vocab.ordinal(len(row.proposals) + 1))


@bp.route("/menages/<int:case_id>/modifier", methods=["GET", "POST"])
def edit_case(case_id: int):
    """Edit a household's place, situation, wishes, constraints and first contact."""
    row = queries.case_or_404(case_id, current_user)
    form = CaseFields(obj=row)
    _building_choices(form, row.operation)
    return _form_page(
        form, title=f"Situation et souhaits — {row.household.name}", fields=form.FIELDS,
        current=row, save=lambda: services.update_case(
            current_user, row, {f: form[f].data for f in form.FIELDS}, form.seen_version(),
            now=utcnow(), today=today_paris()) and None,
        done="Situation enregistrée.", back=url_for("relogement.case", case_id=row.id),
        crumbs=_crumbs(row.operation, row), hints=CASE_HINTS, context={"groups": CASE_GROUPS})


@bp.route("/menages/<int:case_id>/propositions/nouvelle", methods=["GET", "POST"])
def new_proposal(case_id: int):
    """Record a rehousing proposal made to the household."""
    row = queries.case_or_404(case_id, current_user)
    form = ProposalForm()
    if request.method == "GET":
        form.proposed_on.data = today_paris()
        form.typology.data = row.typology
    rank = vocab.ordinal(len(row.proposals) + 1)
    wishes = ", ".join(x for x in (row.typology, row.wished_areas,
                                   f"loyer {row.max_rent:.2f} € au plus".replace(".", ",")
                                   if row.max_rent is not None else None) if x)
    back = url_for("relogement.case", case_id=row.id)
    return _form_page(
        form, title=f"{rank} proposition — {row.household.name}", fields=form.FIELDS,
        save=lambda: services.add_proposal(current_user, row,
                                           {f: form[f].data for f in form.FIELDS},
                                           now=utcnow(), today=today_paris()) and back,
        done="Proposition enregistrée.", back=back, crumbs=_crumbs(row.operation, row),
        intro=f"Souhaits du ménage : {wishes}." if wishes else None)


@bp.route("/propositions/<int:proposal_id>/reponse", methods=["GET", "POST"])
def answer(proposal_id: int):
    """Record (or correct) the household's answer to a proposal."""
    p = queries.proposal_or_404(proposal_id, current_user)
    row = p.case
    form = AnswerForm(obj=p)
    if request.method == "GET" and p.answer == "en_attente":
        form.answer.data = "acceptee"
        form.answered_on.data = today_paris()
    back = url_for("relogement.case", case_id=row.id)
    rent = f", {p.rent:.2f} €".replace(".", ",") if p.rent is not None else ""
    return _form_page(
        form, title=f"Réponse à la {p.ordinal} proposition — {row.household.name}",
        fields=("answer", "answered_on", "refusal_reason", "answer_text"), current=p,
        save=lambda: services.answer_proposal(
            current_user, p, answer=form.answer.data, answered_on=form.answered_on.data,
            reason=form.refusal_reason.data, text=form.answer_text.data,
            seen_version=form.seen_version(), now=utcnow(), today=today_paris()) and back,
        done="Réponse enregistrée.", back=back, crumbs=_crumbs(row.operation, row),
        intro=f"{p.typology} {p.address} — {p.landlord}{rent}, proposé le "
              f"{date_fr(p.proposed_on, 'medium')}.",
        hints={"refusal_reason": "Seulement en cas de refus."},
        context={"show_when": {"refusal_reason": "answer:refusee"}})


@bp.route("/menages/<int:case_id>/issue", methods=["GET", "POST"])
def outcome(case_id: int):
    """Record the move after an accepted proposal and the final outcome."""
    row = queries.case_or_404(case_id, current_user)
    form = OutcomeForm(obj=row)
    accepted = row.accepted
    if request.method == "GET" and accepted is not None:
        form.new_address.data = row.new_address or accepted.address
    back = url_for("relogement.case", case_id=row.id)
    intro = (f"Proposition acceptée le {date_fr(accepted.answered_on, 'medium')} : "
             f"{accepted.typology} {accepted.address} ({accepted.landlord})."
             if accepted else "Aucune proposition acceptée : pas de déménagement possible, "
                              "mais une autre issue peut être enregistrée.")
    return _form_page(
        form, title=f"Déménagement et issue — {row.household.name}",
        fields=("moved_on", "outcome", "outcome_on", "new_address", "outcome_text"),
        current=row, save=lambda: services.record_outcome(
            current_user, row, moved_on=form.moved_on.data, outcome=form.outcome.data,
            outcome_on=form.outcome_on.data, new_address=form.new_address.data,
            outcome_text=form.outcome_text.data, seen_version=form.seen_version(),
            now=utcnow(), today=today_paris()) and back,
        done="Déménagement et issue enregistrés.", back=back,
        crumbs=_crumbs(row.operation, row), intro=intro,
        hints={"moved_on": "Une date à venir est un déménagement prévu.",
               "outcome_on": "Pour un ménage relogé : le jour de l'entrée dans les lieux ou "
                             "après.",
               "new_address": "Obligatoire pour un ménage relogé.",
               "outcome_text": "Obligatoire pour « Autre issue »."},
        context={"show_when": {"outcome_on": "outcome:" + ",".join(vocab.OUTCOMES),
                               "new_address": "outcome:reloge",
                               "outcome_text": "outcome:" + ",".join(vocab.OUTCOMES)}})


# ---- missions -------------------------------------------------------------------------------

@bp.route("/operations/<int:operation_id>/missions/nouvelle", methods=["GET", "POST"],
          defaults={"mission_id": None})
@bp.route("/missions/<int:mission_id>/modifier", methods=["GET", "POST"],
          defaults={"operation_id": None})
def mission(operation_id: int | None, mission_id: int | None):
    """Order a mission from a provider, or update it (the chargé·e de mission pilots it)."""
    m = queries.mission_or_404(mission_id, current_user) if mission_id else None
    op = queries.operation_or_404(m.operation_id if m else operation_id, current_user)
    _require_lead(op.team_id)
    form = MissionForm(obj=m)
    form.case_id.choices = choices([("", "Toute l'opération")] + [
        (c.id, c.household.name) for c in queries.cases(op)])
    form.pilot_id.choices = choices([(u.id, u.display_name)
                                     for u in queries.coordinators(op.team_id)])
    if request.method == "GET" and m is None:
        form.started_on.data = today_paris()
        form.pilot_id.data = current_user.id
        form.case_id.data = request.args.get("menage", type=int)
    back = url_for("relogement.operation", operation_id=op.id) + "#missions"
    return _form_page(
        form, title=f"Mission — {m.provider}" if m else "Nouvelle mission", fields=form.FIELDS,
        current=m, save=lambda: services.save_mission(
            current_user, op, m, {f: form[f].data for f in form.FIELDS}, form.seen_version(),
            now=utcnow(), today=today_paris()) and None,
        done="Mission enregistrée.", back=back, crumbs=_crumbs(op),
        hints={"provider": "L'association ou le bureau d'études titulaire du marché.",
               "report_received_on": "Une mission terminée avec un rapport attendu doit "
                                     "avoir son rapport reçu."})
