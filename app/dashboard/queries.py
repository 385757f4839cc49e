"""Reads of the coordinator dashboard and of the funders' indicators.

Every function takes the team ids the caller obtained from `scope_for` (which goes through
app/auth/scoping.py: a coordinator's teams only) and counts in SQL with aggregates and GROUP BY;
no function loads a table's rows to count them in Python. The few date rules SQL cannot state
portably (a sub-lease's end, months counted with relativedelta) are applied to a short list of
candidates the database has already narrowed down.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import (Integer, and_, bindparam, case, cast, distinct, exists, extract, func,
                        literal, null, or_, select, true, union_all)
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.alerts.models import URGENCIES, Alert
from app.auth.models import Membership, Team, User
from app.auth.scoping import deny, team_ids
from app.extensions import db
from app.households.models import Enrolment, Household, Person, Right
from app.housing import rules as housing_rules
from app.housing.arrears import arrears as housing_arrears
from app.housing.models import (AdmissionDecision, Application, ArrearsStep, Contract, Flat,
                                Payment, Place, Renewal)
from app.measures.models import Measure
from app.permanences.models import Arrival, DropInSession, Orientation
from app.programmes import CASE_ROLES, LEAD_ROLES, PROGRAMMES
from app.dashboard.sql import day_number, day_of, days_between, earlier, later, month_key
from app.visits.models import Visit, VisitReport, visit_worker

MONTHS_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc."]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]


# -- Scope and period -------------------------------------------------------------------------


@dataclass
class Scope:
    """The teams a figure counts: one of the person's teams, or all of them."""

    teams: list[Team]  #: every team this person coordinates (for the selector and per-team rows)
    selected: list[Team]  #: the teams counted (one team, or all, narrowed by programme)
    team: Team | None = None  #: the one team chosen, if any
    programme: str | None = None  #: the programme chosen, if any

    @property
    def ids(self) -> set[int]:
        """Ids of the teams counted."""
        return {t.id for t in self.selected}

    @property
    def programmes(self) -> dict[str, str]:
        """Programmes of the person's teams, code -> French label, in the usual order."""
        mine = {t.programme for t in self.teams}
        return {k: v for k, v in PROGRAMMES.items() if k in mine}

    @property
    def label(self) -> str:
        """'IML Toulouse', 'Toutes mes équipes (4)' or the programme's label."""
        if self.team is not None:
            return self.team.name
        if self.programme:
            return PROGRAMMES.get(self.programme, self.programme)
        return f"Toutes mes équipes ({len(self.teams)})" if len(self.teams) > 1 \
            else (self.teams[0].name if self.teams else "Aucune équipe")


def scope_for(user, team_id: int | None = None, programme: str | None = None) -> Scope:
    """The teams this person coordinates, narrowed to one team or one programme.

    Asking for a team the person does not coordinate is a 404 with an `access.denied` row.
    """
    ids = team_ids(user, LEAD_ROLES)
    teams = list(db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name))) \
        if ids else []
    if team_id is not None:
        team = next((t for t in teams if t.id == team_id), None)
        if team is None:
            deny(user, "team", team_id)
        return Scope(teams, [team], team, None)
    if programme and programme in PROGRAMMES:
        return Scope(teams, [t for t in teams if t.programme == programme], None, programme)
    return Scope(teams, teams)


@dataclass(frozen=True)
class Period:
    """A span of days, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days."""
        return (self.end - self.start).days + 1

    def months(self) -> list[date]:
        """First day of each month the period touches."""
        out, m = [], self.start.replace(day=1)
        while m <= self.end:
            out.append(m)
            m = (m + timedelta(days=32)).replace(day=1)
        return out

    def clipped(self, today: date) -> Period:
        """The part of the period up to `today` (things that have happened)."""
        return Period(self.start, min(self.end, today)) if self.start <= today else self

    @property
    def label(self) -> str:
        """'du 1 janvier 2026 au 31 décembre 2026'."""
        return f"du {fr_day(self.start)} au {fr_day(self.end)}"


def fr_day(day: date) -> str:
    """'1er janvier 2026'."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def month_label(day: date, short: bool = False) -> str:
    """'mars 2026' or 'mars' (short)."""
    return MONTHS_SHORT[day.month - 1] if short else f"{MONTHS[day.month - 1]} {day.year}"


def week_of(today: date) -> Period:
    """Monday to Sunday of `today`'s week."""
    monday = today - timedelta(days=today.weekday())
    return Period(monday, monday + timedelta(days=6))


def month_of(today: date) -> Period:
    """The calendar month of `today`."""
    return Period(today.replace(day=1),
                  today.replace(day=calendar.monthrange(today.year, today.month)[1]))


def _ids(ids) -> list[int]:
    return sorted(ids) if ids else [-1]  # an empty IN () is refused by some databases


def _memo(name: str, ids, *args, compute):
    """Compute once per request: several tables of a page read the same aggregate."""
    if not has_request_context():
        return compute()
    store = g.setdefault("_dashboard_memo", {})
    key = (name, tuple(_ids(ids)), *args)
    if key not in store:
        store[key] = compute()
    return store[key]


# -- Dashboard: the team at a glance ----------------------------------------------------------


def _open_alert(today: date):
    """What the alert centre lists as to do: open, not snoozed, not about an archived file."""
    from app.alerts.queries import not_archived

    return and_(Alert.state == "open",
                or_(Alert.snoozed_until.is_(None), Alert.snoozed_until <= today),
                not_archived())


def alerts_by_urgency(ids, today: date) -> dict[str, int]:
    """Open alerts (not snoozed) of these teams, per urgency code."""
    rows = db.session.execute(select(Alert.urgency, func.count())
                              .where(Alert.team_id.in_(_ids(ids)), _open_alert(today))
                              .group_by(Alert.urgency)).all()
    counts = dict(rows)
    return {code: counts.get(code, 0) for code in URGENCIES}


