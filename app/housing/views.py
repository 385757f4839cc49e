"""Housing pages: flats and places, contracts, rent, arrears, admissions, deadlines, vacancy."""
from __future__ import annotations

from datetime import date

from flask import (Blueprint, abort, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_login import current_user

from app.audit.services import record
from app.auth.scoping import role_required
from app.extensions import db
from app.formatting import date_fr, money
from app.forms import choices
from app.households.models import Household
from app.housing import pdf, queries, rules, services
from app.housing import timeline  # noqa: F401  (registers the timeline provider)
from app.housing.forms import (ApplicationForm, ArrearsStepForm, CancelPaymentForm,
                               ContractForm, DecisionForm, EndForm, EntryForm, FlatForm,
                               GlideForm, InterviewForm, PaymentForm, PlaceForm, RenewalForm,
                               RentForm, SiaoExitForm, WithdrawForm)
from app.housing.models import (APPLICATION_STATUSES, CONTRACT_KINDS, FLAT_STATUSES, Contract,
                                Place)
from app.housing.services import HousingError
from app.housing.text import day_fr
from app.nav import NavItem, register
from app.programmes import CASE_ROLES
from app.timeutil import today_paris, utcnow

bp = Blueprint("housing", __name__, url_prefix="/logements")

register(NavItem("Logements", "housing.index", "households", order=40, roles=CASE_ROLES,
                 blueprints=("housing",), phone=False,
                 programmes=("iml", "lda", "village", "lieu_de_vie")))


@bp.before_request
@role_required(*CASE_ROLES)
def case_roles_only():
    """Coordinators and workers only; volunteers and admins without a case role get 403."""
    return None


def _none_or_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


def _refusal(form, exc: HousingError, shown: list[str] | None = None) -> str | None:
    """Put a service's refusal next to its field; return it when no shown field fits."""
    name = exc.field
    if shown is not None and name not in shown:
        name = None
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, str(exc)]
        return None
    return str(exc)


def _page(template: str, status_code: int = 200, **ctx):
    return render_template(template, **ctx), status_code


def _form_page(form, *, title: str, fields: list[str], submit: str, back: tuple[str, str],
               error: str | None = None, hints: dict | None = None, intro: list | None = None,
               danger: bool = False, only: dict | None = None, status_code: int = 200):
    return _page("housing/form.html", status_code, form=form, title=title, fields=fields,
                 submit=submit, back=back, error=error, hints=hints or {}, intro=intro or [],
                 danger=danger, only=only or {})


def _posted() -> bool:
    return request.method == "POST"


def _team_filter() -> set[int] | None:
    """The teams asked for in the query string (`equipe`, repeatable), None for all.

    The lists narrow their scoped query to these ids: an id of another team, or junk, gives
    an empty list, never that team's rows.
    """
    values = [v for v in request.args.getlist("equipe") if v]
    if not values:
        return None
    return {int(v) for v in values if v.isdigit()}


def _filter_context(wanted: set[int] | None, teams) -> dict:
    """What a filtered list shows of its filter: the teams' names, and the query-string
    arguments that keep it on the list's own links."""
    if wanted is None:
        return {"filter_teams": None, "filter_args": {}}
    return {"filter_teams": [t.name for t in sorted(teams, key=lambda t: t.name)
                             if t.id in wanted],
            "filter_args": {"equipe": sorted(wanted)}}


# -- Flats -----------------------------------------------------------------------------------


@bp.route("/")
def index():
    """The flats and places of my teams, with occupants, ends and balances."""
    today = today_paris()
    status = request.args.get("statut") or None
    if status not in FLAT_STATUSES:
        status = None
    wanted = _team_filter()
    rows = queries.flats(current_user, today, status=status, teams=wanted)
    record("flat.list", actor=current_user,
           detail={"status": status, "teams": sorted(wanted) if wanted is not None else None})
    db.session.commit()
    teams = queries.my_teams(current_user)
    return render_template("housing/index.html", rows=rows, today=today, status=status,
                           statuses=FLAT_STATUSES, many_teams=len(teams) > 1,
                           **_filter_context(wanted, teams))


def _flat_form(flat=None):
    form = FlatForm(obj=flat)
    form.team_id.choices = choices([(t.id, t.name) for t in queries.my_teams(current_user)])
    return form


