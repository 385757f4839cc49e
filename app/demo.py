"""A believable demo association: two sites, seven teams, people of every role, households, flats.

Everything here is invented. Loading is idempotent: rows are found by a natural key and only
missing ones are added, so running it twice changes nothing.
"""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import Membership, Site, Team, User
from app.auth.passwords import hash_password
from app.extensions import db
from app.households.models import (Barrier, Enrolment, Goal, GoalStep, Household, Note,
                                   Person, Right)
from app.timeutil import today_paris
from app.housing.models import Flat

#: The documented demo password. Demo accounts are made with hash_password() directly: they
#: bypass the password policy on purpose (docs/security.md), never use them on real data.
DEMO_PASSWORD = "terrain-demo"

SITES = [("Toulouse — Saint-Cyprien", "Toulouse"), ("Grenoble — Berriat", "Grenoble")]

#: team name -> (programme, site name)
TEAMS = {
    "IML Toulouse": ("iml", "Toulouse — Saint-Cyprien"),
    "ASLL Toulouse": ("asll", "Toulouse — Saint-Cyprien"),
    "Logement d'abord Toulouse": ("lda", "Toulouse — Saint-Cyprien"),
    "Village de l'insertion": ("village", "Toulouse — Saint-Cyprien"),
    "Permanence Berriat": ("permanence", "Grenoble — Berriat"),
    "Relogement Mistral": ("relogement", "Grenoble — Berriat"),
    "Lieu de vie Les Glycines": ("lieu_de_vie", "Grenoble — Berriat"),
}

#: the four accounts the README names come first.
USERS = [
    ("admin@terrain.test", "Camille Roux", [("IML Toulouse", "admin")]),
    ("coordination@terrain.test", "Nadia Lefèvre", [
        ("IML Toulouse", "coordinator"), ("ASLL Toulouse", "coordinator"),
        ("Logement d'abord Toulouse", "coordinator"), ("Village de l'insertion", "coordinator")]),
    ("travailleur@terrain.test", "Sophie Martin", [
        ("IML Toulouse", "worker"), ("ASLL Toulouse", "worker"),
        ("Logement d'abord Toulouse", "worker")]),
    ("benevole@terrain.test", "Jeanne Petit", [("Permanence Berriat", "volunteer")]),
    ("informatique@terrain.test", "Yanis Benali", [("Permanence Berriat", "admin")]),
    ("coordination.grenoble@terrain.test", "Paul Girard", [
        ("Permanence Berriat", "coordinator"), ("Relogement Mistral", "coordinator"),
        ("Lieu de vie Les Glycines", "coordinator")]),
    ("karim.haddad@terrain.test", "Karim Haddad", [
        ("Village de l'insertion", "worker"), ("Logement d'abord Toulouse", "worker")]),
    ("elodie.bernard@terrain.test", "Élodie Bernard", [
        ("Relogement Mistral", "worker"), ("Lieu de vie Les Glycines", "worker"),
        ("Permanence Berriat", "worker")]),
    ("mamadou.diallo@terrain.test", "Mamadou Diallo", [("Permanence Berriat", "volunteer")]),
    ("lucie.moreau@terrain.test", "Lucie Moreau", [("Permanence Berriat", "volunteer")]),
]

DEMO_ACCOUNTS = [
    ("admin@terrain.test", "administrateur·rice (comptes, équipes, invitations)"),
    ("coordination@terrain.test", "coordinatrice des équipes de Toulouse"),
    ("travailleur@terrain.test", "travailleuse sociale (IML, ASLL, Logement d'abord)"),
    ("benevole@terrain.test", "bénévole de la permanence de Grenoble"),
]

