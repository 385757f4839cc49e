"""Housing writes. One use case per function, one transaction, explicit `actor` and `now`.

A refusal raises HousingError with a French message (and the form field it belongs to);
nothing is written when it does. "Today" is the Paris calendar day at `now`.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth.models import Membership, Team
from app.auth.scoping import team_ids
from app.extensions import db
from app.households.models import Enrolment, Household
from app.housing import rules
from app.housing.text import day_fr
from app.housing.models import (APPLICATION_SOURCES, ARREARS_STEPS, CONTRACT_KINDS,
                                CONTRACT_TERMS, DECISIONS, EXIT_DESTINATIONS, EXIT_REASONS,
                                FLAT_STATUSES, KIND_LABELS, PAYMENT_METHODS,
                                WANTED_UNITS, AdmissionDecision, Application, ArrearsStep,
                                Contract, Flat, Payment, Place, Renewal, RentTerms)
from app.programmes import CASE_ROLES
from app.timeutil import today_paris

MAX_AMOUNT = Decimal("100000")


class HousingError(ValueError):
    """A refused housing operation; the message is French and meant for the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  #: the form field the message belongs to, if any


def _d(day: date) -> str:
    return day_fr(day)


def _check_team(actor, team_id: int) -> None:
    if team_id not in team_ids(actor, CASE_ROLES):
        raise HousingError("Vous n'êtes pas membre de l'équipe qui gère ce logement.")


def _check_member(team_id: int, user_id: int | None, field: str, what: str) -> None:
    if user_id is None:
        return
    ok = db.session.scalar(select(Membership.id).where(
        Membership.team_id == team_id, Membership.user_id == user_id,
        Membership.role.in_(CASE_ROLES)))
    if not ok:
        raise HousingError(f"{what} doit être membre de l'équipe.", field)


def _not_future(day: date | None, today: date, field: str, what: str) -> None:
    if day is not None and day > today:
        raise HousingError(f"{what} ne peut pas être dans le futur.", field)


def _required(value, field: str, message: str = "Ce champ est obligatoire."):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise HousingError(message, field)
    return value.strip() if isinstance(value, str) else value


def _amount(value: Decimal | None, field: str, *, positive: bool = False,
            required: bool = True) -> Decimal | None:
    if value is None:
        if required:
            raise HousingError("Indiquez le montant.", field)
        return None
    if positive and value <= 0:
        raise HousingError("Le montant doit être supérieur à zéro.", field)
    if value < 0:
        raise HousingError("Le montant ne peut pas être négatif.", field)
    if value >= MAX_AMOUNT:
        raise HousingError("Ce montant est trop élevé : vérifiez la saisie.", field)
    return rules.money(value)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


# -- Flats and places ------------------------------------------------------------------------

FLAT_FIELDS = ("address", "postcode", "city", "kind", "name", "surface_m2", "floor",
               "landlord_name", "landlord_contact", "landlord_rent", "landlord_charges",
               "water_meter", "electricity_meter", "gas_meter", "equipment", "managed_since",
               "audience", "animals_allowed", "rules")


def _flat_values(values: dict, today: date) -> dict:
    v = {k: values.get(k) for k in FLAT_FIELDS}
    for key in ("address", "postcode", "city"):
        v[key] = _required(v[key], key)
    if v["kind"] not in KIND_LABELS:
        raise HousingError("Choisissez un type de logement.", "kind")
    for key in ("name", "landlord_name", "landlord_contact", "water_meter", "electricity_meter",
                "gas_meter", "equipment", "audience", "rules"):
        v[key] = _clean(v[key])
    if v["surface_m2"] is not None and not 5 <= v["surface_m2"] <= 2000:
        raise HousingError("Indiquez une surface entre 5 et 2 000 m².", "surface_m2")
    if v["floor"] is not None and not -3 <= v["floor"] <= 60:
        raise HousingError("Indiquez un étage entre -3 et 60 (0 : rez-de-chaussée).", "floor")
    v["landlord_rent"] = _amount(v["landlord_rent"], "landlord_rent", required=False)
    v["landlord_charges"] = _amount(v["landlord_charges"], "landlord_charges", required=False)
    _not_future(v["managed_since"], today, "managed_since", "La date de prise en gestion")
    v["animals_allowed"] = bool(v["animals_allowed"])
    return v


