"""Reads of case files, always scoped by the person asking.

A household is visible to the case roles (coordinator, worker) of its owning team and of every
team that enrols it in a programme. Notes add their own confidentiality rule on top.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from app.auth.models import Membership, User
from app.auth.scoping import deny, team_ids
from app.extensions import db
from app.households.models import Barrier, Enrolment, Goal, Household, Note, Right
from app.households.text import fold, fuzzy_match
from app.programmes import CASE_ROLES, LEAD_ROLES


def visible(user, roles: tuple[str, ...] = CASE_ROLES):
    """A SQL condition: the household is owned by, or enrolled with, one of the user's teams."""
    ids = team_ids(user, roles)
    if not ids:
        return false()
    # Archived files leave every list and page; authorised people read them in app/privacy.
    return and_(or_(Household.team_id.in_(ids),
                    exists().where(Enrolment.household_id == Household.id,
                                   Enrolment.team_id.in_(ids))),
                not_archived())


def not_archived():
    """A SQL condition: the household is not archived (nor anonymised)."""
    from app.privacy.models import HouseholdArchive

    return ~exists().where(HouseholdArchive.household_id == Household.id,
                           HouseholdArchive.archived_at.is_not(None))


def household_or_404(household_id: int, user) -> Household:
    """The household if this person may open it; otherwise 404 and an audit row."""
    household = db.session.scalar(
        select(Household).where(Household.id == household_id, visible(user)))
    if household is None:
        deny(user, "household", household_id)
    return household


def household_team_ids(household: Household) -> set[int]:
    """The owning team and every team that enrols the household."""
    return {household.team_id} | {e.team_id for e in household.enrolments}


def coordinates(user, household: Household) -> bool:
    """Whether the person coordinates one of the household's teams."""
    return bool(team_ids(user, LEAD_ROLES) & household_team_ids(household))


def note_condition(user, household: Household):
    """SQL condition on Note: the notes of this household this person may read."""
    lead = coordinates(user, household)
    return or_(
        Note.author_id == user.id,
        Note.confidentiality == "equipe",
        and_(Note.confidentiality == "referent",
             true() if (lead or household.referent_id == user.id) else false()),
        and_(Note.confidentiality == "sante", true() if lead else false()),
    )


def child_or_404(model, ident: int, household: Household, user, extra=None):
    """A row of `model` belonging to this (already visible) household, else 404 + audit."""
    stmt = select(model).where(model.id == ident, model.household_id == household.id)
    if extra is not None:
        stmt = stmt.where(extra)
    row = db.session.scalar(stmt)
    if row is None:
        deny(user, model.__tablename__, ident)
    return row


@dataclass
class Page:
    """One page of a list and what is needed to show the pager."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def search(user, q: str = "", mine: bool = False, programme: str = "", page: int = 1,
           per_page: int = 25) -> Page:
    """Households this person may see, matching `q` by name or alias, mine first.

    Words are matched on folded text (no accents, no case); when exact matching finds less than
    a page, names within a typo or two (by word length) are added after the exact ones.
    """
    base = select(Household.id).where(visible(user))
    if mine:
        base = base.where(Household.referent_id == user.id)
    if programme:
        base = base.where(exists().where(Enrolment.household_id == Household.id,
                                         Enrolment.programme == programme,
                                         Enrolment.exit_date.is_(None)))
    folded = fold(q)
    mine_first = case((Household.referent_id == user.id, 0), else_=1)
    if not folded:
        total = db.session.scalar(select(func.count()).select_from(base.subquery()))
        ids = list(db.session.scalars(
            base.order_by(mine_first, Household.name, Household.id)
            .offset((page - 1) * per_page).limit(per_page)))
        return Page(_load(ids), total or 0, page, per_page)

    exact = base
    for word in folded.split():
        exact = exact.where(Household.search_text.like(f"%{word}%"))
    exact_ids = list(db.session.scalars(exact.order_by(mine_first, Household.name)))
    ids = exact_ids
    if len(exact_ids) < per_page:
        seen = set(exact_ids)
        rows = db.session.execute(
            base.add_columns(Household.search_text).order_by(mine_first, Household.name))
        ids = exact_ids + [hid for hid, text in rows
                           if hid not in seen and fuzzy_match(folded, text)]
    return Page(_load(ids[(page - 1) * per_page: page * per_page]), len(ids), page, per_page)


def _load(ids: list[int]) -> list[Household]:
    """Households by id, keeping the order given."""
    if not ids:
        return []
    found = {h.id: h for h in db.session.scalars(
        select(Household).where(Household.id.in_(ids)).options(selectinload(Household.people)))}
    return [found[i] for i in ids if i in found]


def notes(user, household: Household) -> list[Note]:
    """The notes of a household this person may read, newest first."""
    return list(db.session.scalars(
        select(Note).where(Note.household_id == household.id, note_condition(user, household))
        .order_by(Note.written_on.desc(), Note.id.desc())))


def hidden_notes_count(household: Household, readable: int) -> int:
    """How many notes exist beyond the `readable` ones (their existence is not secret)."""
    total = db.session.scalar(select(func.count(Note.id)).where(Note.household_id == household.id))
    return (total or 0) - readable


def rights(household: Household) -> list[Right]:
    """Rights of a household: open ones first, by next step due."""
    closed = case((Right.status.in_(("accorde", "refuse")), 1), else_=0)
    return list(db.session.scalars(
        select(Right).where(Right.household_id == household.id)
        .order_by(closed, Right.next_step_due.is_(None), Right.next_step_due, Right.id)))


def goals(household: Household) -> list[Goal]:
    """Goals of a household: current ones first."""
    done = case((Goal.status == "en_cours", 0), else_=1)
    return list(db.session.scalars(
        select(Goal).where(Goal.household_id == household.id)
        .order_by(done, Goal.set_on.desc(), Goal.id.desc())))


def barriers(household: Household) -> list[Barrier]:
    """Barriers of a household: not yet lifted first."""
    lifted = case((Barrier.status == "leve", 1), else_=0)
    return list(db.session.scalars(
        select(Barrier).where(Barrier.household_id == household.id)
        .order_by(lifted, Barrier.identified_on.desc(), Barrier.id.desc())))


def referent_choices(household_team_id: int) -> list[User]:
    """Active workers and coordinators of a team, who can be a household's referent."""
    return list(db.session.scalars(
        select(User).join(Membership).where(Membership.team_id == household_team_id,
                                            Membership.role.in_(CASE_ROLES),
                                            User.active.is_(True))
        .order_by(User.display_name)))


def caseload(user) -> list[dict]:
    """For each team this person coordinates: each worker's households, and the unassigned."""
    out = []
    for team_id in sorted(team_ids(user, LEAD_ROLES)):
        households = list(db.session.scalars(
            select(Household).where(Household.team_id == team_id).order_by(Household.name)))
        people = referent_choices(team_id)
        by_referent = {p.id: [] for p in people}
        unassigned = []
        for h in households:
            if h.referent_id in by_referent:
                by_referent[h.referent_id].append(h)
            else:
                unassigned.append(h)
        team = next(m.team for m in user.memberships if m.team_id == team_id)
        out.append({"team": team, "people": people, "unassigned": unassigned,
                    "rows": [(p, by_referent[p.id]) for p in people]})
    return out