#: (household name, team, referent e-mail or None, city, [(first, last, alias, birth year)])
HOUSEHOLDS = [
    ("Famille Benkirane", "IML Toulouse", "travailleur@terrain.test", "Toulouse",
     [("Samira", "Benkirane", None, 1986), ("Yassine", "Benkirane", None, 2012),
      ("Lina", "Benkirane", None, 2016)]),
    ("M. et Mme Ferreira", "IML Toulouse", "travailleur@terrain.test", "Toulouse",
     [("Ana", "Ferreira", None, 1979), ("José", "Ferreira", None, 1975)]),
    ("Mme Koné", "IML Toulouse", None, "Colomiers",
     [("Aminata", "Koné", None, 1992), ("Moussa", "Koné", None, 2019)]),
    ("Famille Lambert", "ASLL Toulouse", "travailleur@terrain.test", "Blagnac",
     [("Céline", "Lambert", None, 1983), ("Enzo", "Lambert", None, 2010)]),
    ("M. Dubois", "ASLL Toulouse", "travailleur@terrain.test", "Toulouse",
     [("Gérard", "Dubois", None, 1961)]),
    ("Tonton", "Logement d'abord Toulouse", "travailleur@terrain.test", "Toulouse",
     [(None, None, "Tonton", 1968)]),
    ("Mme Rousseau", "Logement d'abord Toulouse", "karim.haddad@terrain.test", "Toulouse",
     [("Martine", "Rousseau", None, 1972)]),
    ("Pépito", "Village de l'insertion", "karim.haddad@terrain.test", "Toulouse",
     [(None, None, "Pépito", 1975)]),
    ("Mimi", "Village de l'insertion", "karim.haddad@terrain.test", "Toulouse",
     [(None, None, "Mimi", 1979)]),
    ("Le Grand Jo", "Village de l'insertion", "karim.haddad@terrain.test", "Toulouse",
     [("Joël", None, "Le Grand Jo", 1966)]),
    ("Famille Okafor", "Relogement Mistral", "elodie.bernard@terrain.test", "Grenoble",
     [("Grace", "Okafor", None, 1988), ("Daniel", "Okafor", None, 2014)]),
    ("M. Garcia", "Relogement Mistral", "elodie.bernard@terrain.test", "Grenoble",
     [("Antonio", "Garcia", None, 1950)]),
    ("Nénette", "Lieu de vie Les Glycines", "elodie.bernard@terrain.test", "Grenoble",
     [(None, None, "Nénette", 1970)]),
]

#: (address, postcode, city, kind, surface, floor, status, team)
FLATS = [
    ("8 rue des Lilas", "31300", "Toulouse", "T3", 62.0, 2, "occupe", "IML Toulouse"),
    ("21 avenue des Platanes", "31300", "Toulouse", "T2", 45.5, 1, "occupe", "IML Toulouse"),
    ("3 impasse du Moulin", "31770", "Colomiers", "T3", 68.0, 0, "occupe", "IML Toulouse"),
    ("47 boulevard des Écoles", "31000", "Toulouse", "studio", 24.0, 4, "vacant", "IML Toulouse"),
    ("12 rue de la Fontaine", "31700", "Blagnac", "T4", 81.0, 3, "travaux", "IML Toulouse"),
    ("5 allée des Tilleuls", "31200", "Toulouse", "T1", 31.0, 1, "vacant", "IML Toulouse"),
    ("16 rue du Pont-Vieux", "31300", "Toulouse", "T1", 29.5, 5, "occupe",
     "Logement d'abord Toulouse"),
    ("7 rue des Teinturiers", "31300", "Toulouse", "T1", 27.0, 2, "vacant",
     "Logement d'abord Toulouse"),
    ("9 chemin des Vignes", "38000", "Grenoble", "collectif", 112.0, 0, "occupe",
     "Lieu de vie Les Glycines"),
]


