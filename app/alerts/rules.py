"""The alert rules: a registry of functions that turn the data of a day into alert candidates.

A rule is a function `(ctx) -> Iterable[Candidate]` registered with `@rule(...)`. It reads the
data through the features' own queries, never calls the clock (`ctx.today`, `ctx.now`), and
reads its team's lead time with `ctx.lead(team_id, code)`. A feature that does not exist yet
(ASLL measures, fiches de lien) plugs in later by registering more rules in the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, not_, or_, select

from app.auth.models import Membership, Team, User
from app.extensions import db
from app.housing.text import day_fr
from app.timeutil import PARIS, today_paris


@dataclass(frozen=True)
class Candidate:
    """What a rule says must be seen, for whom, by when."""

    rule: str
    object_type: str  #: contract, visit, household, session
    object_id: int
    team_id: int
    due_on: date
    label: str  #: French, may name a household: shown only in the app, never pushed
    urgency: str  #: urgent, soon, later
    stage: str  #: a new stage re-opens an acknowledged alert and notifies again
    recipients: tuple[int, ...]
    household_id: int | None = None

    def key(self, recipient: int) -> str:
        """The alert's unique key for one recipient."""
        return f"{self.rule}:{self.object_type}:{self.object_id}:{self.due_on.isoformat()}:{recipient}"


@dataclass(frozen=True)
class Rule:
    """A registered rule and how its pushes travel."""

    code: str
    label: str  #: French, for preferences and filters
    default_lead: int
    unit: str  #: "jours" or "heures"
    hint: str  #: French: what the lead time means
    ttl: int  #: seconds a push service keeps the message for an offline phone
    push_urgency: str  #: Web Push Urgency header: very-low, low, normal, high
    fn: Callable = field(compare=False)
    #: The programmes whose teams meet this deadline (None: every programme); a team's
    #: lead-times page shows only these.
    programmes: tuple[str, ...] | None = None
    has_lead: bool = True  #: False when the lead is no setting (the rule fires on an event)

    def applies_to(self, programme: str) -> bool:
        """Whether a team of `programme` meets this rule's deadlines."""
        return self.programmes is None or programme in self.programmes


RULES: dict[str, Rule] = {}
PUSH_URGENCY_RANK = {"very-low": 0, "low": 1, "normal": 2, "high": 3}
#: Programmes that house people in flats or places (as the Logements menu, app/housing/views).
HOUSING_PROGRAMMES = ("iml", "lda", "village", "lieu_de_vie")


def rule(code: str, label: str, *, default_lead: int, unit: str = "jours", hint: str,
         ttl: int, push_urgency: str = "normal", programmes: tuple[str, ...] | None = None,
         has_lead: bool = True):
    """Register a rule function under `code`."""

    def decorator(fn):
        RULES[code] = Rule(code, label, default_lead, unit, hint, ttl, push_urgency, fn,
                           programmes, has_lead)
        return fn

    return decorator


def settable(programme: str) -> dict[str, Rule]:
    """The rules whose lead time a team of `programme` may change, in the registry's order."""
    return {c: r for c, r in RULES.items() if r.has_lead and r.applies_to(programme)}