FLAT_FIELDS = ["address", "postcode", "city", "kind", "name", "surface_m2", "floor",
               "managed_since", "landlord_name", "landlord_contact", "landlord_rent",
               "landlord_charges", "water_meter", "electricity_meter", "gas_meter",
               "equipment", "audience", "animals_allowed", "rules"]
FLAT_HINTS = {
    "name": "Seulement pour un lieu de vie collectif (par exemple « Les Glycines »).",
    "managed_since": "Sert au calcul de la vacance ; à défaut, la première entrée.",
    "audience": "Par exemple : femmes seules, avec ou sans animaux.",
    "rules": "Horaires, visites, animaux, participation à la vie du lieu…",
}


@bp.route("/nouveau", methods=["GET", "POST"])
def new_flat():
    """Add a flat or a collective place."""
    form = _flat_form()
    error = None
    if form.validate_on_submit():
        try:
            flat = services.create_flat(current_user, form.team_id.data, form.data, now=utcnow())
        except HousingError as exc:
            error = _refusal(form, exc)
        else:
            flash("Logement ajouté.", "success")
            return redirect(url_for("housing.flat", flat_id=flat.id))
    fields = ["team_id", *FLAT_FIELDS[:7], "status", *FLAT_FIELDS[7:]]
    return _form_page(form, title="Ajouter un logement", fields=fields, submit="Enregistrer",
                      back=("Logements", url_for("housing.index")), error=error,
                      hints=FLAT_HINTS, status_code=422 if _posted() else 200)


@bp.route("/<int:flat_id>")
def flat(flat_id: int):
    """A flat: description, landlord, meters, places, occupants, contracts, vacancy gaps."""
    flat = queries.flat_or_404(current_user, flat_id)
    today = today_paris()
    record("flat.read", actor=current_user, object_type="flat", object_id=flat.id,
           team_id=flat.team_id)
    db.session.commit()  # before loading: a commit expires the rows read (one query each)
    contracts = queries.flat_contracts(flat)
    return _flat_page(flat, contracts, today, PlaceForm())


def _flat_page(flat, contracts, today, place_form, status_code=200, place_error=None):
    current = [c for c in contracts if c.ended_on is None]
    taken = {c.place_id: c for c in current if c.place_id}
    return _page("housing/flat.html", status_code, flat=flat, contracts=contracts,
                 current=current, taken=taken, gaps=queries.flat_gaps(flat, today), today=today,
                 balances={c.id: rules.balance(c, today) for c in current},
                 place_form=place_form, place_error=place_error)


