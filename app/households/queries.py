"""Reads of households, always scoped by the person asking."""
from __future__ import annotations

from sqlalchemy import case, func, select

from app.auth.scoping import scope
from app.extensions import db
from app.households.models import Household


def page_of_households(user, page: int, per_page: int) -> tuple[list[Household], int]:
    """One page of the households this person may see ("mes ménages" first) and the total."""
    base = scope(select(Household), Household.team_id, user)
    total = db.session.scalar(scope(select(func.count(Household.id)), Household.team_id, user))
    mine_first = case((Household.referent_id == user.id, 0), else_=1)
    rows = db.session.scalars(
        base.order_by(mine_first, Household.name, Household.id)
        .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total or 0