def create_flat(actor, team_id: int, values: dict, *, now: datetime) -> Flat:
    """Add a flat or a collective place to a team's stock (vacant, or in works)."""
    _check_team(actor, team_id)
    v = _flat_values(values, today_paris(now))
    status = values.get("status") or "vacant"
    if status not in ("vacant", "travaux"):
        raise HousingError("Un nouveau logement est vacant ou en travaux.", "status")
    flat = Flat(team_id=team_id, status=status, created_at=now, **v)
    db.session.add(flat)
    db.session.flush()
    record("flat.create", actor=actor, object_type="flat", object_id=flat.id, team_id=team_id,
           now=now)
    db.session.commit()
    return flat


def update_flat(actor, flat: Flat, values: dict, *, now: datetime) -> Flat:
    """Edit a flat's description; its status may be set to vacant, travaux or rendu by hand."""
    _check_team(actor, flat.team_id)
    today = today_paris(now)
    v = _flat_values(values, today)
    occupied = _active_contracts(flat)
    if v["kind"] != flat.kind and (occupied or flat.places):
        if flat.is_collective or v["kind"] == "collectif":
            raise HousingError("Un logement occupé, ou un lieu collectif qui a des places, ne "
                               "change pas de nature.", "kind")
    status = values.get("status") or flat.status
    if status not in FLAT_STATUSES:
        raise HousingError("Statut inconnu.", "status")
    if status != flat.status:
        if status == "occupe":
            raise HousingError("« Occupé » se déduit des contrats : signez un contrat pour ce "
                               "logement.", "status")
        if occupied:
            raise HousingError(f"Ce logement est occupé par {occupied[0].household.name} : "
                               "enregistrez d'abord la sortie.", "status")
        if status == "rendu":
            v["returned_on"] = values.get("returned_on") or today
            _not_future(v["returned_on"], today, "returned_on", "La date de restitution")
        else:
            v["returned_on"] = None
        flat.status = status
    elif status == "rendu" and values.get("returned_on"):
        v["returned_on"] = values["returned_on"]
        _not_future(v["returned_on"], today, "returned_on", "La date de restitution")
    changed = sorted(k for k, val in v.items() if getattr(flat, k) != val)
    for key, val in v.items():
        setattr(flat, key, val)
    record("flat.update", actor=actor, object_type="flat", object_id=flat.id,
           team_id=flat.team_id, detail={"fields": changed}, now=now)
    db.session.commit()
    return flat


def add_place(actor, flat: Flat, label: str, notes: str | None, *, now: datetime) -> Place:
    """Add a place (a room, a bed) to a collective living place."""
    _check_team(actor, flat.team_id)
    if not flat.is_collective:
        raise HousingError("Seul un lieu de vie collectif a des places.", "label")
    label = _required(label, "label", "Nommez la place (par exemple « Chambre 3 »).")
    if any(p.label.lower() == label.lower() for p in flat.places):
        raise HousingError("Une place porte déjà ce nom dans ce lieu.", "label")
    place = Place(flat=flat, label=label[:60], notes=_clean(notes))
    db.session.add(place)
    db.session.flush()
    record("place.create", actor=actor, object_type="place", object_id=place.id,
           team_id=flat.team_id, now=now)
    db.session.commit()
    return place


def _active_contracts(flat: Flat) -> list[Contract]:
    return list(db.session.scalars(select(Contract).where(
        Contract.flat_id == flat.id, Contract.ended_on.is_(None))))


def _refresh_status(flat: Flat) -> None:
    """'occupe' while a contract runs; back to 'vacant' when the last one ends."""
    if _active_contracts(flat):
        flat.status = "occupe"
    elif flat.status == "occupe":
        flat.status = "vacant"


# -- Contracts -------------------------------------------------------------------------------


def _check_terms(rent, charges, apl) -> tuple[Decimal, Decimal, Decimal]:
    rent = _amount(rent, "rent")
    charges = _amount(charges, "charges")
    apl = _amount(apl if apl is not None else Decimal("0"), "apl")
    if apl > rent + charges:
        raise HousingError("L'APL ne peut pas dépasser le loyer et les charges.", "apl")
    return rent, charges, apl