@dataclass
class LoadRow:
    """One worker's caseload."""

    user_id: int | None
    name: str
    households: int = 0
    measures: int = 0
    visits: int = 0  #: visits this month (any status but cancelled)
    visits_done: int = 0  #: of which done


def caseload(ids, today: date) -> list[LoadRow]:
    """Per case worker of these teams: households referred, running ASLL measures, visits of
    the month (and how many done); households without a referent of these teams last."""
    ids = _ids(ids)
    month = month_of(today)
    people = db.session.execute(
        select(User.id, User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id.in_(ids), Membership.role.in_(CASE_ROLES),
               User.active.is_(True)).group_by(User.id, User.display_name)
        .order_by(User.display_name)).all()
    member_ids = [p.id for p in people]
    households = dict(db.session.execute(  # from ix_household_team_referent alone
        select(Household.referent_id, func.count())
        .where(Household.team_id.in_(ids)).group_by(Household.referent_id)).all())
    measures = dict(db.session.execute(
        select(Measure.worker_id, func.count(Measure.id))
        .where(Measure.team_id.in_(ids), or_(Measure.ended_on.is_(None), Measure.ended_on > today))
        .group_by(Measure.worker_id)).all())
    visits = {u: (n, d) for u, n, d in db.session.execute(
        select(visit_worker.c.user_id, func.count(Visit.id),
               func.sum(case((Visit.status == "faite", 1), else_=0)))
        .join(Visit, Visit.id == visit_worker.c.visit_id)
        .where(Visit.team_id.in_(ids), Visit.day >= month.start, Visit.day <= month.end,
               Visit.status != "annulee")
        .group_by(visit_worker.c.user_id)).all()}
    rows = [LoadRow(p.id, p.display_name, households.get(p.id, 0), measures.get(p.id, 0),
                    *(int(x or 0) for x in visits.get(p.id, (0, 0)))) for p in people]
    unassigned = sum(n for ref, n in households.items() if ref not in member_ids)
    unassigned_measures = sum(n for w, n in measures.items() if w not in member_ids)
    if unassigned or unassigned_measures:
        rows.append(LoadRow(None, "Sans référent·e", unassigned, unassigned_measures))
    return rows


def flats_by_status(ids) -> dict[str, int]:
    """Flats and collective places of these teams per status code."""
    return dict(db.session.execute(select(Flat.status, func.count(Flat.id))
                                   .where(Flat.team_id.in_(_ids(ids)))
                                   .group_by(Flat.status)).all())


@dataclass
class Vacancy:
    """Unit-days managed and unit-days empty over a period (a collective place counts each
    place)."""

    managed: int = 0
    vacant: int = 0

    @property
    def occupied(self) -> int:
        """Unit-days occupied."""
        return self.managed - self.vacant

    @property
    def rate(self) -> float | None:
        """Vacancy rate in percent, one decimal (None when nothing was managed)."""
        return round(100 * self.vacant / self.managed, 1) if self.managed else None


def _units(ids, today: date):
    """SQL (a CTE): every lettable unit of these teams (a flat, or a place of a collective
    place) with its managed window as day numbers: start (taken on, else first entry) and end
    (handed back, else today); units never taken on and never let are left out.

    The first entry is a subquery correlated to the unit (index on contract.flat_id /
    place_id), so only the scoped teams' units are read: a grouped subquery over every
    contract was a whole scan of the contract table, growing with everyone's data.
    """
    first_flat = (select(func.min(Contract.start_on)).where(Contract.flat_id == Flat.id)
                  .correlate(Flat).scalar_subquery())
    first_place = (select(func.min(Contract.start_on)).where(Contract.place_id == Place.id)
                   .correlate(Place).scalar_subquery())
    end = day_number(func.coalesce(Flat.returned_on, today))
    flats = (select(Flat.id.label("flat_id"), cast(null(), Integer).label("place_id"),
                    Flat.team_id.label("team_id"),
                    day_number(func.coalesce(Flat.managed_since, first_flat)).label("s"),
                    end.label("e"))
             .where(Flat.team_id.in_(ids), Flat.kind != "collectif"))
    places = (select(Flat.id.label("flat_id"), Place.id.label("place_id"),
                     Flat.team_id.label("team_id"),
                     day_number(func.coalesce(Flat.managed_since, first_place)).label("s"),
                     end.label("e"))
              .join(Place, Place.flat_id == Flat.id)
              .where(Flat.team_id.in_(ids), Flat.kind == "collectif"))
    both = union_all(flats, places).subquery("units")
    return select(both).where(both.c.s.is_not(None)).cte("unit")


