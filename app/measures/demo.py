"""Demo ASLL measures of the ASLL Toulouse team, at different phases.

Called by app.demo.load once teams, users and households exist. Invented references and
prescribers; dates relative to the day the demo is loaded. Idempotent: a measure is found by
its reference.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.households.models import Household
from app.measures import rules
from app.measures.models import LinkSheet, Measure
from app.timeutil import today_paris

TEAM = "ASLL Toulouse"
WORKER = "travailleur@terrain.test"

#: (reference, household, funder, prescriber, objectives, notified, received, contract, ended,
#:  outcome, reason) — days relative to today, None when not (yet) done
MEASURES = [
    ("FSL31-2026-0187", "Famille Lambert", "metropole", "MDS de Blagnac",
     "Apurer la dette de loyer (plan FSL).\nOuvrir les droits APL après la séparation.",
     -50, -47, None, None, None, None),
    ("FSL31-2026-0112", "Famille Benkirane", "departement", "CCAS de Toulouse",
     "Accompagner l'entrée dans le logement et la gestion du budget.\n"
     "Soutenir le projet de formation de Mme Benkirane.",
     -120, -118, -80, None, None, None),
    ("FSL31-2024-0451", "M. Dubois", "metropole", "MDS Toulouse Nord",
     "Sécuriser le maintien dans le logement après l'hospitalisation.",
     -700, -698, -660, -390, "terminee", "Objectifs atteints : loyer à jour, APL rétablie."),
    ("FSL31-2026-0233", "M. Dubois", "metropole", "MDS Toulouse Nord",
     "Nouvelle demande : dossier MDPH et aide à domicile.",
     -5, None, None, None, None, None),
]


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the missing demo measures (and a fiche de lien for last month)."""
    team = teams.get(TEAM)
    if team is None:
        return {"measures": 0}
    today = today_paris(now)
    worker = users[WORKER]
    added = 0

    def day(offset):
        return None if offset is None else today + timedelta(days=offset)

    for (ref, name, funder, prescriber, objectives, notified, received, contract, ended,
         outcome, reason) in MEASURES:
        if db.session.scalar(select(Measure.id).where(Measure.reference == ref)):
            continue
        household = db.session.scalar(select(Household).where(Household.name == name))
        if household is None:
            continue
        m = Measure(team_id=team.id, household_id=household.id, reference=ref,
                    notified_on=day(notified), funder=funder, prescriber=prescriber,
                    objectives=objectives, received_on=day(received),
                    worker_id=worker.id if received is not None else None,
                    contract_signed_on=day(contract), ended_on=day(ended), outcome=outcome,
                    end_reason=reason, created_at=now)
        db.session.add(m)
        db.session.flush()
        last_month = rules.previous_month(today)
        if m.received_on and m.ended_on is None and rules.is_running_in(m, last_month):
            db.session.add(LinkSheet(
                measure_id=m.id, month=last_month, author_id=worker.id, updated_at=now,
                summary="Deux rendez-vous à domicile ; le ménage tient son tableau de budget.",
                next_steps="Relancer la CAF ; préparer le point avec le bailleur."))
        added += 1
    return {"measures": added}
