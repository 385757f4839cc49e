"""Demo housing: flat details, a collective place, contracts with rent and payments, candidatures.

Called by app.demo.load once flats and households exist. Everything is invented; dates are
relative to the day the demo is loaded so it always shows contracts near their end, a renewal
used, arrears, and a waiting list. Idempotent: rows are found by natural keys.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from app.extensions import db
from app.households.models import Household
from app.housing import rules
from app.housing.models import (AdmissionDecision, Application, ArrearsStep, Contract, Flat,
                                Payment, Place, Renewal, RentTerms)
from app.timeutil import today_paris

D = Decimal

#: address -> description the team keeps (landlord, rent paid to them, meters, equipment).
FLAT_DETAILS = {
    "8 rue des Lilas": dict(
        landlord_name="M. Bernard Castan (propriétaire)", landlord_contact="05 61 00 10 21",
        landlord_rent=D("640.00"), landlord_charges=D("70.00"), water_meter="EA-0817243",
        electricity_meter="14 2251 0930 1187", gas_meter="GI 0 2231 8841",
        equipment="Cuisine équipée (plaques, four, réfrigérateur), lave-linge, 3 lits, "
                  "table et 6 chaises.", managed_days=1480),
    "21 avenue des Platanes": dict(
        landlord_name="Agence Garonne Gestion", landlord_contact="gestion@garonne-gestion.test",
        landlord_rent=D("520.00"), landlord_charges=D("60.00"), water_meter="EA-0551902",
        electricity_meter="14 2251 0677 4420", equipment="Plaques, réfrigérateur, 2 lits.",
        managed_days=900),
    "3 impasse du Moulin": dict(
        landlord_name="Mme Hélène Sarda (propriétaire)", landlord_contact="06 00 00 31 77",
        landlord_rent=D("660.00"), landlord_charges=D("75.00"), water_meter="CO-2210044",
        electricity_meter="14 2260 1102 5561", gas_meter="GI 0 2240 1193",
        equipment="Cuisine équipée, lave-linge, lits enfant et adulte.", managed_days=700),
    "47 boulevard des Écoles": dict(
        landlord_name="Agence Garonne Gestion", landlord_contact="gestion@garonne-gestion.test",
        landlord_rent=D("395.00"), landlord_charges=D("35.00"), water_meter="EA-0933170",
        electricity_meter="14 2251 0412 0093", equipment="Kitchenette, clic-clac, table.",
        managed_days=75),
    "12 rue de la Fontaine": dict(
        landlord_name="SCI Les Aubépines", landlord_contact="05 61 00 44 90",
        landlord_rent=D("780.00"), landlord_charges=D("90.00"), water_meter="BL-1180342",
        electricity_meter="14 2270 3390 7612", gas_meter="GI 0 2250 6620",
        equipment="Travaux : salle de bain refaite, peinture des chambres.", managed_days=40),
    "5 allée des Tilleuls": dict(
        landlord_name="M. Louis Vidal (propriétaire)", landlord_contact="06 00 00 58 12",
        landlord_rent=D("410.00"), landlord_charges=D("40.00"), water_meter="EA-0728815",
        electricity_meter="14 2251 0880 3349", equipment="Kitchenette, lit double, armoire.",
        managed_days=480),
    "16 rue du Pont-Vieux": dict(
        landlord_name="Agence Saint-Cyprien Immobilier", landlord_contact="05 61 00 72 05",
        landlord_rent=D("420.00"), landlord_charges=D("35.00"), water_meter="EA-0610554",
        electricity_meter="14 2251 0355 2981", equipment="Plaques, réfrigérateur, lit, "
                                                          "table.", managed_days=620),
    "9 chemin des Vignes": dict(
        name="Les Glycines", landlord_name="Ville de Grenoble (convention d'occupation)",
        landlord_contact="05 00 00 00 00", landlord_rent=D("950.00"),
        landlord_charges=D("180.00"), water_meter="GR-3391022",
        electricity_meter="14 3801 2290 4410", gas_meter="GI 0 3810 2277",
        equipment="Cuisine collective, salon commun, buanderie, jardin clos, chenil abrité.",
        audience="Femmes seules en grande marginalité, avec ou sans animaux",
        animals_allowed=True, managed_days=400,
        rules="Chacune a la clé de sa chambre. Les animaux sont les bienvenus : chiens tenus "
              "en laisse dans les parties communes, chenil abrité dans le jardin.\n"
              "Réunion des habitantes le lundi à 18 h : courses, ménage des parties communes, "
              "projets du lieu.\nVisites libres en journée ; au-delà de 22 h, on prévient "
              "l'équipe."),
}

#: collective place -> (place, notes)
PLACES = {"9 chemin des Vignes": [
    ("Chambre 1", "Rez-de-chaussée, accessible en fauteuil"), ("Chambre 2", None),
    ("Chambre 3", None), ("Chambre 4", "Avec courette pour un chien"), ("Chambre 5", None),
    ("Chambre 6", "Sous les toits")]}


def _first(day: date) -> date:
    return day.replace(day=1)


def _contracts(today: date) -> list[dict]:
    this_month = _first(today)
    kone_start = today - relativedelta(months=5, days=10)
    tonton_start = today - relativedelta(months=16, days=15)
    ferreira_start = this_month - relativedelta(months=9)
    return [
        # Near its end, one renewal used: the decision on the second one is due.
        dict(flat="8 rue des Lilas", household="Famille Benkirane", kind="sous_location",
             start=this_month - relativedelta(months=11), terms=("610", "70", "420"),
             renewals=[(5, "Commission IML", "Accompagnement budgétaire en cours, demande de "
                                             "logement social déposée.")]),
        # Bail glissant with arrears, a renewal, and the glide planned in three months.
        dict(flat="21 avenue des Platanes", household="M. et Mme Ferreira", kind="bail_glissant",
             start=ferreira_start, terms=("520", "60", "310"),
             glide=this_month + relativedelta(months=3),
             renewals=[(5, "Responsable de service", "Glissement prévu dès l'accord du bailleur.")],
             unpaid_months=2, partial=("100.00",),
             steps=[("relance_amiable", 25, "travailleur@terrain.test", None,
                     "Courrier et appel : retard lié à une rupture de droits CAF."),
                    ("plan_apurement", 8, "coordination@terrain.test", "50.00",
                     "Plan signé : 50 € par mois en plus du loyer pendant 12 mois.")]),
        # Ends in about three weeks; no renewal decided yet.
        dict(flat="3 impasse du Moulin", household="Mme Koné", kind="sous_location",
             start=kone_start, terms=("640", "75", "455"), renewals=[]),
        # Her previous flat: she moved to a bigger one within the programme.
        dict(flat="5 allée des Tilleuls", household="Mme Koné", kind="sous_location",
             start=kone_start - relativedelta(months=9), terms=("390", "40", "280"),
             renewals=[(5, "Commission IML", "Naissance : attente d'un T3 dans le dispositif.")],
             ended=(kone_start - timedelta(days=1), "mutation", "dispositif")),
        # Both renewals used: the last period ends in about six weeks; exit declared.
        dict(flat="16 rue du Pont-Vieux", household="Tonton", kind="sous_location",
             start=tonton_start, terms=("410", "35", "300"),
             renewals=[(5, "Coordination Logement d'abord", "Stabilisation dans le logement."),
                       (11, "Coordination Logement d'abord", "Attente d'une attribution en "
                                                              "logement social (DLS n° 31-24).")],
             siao_declared_days=10),
        # A place in the collective place, no term.
        dict(flat="9 chemin des Vignes", place="Chambre 2", household="Nénette",
             kind="occupation", start=today - relativedelta(months=7), terms=("90", "30", "0")),
    ]


#: (team, name, days ago received, source, partner, SIAO ref, adults, children, resources,
#:  detail, situation, wanted, animals, notes, interview days ago, decisions)
APPLICATIONS = [
    ("IML Toulouse", "Mme Diarra", 60, "siao", None, "SIAO31-0412", 1, 2, "1150.00",
     "RSA et prestations familiales", "Hébergée à l'hôtel (115) depuis huit mois", "T3", False,
     "Demande de logement social active ; scolarisation des enfants à Toulouse.", 45,
     [(30, "attente", "Pas de T3 disponible avant plusieurs mois.")]),
    ("IML Toulouse", "M. Lopez", 40, "partenaire", "CCAS de Toulouse", None, 1, 0, "980.00",
     "AAH", "Hébergé chez un ami", "studio", False,
     "Suivi par le CCAS ; souhaite rester près de l'hôpital de jour.", 30,
     [(20, "admis", None)]),
    ("IML Toulouse", "Famille Haddou", 10, "siao", None, "SIAO31-0577", 2, 3, "1620.00",
     "Salaire à temps partiel, prestations familiales", "Chez un tiers, suroccupation", "T4",
     False, None, None, []),
    ("IML Toulouse", "Mme Rivière", 90, "siao", None, "SIAO31-0350", 1, 0, "560.00",
     "ASS", "CHRS", "T1", False, None, 80,
     [(70, "refuse", "Besoin d'un accompagnement plus soutenu : pension de famille proposée "
                     "avec son accord.")]),
    ("Lieu de vie Les Glycines", "Lulu", 20, "partenaire", "Accueil de jour La Passerelle",
     None, 1, 0, None, "Manche, pas de droits ouverts", "Rue, avec sa chienne", "place", True,
     "Refuse l'hébergement d'urgence à cause de sa chienne.", 15,
     [(12, "attente", "La chambre avec courette se libère dans deux mois.")]),
]

MEMBERS = "Responsable de service, SIAO, travailleuse sociale de l'équipe"


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the demo's housing rows that are missing; how many of each were added."""
    today = today_paris(now)
    added = {"contracts": 0, "places": 0, "applications": 0}
    flats = {f.address: f for f in db.session.scalars(select(Flat))}
    specs = _contracts(today)
    first_entry = {}
    for spec in specs:
        first_entry[spec["flat"]] = min(spec["start"], first_entry.get(spec["flat"], date.max))
    for address, details in FLAT_DETAILS.items():
        flat = flats.get(address)
        if flat is None or flat.landlord_name:
            continue
        details = dict(details)
        taken_on = today - timedelta(days=details.pop("managed_days"))
        if address in first_entry:  # taken on shortly before its first household came in
            taken_on = first_entry[address] - timedelta(days=12)
        flat.managed_since = taken_on
        for key, value in details.items():
            setattr(flat, key, value)
    for address, places in PLACES.items():
        flat = flats.get(address)
        if flat is None:
            continue
        have = {p.label for p in flat.places}
        for label, notes in places:
            if label not in have:
                flat.places.append(Place(label=label, notes=notes))
                added["places"] += 1
    db.session.flush()
    author = users.get("coordination@terrain.test")
    for spec in specs:
        flat = flats.get(spec["flat"])
        household = db.session.scalar(select(Household).where(
            Household.name == spec["household"]))
        if flat is None or household is None or db.session.scalar(select(Contract.id).where(
                Contract.flat_id == flat.id, Contract.household_id == household.id)):
            continue
        _contract(flat, household, spec, today, now, users, author)
        added["contracts"] += 1
    for row in APPLICATIONS:
        team = teams.get(row[0])
        if team is None or db.session.scalar(select(Application.id).where(
                Application.team_id == team.id, Application.name == row[1])):
            continue
        _application(team, row, today, now, author)
        added["applications"] += 1
    return added