def vacancy_windows(ids, windows: list[Period], today: date) -> dict[tuple[int, int], Vacancy]:
    """Unit-days managed and vacant per (team id, window index), up to today, in one SQL
    statement whatever the number of windows (a year, or each of its months).

    Same rule as app/housing/rules.py: a unit counts from when it was taken on (or its first
    entry) until handed back; entry and exit days are occupied; a running contract runs to
    today. Contracts of one unit never overlap (the housing services refuse it), so their days
    add up.

    Each unit's managed span, and each contract's occupied span inside it, is turned into day
    numbers once; only then are the spans crossed with the windows (integer arithmetic), so
    the cost is units × windows additions rather than as many date conversions.
    """
    spans = [(i, day_of(w.start), day_of(min(w.end, today)))
             for i, w in enumerate(windows) if w.start <= today]
    if not spans:
        return {}
    unit = _units(_ids(ids), today)
    same_unit = and_(Contract.flat_id == unit.c.flat_id,
                     or_(and_(unit.c.place_id.is_(None), Contract.place_id.is_(None)),
                         Contract.place_id == unit.c.place_id))
    # Managed spans (kind 0) and occupied ones (kind 1: a contract's days inside its unit's
    # managed span), each an interval [a, b] of day numbers.
    occupied = (select(unit.c.team_id, literal(1, Integer).label("kind"),
                       later(unit.c.s, day_number(Contract.start_on), type_=Integer).label("a"),
                       earlier(unit.c.e, day_number(func.coalesce(Contract.ended_on, today)),
                               type_=Integer).label("b"))
                .select_from(unit.join(Contract, same_unit)))
    managed = select(unit.c.team_id, literal(0, Integer).label("kind"), unit.c.s.label("a"),
                     unit.c.e.label("b"))
    span = union_all(managed, occupied).cte("span")
    # One pair of columns per window (managed days, occupied days): grouping the spans by
    # team alone, rather than spans × windows rows by (team, window), spares a sort of
    # every crossed row.
    columns = []
    for i, ws, we in spans:
        lo = later(span.c.a, bindparam(f"ws{i}", ws, Integer), type_=Integer)
        hi = earlier(span.c.b, bindparam(f"we{i}", we, Integer), type_=Integer)
        columns += [func.sum(case((and_(span.c.kind == kind, hi >= lo), hi - lo + 1), else_=0))
                    for kind in (0, 1)]
    out = {}
    for team_id, *sums in db.session.execute(select(span.c.team_id, *columns)
                                             .group_by(span.c.team_id)).all():
        for (i, _, _), m, o in zip(spans, sums[::2], sums[1::2]):
            out[(team_id, i)] = Vacancy(int(m or 0), int(m or 0) - int(o or 0))
    return out


def _vacancy_grid(ids, period: Period, today: date, by_month: bool) -> tuple[dict, list[date]]:
    """The period as a whole (window 0) and, when asked, each of its months (windows 1…),
    computed once per request."""

    def compute():
        months = [m for m in period.months() if m <= today] if by_month else []
        windows = [period] + [Period(max(m, period.start), min(month_of(m).end, period.end))
                              for m in months]
        return vacancy_windows(ids, windows, today), months

    return _memo("vacancy", ids, period, today, by_month, compute=compute)


def vacancy_by_team(ids, period: Period, today: date,
                    with_months: bool = False) -> dict[int, Vacancy]:
    """Unit-days managed and vacant in `period` (up to today) per team; `with_months` when
    the page also shows each month (`vacancy_by_month`): both then read one computation."""
    grid, _ = _vacancy_grid(ids, period, today, with_months)
    return {t: v for (t, w), v in grid.items() if w == 0}


def vacancy_total(ids, period: Period, today: date) -> Vacancy:
    """Unit-days managed and vacant in `period` across these teams."""
    total = Vacancy()
    for v in vacancy_by_team(ids, period, today).values():
        total.managed += v.managed
        total.vacant += v.vacant
    return total


def vacancy_by_month(ids, period: Period, today: date) -> list[tuple[date, Vacancy]]:
    """Vacancy of each month of the period (months after today are left out)."""
    grid, months = _vacancy_grid(ids, period, today, True)
    out = []
    for i, m in enumerate(months, start=1):
        total = Vacancy()
        for (_, w), v in grid.items():
            if w == i:
                total.managed += v.managed
                total.vacant += v.vacant
        out.append((m, total))
    return out


@dataclass(frozen=True)
class Ending:
    """A running contract whose current period ends soon."""

    contract_id: int
    end_on: date


def leases_ending(ids, today: date, days: int = 60) -> list[Ending]:
    """Running contracts of these teams whose current period ends within `days` (today
    included), soonest first.

    The database narrows the contracts to those whose end month (start month + term ×
    (renewals + 1)) falls in the window's months; the exact end day follows the housing rule
    (app.housing.rules.period_end) on that short list.
    """
    last = today + timedelta(days=days)
    renewals = (select(func.count(Renewal.id)).where(Renewal.contract_id == Contract.id)
                .correlate(Contract).scalar_subquery())
    month_index = (extract("year", Contract.start_on) * 12
                   + extract("month", Contract.start_on) - 1
                   + Contract.term_months * (renewals + 1))
    lo = today.year * 12 + today.month - 1
    hi = last.year * 12 + last.month  # the end may fall on the last day of the month before
    rows = db.session.execute(
        select(Contract.id, Contract.start_on, Contract.term_months, renewals)
        .where(Contract.team_id.in_(_ids(ids)), Contract.ended_on.is_(None),
               Contract.term_months.is_not(None), month_index >= lo, month_index <= hi)).all()
    out = []
    for cid, start, term, used in rows:
        end = housing_rules.period_end(start, term * (used + 1))
        if today <= end <= last:
            out.append(Ending(cid, end))
    return sorted(out, key=lambda e: (e.end_on, e.contract_id))


def measure_phase():
    """SQL CASE giving an ASLL measure's phase code on a day (app.measures.rules.status)."""

    def at(today: date):
        return case((and_(Measure.ended_on.is_not(None), Measure.ended_on <= today), "terminee"),
                    (Measure.received_on.is_(None), "a_confirmer"),
                    (or_(Measure.contract_signed_on.is_(None),
                         Measure.contract_signed_on > today), "phase1"),
                    else_="phase2")

    return at


def measures_by_phase(ids, today: date) -> dict[str, int]:
    """ASLL measures of these teams per phase code on `today` (ended ones not counted)."""
    phase = measure_phase()(today)
    rows = db.session.execute(select(phase, func.count(Measure.id))
                              .where(Measure.team_id.in_(_ids(ids)))
                              .group_by(phase)).all()
    counts = dict(rows)
    return {k: counts.get(k, 0) for k in ("a_confirmer", "phase1", "phase2")}


