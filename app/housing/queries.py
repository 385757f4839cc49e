"""Housing reads, always scoped by the person asking (or by team ids the caller checked)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Membership, Team, User
from app.auth.scoping import get_scoped_or_404, scope, team_ids
from app.extensions import db
from app.formatting import money
from app.households.models import Household
from app.housing import rules
from app.housing.arrears import arrears
from app.housing.text import day_fr
from app.housing.models import Application, Contract, Flat, Place, Renewal
from app.programmes import CASE_ROLES

_CONTRACT_LOAD = (selectinload(Contract.renewals), selectinload(Contract.rent_terms),
                  selectinload(Contract.payments), selectinload(Contract.arrears_steps))


# -- One row, or 404 --------------------------------------------------------------------------


def flat_or_404(user, flat_id: int) -> Flat:
    """A flat of one of the user's teams, else 404 (audited)."""
    return get_scoped_or_404(Flat, flat_id, user)


def contract_or_404(user, contract_id: int) -> Contract:
    """A contract of one of the user's teams, else 404 (audited)."""
    return get_scoped_or_404(Contract, contract_id, user)


def application_or_404(user, application_id: int) -> Application:
    """A candidature of one of the user's teams, else 404 (audited)."""
    return get_scoped_or_404(Application, application_id, user)


def household_or_404(user, household_id: int) -> Household:
    """A household of one of the user's teams, else 404 (audited)."""
    return get_scoped_or_404(Household, household_id, user)


# -- Choices for forms -----------------------------------------------------------------------


def my_teams(user) -> list[Team]:
    """The teams where this person may manage housing: those with flats first, then by name."""
    ids = team_ids(user, CASE_ROLES)
    if not ids:
        return []
    with_flats = set(db.session.scalars(select(Flat.team_id).where(Flat.team_id.in_(ids))))
    teams = db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name))
    return sorted(teams, key=lambda t: t.id not in with_flats)


def household_choices(team_id: int) -> list[tuple[int, str]]:
    """The team's households, by name (archived files are out of every list)."""
    from app.households.queries import not_archived

    rows = db.session.execute(select(Household.id, Household.name)
                              .where(Household.team_id == team_id, not_archived())
                              .order_by(Household.name))
    return [(i, n) for i, n in rows]


def member_choices(team_id: int) -> list[tuple[int, str]]:
    """The team's coordinators and workers, by name."""
    rows = db.session.execute(
        select(User.id, User.display_name).join(Membership)
        .where(Membership.team_id == team_id, Membership.role.in_(CASE_ROLES),
               User.active.is_(True)).order_by(User.display_name))
    return [(i, n) for i, n in rows]


def free_units(team_id: int) -> list[tuple[str, str]]:
    """Flats and places of a team with nobody in them: ("flat:3" or "place:7", label)."""
    flats = db.session.scalars(
        select(Flat).where(Flat.team_id == team_id, Flat.status != "rendu")
        .options(selectinload(Flat.contracts), selectinload(Flat.places)
                 .selectinload(Place.contracts)).order_by(Flat.city, Flat.address))
    out = []
    for flat in flats:
        if flat.is_collective:
            for place in flat.places:
                if all(c.ended_on is not None for c in place.contracts):
                    out.append((f"place:{place.id}", f"{place.label} — {flat.label}"))
        elif not flat.current_contracts():
            works = " (en travaux)" if flat.status == "travaux" else ""
            out.append((f"flat:{flat.id}", f"{flat.label} — {flat.kind_label}{works}"))
    return out


def resolve_unit(team_id: int, value: str | None) -> tuple[Flat | None, Place | None]:
    """The flat and place behind a free_units() value, if it belongs to the team."""
    kind, _, ident = (value or "").partition(":")
    if not ident.isdigit():
        return None, None
    if kind == "place":
        place = db.session.get(Place, int(ident))
        if place is None or place.flat.team_id != team_id:
            return None, None
        return place.flat, place
    flat = db.session.get(Flat, int(ident))
    if kind != "flat" or flat is None or flat.team_id != team_id:
        return None, None
    return flat, None


# -- Lists -----------------------------------------------------------------------------------


@dataclass
class FlatRow:
    """A flat as listed: who is in it, until when, what they owe."""

    flat: Flat
    contracts: list[Contract]  #: not ended
    places_total: int = 0
    places_taken: int = 0
    balance: Decimal = Decimal("0.00")
    next_end: date | None = None