@bp.route("/<int:flat_id>/modifier", methods=["GET", "POST"])
def edit_flat(flat_id: int):
    """Edit a flat's description and status."""
    flat = queries.flat_or_404(current_user, flat_id)
    form = _flat_form(flat)
    del form.team_id
    if flat.status == "occupe":  # follows the contracts: not editable while occupied
        del form.status
        del form.returned_on
    error = None
    if _posted() and form.validate():
        try:
            services.update_flat(current_user, flat, form.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Logement mis à jour.", "success")
            return redirect(url_for("housing.flat", flat_id=flat.id))
    fields = [*FLAT_FIELDS[:7], "status", "returned_on", *FLAT_FIELDS[7:]]
    hints = {**FLAT_HINTS, "status": "« Occupé » se déduit des contrats en cours.",
             "returned_on": "Seulement si le logement est rendu au bailleur."}
    if flat.status == "occupe":
        fields.remove("status")
        fields.remove("returned_on")
    return _form_page(form, title=f"Modifier {flat.label}", fields=fields, submit="Enregistrer",
                      back=(flat.label, url_for("housing.flat", flat_id=flat.id)), error=error,
                      hints=hints, status_code=422 if _posted() else 200)


@bp.route("/<int:flat_id>/places", methods=["POST"])
def add_place(flat_id: int):
    """Add a place to a collective place."""
    flat = queries.flat_or_404(current_user, flat_id)
    if not flat.is_collective:
        abort(404)  # only collective places have places (and a form to add one)
    form = PlaceForm()
    error = None
    if form.validate_on_submit():
        try:
            services.add_place(current_user, flat, form.label.data, form.notes.data,
                               now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Place ajoutée.", "success")
            return redirect(url_for("housing.flat", flat_id=flat.id) + "#places")
    return _flat_page(flat, queries.flat_contracts(flat), today_paris(), form, 422, error)


CONTRACT_HINTS = {
    "start_on": "Premier jour dans le logement : le loyer est dû à partir de ce jour.",
    "kind": "Sous-location : 6 mois, renouvelable deux fois (18 mois au plus).",
    "glide_planned_on": "Date à laquelle le bail doit passer au nom du ménage.",
    "term_months": "Laisser vide pour une convention sans durée limitée.",
    "rent": "Le ménage paie loyer + charges − APL versée à l'association.",
    "apl": "0 si l'APL est versée au ménage.",
}


def _contract_fields(flat) -> tuple[list[str], dict]:
    if flat.is_collective:
        return (["household_id", "place_id", "kind", "start_on", "term_months", "rent",
                 "charges", "apl"], {})
    return (["household_id", "kind", "start_on", "glide_planned_on", "rent", "charges", "apl"],
            {"glide_planned_on": "bail_glissant"})


@bp.route("/<int:flat_id>/contrats/nouveau", methods=["GET", "POST"])
def new_contract(flat_id: int):
    """Sign a contract for a flat (or a place of a collective place)."""
    flat = queries.flat_or_404(current_user, flat_id)
    form = ContractForm()
    form.household_id.coerce = _none_or_int
    form.place_id.coerce = _none_or_int
    form.household_id.choices = choices([("", "— Choisir —"),
                                         *queries.household_choices(flat.team_id)])
    form.place_id.choices = choices([("", "— Choisir —"),
                                     *[(p.id, p.label) for p in flat.places]])
    kinds = ["occupation"] if flat.is_collective else ["sous_location", "bail_glissant"]
    form.kind.choices = choices([(k, CONTRACT_KINDS[k]) for k in kinds])
    error = None
    if request.method == "GET":
        form.start_on.data = today_paris()
        if request.args.get("menage", type=int):
            form.household_id.data = request.args.get("menage", type=int)
        if request.args.get("place", type=int):
            form.place_id.data = request.args.get("place", type=int)
    if form.validate_on_submit():
        household = None
        if form.household_id.data:
            household = db.session.get(Household, form.household_id.data)
        place = db.session.get(Place, form.place_id.data) if form.place_id.data else None
        try:
            contract = services.sign_contract(
                current_user, flat, household, kind=form.kind.data, start_on=form.start_on.data,
                rent=form.rent.data, charges=form.charges.data, apl=form.apl.data,
                term_months=form.term_months.data, glide_planned_on=form.glide_planned_on.data,
                place=place, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Contrat enregistré.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    fields, only = _contract_fields(flat)
    hints = CONTRACT_HINTS
    if flat.is_collective:
        form.rent.label.text = "Redevance mensuelle (€)"
        hints = {**CONTRACT_HINTS,
                 "kind": "Une place de lieu collectif s'occupe par convention d'occupation.",
                 "rent": "Le ménage paie redevance + charges − APL versée à l'association."}
    return _form_page(form, title="Signer un contrat", fields=fields,
                      submit="Enregistrer le contrat",
                      back=(flat.label, url_for("housing.flat", flat_id=flat.id)), error=error,
                      hints=hints, only=only, intro=[("Logement", flat.label)],
                      status_code=422 if _posted() else 200)


# -- Contracts -------------------------------------------------------------------------------


@bp.route("/contrats/<int:contract_id>")
def contract(contract_id: int):
    """A contract: dates, renewals, rent, balance and account, receipts, arrears, exit."""
    contract = queries.contract_or_404(current_user, contract_id)
    today = today_paris()
    record("contract.read", actor=current_user, object_type="contract", object_id=contract.id,
           team_id=contract.team_id)
    db.session.commit()
    statuses = rules.month_statuses(contract, today)
    lines = rules.ledger(contract, today, month_label=lambda d: _month_name(d))
    return render_template(
        "housing/contract.html", c=contract, today=today, statuses=list(reversed(statuses)),
        lines=list(reversed(lines)), balance=rules.balance(contract, today),
        threshold=rules.arrears_threshold(contract, today),
        arrears_since=rules.arrears_since(contract, today),
        terms=contract.terms_on(today), month_name=_month_name,
        deadlines=queries.contract_deadlines(contract, today) if contract.is_active else [])


bp.add_app_template_filter(day_fr, "date_fr_1er")  # "1er mars 2026"


def _month_name(day: date) -> str:
    return date_fr(day, "MMMM y")


def _contract_back(contract) -> tuple[str, str]:
    return (f"Contrat de {contract.household.name}",
            url_for("housing.contract", contract_id=contract.id))


def _contract_intro(contract) -> list[tuple[str, str]]:
    return [("Ménage", contract.household.name), ("Logement", contract.unit_label)]


@bp.route("/contrats/<int:contract_id>/renouveler", methods=["GET", "POST"])
def renew(contract_id: int):
    """Renew a contract: date, who decided, why; refused beyond the renewals allowed."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = RenewalForm()
    error = None
    if request.method == "GET":
        form.decided_on.data = today_paris()
        form.decided_by.data = current_user.display_name
    if form.validate_on_submit():
        try:
            renewal = services.renew(current_user, contract, decided_on=form.decided_on.data,
                                     decided_by=form.decided_by.data, reason=form.reason.data,
                                     now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash(f"Contrat renouvelé jusqu'au {_date(renewal.new_end_on)} "
                  f"({renewal.number} renouvellement{'s' if renewal.number > 1 else ''} "
                  f"sur {contract.max_renewals}).", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    intro = _contract_intro(contract)
    if contract.end_on:
        intro.append(("Fin actuelle", _date(contract.end_on)))
    if contract.max_renewals is not None:
        intro.append(("Renouvellements", f"{contract.renewals_used} sur {contract.max_renewals}"))
    blocked = None
    if contract.renewals_left == 0 and contract.ended_on is None and request.method == "GET":
        try:  # the same rule as the service, said before anyone fills the form
            services.renew(current_user, contract, decided_on=None, decided_by=None, reason=None,
                           now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            blocked = str(exc)
    return _page("housing/renew.html", 422 if _posted() else 200, form=form, c=contract,
                 error=error or blocked, blocked=bool(blocked), intro=intro,
                 back=_contract_back(contract))


def _date(day: date) -> str:
    return day_fr(day)


@bp.route("/contrats/<int:contract_id>/sortie", methods=["GET", "POST"])
def end_contract(contract_id: int):
    """Record the household's exit and free the flat or place."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = EndForm()
    error = None
    if request.method == "GET":
        form.ended_on.data = min(contract.exit_planned_on or today_paris(), today_paris())
    if form.validate_on_submit():
        try:
            services.end_contract(current_user, contract, ended_on=form.ended_on.data,
                                  reason=form.reason.data, destination=form.destination.data,
                                  note=form.note.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Sortie enregistrée : le logement est libéré.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    return _form_page(form, title="Enregistrer la sortie", submit="Enregistrer la sortie",
                      fields=["ended_on", "reason", "destination", "note"],
                      back=_contract_back(contract), error=error, danger=True,
                      intro=_contract_intro(contract),
                      status_code=422 if _posted() else 200)


@bp.route("/contrats/<int:contract_id>/glissement", methods=["GET", "POST"])
def glide(contract_id: int):
    """Record that a bail glissant slid to the household."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = GlideForm()
    error = None
    if request.method == "GET":
        form.glided_on.data = min(contract.glide_planned_on or today_paris(), today_paris())
    if form.validate_on_submit():
        try:
            services.record_glide(current_user, contract, glided_on=form.glided_on.data,
                                  note=form.note.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Glissement enregistré : le ménage est locataire en titre, le logement sort "
                  "du parc.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    intro = _contract_intro(contract)
    if contract.glide_planned_on:
        intro.append(("Glissement prévu", _date(contract.glide_planned_on)))
    return _form_page(form, title="Enregistrer le glissement du bail", submit="Enregistrer",
                      fields=["glided_on", "note"], back=_contract_back(contract), error=error,
                      intro=intro, status_code=422 if _posted() else 200,
                      hints={"glided_on": "Premier jour du bail au nom du ménage ; la "
                                          "sous-location prend fin la veille."})


@bp.route("/contrats/<int:contract_id>/sortie-siao", methods=["GET", "POST"])
def siao_exit(contract_id: int):
    """Record an upcoming exit declared to the SIAO."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = SiaoExitForm()
    error = None
    if request.method == "GET":
        form.exit_planned_on.data = contract.exit_planned_on or contract.end_on
        form.declared_on.data = contract.siao_declared_on or today_paris()
    if form.validate_on_submit():
        try:
            services.declare_exit(current_user, contract,
                                  exit_planned_on=form.exit_planned_on.data,
                                  declared_on=form.declared_on.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Déclaration au SIAO enregistrée.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    return _form_page(form, title="Déclarer une sortie au SIAO", submit="Enregistrer",
                      fields=["exit_planned_on", "declared_on"], back=_contract_back(contract),
                      error=error, intro=_contract_intro(contract),
                      hints={"declared_on": "Déclarer tôt réduit la vacance du logement."},
                      status_code=422 if _posted() else 200)


@bp.route("/contrats/<int:contract_id>/loyer", methods=["GET", "POST"])
def rent(contract_id: int):
    """Revise the rent, charges or APL from a month on."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = RentForm()
    error = None
    if request.method == "GET":
        terms = contract.terms_on(today_paris())
        form.effective_on.data = rules.first_of_month(today_paris())
        if terms:
            form.rent.data, form.charges.data, form.apl.data = terms.rent, terms.charges, terms.apl
    if form.validate_on_submit():
        try:
            services.change_rent(current_user, contract, effective_on=form.effective_on.data,
                                 rent=form.rent.data, charges=form.charges.data,
                                 apl=form.apl.data, note=form.note.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Nouveau loyer enregistré.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    return _form_page(form, title="Réviser le loyer ou l'APL", submit="Enregistrer",
                      fields=["effective_on", "rent", "charges", "apl", "note"],
                      back=_contract_back(contract), error=error, hints=CONTRACT_HINTS,
                      intro=_contract_intro(contract),
                      status_code=422 if _posted() else 200)


@bp.route("/contrats/<int:contract_id>/paiements/nouveau", methods=["GET", "POST"])
def new_payment(contract_id: int):
    """Record a payment."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = PaymentForm()
    error = None
    today = today_paris()
    if request.method == "GET":
        form.paid_on.data = today
    if form.validate_on_submit():
        try:
            services.record_payment(current_user, contract, paid_on=form.paid_on.data,
                                    amount=form.amount.data, method=form.method.data,
                                    reference=form.reference.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Paiement enregistré.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id) + "#compte")
    intro = _contract_intro(contract)
    intro.append(("Solde dû", _money(rules.balance(contract, today))))
    terms = contract.terms_on(today)
    if terms:
        intro.append(("Part mensuelle", _money(terms.monthly_due)))
    return _form_page(form, title="Enregistrer un paiement", submit="Enregistrer le paiement",
                      fields=["paid_on", "amount", "method", "reference"],
                      back=_contract_back(contract), error=error, intro=intro,
                      status_code=422 if _posted() else 200)


def _money(value) -> str:
    return money(value)


@bp.route("/contrats/<int:contract_id>/paiements/<int:payment_id>/annuler",
          methods=["GET", "POST"])
def cancel_payment(contract_id: int, payment_id: int):
    """Cancel a mistaken payment entry, with a reason."""
    contract = queries.contract_or_404(current_user, contract_id)
    payment = next((p for p in contract.payments if p.id == payment_id), None)
    if payment is None:  # another contract's payment: same answer as another team's row
        record("access.denied", actor=current_user, object_type="payment", object_id=payment_id)
        db.session.commit()
        abort(404)
    form = CancelPaymentForm()
    error = None
    if form.validate_on_submit():
        try:
            services.cancel_payment(current_user, payment, form.reason.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Paiement annulé.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id) + "#compte")
    intro = [*_contract_intro(contract),
             ("Paiement", f"{_money(payment.amount)} le {_date(payment.paid_on)} "
                          f"({payment.method_label})")]
    return _form_page(form, title="Annuler un paiement", submit="Annuler ce paiement",
                      fields=["reason"], back=_contract_back(contract), error=error,
                      intro=intro, danger=True, status_code=422 if _posted() else 200,
                      hints={"reason": "Le paiement reste visible, barré, avec ce motif."})


@bp.route("/contrats/<int:contract_id>/impayes/nouveau", methods=["GET", "POST"])
def arrears_step(contract_id: int):
    """Record a step of the unpaid-rent procedure."""
    contract = queries.contract_or_404(current_user, contract_id)
    form = ArrearsStepForm()
    form.done_by_id.coerce = _none_or_int
    form.done_by_id.choices = choices(queries.member_choices(contract.team_id))
    error = None
    today = today_paris()
    if request.method == "GET":
        form.done_on.data = today
        form.done_by_id.data = current_user.id
        if request.args.get("etape"):
            form.kind.data = request.args["etape"]
    if form.validate_on_submit():
        try:
            services.record_arrears_step(
                current_user, contract, kind=form.kind.data, done_on=form.done_on.data,
                done_by_id=form.done_by_id.data, monthly_amount=form.monthly_amount.data,
                note=form.note.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Étape de la procédure enregistrée.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id) + "#impayes")
    intro = [*_contract_intro(contract),
             ("Solde dû", _money(rules.balance(contract, today)))]
    return _form_page(form, title="Procédure d'impayé", submit="Enregistrer l'étape",
                      fields=["kind", "done_on", "done_by_id", "monthly_amount", "note"],
                      back=_contract_back(contract), error=error, intro=intro,
                      only={"monthly_amount": "plan_apurement"},
                      status_code=422 if _posted() else 200)


@bp.route("/contrats/<int:contract_id>/quittances/<int(fixed_digits=4):year>-"
          "<int(fixed_digits=2):month>.pdf")
def receipt(contract_id: int, year: int, month: int):
    """The month's quittance (or partial receipt, or rent call) as a PDF."""
    contract = queries.contract_or_404(current_user, contract_id)
    today = today_paris()
    if not 1 <= month <= 12:
        abort(404)
    wanted = date(year, month, 1)
    status = next((s for s in rules.month_statuses(contract, today) if s.due.month == wanted),
                  None)
    if status is None:
        abort(404)
    body = pdf.receipt_pdf(contract, status, issued_on=today)
    record("receipt.print", actor=current_user, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"month": f"{wanted:%Y-%m}", "state": status.state})
    db.session.commit()
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="{pdf.receipt_filename(contract, wanted)}"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/menages/<int:household_id>")
def household(household_id: int):
    """A household's housing: its contracts, their balances, its candidatures."""
    household = queries.household_or_404(current_user, household_id)
    today = today_paris()
    contracts = queries.household_contracts(household)
    record("household.housing_read", actor=current_user, object_type="household",
           object_id=household.id, team_id=household.team_id)
    db.session.commit()
    balances = {c.id: rules.balance(c, today) for c in contracts}
    return render_template("housing/household.html", household=household, contracts=contracts,
                           balances=balances, total=sum(balances.values()), today=today,
                           applications=queries.household_applications(household))


# -- Admissions ------------------------------------------------------------------------------


@bp.route("/candidatures/")
def applications():
    """The waiting list (oldest listing first), candidatures in progress, and closed ones;
    narrowed by team (`equipe`) and status (`statut`, repeatable) when asked."""
    wanted = _team_filter()
    statuses = [s for s in request.args.getlist("statut") if s in APPLICATION_STATUSES] or None
    rows = queries.applications(current_user, teams=wanted, statuses=statuses)
    record("application.list", actor=current_user,
           detail={"teams": sorted(wanted) if wanted is not None else None,
                   "statuses": statuses})
    db.session.commit()
    waiting = queries.waiting_list(rows)
    pending = [a for a in rows if a.status in ("recue", "entretien")]
    closed = [a for a in rows if a.status in ("entree", "refuse", "retiree")]
    teams = queries.my_teams(current_user)
    shown = set(statuses or APPLICATION_STATUSES)
    return render_template("housing/applications.html", waiting=waiting, pending=pending,
                           closed=closed, many_teams=len(teams) > 1, count=len(rows),
                           statuses=[APPLICATION_STATUSES[s] for s in statuses or []],
                           show_waiting=bool(shown & {"admis", "attente"}),
                           show_pending=bool(shown & {"recue", "entretien"}),
                           **_filter_context(wanted, teams))


@bp.route("/candidatures/nouvelle", methods=["GET", "POST"])
def new_application():
    """Register a candidature received from the SIAO or a partner."""
    form = ApplicationForm()
    form.team_id.choices = choices([(t.id, t.name) for t in queries.my_teams(current_user)])
    error = None
    if request.method == "GET":
        form.received_on.data = today_paris()
    if form.validate_on_submit():
        try:
            application = services.create_application(current_user, form.team_id.data,
                                                      form.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Candidature enregistrée.", "success")
            return redirect(url_for("housing.application", application_id=application.id))
    fields = ["team_id", "name", "received_on", "source", "partner", "siao_ref", "adults",
              "children", "resources_amount", "resources_detail", "situation", "wanted",
              "animals", "notes"]
    if len(form.team_id.choices) == 1:
        fields.remove("team_id")
    return _form_page(form, title="Nouvelle candidature", fields=fields,
                      submit="Enregistrer la candidature",
                      back=("Candidatures", url_for("housing.applications")), error=error,
                      hints={"partner": "Obligatoire si la candidature vient d'un partenaire.",
                             "name": "Comme le ménage souhaite être nommé ; un alias suffit."},
                      status_code=422 if _posted() else 200)


@bp.route("/candidatures/<int:application_id>")
def application(application_id: int):
    """A candidature: key facts, interview, commission decisions, entry."""
    application = queries.application_or_404(current_user, application_id)
    record("application.read", actor=current_user, object_type="housing_application",
           object_id=application.id, team_id=application.team_id)
    db.session.commit()
    rank = None
    if application.status in ("admis", "attente"):
        waiting = queries.waiting_list(queries.applications(current_user,
                                                            application.team_id))
        rank = next((i for i, a in enumerate(waiting, 1) if a.id == application.id), None)
    return render_template("housing/application.html", a=application, rank=rank)


def _application_back(application) -> tuple[str, str]:
    return (f"Candidature de {application.name}",
            url_for("housing.application", application_id=application.id))


@bp.route("/candidatures/<int:application_id>/entretien", methods=["GET", "POST"])
def interview(application_id: int):
    """Record the admissibility interview."""
    application = queries.application_or_404(current_user, application_id)
    form = InterviewForm()
    error = None
    if request.method == "GET":
        form.interview_on.data = application.interview_on or today_paris()
        if application.admissible is not None:
            form.admissible.data = "oui" if application.admissible else "non"
        form.notes.data = application.interview_notes
    if form.validate_on_submit():
        admissible = {"oui": True, "non": False}.get(form.admissible.data)
        try:
            services.record_interview(current_user, application,
                                      interview_on=form.interview_on.data,
                                      admissible=admissible, notes=form.notes.data,
                                      now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Entretien enregistré.", "success")
            return redirect(url_for("housing.application", application_id=application.id))
    return _form_page(form, title="Entretien d'admissibilité", submit="Enregistrer",
                      fields=["interview_on", "admissible", "notes"],
                      back=_application_back(application), error=error,
                      intro=[("Candidature", application.name)],
                      status_code=422 if _posted() else 200)


@bp.route("/candidatures/<int:application_id>/commission", methods=["GET", "POST"])
def decision(application_id: int):
    """Record the admission commission's decision."""
    application = queries.application_or_404(current_user, application_id)
    form = DecisionForm()
    error = None
    if request.method == "GET":
        form.commission_on.data = today_paris()
        if application.decisions:
            form.members.data = application.decisions[-1].members
    if form.validate_on_submit():
        try:
            services.record_decision(current_user, application,
                                     commission_on=form.commission_on.data,
                                     members=form.members.data, decision=form.decision.data,
                                     reason=form.reason.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Décision de la commission enregistrée.", "success")
            return redirect(url_for("housing.application", application_id=application.id))
    return _form_page(form, title="Commission d'admission", submit="Enregistrer la décision",
                      fields=["commission_on", "members", "decision", "reason"],
                      back=_application_back(application), error=error,
                      intro=[("Candidature", application.name)],
                      hints={"members": "Par exemple : responsable de service, SIAO, CCAS."},
                      status_code=422 if _posted() else 200)


@bp.route("/candidatures/<int:application_id>/retrait", methods=["GET", "POST"])
def withdraw(application_id: int):
    """Take a candidature off the list."""
    application = queries.application_or_404(current_user, application_id)
    form = WithdrawForm()
    error = None
    if request.method == "GET":
        form.withdrawn_on.data = today_paris()
    if form.validate_on_submit():
        try:
            services.withdraw(current_user, application, withdrawn_on=form.withdrawn_on.data,
                              reason=form.reason.data, now=utcnow())
        except HousingError as exc:
            db.session.rollback()
            error = _refusal(form, exc)
        else:
            flash("Candidature retirée de la liste.", "success")
            return redirect(url_for("housing.applications"))
    return _form_page(form, title="Retirer la candidature", submit="Retirer",
                      fields=["withdrawn_on", "reason"], back=_application_back(application),
                      error=error, danger=True, intro=[("Candidature", application.name)],
                      status_code=422 if _posted() else 200)


def _entry_fields(application) -> list[str]:
    fields = ["unit", "kind", "start_on", "glide_planned_on", "term_months", "rent", "charges",
              "apl"]
    if application.household_id is None:
        fields.append("referent_id")
    return fields


@bp.route("/candidatures/<int:application_id>/entree", methods=["GET", "POST"])
def entry(application_id: int):
    """An admitted household enters a free flat or place: household and contract are made."""
    application = queries.application_or_404(current_user, application_id)
    form = EntryForm()
    form.referent_id.coerce = _none_or_int
    form.unit.choices = choices([("", "— Choisir —"),
                                 *queries.free_units(application.team_id)])
    form.referent_id.choices = choices([("", "— Aucun·e pour l'instant —"),
                                        *queries.member_choices(application.team_id)])
    error = None
    if request.method == "GET":
        form.start_on.data = today_paris()
        form.referent_id.data = current_user.id
    if form.validate_on_submit():
        flat, place = queries.resolve_unit(application.team_id, form.unit.data)
        shown = _entry_fields(application)
        try:
            contract = services.enter(
                current_user, application, flat=flat, place=place, kind=form.kind.data,
                start_on=form.start_on.data, rent=form.rent.data, charges=form.charges.data,
                apl=form.apl.data, term_months=form.term_months.data,
                glide_planned_on=form.glide_planned_on.data,
                referent_id=form.referent_id.data, now=utcnow())
        except HousingError as exc:
            if exc.field in ("place_id", "flat"):
                exc.field = "unit"
            error = _refusal(form, exc, shown)
        else:
            flash(f"{application.name} entre dans le logement : contrat enregistré.", "success")
            return redirect(url_for("housing.contract", contract_id=contract.id))
    fields = _entry_fields(application)
    hints = {**CONTRACT_HINTS,
             "kind": "Sous-location ou bail glissant pour un logement ; convention "
                     "d'occupation pour une place en lieu collectif.",
             "referent_id": "Le ménage est créé à l'entrée, suivi par l'équipe."}
    return _form_page(form, title="Entrée dans un logement", submit="Enregistrer l'entrée",
                      fields=fields, back=_application_back(application), error=error,
                      hints=hints, intro=[("Candidature", application.name)],
                      only={"glide_planned_on": "bail_glissant", "term_months": "occupation"},
                      status_code=422 if _posted() else 200)


# -- Deadlines and vacancy -------------------------------------------------------------------


@bp.route("/echeances")
def deadlines():
    """Contract ends, renewal decisions, glides and arrears of my teams, soonest first."""
    today = today_paris()
    rows = queries.deadlines_for(current_user, today)
    # Already in the session's identity map: no extra query per row.
    contracts = {d.contract_id: db.session.get(Contract, d.contract_id) for d in rows}
    record("housing.deadlines", actor=current_user)
    db.session.commit()
    return render_template("housing/deadlines.html", rows=rows, today=today,
                           contracts=contracts)


@bp.route("/vacance")
def vacancy():
    """Vacancy days per flat and per month of a year; exits declared to the SIAO."""
    today = today_paris()
    year = request.args.get("annee", type=int) or today.year
    if not 2000 <= year <= today.year + 1:
        year = today.year
    wanted = _team_filter()
    rows = queries.vacancy(current_user, year, today, teams=wanted)
    months = [date(year, m, 1) for m in range(1, 13)]
    totals = [sum(r.months[i] for r in rows) for i in range(12)]
    return render_template("housing/vacancy.html", rows=rows, year=year, today=today,
                           months=months, totals=totals,
                           declarations=queries.exit_declarations(current_user, year,
                                                                  teams=wanted),
                           **_filter_context(wanted, queries.my_teams(current_user)))