def visit_state(today: date):
    """SQL CASE: 'faite', 'absent', 'annulee', 'sans_compte_rendu' (past and still planned) or
    'prevue' (today or later)."""
    return case((and_(Visit.status == "prevue", Visit.day < today), "sans_compte_rendu"),
                else_=Visit.status)


VISIT_STATES = {"prevue": "Prévues", "faite": "Faites", "sans_compte_rendu": "Sans compte rendu",
                "absent": "Ménage absent", "annulee": "Annulées"}


def visit_grid(ids, period: Period, today: date) -> dict[tuple[str, str, str], int]:
    """Visits of these teams in the period per (month 'YYYY-MM', place code, state code).

    The inner GROUP BY follows the covering index ix_visit_team_day_status_place, so the
    database counts without sorting the visits; the outer one folds days into months.
    """

    def compute():
        daily = (select(Visit.team_id, Visit.day, Visit.status, Visit.place,
                        func.count().label("n"))
                 .where(Visit.team_id.in_(_ids(ids)), _in_period(Visit.day, period))
                 .group_by(Visit.team_id, Visit.day, Visit.status, Visit.place).subquery())
        state = case((and_(daily.c.status == "prevue", daily.c.day < today),
                      "sans_compte_rendu"), else_=daily.c.status)
        month = month_key(daily.c.day)
        rows = db.session.execute(select(month, daily.c.place, state, func.sum(daily.c.n))
                                  .group_by(month, daily.c.place, state)).all()
        return {(m, p, st): int(n) for m, p, st, n in rows}

    return _memo("visit_grid", ids, period, today, compute=compute)


def visits_by_state(ids, period: Period, today: date) -> dict[str, int]:
    """Visits of these teams in the period per state (see `visit_state`)."""
    counts = dict.fromkeys(VISIT_STATES, 0)
    for (_, _, state), n in visit_grid(ids, period, today).items():
        counts[state] = counts.get(state, 0) + n
    return counts


def next_sessions(ids, today: date, limit: int = 6) -> list:
    """The next open permanence sessions of these teams with their staffing."""
    from app.permanences import queries as perm

    perm_ids = set(db.session.scalars(select(Team.id).where(Team.id.in_(_ids(ids)),
                                                            Team.programme == "permanence")))
    out = []
    for team_id in sorted(perm_ids):
        sessions = [s for s in perm._sessions({team_id}, today, today + timedelta(days=21))
                    if s.is_open][:limit]
        staffing = perm._staffings(team_id, sessions, today)
        out += [(s, staffing[s.id]) for s in sessions]
    return sorted(out, key=lambda x: (x[0].day, x[0].starts_at))[:limit]


def _last_decision():
    """SQL: the latest commission decision of a candidature."""
    return (select(AdmissionDecision.decision)
            .where(AdmissionDecision.application_id == Application.id)
            .order_by(AdmissionDecision.commission_on.desc(), AdmissionDecision.id.desc())
            .limit(1).correlate(Application).scalar_subquery())


def application_status():
    """SQL CASE: a candidature's status code (app.housing.models.Application.status)."""
    return case((Application.entered_on.is_not(None), "entree"),
                (Application.withdrawn_on.is_not(None), "retiree"),
                else_=func.coalesce(_last_decision(),
                                    case((Application.interview_on.is_not(None), "entretien"),
                                         else_="recue")))


def admissions_pending(ids) -> dict[str, int]:
    """Candidatures of these teams not yet entered nor closed, per status code."""
    status = application_status()
    rows = db.session.execute(select(status, func.count(Application.id))
                              .where(Application.team_id.in_(_ids(ids)))
                              .group_by(status)).all()
    counts = dict(rows)
    return {k: counts.get(k, 0) for k in ("recue", "entretien", "attente", "admis")}


@dataclass
class TeamRow:
    """A team's headline figures on the dashboard."""

    team: Team | None  #: None for the total row
    followed: int = 0
    urgent_alerts: int = 0
    open_alerts: int = 0
    visits_week: int = 0
    missing_reports: int = 0
    vacant_flats: int = 0
    pending_admissions: int = 0


def by_team(teams: list[Team], today: date) -> list[TeamRow]:
    """Headline figures for each team and the total across them (a household followed by two
    of the teams counts once in the total)."""
    ids = _ids([t.id for t in teams])
    week = week_of(today)
    running = and_(Enrolment.entry_date <= today,
                   or_(Enrolment.exit_date.is_(None), Enrolment.exit_date > today))
    followed = dict(db.session.execute(
        select(Enrolment.team_id, func.count(distinct(Enrolment.household_id)))
        .where(Enrolment.team_id.in_(ids), running).group_by(Enrolment.team_id)).all())
    total_followed = db.session.scalar(
        select(func.count(distinct(Enrolment.household_id)))
        .where(Enrolment.team_id.in_(ids), running)) or 0
    alerts = {t: (n, u) for t, n, u in db.session.execute(
        select(Alert.team_id, func.count(),
               func.sum(case((Alert.urgency == "urgent", 1), else_=0)))
        .where(Alert.team_id.in_(ids), _open_alert(today)).group_by(Alert.team_id)).all()}
    visits = {t: (n, m) for t, n, m in db.session.execute(
        select(Visit.team_id, func.count(Visit.id),
               func.sum(case((and_(Visit.status == "prevue", Visit.day < today), 1), else_=0)))
        .where(Visit.team_id.in_(ids), Visit.day >= week.start, Visit.day <= week.end,
               Visit.status != "annulee").group_by(Visit.team_id)).all()}
    vacant = dict(db.session.execute(
        select(Flat.team_id, func.count(Flat.id)).where(Flat.team_id.in_(ids),
                                                        Flat.status == "vacant")
        .group_by(Flat.team_id)).all())
    status = application_status()
    pending = dict(db.session.execute(
        select(Application.team_id, func.count(Application.id))
        .where(Application.team_id.in_(ids),
               status.in_(("recue", "entretien", "attente", "admis")))
        .group_by(Application.team_id)).all())
    rows = []
    for t in teams:
        n, u = alerts.get(t.id, (0, 0))
        v, m = visits.get(t.id, (0, 0))
        rows.append(TeamRow(t, followed.get(t.id, 0), int(u or 0), n, v, int(m or 0),
                            vacant.get(t.id, 0), pending.get(t.id, 0)))
    total = TeamRow(None, total_followed)
    for r in rows:
        total.urgent_alerts += r.urgent_alerts
        total.open_alerts += r.open_alerts
        total.visits_week += r.visits_week
        total.missing_reports += r.missing_reports
        total.vacant_flats += r.vacant_flats
        total.pending_admissions += r.pending_admissions
    return rows + [total]


