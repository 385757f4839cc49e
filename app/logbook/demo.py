"""Demo logbooks of the Village de l'insertion and Logement d'abord Toulouse, and flat checks.

Called by app.demo.load once teams, users, households and flats exist. Everything is invented;
days are relative to the day the demo is loaded. Idempotent: an entry is found by its
client_id (a UUID derived from its text), a check by its flat and day.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.households.models import Household
from app.households.text import fold
from app.housing.models import Flat
from app.logbook.models import (CHECK_POINTS, FlatCheck, FlatCheckItem, LogEntry,
                                LogEntryPerson)
from app.logbook.rules import paris_to_utc
from app.timeutil import today_paris

VILLAGE = "Village de l'insertion"
LDA = "Logement d'abord Toulouse"
KARIM = "karim.haddad@terrain.test"
NADIA = "coordination@terrain.test"
SOPHIE = "travailleur@terrain.test"

#: (team, day offset, "HH:MM", category, author, households named, partners, text)
ENTRIES = [
    (VILLAGE, -20, "10:30", "reunion", NADIA, ["Pépito", "Mimi", "Le Grand Jo"], None,
     "Réunion des habitants. Ordre du jour : les chiens dans les parties communes, le planning "
     "du ménage de la cuisine, la fête de fin d'année. Mimi propose de tenir le tableau des "
     "tâches. Décision : les chiens en laisse près de la cuisine."),
    (VILLAGE, -17, "22:40", "incident", KARIM, ["Le Grand Jo"], "Agent de sécurité (nuit)",
     "Dispute à l'entrée du Village avec une personne extérieure qui voulait entrer. Le Grand "
     "Jo s'est interposé, sans coups. L'agent de nuit a raccompagné la personne. Reparlé le "
     "lendemain avec Jo, qui a bien dormi."),
    (VILLAGE, -14, "14:00", "partenaires", KARIM, ["Pépito"], "CSAPA, équipe mobile psychiatrie",
     "Passage de l'équipe mobile et de l'infirmière du CSAPA. Pépito a accepté un rendez-vous "
     "au CSAPA jeudi. Point fait sur les traitements avec son accord."),
    (VILLAGE, -10, "12:15", "vie_collective", KARIM, ["Mimi", "Pépito"], None,
     "Repas partagé préparé par Mimi et Pépito (couscous). Douze personnes à table, bonne "
     "ambiance. Idée d'un atelier cuisine chaque mois."),
    (VILLAGE, -7, "09:00", "securite", NADIA, [], "Service technique de l'association",
     "Extincteur du module 3 vide après l'incident de la semaine dernière. Demande de "
     "remplacement faite au service technique ; passage prévu mardi."),
    (VILLAGE, -4, "16:30", "sante", KARIM, ["Le Grand Jo"], "PASS de l'hôpital",
     "Jo se plaint d'une plaie au pied qui ne guérit pas. Accompagné à la PASS, pansement fait, "
     "retour prévu dans une semaine."),
    (VILLAGE, -1, "18:45", "vie_collective", KARIM, ["Mimi"], None,
     "Mimi a repeint la porte de son module avec l'aide de deux habitants. Fière du résultat, "
     "demande de la peinture pour le banc commun."),
    (LDA, -25, "11:00", "visite_logements", SOPHIE, ["Tonton"], None,
     "Passage chez Tonton au Pont-Vieux. Logement encombré mais aéré, le frigo fonctionne. Il "
     "dort de nouveau dans le lit (et plus par terre)."),
    (LDA, -15, "15:00", "partenaires", NADIA, [], "Bailleur (agence du Pont-Vieux), Métropole",
     "Point trimestriel avec l'agence et la Métropole sur l'expérimentation : aucun impayé, "
     "une plainte de voisinage réglée. Le bailleur propose un second T1 rue des Teinturiers."),
    (LDA, -8, "10:00", "sante", KARIM, ["Mme Rousseau"], "Médecin traitant",
     "Mme Rousseau a repris ses rendez-vous chez son médecin traitant. Elle demande de l'aide "
     "pour le renouvellement de sa mutuelle."),
    (LDA, -3, "17:20", "incident", SOPHIE, ["Tonton"], None,
     "Voisine du dessous inquiète : fuite d'eau sous l'évier de Tonton. Robinet fermé avec lui, "
     "plombier appelé pour demain. Pas de dégât chez la voisine."),
]

#: (flat address, day offset, outcome, {point: (state, comment)}, summary, follow-up, in days)
CHECKS = [
    ("16 rue du Pont-Vieux", -190, "satisfaisant", {}, "Logement bien investi.", None, None),
    ("16 rue du Pont-Vieux", -97, "a_suivre",
     {"entretien": ("a_revoir", "Vaisselle accumulée, sacs à descendre"),
      "aeration": ("a_revoir", "Un peu de moisissure au plafond de la salle d'eau")},
     "Tonton accepte l'aide d'un·e pair-aidant·e pour le rangement.",
     "Séance de rangement avec le pair-aidant", 14),
    ("7 rue des Teinturiers", -12, "satisfaisant",
     {"equipements": ("a_revoir", "Détecteur de fumée à poser avant l'entrée")},
     "Visite avant l'entrée d'une personne : logement propre et meublé.",
     "Poser le détecteur de fumée", 10),
]


def _client_id(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "demo-logbook:" + text[:80]))


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the missing demo entries and flat checks."""
    today = today_paris(now)
    added = {"entries": 0, "checks": 0}
    for team_name, offset, at, category, author, names, partners, text in ENTRIES:
        team = teams.get(team_name)
        client_id = _client_id(text)
        if team is None or db.session.scalar(select(LogEntry.id).where(
                LogEntry.client_id == client_id)):
            continue
        people = [p for name in names
                  for h in db.session.scalars(select(Household).where(Household.name == name))
                  for p in h.people]
        entry = LogEntry(
            team_id=team.id, client_id=client_id,
            occurred_at=paris_to_utc(datetime.combine(today + timedelta(days=offset),
                                                      time.fromisoformat(at))),
            category=category, text=text, partners=partners, author_id=users[author].id,
            payload_hash=hashlib.sha256(text.encode()).hexdigest(), created_at=now,
            updated_at=now,
            people=[LogEntryPerson(person_id=p.id, household_id=p.household_id) for p in people],
            search_text=fold(" ".join([text, partners or ""] + [
                f"{p.search_words} {p.household.name}" for p in people])))
        db.session.add(entry)
        added["entries"] += 1
    for address, offset, outcome, states, summary, follow_up, follow_in in CHECKS:
        flat = db.session.scalar(select(Flat).where(Flat.address == address))
        checked_on = today + timedelta(days=offset)
        if flat is None or db.session.scalar(select(FlatCheck.id).where(
                FlatCheck.flat_id == flat.id, FlatCheck.checked_on == checked_on)):
            continue
        db.session.add(FlatCheck(
            team_id=flat.team_id, flat_id=flat.id, checked_on=checked_on, outcome=outcome,
            summary=summary, follow_up=follow_up,
            follow_up_on=checked_on + timedelta(days=follow_in) if follow_in else None,
            author_id=users[SOPHIE].id, created_at=now,
            items=[FlatCheckItem(point=p, state=states.get(p, ("ok", None))[0],
                                 comment=states.get(p, ("ok", None))[1]) for p in CHECK_POINTS]))
        added["checks"] += 1
    db.session.flush()
    return added
