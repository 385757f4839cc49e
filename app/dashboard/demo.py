"""Demo history for the dashboard: households whose support ended during the last year (with
their destination) and visits done over the past months, so the indicators and their charts
show a believable year.

Called by app.demo.load once teams, users and households exist. Invented names; dates relative
to the day the demo is loaded. Idempotent: a household is found by its name and team, a visit
by its report's client id.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.households.models import Enrolment, Household, Person
from app.timeutil import today_paris
from app.visits.models import Visit, VisitReport

#: (name, team, referent e-mail, people, entry days ago, exit days ago, destination, reason)
FORMER = [
    ("Famille Mercier", "IML Toulouse", "travailleur@terrain.test", 4, 520, 300,
     "logement_autonome", "Bail signé avec un bailleur social"),
    ("M. Laurent", "IML Toulouse", "travailleur@terrain.test", 1, 450, 200, "bail_glisse",
     "Le bail a glissé à son nom"),
    ("Mme Petitjean", "ASLL Toulouse", "travailleur@terrain.test", 2, 330, 110,
     "logement_autonome", "Objectifs de la mesure atteints"),
    ("Famille Nguyen", "IML Toulouse", None, 3, 400, 60, "logement_autonome",
     "Logement social attribué"),
    ("Bébert", "Village de l'insertion", "karim.haddad@terrain.test", 1, 280, 95, "hebergement",
     "Orienté vers une pension de famille"),
    ("M. Fabre", "Logement d'abord Toulouse", "karim.haddad@terrain.test", 1, 600, 150, "rue",
     "Départ sans nouvelles"),
    ("Famille Duval", "ASLL Toulouse", "travailleur@terrain.test", 3, 250, 30, "autre",
     "Déménagement dans un autre département"),
]

#: household -> (days ago of each visit done, place)
DONE_VISITS = {
    "Famille Benkirane": ([170, 140, 112, 84, 56, 28], "domicile"),
    "M. et Mme Ferreira": ([160, 120, 90, 60, 30], "domicile"),
    "Famille Lambert": ([45, 30, 15], "domicile"),
    "M. Dubois": ([300, 240, 180, 120, 40], "bureau"),
    "Tonton": ([200, 150, 100, 70, 35, 14], "rue"),
    "Mme Rousseau": ([90, 60, 20], "domicile"),
    "Pépito": ([130, 75, 33], "rue"),
    "Famille Mercier": ([480, 420, 360, 310], "domicile"),
    "Mme Petitjean": ([300, 250, 200, 150, 115], "domicile"),
    "Famille Nguyen": ([350, 290, 230, 170, 110, 70], "partenaire"),
    "Famille Duval": ([220, 160, 100, 45], "domicile"),
}


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the missing former households and done visits; returns how many were added."""
    today = today_paris(now)
    added = {"former_households": 0, "done_visits": 0}
    for name, team_name, referent, size, entry, exit_, destination, reason in FORMER:
        team = teams[team_name]
        if db.session.scalar(select(Household.id).where(Household.name == name,
                                                        Household.team_id == team.id)):
            continue
        household = Household(name=name, team=team, city="Toulouse", created_at=now,
                              updated_at=now, referent=users.get(referent) if referent else None)
        household.people = [Person(first_name=f"Membre {i + 1}", last_name=name.split()[-1])
                            for i in range(size)]
        household.enrolments = [Enrolment(
            team=team, programme=team.programme, entry_date=today - timedelta(days=entry),
            exit_date=today - timedelta(days=exit_), exit_destination=destination,
            exit_reason=reason, updated_at=now)]
        household.refresh_search_text()
        db.session.add(household)
        added["former_households"] += 1
    db.session.flush()
    for name, (days, place) in DONE_VISITS.items():
        household = db.session.scalar(select(Household).where(Household.name == name))
        if household is None:
            continue
        for ago in days:
            client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-dashboard:{name}:{ago}"))
            if db.session.scalar(select(VisitReport.id).where(VisitReport.client_id == client_id)):
                continue
            visit = Visit(household=household, team=household.team,
                          day=today - timedelta(days=ago), place=place,
                          purpose="Visite de suivi", status="faite", created_at=now)
            visit.workers = [household.referent] if household.referent else []
            visit.report = VisitReport(
                client_id=client_id, payload_hash="demo",
                author_id=household.referent.id if household.referent else None, seen=[],
                worked_on=[], observations="Point sur le projet et les démarches en cours.",
                orientation="CCAS" if ago % 3 == 0 else None, duration_minutes=45,
                written_at=now - timedelta(days=ago), received_at=now - timedelta(days=ago))
            db.session.add(visit)
            added["done_visits"] += 1
    return added