# -- Indicators over a period ----------------------------------------------------------------


def _in_period(column, period: Period):
    return and_(column >= period.start, column <= period.end)


def _followed(ids, period: Period):
    """SQL condition on Enrolment: run by these teams and overlapping the period."""
    return and_(Enrolment.team_id.in_(_ids(ids)), Enrolment.entry_date <= period.end,
                or_(Enrolment.exit_date.is_(None), Enrolment.exit_date >= period.start))


@dataclass
class Followed:
    """Households and people followed in one programme (or in all, for the total)."""

    programme: str | None
    households: int = 0
    people: int = 0
    entries: int = 0
    exits: int = 0
    avg_days: float | None = None  #: average length of the supports that ended in the period

    @property
    def label(self) -> str:
        """The programme's French label, or 'Total'."""
        return PROGRAMMES.get(self.programme, self.programme) if self.programme else "Total"


def followed(ids, period: Period) -> list[Followed]:
    """Per programme then in total: households and people followed in the period, entries,
    exits and the average length (days, entry and exit days included) of supports that ended.

    A household followed in two programmes counts in each programme's row and once in the
    total; its people likewise.
    """
    cond = _followed(ids, period)
    # GROUP BY rather than DISTINCT, household first: SQLite then sorts instead of filling a
    # temporary B-tree, twice as fast over 20,000 households (same rows on PostgreSQL).
    pairs = (select(Enrolment.programme, Enrolment.household_id).where(cond)
             .group_by(Enrolment.household_id, Enrolment.programme).subquery())
    size = (select(func.count(Person.id)).where(Person.household_id == pairs.c.household_id)
            .correlate(pairs).scalar_subquery())
    hh = db.session.execute(select(pairs.c.programme, func.count(), func.sum(size))
                            .group_by(pairs.c.programme)).all()
    length = days_between(Enrolment.exit_date, Enrolment.entry_date) + 1
    exited = _in_period(Enrolment.exit_date, period)
    moves = {p: (int(e or 0), int(x or 0), int(d or 0)) for p, e, x, d in db.session.execute(
        select(Enrolment.programme,
               func.sum(case((_in_period(Enrolment.entry_date, period), 1), else_=0)),
               func.sum(case((exited, 1), else_=0)), func.sum(case((exited, length), else_=0)))
        .where(cond).group_by(Enrolment.programme)).all()}

    def average(days: int, n: int) -> float | None:
        return round(days / n, 1) if n else None

    rows = []
    for programme, households, people in sorted(hh, key=lambda r: list(PROGRAMMES).index(r[0])
                                                if r[0] in PROGRAMMES else 99):
        e, x, d = moves.get(programme, (0, 0, 0))
        rows.append(Followed(programme, households, int(people or 0), e, x, average(d, x)))
    households = (select(Enrolment.household_id).where(cond)
                  .group_by(Enrolment.household_id).subquery())
    size = (select(func.count(Person.id)).where(Person.household_id == households.c.household_id)
            .correlate(households).scalar_subquery())
    th, tp = db.session.execute(select(func.count(), func.sum(size)).select_from(households)).one()
    te, tx, td = (sum(m[i] for m in moves.values()) for i in range(3))
    total = Followed(None, th or 0, int(tp or 0), te, tx, average(td, tx))
    return rows + [total]


def exits_by_destination(ids, period: Period) -> dict[str | None, int]:
    """Supports that ended in the period, per destination code (None: not recorded)."""
    return dict(db.session.execute(
        select(Enrolment.exit_destination, func.count(Enrolment.id))
        .where(_followed(ids, period), _in_period(Enrolment.exit_date, period))
        .group_by(Enrolment.exit_destination)).all())


def housing_exits_by_destination(ids, period: Period) -> dict[str | None, int]:
    """Households who left a flat or place in the period, per destination code."""
    return dict(db.session.execute(
        select(Contract.exit_destination, func.count(Contract.id))
        .where(Contract.team_id.in_(_ids(ids)), _in_period(Contract.ended_on, period))
        .group_by(Contract.exit_destination)).all())


def siao_declarations(ids, period: Period) -> tuple[int, float | None]:
    """Exits of the period declared to the SIAO beforehand: how many, and on average how many
    days ahead (the exit day minus the declaration day)."""
    n, avg = db.session.execute(
        select(func.count(Contract.id),
               func.avg(days_between(Contract.ended_on, Contract.siao_declared_on)))
        .where(Contract.team_id.in_(_ids(ids)), _in_period(Contract.ended_on, period),
               Contract.siao_declared_on.is_not(None))).one()
    return n or 0, round(float(avg), 1) if avg is not None else None


def visits_by_place(ids, period: Period, today: date) -> dict[tuple[str, str], int]:
    """Visits of the period per (place code, state code)."""
    out: dict[tuple[str, str], int] = {}
    for (_, place, state), n in visit_grid(ids, period, today).items():
        out[(place, state)] = out.get((place, state), 0) + n
    return out