class Context:
    """What every rule of one pass shares: the day, the instant, lead times, coordinators."""

    def __init__(self, today: date, now: datetime, leads: dict[tuple[int, str], int] | None = None):
        self.today = today
        self.now = now
        self._leads = leads or {}
        self._cache: dict[str, object] = {}
        self._holders: dict[tuple, tuple[int, ...]] = {}

    def lead(self, team_id: int, code: str) -> int:
        """The team's lead time for a rule, else the rule's default."""
        return self._leads.get((team_id, code), RULES[code].default_lead)

    def max_lead(self, code: str) -> int:
        """The longest lead time any team set for a rule (to bound a query)."""
        values = [v for (_, c), v in self._leads.items() if c == code]
        return max(values + [RULES[code].default_lead])

    def cached(self, name: str, load: Callable):
        """Load something once per pass (e.g. the housing deadlines shared by four rules)."""
        if name not in self._cache:
            self._cache[name] = load()
        return self._cache[name]

    def team_ids(self) -> list[int]:
        """Every team (the scheduler works for all of them)."""
        return self.cached("teams", lambda: list(db.session.scalars(select(Team.id))))

    def coordinators(self, team_id: int) -> tuple[int, ...]:
        """Active coordinators of a team, who get the alerts nobody else holds."""
        def load():
            out: dict[int, list[int]] = {}
            rows = db.session.execute(select(Membership.team_id, Membership.user_id)
                                      .join(User, User.id == Membership.user_id)
                                      .where(Membership.role == "coordinator",
                                             User.active.is_(True)))
            for team, user in rows:
                out.setdefault(team, []).append(user)
            return out
        return tuple(sorted(self.cached("coordinators", load).get(team_id, ())))

    def case_members(self) -> dict[int, set[int]]:
        """Active users holding a case role, by team (recipients must still be in the team)."""
        def load():
            out: dict[int, set[int]] = {}
            rows = db.session.execute(select(Membership.team_id, Membership.user_id)
                                      .join(User, User.id == Membership.user_id)
                                      .where(Membership.role.in_(("coordinator", "worker")),
                                             User.active.is_(True)))
            for team, user in rows:
                out.setdefault(team, set()).add(user)
            return out
        return self.cached("case_members", load)

    def holders(self, team_id: int, people: Iterable[int | None]) -> tuple[int, ...]:
        """Those of `people` still working in the team, else the team's coordinators."""
        key = (team_id, tuple(people))
        found = self._holders.get(key)
        if found is None:
            members = self.case_members().get(team_id, set())
            kept = tuple(sorted({p for p in key[1] if p is not None and p in members}))
            found = self._holders[key] = kept or self.coordinators(team_id)
        return found


def evaluate(ctx: Context) -> list[Candidate]:
    """Every rule's candidates for this pass."""
    import time as _t

    out: list[Candidate] = []
    ctx.timings = {}
    for r in RULES.values():
        start = _t.perf_counter()
        out.extend(r.fn(ctx))
        ctx.timings[r.code] = _t.perf_counter() - start
    return out


def countdown_stage(days_left: int, lead: int, steps: Iterable[int] = ()) -> str | None:
    """The stage of a deadline `days_left` away: None before the lead time, "jN" for the
    smallest step N at or above `days_left`, "jour" on the day, "depasse" after it."""
    if days_left > lead:
        return None
    if days_left < 0:
        return "depasse"
    if days_left == 0:
        return "jour"
    marks = sorted({s for s in steps if s <= lead} | {lead})
    return f"j{next(m for m in marks if m >= days_left)}"


def countdown_urgency(days_left: int, urgent_within: int = 7, soon_within: int = 30) -> str:
    """Overdue or within a week: urgent; within a month: soon; else later."""
    if days_left <= urgent_within:
        return "urgent"
    return "soon" if days_left <= soon_within else "later"


# -- Housing (app/housing/queries.deadlines) --------------------------------------------------


def _housing(ctx: Context, kind: str):
    from app.housing.queries import deadlines

    every = ctx.cached("housing", lambda: deadlines(ctx.team_ids(), ctx.today))

    def load():
        ids = sorted({d.household_id for d in every})
        H = _household()
        out = {}
        for i in range(0, len(ids), 500):
            out.update(db.session.execute(select(H.id, H.referent_id)
                                          .where(H.id.in_(ids[i:i + 500]))).all())
        return out

    referents = ctx.cached("referents", load)
    return [(d, referents.get(d.household_id)) for d in every if d.kind == kind]


def _household():
    from app.households.models import Household

    return Household


def _countdown(ctx: Context, code: str, kind: str, steps=()):
    for d, referent in _housing(ctx, kind):
        left = d.days_left(ctx.today)
        stage = countdown_stage(left, ctx.lead(d.team_id, code), steps)
        if stage is None:
            continue
        yield Candidate(code, "contract", d.contract_id, d.team_id, d.due_on, d.label[:300],
                        countdown_urgency(left), stage, ctx.holders(d.team_id, [referent]),
                        d.household_id)