def _contract(flat, household, spec, today, now, users, author) -> None:
    place = next((p for p in flat.places if p.label == spec.get("place")), None)
    rent, charges, apl = (D(v) for v in spec["terms"])
    term, _ = {"occupation": (None, None)}.get(spec["kind"], (6, 2))
    c = Contract(team_id=flat.team_id, flat=flat, place=place, household=household,
                 kind=spec["kind"], start_on=spec["start"], term_months=term,
                 glide_planned_on=spec.get("glide"), created_at=now,
                 created_by_id=getattr(author, "id", None))
    c.rent_terms = [RentTerms(effective_on=spec["start"], rent=rent, charges=charges, apl=apl,
                              recorded_at=now)]
    for number, (months, who, why) in enumerate(spec.get("renewals", []), 1):
        c.renewals.append(Renewal(
            number=number, decided_on=spec["start"] + relativedelta(months=months, days=10),
            decided_by=who, reason=why, new_end_on=rules.period_end(spec["start"],
                                                                    6 * (number + 1)),
            recorded_at=now))
    if "ended" in spec:
        c.ended_on, c.exit_reason, c.exit_destination = spec["ended"]
        c.exit_planned_on = c.ended_on
        c.siao_declared_on = c.ended_on - timedelta(days=21)
    if spec.get("siao_declared_days"):
        c.exit_planned_on = c.end_on
        c.siao_declared_on = today - timedelta(days=spec["siao_declared_days"])
    dues = rules.monthly_dues(c, c.ended_on or today)
    unpaid = spec.get("unpaid_months", 0)
    partial = list(spec.get("partial", ()))
    payable = dues[:len(dues) - unpaid] if unpaid else dues
    for i, due in enumerate(payable):
        paid_on = due.due_on + timedelta(days=4)
        if paid_on > today:
            continue
        amount = due.amount
        if unpaid and i == len(payable) - 1 and partial:
            amount = D(partial[0])
        c.payments.append(Payment(paid_on=paid_on, amount=amount,
                                  method="prelevement" if i % 3 else "virement",
                                  recorded_at=now))
    for kind, days_ago, email, monthly, note in spec.get("steps", []):
        c.arrears_steps.append(ArrearsStep(
            kind=kind, done_on=today - timedelta(days=days_ago),
            done_by_id=getattr(users.get(email), "id", None),
            monthly_amount=D(monthly) if monthly else None, note=note, recorded_at=now))
    db.session.add(c)


def _application(team, row, today, now, author) -> None:
    (_, name, received, source, partner, ref, adults, children, resources, detail, situation,
     wanted, animals, notes, interview, decisions) = row
    a = Application(team_id=team.id, name=name, received_on=today - timedelta(days=received),
                    source=source, partner=partner, siao_ref=ref, adults=adults,
                    children=children, resources_amount=D(resources) if resources else None,
                    resources_detail=detail, situation=situation, wanted=wanted,
                    animals=animals, notes=notes, created_at=now,
                    created_by_id=getattr(author, "id", None))
    if interview is not None:
        a.interview_on = today - timedelta(days=interview)
        a.interview_by_id = getattr(author, "id", None)
        a.admissible = not (decisions and decisions[-1][1] == "refuse")
        a.interview_notes = "Projet logement travaillé ; adhésion à l'accompagnement."
    for days_ago, decision, reason in decisions:
        a.decisions.append(AdmissionDecision(
            commission_on=today - timedelta(days=days_ago), members=MEMBERS, decision=decision,
            reason=reason, recorded_at=now))
    db.session.add(a)