def flats(user, today: date, status: str | None = None,
          teams: Iterable[int] | None = None) -> list[FlatRow]:
    """The flats of the user's teams (narrowed to `teams` when given) with their current
    occupants, by town and address."""
    if teams is not None and not set(teams):
        return []
    stmt = scope(select(Flat), Flat.team_id, user).options(
        selectinload(Flat.places), selectinload(Flat.contracts).options(*_CONTRACT_LOAD))
    if teams is not None:  # narrows the scoped query: another team's id matches nothing
        stmt = stmt.where(Flat.team_id.in_(set(teams)))
    if status:
        stmt = stmt.where(Flat.status == status)
    rows = []
    for flat in db.session.scalars(stmt.order_by(Flat.city, Flat.address)):
        current = [c for c in flat.contracts if c.ended_on is None]
        ends = [c.end_on for c in current if c.end_on]
        rows.append(FlatRow(
            flat=flat, contracts=current, places_total=len(flat.places),
            places_taken=len({c.place_id for c in current if c.place_id}),
            balance=sum((rules.balance(c, today) for c in current), Decimal("0.00")),
            next_end=min(ends) if ends else None))
    return rows


def flat_contracts(flat: Flat) -> list[Contract]:
    """All contracts of a flat, newest first, with what their pages need."""
    stmt = (select(Contract).where(Contract.flat_id == flat.id).options(*_CONTRACT_LOAD)
            .order_by(Contract.start_on.desc(), Contract.id.desc()))
    return list(db.session.scalars(stmt))


def household_contracts(household: Household) -> list[Contract]:
    """A household's contracts (any flat of its team), newest first."""
    stmt = (select(Contract).where(Contract.household_id == household.id,
                                   Contract.team_id == household.team_id)
            .options(*_CONTRACT_LOAD).order_by(Contract.start_on.desc(), Contract.id.desc()))
    return list(db.session.scalars(stmt))


def household_applications(household: Household) -> list[Application]:
    """The candidatures that led (or lead) this household to housing."""
    stmt = (select(Application).where(Application.household_id == household.id,
                                      Application.team_id == household.team_id)
            .options(selectinload(Application.decisions)).order_by(Application.received_on))
    return list(db.session.scalars(stmt))


def applications(user, team_id: int | None = None, teams: Iterable[int] | None = None,
                 statuses: Iterable[str] | None = None) -> list[Application]:
    """Every candidature of the user's teams, newest first; narrowed to one team, to `teams`
    or to some statuses (keys of APPLICATION_STATUSES) when given."""
    if teams is not None and not set(teams):
        return []
    stmt = scope(select(Application), Application.team_id, user).options(
        selectinload(Application.decisions))
    if team_id:
        stmt = stmt.where(Application.team_id == team_id)
    if teams is not None:  # narrows the scoped query: another team's id matches nothing
        stmt = stmt.where(Application.team_id.in_(set(teams)))
    rows = list(db.session.scalars(stmt.order_by(Application.received_on.desc(),
                                                 Application.id.desc())))
    if statuses is not None:
        # The status follows the last decision (a Python rule on the loaded decisions).
        wanted = set(statuses)
        rows = [a for a in rows if a.status in wanted]
    return rows


def waiting_list(rows: Iterable[Application]) -> list[Application]:
    """Admitted or waiting candidatures not entered yet, oldest listing first."""
    waiting = [a for a in rows if a.status in ("admis", "attente")]
    return sorted(waiting, key=lambda a: (a.listed_on, a.received_on, a.id))


# -- Deadlines -------------------------------------------------------------------------------

DEADLINE_KINDS = {
    "contract_end": "Fin de contrat",
    "renewal_decision": "Décision de renouvellement",
    "glide": "Glissement du bail",
    "arrears": "Impayé",
}


@dataclass(frozen=True)
class Deadline:
    """A housing deadline, computed from the contracts (never stored)."""

    kind: str  #: a key of DEADLINE_KINDS
    due_on: date  #: the day it falls (arrears: the day they went above one month's share)
    label: str  #: French sentence for a list or an alert
    team_id: int
    contract_id: int
    flat_id: int
    household_id: int
    amount: Decimal | None = None  #: arrears: what is owed today
    renewals_left: int | None = None  #: contract end: renewals still possible (None: no limit)
    note: str = ""  #: short French detail for a list ("1 renouvellement sur 2 utilisé")

    @property
    def kind_label(self) -> str:
        """The kind in French."""
        return DEADLINE_KINDS[self.kind]

    def days_left(self, today: date) -> int:
        """Days from `today` to the deadline (negative: overdue)."""
        return (self.due_on - today).days