@rule("lease_end", "Fin de sous-location", default_lead=60,
      hint="jours avant la fin (rappels à J-60, J-30 et J-7)", ttl=24 * 3600,
      programmes=HOUSING_PROGRAMMES)
def lease_end(ctx: Context):
    """A running contract's term comes (J-60, J-30, J-7), with whether renewals remain."""
    return _countdown(ctx, "lease_end", "contract_end", steps=(60, 30, 7))


@rule("renewal_decision", "Décision de renouvellement", default_lead=15,
      hint="jours avant la date de décision", ttl=24 * 3600, programmes=HOUSING_PROGRAMMES)
def renewal_decision(ctx: Context):
    """The renewal decision (a month before the end) comes while a renewal remains."""
    return _countdown(ctx, "renewal_decision", "renewal_decision", steps=(7,))


@rule("glide", "Glissement du bail", default_lead=30,
      hint="jours avant la date de glissement prévue", ttl=24 * 3600,
      programmes=HOUSING_PROGRAMMES)
def glide(ctx: Context):
    """A bail glissant's planned glide date comes."""
    return _countdown(ctx, "glide", "glide", steps=(7,))


@rule("arrears", "Impayé de plus d'un mois", default_lead=0,
      hint="jours d'impayé avant l'alerte (0 : dès que plus d'un mois est dû)",
      ttl=24 * 3600, programmes=HOUSING_PROGRAMMES)
def arrears(ctx: Context):
    """Rent unpaid for more than a month's share."""
    for d, referent in _housing(ctx, "arrears"):
        if (ctx.today - d.due_on).days < ctx.lead(d.team_id, "arrears"):
            continue
        yield Candidate("arrears", "contract", d.contract_id, d.team_id, d.due_on, d.label[:300],
                        "urgent", "impaye", ctx.holders(d.team_id, [referent]), d.household_id)


# -- Visits -----------------------------------------------------------------------------------


def _visit_workers(*where) -> dict[int, list[int]]:
    """The workers of the visits matching `where`, by visit (one query, driven by the visits)."""
    from app.visits.models import Visit, visit_worker

    out: dict[int, list[int]] = {}
    rows = db.session.execute(select(visit_worker.c.visit_id, visit_worker.c.user_id)
                              .join(Visit, Visit.id == visit_worker.c.visit_id).where(*where))
    for visit, user in rows:
        out.setdefault(visit, []).append(user)
    return out


@rule("visit_tomorrow", "Visite le lendemain", default_lead=1,
      hint="jours avant la visite (1 : la veille)", ttl=12 * 3600)
def visit_tomorrow(ctx: Context):
    """A planned visit tomorrow (or within the team's lead days)."""
    from app.visits.models import Visit

    Household = _household()
    last = ctx.today + timedelta(days=ctx.max_lead("visit_tomorrow"))
    planned = (Visit.status == "prevue", Visit.day > ctx.today, Visit.day <= last)
    rows = db.session.execute(
        select(Visit.id, Visit.team_id, Visit.day, Visit.at, Visit.purpose, Visit.household_id,
               Household.name).join(Household, Household.id == Visit.household_id)
        .where(*planned)).all()
    workers = _visit_workers(*planned)
    for r in rows:
        left = (r.day - ctx.today).days
        if left > ctx.lead(r.team_id, "visit_tomorrow"):
            continue
        when = "demain" if left == 1 else f"le {day_fr(r.day)}"
        hour = f" à {r.at.strftime('%H h %M')}" if r.at else ""
        yield Candidate("visit_tomorrow", "visit", r.id, r.team_id, r.day,
                        f"Visite {when}{hour} : {r.name} — {r.purpose}"[:300],
                        "soon", "veille", ctx.holders(r.team_id, workers.get(r.id, [])),
                        r.household_id)