#: household name -> facts, extra enrolments, barriers, goals, rights and notes of its case file.
#: Day offsets are relative to the day the demo is loaded, so the demo always looks current.
CASE_FILES = {
    "Famille Benkirane": {
        "facts": dict(address="8 rue des Lilas", postcode="31300", composition="monoparental",
                      resources_amount=Decimal("1184.50"), resources_detail="RSA, APL, allocations familiales",
                      prescriber="SIAO 31", siao_ref="SIAO-31-2025-0412", phone="06 12 34 56 78",
                      situation="Sortie d'hébergement d'urgence en 2025. Sous-location IML depuis l'été."),
        "entry": -190, "also": [("ASLL Toulouse", -120)],
        "languages": {"Samira": ("arabe, français", False)},
        "barriers": [("budget", "Dettes d'énergie de l'ancien logement (640 €)", "en_cours", -150),
                     ("parentalite", "Garde des enfants pendant la formation", "identifie", -60)],
        "goals": [("Ouvrir les droits APL sur le logement actuel", -150, 100),
                  ("Solder la dette d'énergie avec un plan d'apurement", -140, 50),
                  ("Déposer une demande de logement social", -90, 25)],
        "rights": [("apl", "accorde", -150, -110, "Vérifier le montant après la révision annuelle", 20),
                   ("dls", "depose", -80, None, "Renouveler la demande avant l'échéance", 200),
                   ("fsl_maintien", "a_faire", None, None, "Rassembler les factures et la notification", -3)],
        "notes": [("note", "equipe", "Visite à domicile", "Logement bien tenu. Les enfants vont à l'école du quartier.\nMme Benkirane souhaite reprendre une formation d'aide-soignante.", -14),
                  ("note", "sante", "Suivi santé", "Rendez-vous au CMP pris pour Yassine (information donnée par la mère, avec son accord).", -30)],
    },
    "M. et Mme Ferreira": {
        "facts": dict(address="21 avenue des Platanes", postcode="31300", composition="couple",
                      resources_amount=Decimal("1620.00"), resources_detail="Salaire, prime d'activité"),
        "entry": -400,
        "goals": [("Préparer le glissement du bail", -300, 75)],
        "rights": [("fsl_acces", "accorde", -400, -380, None, None)],
        "notes": [("bilan", "referent", "Bilan à 12 mois", "Paiement régulier du loyer résiduel depuis 10 mois.\nAvis favorable au glissement du bail.", -35)],
    },
    "Mme Koné": {"facts": dict(composition="monoparental", prescriber="CCAS de Colomiers"), "entry": -20},
    "Famille Lambert": {
        "facts": dict(composition="monoparental", resources_detail="ARE"), "entry": -75,
        "barriers": [("emploi", "Fin de droits chômage dans 4 mois", "identifie", -70)],
        "rights": [("fsl_maintien", "depose", -40, None, "Relancer la commission FSL", 5)],
    },
    "M. Dubois": {"facts": dict(composition="seul"), "entry": -250,
                  "barriers": [("sante", "Mobilité réduite, escaliers difficiles", "en_cours", -240)]},
    "Tonton": {
        "facts": dict(composition="seul", situation="Douze ans de rue. Logé depuis le printemps, vient au local deux fois par semaine."),
        "entry": -220,
        "languages": {"Tonton": ("français", False)},
        "rights": [("domiciliation", "accorde", -230, -225, None, None),
                   ("puma", "depose", -60, None, "Appeler la CPAM pour le dossier incomplet", 2)],
        "notes": [("note", "equipe", "Passage au local", "Est venu chercher son courrier. Demande un rendez-vous pour la CPAM.", -3)],
    },
    "Mme Rousseau": {"facts": dict(composition="seul"), "entry": -500},
    "Pépito": {"facts": dict(composition="autre"), "entry": -330},
    "Famille Okafor": {"facts": dict(composition="couple_enfants"), "entry": -140,
                       "languages": {"Grace": ("anglais, français", False)}},
    "M. Garcia": {"facts": dict(composition="seul"), "entry": -180,
                  "languages": {"Antonio": ("espagnol", True)}},
    "Nénette": {"facts": dict(composition="seul"), "entry": -260},
}


#: household name -> visits: (day offset, "HH:MM" or None, place, purpose, report or None).
#: A report is (observations, next steps). Visits go to the household's referent.
VISITS = {
    "Famille Benkirane": [(0, "09:30", "domicile", "Point budget et dossier FSL", None),
                          (-7, "10:00", "domicile", "Visite du logement",
                           ("Logement bien entretenu, fenêtre de la chambre qui ferme mal.",
                            "Signaler la fenêtre au bailleur.")),
                          (3, "14:00", "bureau", "Préparer la commission FSL", None)],
    "M. Dubois": [(0, "14:30", "domicile", "Démarches MDPH", None),
                  (-2, "11:00", "telephone", "Rappel rendez-vous CCAS", None)],
    "Tonton": [(1, None, "rue", "Passage au parc, courrier CPAM", None)],
    "Famille Lambert": [(5, "16:00", "domicile", "Suivi budget", None)],
    "Mme Rousseau": [(0, "10:30", "domicile", "Visite à domicile", None)],
}