def _check_unit_free(flat: Flat, place: Place | None, household: Household | None,
                     start_on: date) -> None:
    """A unit holds one household at a time; a household holds one unit at a time.

    A contract occupies its unit from its start until its exit day, or for good while no exit
    is recorded; the new contract, not ended by definition, occupies from its start on.
    """
    unit = select(Contract).where(Contract.flat_id == flat.id)
    if place is not None:
        unit = unit.where(Contract.place_id == place.id)
    where = "Cette place" if place is not None else "Ce logement"
    for c in db.session.scalars(unit):
        if c.ended_on is None:
            raise HousingError(
                f"{where} est déjà attribué{'e' if place is not None else ''} à "
                f"{c.household.name} depuis le {_d(c.start_on)} (contrat en cours) : un "
                "logement ne peut pas être loué à deux ménages à la fois. Enregistrez d'abord "
                "la sortie.", "start_on")
        if c.ended_on >= start_on:
            raise HousingError(
                f"{where} était occupé{'e' if place is not None else ''} par "
                f"{c.household.name} jusqu'au {_d(c.ended_on)} : l'entrée doit être postérieure "
                "à cette sortie.", "start_on")
    if household is None:
        return
    for c in db.session.scalars(select(Contract).where(Contract.household_id == household.id)):
        if c.ended_on is None or c.ended_on >= start_on:
            raise HousingError(
                f"{household.name} occupe déjà {c.unit_label} "
                f"({'contrat en cours' if c.ended_on is None else 'jusqu’au ' + _d(c.ended_on)})"
                " : enregistrez d'abord sa sortie.", "household_id")


def _validate_contract(actor, flat: Flat, place: Place | None, household: Household | None,
                       kind: str, start_on: date | None, term_months: int | None,
                       glide_planned_on: date | None, rent, charges, apl) -> dict:
    _check_team(actor, flat.team_id)
    if kind not in CONTRACT_KINDS:
        raise HousingError("Choisissez un type de contrat.", "kind")
    if flat.status == "rendu":
        raise HousingError("Ce logement a été rendu au bailleur : il ne peut plus être loué.",
                           "flat")
    if flat.is_collective:
        if kind != "occupation":
            raise HousingError("Dans un lieu de vie collectif, on signe une convention "
                               "d'occupation.", "kind")
        if place is None or place.flat_id != flat.id:
            raise HousingError("Choisissez la place occupée dans ce lieu.", "place_id")
    elif kind == "occupation":
        raise HousingError("La convention d'occupation est réservée aux lieux de vie "
                           "collectifs : choisissez une sous-location.", "kind")
    if start_on is None:
        raise HousingError("Indiquez la date d'entrée.", "start_on")
    months, _ = CONTRACT_TERMS[kind]
    if kind == "occupation":
        months = term_months or None
        if months is not None and not 1 <= months <= 60:
            raise HousingError("Indiquez une durée entre 1 et 60 mois, ou aucune.",
                               "term_months")
    if kind == "bail_glissant":
        if glide_planned_on is None:
            raise HousingError("Indiquez la date de glissement prévue.", "glide_planned_on")
        if glide_planned_on <= start_on:
            raise HousingError("La date de glissement prévue doit être postérieure à l'entrée.",
                               "glide_planned_on")
    else:
        glide_planned_on = None
    rent, charges, apl = _check_terms(rent, charges, apl)
    if household is not None and household.team_id != flat.team_id:
        raise HousingError("Ce ménage n'est pas suivi par l'équipe qui gère ce logement.",
                           "household_id")
    _check_unit_free(flat, place, household, start_on)
    return {"months": months, "glide_planned_on": glide_planned_on, "rent": rent,
            "charges": charges, "apl": apl}


def _make_contract(actor, flat, place, household, kind, start_on, v, now) -> Contract:
    contract = Contract(team_id=flat.team_id, flat=flat, place=place, household=household,
                        kind=kind, start_on=start_on, term_months=v["months"],
                        glide_planned_on=v["glide_planned_on"], created_at=now,
                        created_by_id=actor.id)
    contract.rent_terms = [RentTerms(effective_on=start_on, rent=v["rent"],
                                     charges=v["charges"], apl=v["apl"],
                                     recorded_by_id=actor.id, recorded_at=now)]
    db.session.add(contract)
    db.session.flush()
    _refresh_status(flat)
    if flat.managed_since is None:
        flat.managed_since = start_on
    record("contract.sign", actor=actor, object_type="contract", object_id=contract.id,
           team_id=flat.team_id, detail={"kind": kind, "flat": flat.id,
                                         "household": household.id}, now=now)
    return contract