def visit_moment(day: date, at: time | None) -> datetime:
    """When a visit happened, as naive UTC (the end of its day when it had no time)."""
    local = datetime.combine(day, at or time(23, 59), tzinfo=PARIS)
    return local.astimezone(UTC).replace(tzinfo=None)


@rule("report_missing", "Compte rendu manquant", default_lead=48, unit="heures",
      hint="heures après la visite sans compte rendu", ttl=24 * 3600)
def report_missing(ctx: Context):
    """A visit whose day has passed, still without a report after the lead hours (48 h)."""
    from app.visits.models import Visit, VisitReport

    Household = _household()
    latest_day = today_paris(ctx.now - timedelta(hours=_min_lead(ctx, "report_missing")))
    # "faite" comes with the report (visits.services); a visit still "prevue" once its day
    # has passed is one whose report is missing, as on "Aujourd'hui" (index status, day).
    missing = (Visit.status == "prevue", Visit.day <= latest_day,
               not_(exists().where(VisitReport.visit_id == Visit.id)))
    rows = db.session.execute(
        select(Visit.id, Visit.team_id, Visit.day, Visit.at, Visit.purpose, Visit.household_id,
               Household.name).join(Household, Household.id == Visit.household_id)
        .where(*missing)).all()
    workers = _visit_workers(*missing)
    for r in rows:
        hours = ctx.lead(r.team_id, "report_missing")
        if ctx.now < visit_moment(r.day, r.at) + timedelta(hours=hours):
            continue
        yield Candidate("report_missing", "visit", r.id, r.team_id, r.day,
                        f"Compte rendu à écrire : visite du {day_fr(r.day)} chez {r.name}"[:300],
                        "urgent", "manquant", ctx.holders(r.team_id, workers.get(r.id, [])),
                        r.household_id)


@rule("not_seen", "Ménage sans visite", default_lead=30,
      hint="jours sans visite (avec compte rendu) avant l'alerte", ttl=24 * 3600,
      push_urgency="low")
def not_seen(ctx: Context):
    """A followed household not seen (a visit with a report) for N days (default 30)."""
    from app.households.models import Enrolment
    from app.visits.models import Visit, VisitReport

    Household = _household()

    def reported(*where):
        """Visits of the household with a report, on or before today (index household, day)."""
        return (select(Visit.day).join(VisitReport, VisitReport.visit_id == Visit.id)
                .where(Visit.household_id == Household.id, Visit.day <= ctx.today, *where))

    running = exists().where(Enrolment.household_id == Household.id,
                             or_(Enrolment.exit_date.is_(None), Enrolment.exit_date > ctx.today))
    any_enrolment = exists().where(Enrolment.household_id == Household.id)
    # Seen within the shortest lead time of any team: no alert, whatever the team.
    recent = reported(Visit.day > ctx.today - timedelta(days=_min_lead(ctx, "not_seen")))
    last = reported().with_only_columns(func.max(Visit.day)).scalar_subquery()
    rows = db.session.execute(
        select(Household.id, Household.team_id, Household.name, Household.referent_id,
               Household.created_at, last.label("last"))
        .where(or_(running, not_(any_enrolment)), not_(recent.exists()))).all()
    for r in rows:
        lead = ctx.lead(r.team_id, "not_seen")
        since = r.last or today_paris(r.created_at)
        due = since + timedelta(days=lead)
        if due > ctx.today:
            continue
        text = (f"{r.name} : pas de visite avec compte rendu depuis le {day_fr(r.last)}"
                if r.last else f"{r.name} : aucune visite avec compte rendu depuis son arrivée")
        yield Candidate("not_seen", "household", r.id, r.team_id, due, text[:300], "soon",
                        f"j{lead}", ctx.holders(r.team_id, [r.referent_id]), r.id)


def _min_lead(ctx: Context, code: str) -> int:
    values = [v for (_, c), v in ctx._leads.items() if c == code]
    return min(values + [RULES[code].default_lead])


# -- Permanences (app/permanences/queries) -----------------------------------------------------

try:
    from app.permanences.queries import shifts_needing_reminder, understaffed_sessions