def _visits(household: Household, now: datetime) -> None:
    """Give a new demo household the visits of VISITS."""
    from app.visits.models import Visit, VisitReport

    today = today_paris(now)
    for offset, at, place, purpose, report in VISITS.get(household.name, []):
        visit = Visit(household=household, team=household.team, day=today + timedelta(days=offset),
                      at=time.fromisoformat(at) if at else None, place=place, purpose=purpose,
                      place_detail=household.address, created_at=now,
                      status="faite" if report else "prevue")
        visit.workers = [household.referent] if household.referent else []
        if report:
            visit.report = VisitReport(
                client_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{household.name}:{offset}")),
                payload_hash="demo", author_id=household.referent.id, seen=[],
                observations=report[0], next_steps=report[1], duration_minutes=45,
                written_at=now, received_at=now)
        db.session.add(visit)


def _case_file(household: Household, teams: dict, users: dict, now: datetime) -> None:
    """Fill a new demo household's case file from CASE_FILES."""
    spec = CASE_FILES.get(household.name, {})
    today = today_paris(now)
    author = household.referent or next(iter(users.values()))
    for key, value in spec.get("facts", {}).items():
        setattr(household, key, value)
    for person in household.people:
        langs = spec.get("languages", {}).get(person.first_name or person.alias)
        if langs:
            person.languages, person.interpreter_needed = langs
    household.enrolments = [Enrolment(team=household.team, programme=household.team.programme,
                                      entry_date=today + timedelta(days=spec.get("entry", -30)),
                                      updated_at=now)]
    for team_name, offset in spec.get("also", []):
        team = teams[team_name]
        household.enrolments.append(Enrolment(team=team, programme=team.programme, updated_at=now,
                                              entry_date=today + timedelta(days=offset)))
    barriers = []
    for category, text, status, offset in spec.get("barriers", []):
        barrier = Barrier(category=category, description=text, status=status, updated_at=now,
                          identified_on=today + timedelta(days=offset))
        barriers.append(barrier)
        barrier.household = household
        db.session.add(barrier)  # many-to-one: not cascaded from the household
    for title, offset, progress in spec.get("goals", []):
        goal = Goal(title=title, set_on=today + timedelta(days=offset), progress=progress,
                    status="atteint" if progress == 100 else "en_cours", updated_at=now,
                    barrier=barriers[0] if barriers and "dette" in title.lower() else None)
        goal.household = household
        db.session.add(goal)
        if progress:
            goal.steps = [GoalStep(on=today + timedelta(days=offset // 2), progress=progress,
                                   comment="Point fait lors de la visite.", author_id=author.id)]
        if progress == 100:
            goal.achieved_on = today + timedelta(days=offset // 2)
    for kind, status, filed, decided, step, due in spec.get("rights", []):
        right = Right(kind=kind, status=status, created_at=now, updated_at=now, next_step=step,
                      filed_on=today + timedelta(days=filed) if filed is not None else None,
                      decided_on=today + timedelta(days=decided) if decided is not None else None,
                      next_step_due=today + timedelta(days=due) if due is not None else None)
        right.household = household
        db.session.add(right)
    for kind, level, title, body, offset in spec.get("notes", []):
        note = Note(kind=kind, confidentiality=level, title=title, body=body, author_id=author.id,
                    written_on=today + timedelta(days=offset), created_at=now, updated_at=now)
        note.household = household
        db.session.add(note)


def load(now: datetime) -> dict[str, int]:
    """Add whatever demo rows are missing; returns how many of each kind were added."""
    added = {"sites": 0, "teams": 0, "users": 0, "households": 0, "flats": 0}
    sites = {}
    for name, city in SITES:
        site = db.session.scalar(select(Site).where(Site.name == name))
        if site is None:
            site = Site(name=name, city=city)
            db.session.add(site)
            added["sites"] += 1
        sites[name] = site
    teams = {}
    for name, (programme, site_name) in TEAMS.items():
        team = db.session.scalar(select(Team).where(Team.name == name))
        if team is None:
            team = Team(name=name, programme=programme, site=sites[site_name])
            db.session.add(team)
            added["teams"] += 1
        teams[name] = team
    users = {}
    password_hash = None
    for email, display_name, roles in USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(email=email, display_name=display_name, password_hash=password_hash,
                        created_at=now)
            user.memberships = [Membership(team=teams[t], role=r, created_at=now)
                                for t, r in roles]
            db.session.add(user)
            added["users"] += 1
        users[email] = user
    db.session.flush()
    for name, team_name, referent, city, people in HOUSEHOLDS:
        team = teams[team_name]
        exists = db.session.scalar(select(Household.id).where(Household.name == name,
                                                              Household.team_id == team.id))
        if exists:
            continue
        household = Household(name=name, team=team, city=city, created_at=now, updated_at=now,
                              referent=users[referent] if referent else None)
        household.people = [Person(first_name=f, last_name=ln, alias=a, birth_year=y)
                            for f, ln, a, y in people]
        _case_file(household, teams, users, now)
        household.refresh_search_text()
        _visits(household, now)
        db.session.add(household)
        added["households"] += 1
    for address, postcode, city, kind, surface, floor, status, team_name in FLATS:
        exists = db.session.scalar(select(Flat.id).where(Flat.address == address,
                                                         Flat.postcode == postcode))
        if exists:
            continue
        db.session.add(Flat(address=address, postcode=postcode, city=city, kind=kind,
                            surface_m2=surface, floor=floor, status=status,
                            team=teams[team_name]))
        added["flats"] += 1
    db.session.flush()
    from app.housing.demo import load as load_housing

    added.update(load_housing(now, teams, users))
    from app.permanences.demo import load as load_permanences

    added.update({f"permanence_{k}": v for k, v in load_permanences(now, teams, users).items()})
    from app.measures.demo import load as load_measures

    added.update({f"asll_{k}": v for k, v in load_measures(now, teams, users).items()})
    from app.dashboard.demo import load as load_dashboard

    added.update({f"dashboard_{k}": v for k, v in load_dashboard(now, teams, users).items()})
    from app.logbook.demo import load as load_logbook

    added.update({f"logbook_{k}": v for k, v in load_logbook(now, teams, users).items()})
    from app.relogement.demo import load as load_relogement

    added.update({f"relogement_{k}": v for k, v in load_relogement(now, teams, users).items()})
    from app.privacy.demo import load as load_privacy

    added.update({f"privacy_{k}": v for k, v in load_privacy(now, teams, users).items()})
    added["passkeys"] = _demo_passkeys(users, now)
    db.session.commit()
    # The alert centre shows the deadlines of the data above at once (no push is sent).
    from app.alerts.services import run_pass

    added["alerts"] = run_pass(now, sender=None).created
    return added


#: (e-mail, passkey name, days since creation, days since last use or None)
PASSKEYS = [
    ("coordination@terrain.test", "Téléphone pro", 40, 1),
    ("coordination@terrain.test", "Ordinateur du bureau", 12, None),
]


def _demo_passkeys(users: dict, now: datetime) -> int:
    """Shown on "Mes clés d'accès": real public keys whose private halves were thrown away."""
    import os

    from cryptography.hazmat.primitives.asymmetric import ec
    from webauthn.helpers import encode_cbor

    from app.auth.models import PasskeyCredential

    count = 0
    handles: dict[str, bytes] = {}  # one WebAuthn user handle per person
    for email, name, age, used in PASSKEYS:
        user = users[email]
        if db.session.scalar(select(PasskeyCredential.id).where(
                PasskeyCredential.user_id == user.id, PasskeyCredential.name == name)):
            continue
        point = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
        cose = encode_cbor({1: 2, 3: -7, -1: 1, -2: point.x.to_bytes(32, "big"),
                            -3: point.y.to_bytes(32, "big")})
        db.session.add(PasskeyCredential(
            user_id=user.id, credential_id=os.urandom(32), public_key=cose,
            user_handle=handles.setdefault(email, os.urandom(32)), backup_eligible=True,
            backed_up=True,
            transports="internal,hybrid", name=name, created_at=now - timedelta(days=age),
            last_used_at=now - timedelta(days=used) if used is not None else None))
        count += 1
    return count