def contract_deadlines(c: Contract, today: date) -> list[Deadline]:
    """The open deadlines of one running contract on `today`."""
    since = rules.arrears_since(c, today)
    owed = rules.balance(c, today) if since is not None else None
    return _deadlines_of(c, f"{c.household.name} ({c.unit_label})", since, owed)


def _deadlines_of(c, who: str, since: date | None, owed: Decimal | None) -> list[Deadline]:
    """A contract's deadlines from its facts (a Contract or a ContractFacts) and its arrears."""
    ids = {"team_id": c.team_id, "contract_id": c.id, "flat_id": c.flat_id,
           "household_id": c.household_id}
    out = []
    end = c.end_on
    if end is not None:
        left = c.renewals_left
        if left is None:
            note = ""
        elif left == 0:
            note = "plus de renouvellement possible : préparer la sortie"
            if c.kind == "bail_glissant":
                note += " ou le glissement"
        else:
            used = c.renewals_used
            note = f"{used} renouvellement{'s' if used > 1 else ''} sur {c.max_renewals} " \
                   f"utilisé{'s' if used > 1 else ''}"
        label = f"Fin du contrat de {who}" + (f" — {note}" if note else "")
        out.append(Deadline("contract_end", end, label, renewals_left=left, note=note, **ids))
        if left != 0:
            out.append(Deadline("renewal_decision", rules.month_before(end),
                                f"Décider du renouvellement du contrat de {who} "
                                f"(fin le {day_fr(end)})", renewals_left=left,
                                note=f"fin du contrat le {day_fr(end)}", **ids))
    if c.kind == "bail_glissant" and c.glide_planned_on and c.glided_on is None:
        out.append(Deadline("glide", c.glide_planned_on,
                            f"Glissement du bail prévu pour {who}",
                            note="le bail passe au nom du ménage", **ids))
    if since is not None:
        owed_fr = money(owed)
        out.append(Deadline("arrears", since,
                            f"Impayé de {owed_fr} pour {who} : plus d'un mois de loyer",
                            amount=owed, note=f"{owed_fr} dus, plus d'un mois de loyer", **ids))
    return out


@dataclass(frozen=True)
class ContractFacts:
    """The columns of a running contract its deadlines need, read without the ORM; the
    end, renewals and labels come from the Contract model's own properties."""

    id: int
    team_id: int
    flat_id: int
    household_id: int
    kind: str
    start_on: date
    term_months: int | None
    glide_planned_on: date | None
    glided_on: date | None
    renewals_used: int
    who: str  #: "household (unit)", as in the labels

    max_renewals = Contract.max_renewals
    renewals_left = Contract.renewals_left
    end_on = Contract.end_on


def running_contracts(team_ids: Iterable[int]) -> list[ContractFacts]:
    """The running contracts of these teams, with what their deadlines need (one query)."""
    renewals = (select(Renewal.contract_id, func.count().label("used"))
                .group_by(Renewal.contract_id).subquery())
    rows = db.session.execute(
        select(Contract.id, Contract.team_id, Contract.flat_id, Contract.household_id,
               Contract.kind, Contract.start_on, Contract.term_months,
               Contract.glide_planned_on, Contract.glided_on,
               func.coalesce(renewals.c.used, 0).label("used"), Household.name.label("who"),
               Flat.name, Flat.address, Flat.city, Place.label.label("place"))
        .join(Household, Household.id == Contract.household_id)
        .join(Flat, Flat.id == Contract.flat_id)
        .outerjoin(Place, Place.id == Contract.place_id)
        .outerjoin(renewals, renewals.c.contract_id == Contract.id)
        .where(Contract.team_id.in_(set(team_ids)), Contract.ended_on.is_(None)))
    out = []
    for r in rows:
        unit = Contract.unit_label.fget(SimpleNamespace(
            flat=SimpleNamespace(label=Flat.label.fget(r)),
            place=SimpleNamespace(label=r.place) if r.place is not None else None))
        out.append(ContractFacts(r.id, r.team_id, r.flat_id, r.household_id, r.kind,
                                 r.start_on, r.term_months, r.glide_planned_on, r.glided_on,
                                 r.used, f"{r.who} ({unit})"))
    return out