def sign_contract(actor, flat: Flat, household: Household | None, *, kind: str,
                  start_on: date | None, rent: Decimal | None, charges: Decimal | None,
                  apl: Decimal | None = None, term_months: int | None = None,
                  glide_planned_on: date | None = None, place: Place | None = None,
                  now: datetime) -> Contract:
    """Let a flat (or a place) to a household from `start_on`, with its rent terms."""
    if household is None:
        raise HousingError("Choisissez le ménage.", "household_id")
    v = _validate_contract(actor, flat, place, household, kind, start_on, term_months,
                           glide_planned_on, rent, charges, apl)
    contract = _make_contract(actor, flat, place, household, kind, start_on, v, now)
    db.session.commit()
    return contract


def renew(actor, contract: Contract, *, decided_on: date | None, decided_by: str | None,
          reason: str | None, now: datetime) -> Renewal:
    """Renew a contract for one more period; a sous-location is renewed twice at most."""
    _check_team(actor, contract.team_id)
    today = today_paris(now)
    if contract.ended_on is not None:
        raise HousingError(f"Ce contrat a pris fin le {_d(contract.ended_on)} : il ne peut plus "
                           "être renouvelé.")
    if not contract.term_months:
        raise HousingError("Cette convention n'a pas de terme : il n'y a rien à renouveler.")
    if contract.renewals_left == 0:
        raise HousingError(
            f"Ce contrat a déjà été renouvelé {contract.max_renewals} fois : la durée maximale "
            f"({contract.term_months * (contract.max_renewals + 1)} mois, jusqu'au "
            f"{_d(contract.end_on)}) est atteinte. Un troisième renouvellement n'est pas "
            "possible : préparez la sortie ou le glissement du bail.")
    if decided_on is None:
        raise HousingError("Indiquez la date de la décision.", "decided_on")
    _not_future(decided_on, today, "decided_on", "La date de décision")
    if decided_on < contract.start_on:
        raise HousingError(f"La décision ne peut pas précéder l'entrée ({_d(contract.start_on)}).",
                           "decided_on")
    if decided_on > contract.end_on:
        raise HousingError(f"Le contrat a pris fin le {_d(contract.end_on)} : un renouvellement "
                           "se décide au plus tard le dernier jour du contrat.", "decided_on")
    if contract.renewals and decided_on < contract.renewals[-1].decided_on:
        raise HousingError("La décision ne peut pas précéder le renouvellement précédent "
                           f"({_d(contract.renewals[-1].decided_on)}).", "decided_on")
    decided_by = _required(decided_by, "decided_by", "Indiquez qui a décidé.")
    reason = _required(reason, "reason", "Indiquez le motif du renouvellement.")
    number = contract.renewals_used + 1
    new_end = rules.period_end(contract.start_on, contract.term_months * (number + 1))
    renewal = Renewal(contract=contract, number=number, decided_on=decided_on,
                      decided_by=decided_by[:160], reason=reason, new_end_on=new_end,
                      recorded_by_id=actor.id, recorded_at=now)
    db.session.add(renewal)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise HousingError("Ce renouvellement vient d'être enregistré par quelqu'un "
                           "d'autre : rechargez la page.") from exc
    record("contract.renew", actor=actor, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"number": number, "until": new_end.isoformat()},
           now=now)
    db.session.commit()
    return renewal


def end_contract(actor, contract: Contract, *, ended_on: date | None, reason: str | None,
                 destination: str | None, note: str | None = None, now: datetime) -> Contract:
    """Record the household's exit (date, reason, destination) and free the flat or place."""
    _check_team(actor, contract.team_id)
    today = today_paris(now)
    if contract.ended_on is not None:
        raise HousingError(f"La sortie est déjà enregistrée (le {_d(contract.ended_on)}).")
    if ended_on is None:
        raise HousingError("Indiquez la date de sortie.", "ended_on")
    if ended_on < contract.start_on:
        raise HousingError(f"La date de sortie ne peut pas précéder l'entrée "
                           f"({_d(contract.start_on)}).", "ended_on")
    _not_future(ended_on, today, "ended_on", "La date de sortie")
    if reason not in EXIT_REASONS:
        raise HousingError("Choisissez le motif de sortie.", "reason")
    if destination not in EXIT_DESTINATIONS:
        raise HousingError("Choisissez la destination.", "destination")
    _close(actor, contract, ended_on, reason, destination, note, now)
    _refresh_status(contract.flat)
    db.session.commit()
    return contract