def _followed_households(ids, period: Period):
    return select(Enrolment.household_id).where(_followed(ids, period))


def rights(ids, period: Period) -> dict[str, tuple[int, int, int]]:
    """Rights of the households followed in the period, per kind: (filed in the period,
    granted in the period, refused in the period)."""
    filed = func.sum(case((_in_period(Right.filed_on, period), 1), else_=0))
    granted = func.sum(case((and_(Right.status == "accorde",
                                  _in_period(Right.decided_on, period)), 1), else_=0))
    refused = func.sum(case((and_(Right.status == "refuse",
                                  _in_period(Right.decided_on, period)), 1), else_=0))
    rows = db.session.execute(
        select(Right.kind, filed, granted, refused)
        .where(Right.household_id.in_(_followed_households(ids, period)),
               or_(_in_period(Right.filed_on, period), _in_period(Right.decided_on, period)))
        .group_by(Right.kind)).all()
    return {k: (int(f or 0), int(g or 0), int(r or 0)) for k, f, g, r in rows}


def orientations(ids, period: Period) -> dict[str, int]:
    """Orientations of the period per kind: made at the permanences (partner kind codes) and
    noted in visit reports (key 'visite')."""
    out = dict(db.session.execute(
        select(Orientation.kind, func.count(Orientation.id))
        .join(Arrival, Arrival.id == Orientation.arrival_id)
        .join(DropInSession, DropInSession.id == Arrival.session_id)
        .where(Arrival.team_id.in_(_ids(ids)), _in_period(DropInSession.day, period))
        .group_by(Orientation.kind)).all())
    # Driven from the few reports noting an orientation (partial index
    # ix_visit_report_orientation), each checked against its visit: not from every visit.
    noted = db.session.scalar(
        select(func.count(VisitReport.id))
        .where(VisitReport.orientation.is_not(None), VisitReport.orientation != "",
               exists().where(Visit.id == VisitReport.visit_id, Visit.team_id.in_(_ids(ids)),
                              _in_period(Visit.day, period)))) or 0
    if noted:
        out["visite"] = noted
    return out


@dataclass
class Arrears:
    """Rent and unpaid rent over a period."""

    received: object = 0  #: payments received (not cancelled), Decimal
    payments: int = 0
    steps: dict = field(default_factory=dict)  #: procedure step code -> count
    contracts: int = 0  #: contracts with at least one procedure step in the period


def arrears(ids, period: Period) -> Arrears:
    """Payments received and unpaid-rent procedure steps taken in the period."""
    received, count = db.session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0), func.count(Payment.id))
        .join(Contract, Contract.id == Payment.contract_id)
        .where(Contract.team_id.in_(_ids(ids)), Payment.cancelled_at.is_(None),
               _in_period(Payment.paid_on, period))).one()
    step_filter = and_(Contract.team_id.in_(_ids(ids)), _in_period(ArrearsStep.done_on, period))
    steps = dict(db.session.execute(
        select(ArrearsStep.kind, func.count(ArrearsStep.id))
        .join(Contract, Contract.id == ArrearsStep.contract_id).where(step_filter)
        .group_by(ArrearsStep.kind)).all())
    contracts = db.session.scalar(
        select(func.count(distinct(ArrearsStep.contract_id)))
        .join(Contract, Contract.id == ArrearsStep.contract_id).where(step_filter)) or 0
    return Arrears(Decimal(received).quantize(Decimal("0.01")), count, steps, contracts)


@dataclass
class Owed:
    """Running contracts in arrears on a day, and what they owe in total."""

    contracts: int = 0
    owed: Decimal = Decimal("0.00")


def _in_arrears(ids, today: date) -> dict[int, tuple[date, Decimal]]:
    """Contract id -> (in arrears since, owed) for these teams' running contracts, from the
    set-based ledger query of app.housing.arrears (computed in SQL, once per request)."""
    return _memo("arrears_today", ids, today, compute=lambda: housing_arrears(_ids(ids), today))


def arrears_today(ids, today: date) -> Owed:
    """Running contracts of these teams whose balance is above one month's share today, and
    the total they owe."""
    found = _in_arrears(ids, today)
    return Owed(len(found), sum((owed for _, owed in found.values()), Decimal("0.00")))


@dataclass
class MeasureCounts:
    """ASLL measures over a period for one funder (or all)."""

    funder: str | None
    notified: int = 0
    signed: int = 0
    ended: int = 0
    renewed: int = 0
    running: int = 0  #: with at least one day of support in the period