except ImportError:  # the permanences feature is not installed: its two rules are absent
    shifts_needing_reminder = understaffed_sessions = None


if shifts_needing_reminder is not None:

    @rule("shift_tomorrow", "Créneau de permanence le lendemain", default_lead=1,
          hint="jours avant le créneau (1 : la veille ; 0 : pas de rappel)", ttl=12 * 3600,
          programmes=("permanence",))
    def shift_tomorrow(ctx: Context):
        """A volunteer's or worker's permanence shift within the team's lead days (by
        default: tomorrow); the reminder stays until the day of the shift."""
        for ahead in range(1, ctx.max_lead("shift_tomorrow") + 1):
            # The permanences' query gives the shifts held the day after the day it is given.
            for s in shifts_needing_reminder(ctx.today + timedelta(days=ahead - 1)):
                if ahead > ctx.lead(s.team_id, "shift_tomorrow"):
                    continue
                when = "demain" if ahead == 1 else f"le {day_fr(s.day)}"
                hour = f" à {s.starts_at.strftime('%H h %M')}" if s.starts_at else ""
                yield Candidate("shift_tomorrow", "session", s.session_id, s.team_id, s.day,
                                f"Votre créneau de permanence {when}{hour} ({s.role_label}), "
                                f"{s.place}"[:300], "soon", "veille", (s.user_id,))

    @rule("understaffed", "Permanence en manque de bénévoles", default_lead=48, unit="heures",
          hint="heures avant la séance", ttl=6 * 3600, push_urgency="high",
          programmes=("permanence",))
    def understaffed(ctx: Context):
        """An open session within the lead hours (48 h) short of people, or newcomers only."""
        for g in understaffed_sessions(ctx.now, hours=ctx.max_lead("understaffed")):
            if g.start_utc > ctx.now + timedelta(hours=ctx.lead(g.team_id, "understaffed")):
                continue
            missing = ", ".join(f"{n} {label.lower()}" for label, n in g.missing)
            hour = g.starts_at.strftime("%H h %M") if g.starts_at else ""
            text = f"Permanence du {day_fr(g.day)} à {hour} : "
            text += f"il manque {missing}" if missing else "seulement des nouveaux bénévoles"
            if missing and g.newcomers_only:
                text += " ; seulement des nouveaux bénévoles"
            yield Candidate("understaffed", "session", g.session_id, g.team_id, g.day, text[:300],
                            "urgent", "manque", ctx.coordinators(g.team_id))


    @rule("shift_call", "Appel aux bénévoles disponibles", default_lead=0,
          hint="(envoyé dès l'appel de la coordination)", ttl=6 * 3600, push_urgency="high",
          programmes=("permanence",), has_lead=False)
    def shift_call(ctx: Context):
        """A coordinator asked the volunteers who fit a missing role: each one is told at once,
        until the role is filled, they sign up for that session, or the session is past."""
        from app.permanences.models import DropInSession, Shift, ShiftCall
        from app.permanences.queries import staffing_of

        calls = db.session.execute(
            select(ShiftCall, DropInSession).join(DropInSession)
            .where(DropInSession.day >= ctx.today, DropInSession.status == "ouverte")).all()
        if not calls:
            return
        signed = {(sid, uid) for sid, uid in db.session.execute(
            select(Shift.session_id, Shift.user_id).where(
                Shift.session_id.in_({c.session_id for c, _ in calls}),
                Shift.cancelled_at.is_(None)))}
        for call, session in calls:
            waiting = tuple(sorted(uid for uid in call.recipient_ids or []
                                   if (session.id, uid) not in signed))
            if not waiting or staffing_of(session, ctx.today).free(call.role, call.language) <= 0:
                continue
            hour = session.starts_at.strftime("%H h %M")
            text = (f"La permanence du {day_fr(session.day)} à {hour} cherche : "
                    f"{call.label.lower()}")
            yield Candidate("shift_call", "session", session.id, session.team_id, session.day,
                            text[:300], "urgent", f"appel-{call.id}", waiting)


# -- ASLL measures (app/measures) --------------------------------------------------------------