def deadlines(team_ids: Iterable[int], today: date) -> list[Deadline]:
    """Every open housing deadline of these teams on `today`, soonest first.

    Contract end, renewal decision due (one month before the end, while renewals remain),
    planned glide of a bail glissant, and arrears above one month's share. Only contracts
    still running count; the caller decides which teams the person may see. Set-based: one
    query for the contracts, one for the arrears (`housing.arrears`, the same rules as
    `contract_deadlines`, which the tests compare it with).
    """
    ids = set(team_ids)
    if not ids:
        return []
    owing = arrears(ids, today)
    out = []
    for c in running_contracts(ids):
        since, owed = owing.get(c.id, (None, None))
        out += _deadlines_of(c, c.who, since, owed)
    return sorted(out, key=lambda d: (d.due_on, d.kind, d.contract_id))


def deadlines_for(user, today: date) -> list[Deadline]:
    """The housing deadlines of the teams this person works in."""
    return deadlines(team_ids(user, CASE_ROLES), today)


# -- Vacancy ---------------------------------------------------------------------------------


@dataclass
class Gap:
    """A stretch of days a unit stood empty between (or after) occupancies."""

    start: date
    end: date
    place: str | None = None  #: the place's label in a collective place
    ongoing: bool = False  #: still empty today

    @property
    def days(self) -> int:
        """Length in days, both ends counted."""
        return rules.days_inclusive(self.start, self.end)


@dataclass
class VacancyRow:
    """A flat's vacancy days for each month of a year, and its gaps."""

    flat: Flat
    months: list[int]
    gaps: list[Gap] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Vacancy days over the year."""
        return sum(self.months)


def flat_gaps(flat: Flat, today: date) -> list[Gap]:
    """Every vacancy gap of a flat (of each place, for a collective place), oldest first."""
    units = [(p.label, [c for c in flat.contracts if c.place_id == p.id]) for p in flat.places] \
        if flat.is_collective else [(None, list(flat.contracts))]
    gaps = []
    for label, contracts in units:
        occupied = rules.occupied_intervals(contracts, today)
        window = rules.managed_window(flat.managed_since, flat.returned_on, occupied, today)
        for start, end in rules.vacant_intervals(window, occupied):
            ongoing = end == today and not any(c.ended_on is None for c in contracts)
            gaps.append(Gap(start, end, label, ongoing))
    return sorted(gaps, key=lambda g: (g.start, g.place or ""))


def vacancy(user, year: int, today: date,
            teams: Iterable[int] | None = None) -> list[VacancyRow]:
    """Vacancy days per flat and per month of `year` (collective places: place-days), for the
    user's teams narrowed to `teams` when given."""
    if teams is not None and not set(teams):
        return []
    stmt = scope(select(Flat), Flat.team_id, user)
    if teams is not None:
        stmt = stmt.where(Flat.team_id.in_(set(teams)))
    stmt = stmt.options(selectinload(Flat.places), selectinload(Flat.contracts)).order_by(
        Flat.city, Flat.address)
    rows = []
    for flat in db.session.scalars(stmt):
        gaps = flat_gaps(flat, today)
        spans = [(g.start, g.end) for g in gaps]
        months = []
        for m in range(1, 13):
            first = date(year, m, 1)
            months.append(rules.days_in(spans, first, rules.last_of_month(first)))
        year_gaps = [g for g in gaps if g.end >= date(year, 1, 1) and g.start <= date(year, 12, 31)]
        rows.append(VacancyRow(flat, months, year_gaps))
    return rows


def exit_declarations(user, year: int, teams: Iterable[int] | None = None) -> list[Contract]:
    """Contracts whose exit was declared to the SIAO, planned or made in `year` (of `teams`
    only, when given)."""
    if teams is not None and not set(teams):
        return []
    stmt = scope(select(Contract), Contract.team_id, user).where(
        Contract.siao_declared_on.is_not(None)).order_by(Contract.siao_declared_on.desc())
    if teams is not None:
        stmt = stmt.where(Contract.team_id.in_(set(teams)))
    out = []
    for c in db.session.scalars(stmt):
        exit_day = c.ended_on or c.exit_planned_on
        if exit_day and exit_day.year == year or c.siao_declared_on.year == year:
            out.append(c)
    return out