def _close(actor, contract, ended_on, reason, destination, note, now) -> None:
    contract.ended_on = ended_on
    contract.exit_reason = reason
    contract.exit_destination = destination
    contract.exit_note = _clean(note)
    contract.ended_by_id = actor.id
    record("contract.end", actor=actor, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"reason": reason, "destination": destination,
                                             "on": ended_on.isoformat()}, now=now)


def record_glide(actor, contract: Contract, *, glided_on: date | None, note: str | None = None,
                 now: datetime) -> Contract:
    """The lease slid to the household: the sub-lease ends and the flat leaves the stock."""
    _check_team(actor, contract.team_id)
    today = today_paris(now)
    if contract.kind != "bail_glissant":
        raise HousingError("Seul un bail glissant peut glisser au nom du ménage.")
    if contract.ended_on is not None:
        raise HousingError(f"Ce contrat a déjà pris fin le {_d(contract.ended_on)}.")
    if glided_on is None:
        raise HousingError("Indiquez la date du glissement.", "glided_on")
    if glided_on <= contract.start_on:
        raise HousingError(f"Le glissement doit être postérieur à l'entrée "
                           f"({_d(contract.start_on)}).", "glided_on")
    _not_future(glided_on, today, "glided_on", "La date du glissement")
    contract.glided_on = glided_on
    # The household's own lease starts on the glide day: the sub-lease ended the day before.
    last_day = date.fromordinal(glided_on.toordinal() - 1)
    _close(actor, contract, last_day, "glissement", "bail_glisse", note, now)
    flat = contract.flat
    flat.status = "rendu"
    flat.returned_on = last_day
    record("contract.glide", actor=actor, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"on": glided_on.isoformat()}, now=now)
    db.session.commit()
    return contract


def declare_exit(actor, contract: Contract, *, exit_planned_on: date | None,
                 declared_on: date | None, now: datetime) -> Contract:
    """Record the planned exit and the day it was declared to the SIAO."""
    _check_team(actor, contract.team_id)
    today = today_paris(now)
    if exit_planned_on is None:
        raise HousingError("Indiquez la date de sortie prévue.", "exit_planned_on")
    if exit_planned_on < contract.start_on:
        raise HousingError(f"La sortie prévue ne peut pas précéder l'entrée "
                           f"({_d(contract.start_on)}).", "exit_planned_on")
    if declared_on is None:
        raise HousingError("Indiquez la date de déclaration au SIAO.", "declared_on")
    _not_future(declared_on, today, "declared_on", "La date de déclaration")
    if declared_on < contract.start_on:
        raise HousingError("La déclaration ne peut pas précéder l'entrée.", "declared_on")
    contract.exit_planned_on = exit_planned_on
    contract.siao_declared_on = declared_on
    record("contract.siao_exit", actor=actor, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"planned": exit_planned_on.isoformat(),
                                             "declared": declared_on.isoformat()}, now=now)
    db.session.commit()
    return contract


def change_rent(actor, contract: Contract, *, effective_on: date | None, rent, charges, apl,
                note: str | None = None, now: datetime) -> RentTerms:
    """Revise the rent, charges or APL from the first day of a month on."""
    _check_team(actor, contract.team_id)
    if effective_on is None:
        raise HousingError("Indiquez à partir de quand.", "effective_on")
    if effective_on.day != 1:
        raise HousingError("Une révision prend effet le 1er d'un mois.", "effective_on")
    if effective_on <= contract.start_on:
        raise HousingError(f"La révision doit prendre effet après l'entrée "
                           f"({_d(contract.start_on)}).", "effective_on")
    if contract.ended_on is not None and effective_on > contract.ended_on:
        raise HousingError(f"Le contrat a pris fin le {_d(contract.ended_on)}.", "effective_on")
    if any(t.effective_on == effective_on for t in contract.rent_terms):
        raise HousingError("Une révision prend déjà effet à cette date.", "effective_on")
    rent, charges, apl = _check_terms(rent, charges, apl)
    terms = RentTerms(contract=contract, effective_on=effective_on, rent=rent, charges=charges,
                      apl=apl, note=_clean(note), recorded_by_id=actor.id, recorded_at=now)
    db.session.add(terms)
    db.session.flush()
    record("contract.rent_change", actor=actor, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"from": effective_on.isoformat(),
                                             "due": str(terms.monthly_due)}, now=now)
    db.session.commit()
    return terms