def measures(ids, period: Period) -> list[MeasureCounts]:
    """ASLL measures per funder: notified, contracts signed, ended, renewed in the period, and
    running in it; the last row is the total."""

    def counts(*group):
        return (func.sum(case((_in_period(Measure.notified_on, period), 1), else_=0)),
                func.sum(case((_in_period(Measure.contract_signed_on, period), 1), else_=0)),
                func.sum(case((and_(_in_period(Measure.ended_on, period),
                                    Measure.outcome != "renouvelee"), 1), else_=0)),
                func.sum(case((and_(_in_period(Measure.ended_on, period),
                                    Measure.outcome == "renouvelee"), 1), else_=0)),
                func.count(Measure.id))

    running = and_(Measure.team_id.in_(_ids(ids)), Measure.notified_on <= period.end,
                   or_(Measure.ended_on.is_(None), Measure.ended_on >= period.start))
    rows = db.session.execute(select(Measure.funder, *counts())
                              .where(running).group_by(Measure.funder)
                              .order_by(Measure.funder)).all()
    out = [MeasureCounts(f, *(int(x or 0) for x in rest)) for f, *rest in rows]
    total = MeasureCounts(None)
    for r in out:
        for name in ("notified", "signed", "ended", "renewed", "running"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return out + [total]


@dataclass
class DropIn:
    """Permanence activity over a period."""

    sessions: int = 0
    arrivals: int = 0
    people: int = 0


def permanence(ids, period: Period) -> DropIn:
    """Sessions held, arrivals and distinct people received at the permanences."""
    sessions = db.session.scalar(
        select(func.count(DropInSession.id))
        .where(DropInSession.team_id.in_(_ids(ids)), DropInSession.status == "ouverte",
               _in_period(DropInSession.day, period))) or 0
    arrivals, people = db.session.execute(
        select(func.count(Arrival.id), func.count(distinct(Arrival.person_id)))
        .join(DropInSession, DropInSession.id == Arrival.session_id)
        .where(Arrival.team_id.in_(_ids(ids)), _in_period(DropInSession.day, period))).one()
    return DropIn(sessions, arrivals or 0, people or 0)


@dataclass
class Month:
    """One month's activity."""

    month: date
    visits_done: int = 0
    entries: int = 0
    exits: int = 0
    arrivals: int = 0


def activity_by_month(ids, period: Period, today: date | None = None) -> list[Month]:
    """Visits done, entries, exits and permanence arrivals per month of the period."""
    months = {m: Month(m) for m in period.months()}

    def key(text: str) -> date:
        year, mon = (int(x) for x in text.split("-"))
        return date(year, mon, 1)

    def per_month(column, stmt):
        m = month_key(column)
        return db.session.execute(stmt.add_columns(m).group_by(m)).all()

    for (month, _, state), n in visit_grid(ids, period, today or period.end).items():
        if state == "faite":
            months[key(month)].visits_done += n
    ids = _ids(ids)
    for n, m in per_month(Enrolment.entry_date, select(func.count(Enrolment.id)).where(
            Enrolment.team_id.in_(ids), _in_period(Enrolment.entry_date, period))):
        months[key(m)].entries = n
    for n, m in per_month(Enrolment.exit_date, select(func.count(Enrolment.id)).where(
            Enrolment.team_id.in_(ids), _in_period(Enrolment.exit_date, period))):
        months[key(m)].exits = n
    for n, m in per_month(DropInSession.day, select(func.count(Arrival.id)).join(
            DropInSession, DropInSession.id == Arrival.session_id).where(
            Arrival.team_id.in_(ids), _in_period(DropInSession.day, period))):
        months[key(m)].arrivals = n
    return list(months.values())


def rehousing(user, ids, period: Period) -> list[tuple[str, str, int]] | None:
    """Rehousing results of the period as (outcome code, French label, households), the total
    last, from `app.relogement.queries.results`; None while that package is absent."""
    try:
        from app.relogement import queries as relogement
        from app.relogement import vocab as relogement_vocab
    except ImportError:
        return None
    results = getattr(relogement, "results", None)
    if results is None:
        return None
    counts = results(user, period.start, period.end, team_ids=set(ids))
    labels = getattr(relogement_vocab, "OUTCOMES", {})
    rows = [(code, labels.get(code, code), n) for code, n in counts.items() if code != "total"]
    return rows + [("total", "Total", counts.get("total", sum(n for _, _, n in rows)))]


# -- Lists behind the figures -----------------------------------------------------------------

LIST_LIMIT = 500


def list_enrolments(ids, period: Period, which: str, destination: str | None = None,
                    programme: str | None = None) -> list:
    """Enrolments behind a figure: 'suivis' (followed in the period), 'entrees', 'sorties'."""
    stmt = (select(Enrolment, Household.name).join(Household, Household.id == Enrolment.household_id)
            .where(_followed(ids, period)))
    if which == "entrees":
        stmt = stmt.where(_in_period(Enrolment.entry_date, period))
    elif which == "sorties":
        stmt = stmt.where(_in_period(Enrolment.exit_date, period))
        if destination == "non_renseignee":
            stmt = stmt.where(Enrolment.exit_destination.is_(None))
        elif destination:
            stmt = stmt.where(Enrolment.exit_destination == destination)
    if programme:
        stmt = stmt.where(Enrolment.programme == programme)
    return db.session.execute(stmt.order_by(Household.name, Enrolment.entry_date)
                              .limit(LIST_LIMIT)).all()


def list_visits(ids, period: Period, today: date, state: str | None = None,
                place: str | None = None, worker_id: int | None = None) -> list[Visit]:
    """Visits behind a figure, by state, place or worker."""
    stmt = select(Visit).where(Visit.team_id.in_(_ids(ids)), _in_period(Visit.day, period))
    if state:
        stmt = stmt.where(visit_state(today) == state)
    if place:
        stmt = stmt.where(Visit.place == place)
    if worker_id:
        stmt = stmt.where(exists().where(visit_worker.c.visit_id == Visit.id,
                                         visit_worker.c.user_id == worker_id))
    return list(db.session.scalars(stmt.order_by(Visit.day.desc(), Visit.id.desc())
                                   .limit(LIST_LIMIT)))


def list_rights(ids, period: Period, kind: str | None = None, which: str | None = None) -> list:
    """Rights behind a figure: filed ('deposes') or granted ('accordes') in the period."""
    stmt = select(Right, Household.name).join(Household, Household.id == Right.household_id) \
        .where(Right.household_id.in_(_followed_households(ids, period)))
    if which == "accordes":
        stmt = stmt.where(Right.status == "accorde", _in_period(Right.decided_on, period))
    elif which == "refuses":
        stmt = stmt.where(Right.status == "refuse", _in_period(Right.decided_on, period))
    else:
        stmt = stmt.where(_in_period(Right.filed_on, period))
    if kind:
        stmt = stmt.where(Right.kind == kind)
    return db.session.execute(stmt.order_by(Household.name).limit(LIST_LIMIT)).all()


def list_contracts(ids: set[int]) -> list[Contract]:
    """Contracts by id (the caller's ids come from a scoped query)."""
    if not ids:
        return []
    # The endings table reads each contract's unit and renewals: load them with the contracts
    # (otherwise two queries per contract).
    return list(db.session.scalars(select(Contract).where(Contract.id.in_(ids)).options(
        joinedload(Contract.flat), joinedload(Contract.place),
        selectinload(Contract.renewals))))


def _case_workers(ids):
    """SQL: ids of the active coordinators and workers of these teams (the caseload's rows)."""
    return (select(Membership.user_id).join(User, User.id == Membership.user_id)
            .where(Membership.team_id.in_(_ids(ids)), Membership.role.in_(CASE_ROLES),
                   User.active.is_(True)))


def _assigned(column, ids, worker_id: int | None, unassigned: bool):
    """SQL condition: `column` is this worker, or (unassigned) nobody of these teams."""
    if unassigned:
        return or_(column.is_(None), column.not_in(_case_workers(ids)))
    if worker_id:
        return column == worker_id
    return true()


def list_measures(ids, today: date, phase: str | None = None, worker_id: int | None = None,
                  unassigned: bool = False) -> list[Measure]:
    """ASLL measures of these teams in one phase on `today` (all running ones without), of
    one worker or of nobody in these teams (the caseload's "Sans référent·e" row)."""
    p = measure_phase()(today)
    stmt = select(Measure).where(Measure.team_id.in_(_ids(ids)), p != "terminee",
                                 _assigned(Measure.worker_id, ids, worker_id, unassigned))
    if phase:
        stmt = stmt.where(p == phase)
    return list(db.session.scalars(stmt.order_by(Measure.notified_on).limit(LIST_LIMIT)))


def list_households(ids, worker_id: int | None = None,
                    unassigned: bool = False) -> list[Household]:
    """Households of these teams whose referent is this worker, or nobody of these teams (the
    figures of the caseload table)."""
    stmt = select(Household).where(Household.team_id.in_(_ids(ids)),
                                   _assigned(Household.referent_id, ids, worker_id, unassigned))
    return list(db.session.scalars(stmt.order_by(Household.name, Household.id)
                                   .limit(LIST_LIMIT)))


def list_arrears(ids, today: date) -> list[tuple[Contract, date, Decimal]]:
    """Running contracts in arrears today with since when and what they owe, most owed
    first."""
    found = _in_arrears(ids, today)
    contracts = {c.id: c for c in list_contracts(set(found))}
    rows = [(contracts[cid], since, owed) for cid, (since, owed) in found.items()]
    return sorted(rows, key=lambda r: (-r[2], r[1], r[0].id))


def worker_name(ids, user_id: int) -> str | None:
    """The name of a coordinator or worker of these teams (None for anyone else)."""
    return db.session.scalar(select(User.display_name).where(
        User.id == user_id, User.id.in_(_case_workers(ids))))


def list_orientations(ids, period: Period, kind: str | None = None) -> list:
    """Orientations made at the permanences in the period (with the session day)."""
    stmt = (select(Orientation, DropInSession).join(Arrival, Arrival.id == Orientation.arrival_id)
            .join(DropInSession, DropInSession.id == Arrival.session_id)
            .where(Arrival.team_id.in_(_ids(ids)), _in_period(DropInSession.day, period)))
    if kind:
        stmt = stmt.where(Orientation.kind == kind)
    return db.session.execute(stmt.order_by(DropInSession.day.desc()).limit(LIST_LIMIT)).all()


# -- Admission commission ---------------------------------------------------------------------


def commission_candidates(ids) -> list[Application]:
    """Candidatures still open (received, interviewed, waiting, admitted), oldest first."""
    status = application_status()
    return list(db.session.scalars(
        select(Application).where(Application.team_id.in_(_ids(ids)),
                                  status.in_(("recue", "entretien", "attente", "admis")))
        .order_by(Application.received_on, Application.id)))


def commission_decisions(ids, period: Period) -> list[AdmissionDecision]:
    """Decisions taken by the commission in the period, newest first."""
    return list(db.session.scalars(
        select(AdmissionDecision).join(Application)
        .where(Application.team_id.in_(_ids(ids)),
               _in_period(AdmissionDecision.commission_on, period))
        .order_by(AdmissionDecision.commission_on.desc(), AdmissionDecision.id.desc())))


def decisions_count(ids, period: Period) -> dict[str, int]:
    """Commission decisions of the period per decision code."""
    return dict(db.session.execute(
        select(AdmissionDecision.decision, func.count(AdmissionDecision.id)).join(Application)
        .where(Application.team_id.in_(_ids(ids)),
               _in_period(AdmissionDecision.commission_on, period))
        .group_by(AdmissionDecision.decision)).all())


@dataclass
class PlaceRow:
    """A place of a collective living place and who is in it."""

    flat: Flat
    place: Place
    contract: Contract | None
    vacant_since: date | None


def commission_places(ids, today: date) -> list[PlaceRow]:
    """Each place of the collective living places of these teams, its occupant or since when
    it is free."""
    current = aliased(Contract)
    last_exit = (select(func.max(Contract.ended_on)).where(Contract.place_id == Place.id)
                 .correlate(Place).scalar_subquery())
    rows = db.session.execute(
        select(Flat, Place, current, last_exit).join(Place, Place.flat_id == Flat.id)
        .join(current, and_(current.place_id == Place.id, current.ended_on.is_(None),
                            current.start_on <= today), isouter=True)
        .where(Flat.team_id.in_(_ids(ids)), Flat.kind == "collectif")
        .order_by(Flat.name, Place.label)).all()
    out = []
    for flat, place, contract, ended in rows:
        since = None
        if contract is None:
            since = (ended + timedelta(days=1)) if ended else flat.managed_since
        out.append(PlaceRow(flat, place, contract, since))
    return out
