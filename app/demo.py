"""A believable demo association: two sites, seven teams, people of every role, households, flats.

Everything here is invented. Loading is idempotent: rows are found by a natural key and only
missing ones are added, so running it twice changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.auth.models import Membership, Site, Team, User
from app.auth.passwords import hash_password
from app.extensions import db
from app.households.models import Household, Person
from app.housing.models import Flat

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
    ("9 chemin des Vignes", "38000", "Grenoble", "T5", 112.0, 0, "occupe",
     "Lieu de vie Les Glycines"),
]


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
        household = Household(name=name, team=team, city=city, created_at=now,
                              referent=users[referent] if referent else None)
        household.people = [Person(first_name=f, last_name=ln, alias=a, birth_year=y)
                            for f, ln, a, y in people]
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
    db.session.commit()
    return added