# -- Rent ------------------------------------------------------------------------------------


def record_payment(actor, contract: Contract, *, paid_on: date | None, amount: Decimal | None,
                   method: str | None, reference: str | None = None, now: datetime) -> Payment:
    """Record money received for a contract (amount > 0, not in the future)."""
    _check_team(actor, contract.team_id)
    today = today_paris(now)
    amount = _amount(amount, "amount", positive=True)
    if paid_on is None:
        raise HousingError("Indiquez la date du paiement.", "paid_on")
    _not_future(paid_on, today, "paid_on", "La date du paiement")
    if paid_on < contract.start_on:
        raise HousingError(f"Le paiement ne peut pas précéder l'entrée "
                           f"({_d(contract.start_on)}).", "paid_on")
    if method not in PAYMENT_METHODS:
        raise HousingError("Choisissez le moyen de paiement.", "method")
    payment = Payment(contract=contract, paid_on=paid_on, amount=amount, method=method,
                      reference=_clean(reference), recorded_by_id=actor.id, recorded_at=now)
    db.session.add(payment)
    db.session.flush()
    record("payment.create", actor=actor, object_type="payment", object_id=payment.id,
           team_id=contract.team_id, detail={"contract": contract.id, "amount": str(amount)},
           now=now)
    db.session.commit()
    return payment


def cancel_payment(actor, payment: Payment, reason: str | None, *, now: datetime) -> Payment:
    """Cancel a mistaken payment entry (kept, struck out, with the reason)."""
    _check_team(actor, payment.contract.team_id)
    if payment.cancelled_at is not None:
        raise HousingError("Ce paiement est déjà annulé.")
    reason = _required(reason, "reason", "Indiquez pourquoi ce paiement est annulé.")
    payment.cancelled_at = now
    payment.cancelled_by_id = actor.id
    payment.cancel_reason = reason[:200]
    record("payment.cancel", actor=actor, object_type="payment", object_id=payment.id,
           team_id=payment.contract.team_id, detail={"contract": payment.contract_id}, now=now)
    db.session.commit()
    return payment


def record_arrears_step(actor, contract: Contract, *, kind: str | None, done_on: date | None,
                        done_by_id: int | None, monthly_amount: Decimal | None = None,
                        note: str | None = None, now: datetime) -> ArrearsStep:
    """Record one step of the unpaid-rent procedure: what, when, and who did it."""
    _check_team(actor, contract.team_id)
    today = today_paris(now)
    if kind not in ARREARS_STEPS:
        raise HousingError("Choisissez l'étape de la procédure.", "kind")
    if done_on is None:
        raise HousingError("Indiquez la date.", "done_on")
    _not_future(done_on, today, "done_on", "La date")
    if done_on < contract.start_on:
        raise HousingError(f"L'étape ne peut pas précéder l'entrée ({_d(contract.start_on)}).",
                           "done_on")
    if done_by_id is None:
        raise HousingError("Indiquez qui a fait cette démarche.", "done_by_id")
    _check_member(contract.team_id, done_by_id, "done_by_id", "La personne")
    monthly_amount = _amount(monthly_amount, "monthly_amount", positive=True, required=False)
    if kind != "plan_apurement":
        monthly_amount = None
    step = ArrearsStep(contract=contract, kind=kind, done_on=done_on, done_by_id=done_by_id,
                       monthly_amount=monthly_amount, note=_clean(note),
                       recorded_by_id=actor.id, recorded_at=now)
    db.session.add(step)
    db.session.flush()
    record("arrears.step", actor=actor, object_type="contract", object_id=contract.id,
           team_id=contract.team_id, detail={"step": kind, "on": done_on.isoformat()}, now=now)
    db.session.commit()
    return step


# -- Admissions ------------------------------------------------------------------------------