def _running_measures(ctx: Context):
    from app.measures.models import Measure

    def load():
        return list(db.session.execute(
            select(Measure.id, Measure.team_id, Measure.household_id, Measure.reference,
                   Measure.notified_on, Measure.contract_signed_on, Measure.worker_id,
                   Measure.received_on, _household().name)
            .join(_household(), _household().id == Measure.household_id)
            .where(Measure.ended_on.is_(None))).all())

    return ctx.cached("asll_measures", load)


@rule("asll_phase1", "ASLL : fin de la phase 1 (2 mois)", default_lead=15,
      hint="jours avant les deux mois de la phase 1 sans contrat signé", ttl=24 * 3600,
      programmes=("asll",))
def asll_phase1(ctx: Context):
    """A measure's two months of phase 1 come to an end and no contract is signed yet."""
    from app.measures.rules import phase1_due

    for m in _running_measures(ctx):
        if m.contract_signed_on is not None:
            continue
        due = phase1_due(m.notified_on)
        left = (due - ctx.today).days
        stage = countdown_stage(left, ctx.lead(m.team_id, "asll_phase1"), steps=(7,))
        if stage is None:
            continue
        text = (f"ASLL {m.name} : phase 1 dépassée depuis le {day_fr(due)}, contrat à signer"
                if left < 0 else f"ASLL {m.name} : contrat à signer avant le {day_fr(due)}")
        yield Candidate("asll_phase1", "measure", m.id, m.team_id, due, text[:300],
                        countdown_urgency(left), stage, ctx.holders(m.team_id, [m.worker_id]),
                        m.household_id)


@rule("asll_phase2", "ASLL : fin de la phase 2 (9 mois)", default_lead=30,
      hint="jours avant la fin des neuf mois (renouveler ou clore)", ttl=24 * 3600,
      programmes=("asll",))
def asll_phase2(ctx: Context):
    """A measure's nine months of phase 2 come to an end: renew it or end it."""
    from app.measures.rules import phase2_end

    for m in _running_measures(ctx):
        if m.contract_signed_on is None:
            continue
        due = phase2_end(m.contract_signed_on)
        left = (due - ctx.today).days
        stage = countdown_stage(left, ctx.lead(m.team_id, "asll_phase2"), steps=(15, 7))
        if stage is None:
            continue
        text = (f"ASLL {m.name} : phase 2 dépassée depuis le {day_fr(due)}"
                if left < 0 else f"ASLL {m.name} : fin de la phase 2 le {day_fr(due)}, "
                                 "renouveler ou clore")
        yield Candidate("asll_phase2", "measure", m.id, m.team_id, due, text[:300],
                        countdown_urgency(left), stage, ctx.holders(m.team_id, [m.worker_id]),
                        m.household_id)


@rule("asll_link_sheet", "ASLL : fiche de lien du mois", default_lead=5,
      hint="jours avant la fin du mois sans fiche de lien écrite", ttl=24 * 3600,
      programmes=("asll",))
def asll_link_sheet(ctx: Context):
    """The month's fiche de lien of a running measure is not written as the month ends."""
    from app.measures.models import LinkSheet
    from app.measures.rules import month_end, month_start

    first, last = month_start(ctx.today), month_end(ctx.today)
    written = set(db.session.scalars(select(LinkSheet.measure_id)
                                     .where(LinkSheet.month == first)))
    left = (last - ctx.today).days
    for m in _running_measures(ctx):
        if m.received_on is None or m.id in written or m.notified_on > last:
            continue
        if left > ctx.lead(m.team_id, "asll_link_sheet"):
            continue
        yield Candidate("asll_link_sheet", "measure", m.id, m.team_id, last,
                        f"ASLL {m.name} : fiche de lien de {first.month:02d}/{first.year} "
                        f"à écrire avant le {day_fr(last)}"[:300],
                        "urgent" if left <= 1 else "soon", "jour" if left == 0 else "mois",
                        ctx.holders(m.team_id, [m.worker_id]), m.household_id)
