"""Demo rehousing operation of the Relogement Mistral team: three buildings, twelve households
at every stage, proposals and two providers' missions.

Called by app.demo.load once teams, users and the case-file households exist. Every name,
address, landlord and provider is invented; dates are relative to the day the demo is loaded.
Idempotent: the operation is found by its name and not touched again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.households.models import Enrolment, Household, Person
from app.relogement.models import Building, Mission, Operation, Proposal, RehousingCase
from app.timeutil import today_paris

TEAM = "Relogement Mistral"
WORKER = "elodie.bernard@terrain.test"
PILOT = "coordination.grenoble@terrain.test"
NAME = "Mistral — îlot des Peupliers"

#: (address, dwellings, acquired, works, works_on) — days relative to today
BUILDINGS = [
    ("12 rue des Peupliers, Grenoble", 24, -620, "demolition", 240),
    ("14 rue des Peupliers, Grenoble", 18, -600, "demolition", 300),
    ("3 allée du Vercors, Grenoble", 12, -450, "rehabilitation", 180),
]

#: household -> (building index, staircase, flat, first contact, composition, people,
#:   situation/wishes/constraints, proposals, move, outcome)
#: proposal: (address, landlord, typology, rent, proposed, answer, answered, reason, text)
#: outcome: (code, day, new address, text)
CASES = [
    ("Famille Okafor", 0, "A", "12", -380, None, None,
     dict(current_rent=Decimal("412.00"), tenure="locataire_social", typology="T3",
          wished_areas="Villeneuve, Échirolles", max_rent=Decimal("480.00"),
          school="Daniel au collège des Saules : rester sur la ligne de tram A"),
     [("8 avenue des Cèdres, Échirolles", "Alpes Habitat", "T3", Decimal("505.00"), -300,
       "refusee", -290, "loyer", "Trop cher avec les charges de chauffage."),
      ("21 rue du Lac, Grenoble", "Isère Logis", "T3", Decimal("468.00"), -120, "acceptee",
       -110, None, None)],
     -40, ("reloge", -40, "21 rue du Lac, 38100 Grenoble", None)),
    ("M. Garcia", 0, "B", "3", -350, None, None,
     dict(current_rent=Decimal("298.00"), tenure="locataire_social", typology="T2",
          wished_areas="Mistral, Eaux-Claires", max_rent=Decimal("350.00"),
          mobility="Marche avec une canne : rez-de-chaussée ou ascenseur",
          health="Suivi cardiologique au CHU, rendez-vous mensuels",
          needs="Douche à l'italienne si possible"),
     [("5 place des Tilleuls, Grenoble", "Isère Logis", "T2", Decimal("332.00"), -6,
       "en_attente", None, None, None)], None, None),
    ("Famille Haddou", 0, "A", "21", -330, "couple", [("Rachid", "Haddou", 1979),
                                                     ("Nora", "Haddou", 1983),
                                                     ("Yanis", "Haddou", 2008),
                                                     ("Inès", "Haddou", 2011),
                                                     ("Sami", "Haddou", 2016)],
     dict(current_rent=Decimal("520.00"), tenure="locataire_social", typology="T5",
          wished_areas="Mistral, Saint-Bruno", max_rent=Decimal("600.00"),
          needs="Famille de sept personnes : grand T5 rare dans le parc du secteur",
          work="M. Haddou travaille de nuit à la zone de Sassenage",
          school="Trois enfants scolarisés dans le quartier"), [], None, None),
    ("Mme Lefort", 0, "B", "7", -260, "seul", [("Josiane", "Lefort", 1958)],
     dict(current_rent=Decimal("305.00"), tenure="locataire_social", typology="T2",
          wished_areas="Centre, Championnet", animals="Un chat"),
     [("17 rue Lesdiguières, Grenoble", "Alpes Habitat", "T2", Decimal("389.00"), -15,
       "acceptee", -5, None, "Contente de se rapprocher de sa sœur.")], 10, None),
    ("Famille Nguyen", 1, "A", "2", -400, "couple", [("Minh", "Nguyen", 1975),
                                                    ("Lan", "Nguyen", 1978),
                                                    ("Bao", "Nguyen", 2007)],
     dict(current_rent=Decimal("440.00"), tenure="locataire_social", typology="T4",
          wished_areas="Grenoble sud", max_rent=Decimal("520.00")),
     [("9 rue des Alliés, Grenoble", "Grenoble Logement Solidaire", "T4", Decimal("498.00"),
       -200, "acceptee", -185, None, None)], -150,
     ("reloge", -150, "9 rue des Alliés, 38100 Grenoble", None)),
    ("M. et Mme Bertin", 1, "A", "9", -370, "couple", [("Gilles", "Bertin", 1962),
                                                      ("Sylvie", "Bertin", 1964)],
     dict(current_rent=Decimal("390.00"), tenure="locataire_social", typology="T3",
          wished_areas="Mistral uniquement", max_rent=Decimal("420.00"),
          needs="Attachement fort au quartier : 30 ans dans l'immeuble"),
     [("2 rue Anatole, Échirolles", "Alpes Habitat", "T3", Decimal("455.00"), -280,
       "refusee", -270, "localisation", "Ne veulent pas quitter Grenoble."),
      ("40 avenue Rhin-et-Danube, Grenoble", "Isère Logis", "T3", Decimal("430.00"), -150,
       "refusee", -138, "etat", "Humidité dans la chambre."),
      ("6 rue des Eaux-Claires, Grenoble", "Isère Logis", "T3", Decimal("415.00"), -9,
       "en_attente", None, None, None)], None, None),
    ("Famille Diop", 1, "B", "4", -340, "monoparental", [("Awa", "Diop", 1990),
                                                        ("Moussa", "Diop", 2015)],
     dict(current_rent=Decimal("355.00"), tenure="locataire_social", typology="T3"),
     [], None, ("parti_sans_solution", -70, None,
                "Partie chez sa sœur à Lyon avant toute proposition.")),
    ("Mme Carvalho", 1, "B", "11", -240, "monoparental", [("Rosa", "Carvalho", 1986),
                                                         ("Tiago", "Carvalho", 2012)],
     dict(current_rent=Decimal("360.00"), tenure="locataire_social", typology="T3",
          wished_areas="Mistral, Capuche", work="Auxiliaire de vie : horaires tôt le matin"),
     [("11 boulevard Joseph-Vallier, Grenoble", "Alpes Habitat", "T2", Decimal("340.00"), -45,
       "refusee", -38, "typologie", "Pas de chambre pour son fils.")], None, None),
    ("M. Petitjean", 1, None, "15", None, "seul", [("Olivier", "Petitjean", 1971)],
     dict(tenure="sans_titre", needs="Courriers sans réponse : passer en porte-à-porte"),
     [], None, None),
    ("Famille Morel", 2, None, "1", -420, "couple", [("Julien", "Morel", 1984),
                                                    ("Sarah", "Morel", 1987),
                                                    ("Léa", "Morel", 2013)],
     dict(current_rent=Decimal("470.00"), tenure="locataire_prive", typology="T4",
          max_rent=Decimal("560.00")),
     [("25 rue Ampère, Grenoble", "Grenoble Logement Solidaire", "T4", Decimal("545.00"),
       -250, "acceptee", -240, None, None)], -200,
     ("reloge", -200, "25 rue Ampère, 38000 Grenoble", None)),
    ("Mme Achour", 2, None, "4", -190, "monoparental", [("Samia", "Achour", 1992),
                                                       ("Adam", "Achour", 2019)],
     dict(current_rent=Decimal("380.00"), tenure="locataire_prive", typology="T2",
          wished_areas="Mistral, Teisseire", animals="Un chien de taille moyenne"),
     [("3 rue Albert-Reynier, Grenoble", "Alpes Habitat", "T2", Decimal("372.00"), -3,
       "en_attente", None, None, None)], None, None),
    ("Famille Rinaldi", 2, None, "6", -300, "couple", [("Marco", "Rinaldi", 1969),
                                                      ("Anna", "Rinaldi", 1971)],
     dict(current_rent=Decimal("410.00"), tenure="proprietaire", typology="T3"),
     [], None, ("autre", -30, None,
                "Propriétaires : restent sur place, travaux en site occupé (accord amiable).")),
]

#: (provider, kind, subject, order ref, household or None, start, end, report due, received,
#:  status)
MISSIONS = [
    ("Association Habitat et Partage", "mous_relogement",
     "Enquête sociale des 54 logements, accompagnement des ménages jusqu'au relogement, "
     "bilan trimestriel au comité de pilotage.", "BC-2025-014", None, -400, 330, -10, None,
     "en_cours"),
    ("Alpes Médiation Sociale", "accompagnement_renforce",
     "Accompagnement social renforcé de la famille Haddou : dossier de demande de grand "
     "logement, budget, démarches scolaires.", "BC-2026-003", "Famille Haddou", -60, 120, 30,
     None, "en_cours"),
]


def load(now: datetime, teams: dict, users: dict) -> dict[str, int]:
    """Add the demo operation if missing; returns how many rows of each kind were added."""
    team = teams.get(TEAM)
    if team is None or db.session.scalar(select(Operation.id).where(Operation.name == NAME)):
        return {"operations": 0, "cases": 0}
    today = today_paris(now)
    worker, pilot = users[WORKER], users[PILOT]

    def day(offset):
        return None if offset is None else today + timedelta(days=offset)

    op = Operation(team_id=team.id, name=NAME, town="Grenoble", quartier="Mistral",
                   programme="npnru", landlords="Alpes Habitat, Isère Logis, Grenoble "
                   "Logement Solidaire", started_on=day(-420), target_on=day(400),
                   status="en_cours", created_at=now, updated_at=now, created_by_id=pilot.id,
                   description="Démolition de deux immeubles et réhabilitation lourde d'un "
                   "troisième dans le cadre du NPNRU. Charte de relogement : trois propositions "
                   "adaptées au plus, reste à charge maîtrisé.")
    db.session.add(op)
    db.session.flush()
    buildings = []
    for address, dwellings, acquired, works, works_on in BUILDINGS:
        b = Building(operation_id=op.id, team_id=team.id, address=address, dwellings=dwellings,
                     acquired_on=day(acquired), works=works, works_on=day(works_on),
                     updated_at=now)
        db.session.add(b)
        buildings.append(b)
    db.session.flush()
    cases = {}
    for (name, b_index, staircase, flat, first, composition, people, facts, proposals, moved,
         outcome) in CASES:
        household = db.session.scalar(select(Household).where(Household.name == name,
                                                              Household.team_id == team.id))
        if household is None:
            household = Household(name=name, team_id=team.id, city="Grenoble",
                                  composition=composition, referent_id=worker.id,
                                  address=buildings[b_index].address.split(",")[0],
                                  postcode="38100", created_at=now, updated_at=now)
            household.people = [Person(first_name=f, last_name=ln, birth_year=y)
                                for f, ln, y in people or []]
            household.enrolments = [Enrolment(team_id=team.id, programme="relogement",
                                              entry_date=day(first or -30), updated_at=now)]
            household.refresh_search_text()
            db.session.add(household)
            db.session.flush()
        c = RehousingCase(operation_id=op.id, team_id=team.id, household_id=household.id,
                          building_id=buildings[b_index].id, staircase=staircase,
                          flat_number=flat, first_contact_on=day(first), created_at=now,
                          updated_at=now, created_by_id=worker.id, moved_on=day(moved), **facts)
        for rank, (address, landlord, typology, rent, proposed, answer, answered, reason,
                   text) in enumerate(proposals, start=1):
            c.proposals.append(Proposal(team_id=team.id, rank=rank, address=address,
                                        landlord=landlord, typology=typology, rent=rent,
                                        proposed_on=day(proposed), answer=answer,
                                        answered_on=day(answered), refusal_reason=reason,
                                        answer_text=text, created_at=now, updated_at=now,
                                        created_by_id=worker.id))
        if outcome:
            c.outcome, c.outcome_on, c.new_address, c.outcome_text = (
                outcome[0], day(outcome[1]), outcome[2], outcome[3])
        db.session.add(c)
        cases[name] = c
    db.session.flush()
    for (provider, kind, subject, ref, household, start, end, due, received,
         status) in MISSIONS:
        db.session.add(Mission(operation_id=op.id, team_id=team.id,
                               case_id=cases[household].id if household else None,
                               provider=provider, kind=kind, subject=subject, order_ref=ref,
                               started_on=day(start), ends_on=day(end), report_due_on=day(due),
                               report_received_on=day(received), status=status,
                               pilot_id=pilot.id, created_at=now, updated_at=now))
    return {"operations": 1, "cases": len(cases)}