def create_application(actor, team_id: int, values: dict, *, now: datetime) -> Application:
    """Register a candidature received from the SIAO or a partner."""
    _check_team(actor, team_id)
    today = today_paris(now)
    name = _required(values.get("name"), "name", "Indiquez le nom du ménage ou un alias.")
    received_on = values.get("received_on")
    if received_on is None:
        raise HousingError("Indiquez la date de réception.", "received_on")
    _not_future(received_on, today, "received_on", "La date de réception")
    source = values.get("source")
    if source not in APPLICATION_SOURCES:
        raise HousingError("Choisissez l'origine de la candidature.", "source")
    partner = _clean(values.get("partner"))
    if source == "partenaire" and not partner:
        raise HousingError("Précisez le partenaire qui oriente le ménage.", "partner")
    adults = values.get("adults")
    children = values.get("children") or 0
    if adults is None or not 1 <= adults <= 20:
        raise HousingError("Un ménage compte entre 1 et 20 adultes.", "adults")
    if not 0 <= children <= 20:
        raise HousingError("Indiquez entre 0 et 20 enfants.", "children")
    wanted = values.get("wanted") or None
    if wanted is not None and wanted not in WANTED_UNITS:
        raise HousingError("Type de logement inconnu.", "wanted")
    household_id = values.get("household_id") or None
    if household_id is not None:
        household = db.session.get(Household, household_id)
        if household is None or household.team_id != team_id:
            raise HousingError("Ce ménage n'est pas suivi par cette équipe.", "household_id")
    application = Application(
        team_id=team_id, name=name[:120], received_on=received_on, source=source,
        partner=partner, siao_ref=_clean(values.get("siao_ref")), adults=adults,
        children=children,
        resources_amount=_amount(values.get("resources_amount"), "resources_amount",
                                 required=False),
        resources_detail=_clean(values.get("resources_detail")),
        situation=_clean(values.get("situation")), wanted=wanted,
        animals=bool(values.get("animals")), notes=_clean(values.get("notes")),
        household_id=household_id, created_at=now, created_by_id=actor.id)
    db.session.add(application)
    db.session.flush()
    record("application.create", actor=actor, object_type="housing_application",
           object_id=application.id, team_id=team_id, now=now)
    db.session.commit()
    return application


def _check_open(application: Application) -> None:
    if application.status == "entree":
        raise HousingError("Ce ménage est déjà entré dans un logement.")
    if application.status == "retiree":
        raise HousingError("Cette candidature a été retirée.")


def record_interview(actor, application: Application, *, interview_on: date | None,
                     admissible: bool | None, notes: str | None, now: datetime) -> Application:
    """Record the admissibility interview (before the commission sits)."""
    _check_team(actor, application.team_id)
    today = today_paris(now)
    _check_open(application)
    if application.decisions:
        raise HousingError("La commission a déjà statué : l'entretien ne peut plus être modifié.")
    if interview_on is None:
        raise HousingError("Indiquez la date de l'entretien.", "interview_on")
    if interview_on < application.received_on:
        raise HousingError(f"L'entretien ne peut pas précéder la réception de la candidature "
                           f"({_d(application.received_on)}).", "interview_on")
    _not_future(interview_on, today, "interview_on", "La date de l'entretien")
    if admissible is None:
        raise HousingError("Indiquez la conclusion de l'entretien.", "admissible")
    application.interview_on = interview_on
    application.interview_by_id = actor.id
    application.admissible = admissible
    application.interview_notes = _clean(notes)
    record("application.interview", actor=actor, object_type="housing_application",
           object_id=application.id, team_id=application.team_id,
           detail={"admissible": admissible}, now=now)
    db.session.commit()
    return application


