"""Demo privacy data: two closed case files of IML Toulouse (one archived, one closed three
months ago and still in the lists), the coordinator allowed to read the team's archives, and
yesterday's retention pass.

Called by app.demo.load once teams, users and households exist. Invented people; dates relative
to the day the demo is loaded. Idempotent: households are found by name and team.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from app.extensions import db
from app.households.models import Enrolment, Household, Note, Person
from app.privacy.models import ArchiveAccess, HouseholdArchive, RetentionRun
from app.timeutil import today_paris

TEAM = "IML Toulouse"
READER = "coordination@terrain.test"

#: (name, city, [(first, last, birth year)], months since entry, months since exit, archived)
CLOSED = [
    ("M. Perrin", "Toulouse", [("Hervé", "Perrin", 1958)], 40, 27, True),
    ("Mme Vasseur", "Muret", [("Laure", "Vasseur", 1990), ("Théo", "Vasseur", 2015)], 20, 3,
     False),
]


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the demo's closed and archived files, the archive reader and a retention pass."""
    added = {"closed": 0, "archived": 0, "readers": 0, "runs": 0}
    today = today_paris(now)
    team = teams[TEAM]
    worker = users.get("travailleur@terrain.test")
    for name, city, people, since_entry, since_exit, archived in CLOSED:
        household = db.session.scalar(select(Household).where(Household.name == name,
                                                              Household.team_id == team.id))
        if household is not None:
            continue
        entry = today - relativedelta(months=since_entry)
        exit_ = today - relativedelta(months=since_exit)
        household = Household(name=name, team=team, city=city, created_at=now, updated_at=now,
                              referent=worker,
                              situation="Relogé·e dans le parc social à la sortie.")
        household.people = [Person(first_name=f, last_name=ln, birth_year=y)
                            for f, ln, y in people]
        household.enrolments = [Enrolment(team=team, programme=team.programme, entry_date=entry,
                                          exit_date=exit_, exit_destination="logement_autonome",
                                          updated_at=now)]
        household.refresh_search_text()
        db.session.add(household)
        db.session.add(Note(household=household, author_id=worker.id if worker else None,
                            title="Bilan de sortie", written_on=exit_, created_at=now,
                            updated_at=now,
                            body="Bail signé, APL ouverte, suivi passé au CCAS."))
        db.session.flush()
        added["closed"] += 1
        if archived:
            db.session.add(HouseholdArchive(household_id=household.id, closed_on=exit_,
                                            archived_at=now - timedelta(days=90)))
            added["archived"] += 1
    reader = users.get(READER)
    if reader is not None and db.session.scalar(select(ArchiveAccess.id).where(
            ArchiveAccess.user_id == reader.id, ArchiveAccess.team_id == team.id)) is None:
        admin = users.get("admin@terrain.test")
        db.session.add(ArchiveAccess(user_id=reader.id, team_id=team.id, granted_at=now,
                                     granted_by_id=admin.id if admin else None))
        added["readers"] += 1
    if db.session.scalar(select(RetentionRun.id).limit(1)) is None:
        db.session.add(RetentionRun(ran_at=now - timedelta(days=1),
                                    today=today - timedelta(days=1), archived=0, anonymised=0,
                                    detail={"archived": [], "anonymised": [], "failed": {}}))
        added["runs"] += 1
    db.session.flush()
    return added