def record_decision(actor, application: Application, *, commission_on: date | None,
                    members: str | None, decision: str | None, reason: str | None,
                    now: datetime) -> AdmissionDecision:
    """Record the admission commission's decision: admis, refusé or liste d'attente."""
    _check_team(actor, application.team_id)
    today = today_paris(now)
    _check_open(application)
    if application.interview_on is None:
        raise HousingError("Enregistrez d'abord l'entretien d'admissibilité.")
    if commission_on is None:
        raise HousingError("Indiquez la date de la commission.", "commission_on")
    if commission_on < application.interview_on:
        raise HousingError(f"La commission ne peut pas précéder l'entretien "
                           f"({_d(application.interview_on)}).", "commission_on")
    if application.decisions and commission_on < application.decisions[-1].commission_on:
        raise HousingError("La commission ne peut pas précéder la décision précédente "
                           f"({_d(application.decisions[-1].commission_on)}).", "commission_on")
    _not_future(commission_on, today, "commission_on", "La date de la commission")
    members = _required(members, "members", "Indiquez les membres de la commission.")
    if decision not in DECISIONS:
        raise HousingError("Choisissez la décision.", "decision")
    reason = _clean(reason)
    if decision in ("refuse", "attente") and not reason:
        raise HousingError("Indiquez le motif de la décision.", "reason")
    row = AdmissionDecision(application=application, commission_on=commission_on,
                            members=members[:300], decision=decision, reason=reason,
                            recorded_by_id=actor.id, recorded_at=now)
    db.session.add(row)
    db.session.flush()
    record("application.decision", actor=actor, object_type="housing_application",
           object_id=application.id, team_id=application.team_id,
           detail={"decision": decision}, now=now)
    db.session.commit()
    return row


def withdraw(actor, application: Application, *, withdrawn_on: date | None,
             reason: str | None, now: datetime) -> Application:
    """Take a candidature off the list (the household found another solution, gave up…)."""
    _check_team(actor, application.team_id)
    today = today_paris(now)
    _check_open(application)
    if withdrawn_on is None:
        raise HousingError("Indiquez la date.", "withdrawn_on")
    if withdrawn_on < application.received_on:
        raise HousingError("Le retrait ne peut pas précéder la réception de la candidature.",
                           "withdrawn_on")
    _not_future(withdrawn_on, today, "withdrawn_on", "La date")
    reason = _required(reason, "reason", "Indiquez le motif du retrait.")
    application.withdrawn_on = withdrawn_on
    application.withdrawn_reason = reason[:200]
    record("application.withdraw", actor=actor, object_type="housing_application",
           object_id=application.id, team_id=application.team_id, now=now)
    db.session.commit()
    return application


def _enrol(actor, household: Household, team_id: int, entry_date: date, now: datetime) -> None:
    """The household now followed in the team's programme (its case file shows it)."""
    if any(e.team_id == team_id and e.exit_date is None for e in household.enrolments):
        return
    team = db.session.get(Team, team_id)
    household.enrolments.append(Enrolment(team_id=team_id, programme=team.programme,
                                          entry_date=entry_date, updated_at=now,
                                          updated_by_id=actor.id))


def enter(actor, application: Application, *, flat: Flat | None, place: Place | None,
          kind: str, start_on: date | None, rent, charges, apl=None,
          term_months: int | None = None, glide_planned_on: date | None = None,
          referent_id: int | None = None, now: datetime) -> Contract:
    """An admitted household enters a flat or a place: its household (if new) and contract."""
    _check_team(actor, application.team_id)
    _check_open(application)
    if application.status != "admis":
        raise HousingError("Seule une candidature admise en commission peut entrer dans un "
                           "logement.")
    if flat is None or flat.team_id != application.team_id:
        raise HousingError("Choisissez un logement ou une place de l'équipe.", "unit")
    if start_on is not None and start_on < application.last_decision.commission_on:
        raise HousingError(f"L'entrée ne peut pas précéder la commission "
                           f"({_d(application.last_decision.commission_on)}).", "start_on")
    household = application.household
    if household is None:
        _check_member(application.team_id, referent_id, "referent_id", "Le ou la référent·e")
    v = _validate_contract(actor, flat, place, household, kind, start_on, term_months,
                           glide_planned_on, rent, charges, apl)
    try:
        if household is None:
            household = Household(team_id=application.team_id, name=application.name,
                                  referent_id=referent_id, created_by_id=actor.id,
                                  created_at=now, updated_at=now)
            household.refresh_search_text()
            db.session.add(household)
            db.session.flush()
            record("household.create", actor=actor, object_type="household",
                   object_id=household.id, team_id=household.team_id,
                   detail={"from": "admission"}, now=now)
        _enrol(actor, household, application.team_id, start_on or today_paris(now), now)
        contract = _make_contract(actor, flat, place, household, kind, start_on, v, now)
        application.household_id = household.id
        application.entered_on = start_on
        application.contract_id = contract.id
        record("application.entry", actor=actor, object_type="housing_application",
               object_id=application.id, team_id=application.team_id,
               detail={"contract": contract.id}, now=now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return contract

