"""Small factories for tests: each makes one valid row with sensible defaults and commits."""
from __future__ import annotations

import itertools

from app.auth.models import Membership, Site, Team, User
from app.auth.passwords import hash_password
from app.extensions import db
from app.households.models import Household, Person
from app.housing.models import Flat

PASSWORD = "mot-de-passe-solide"
_seq = itertools.count(1)


def site(**kw) -> Site:
    n = next(_seq)
    row = Site(name=kw.pop("name", f"Site {n}"), city=kw.pop("city", "Toulouse"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def team(programme: str = "iml", **kw) -> Team:
    n = next(_seq)
    row = Team(name=kw.pop("name", f"Équipe {programme} {n}"), programme=programme, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def user(*roles: tuple[Team, str], password: str = PASSWORD, **kw) -> User:
    """A user holding each (team, role) given."""
    n = next(_seq)
    row = User(email=kw.pop("email", f"personne{n}@exemple.test"),
               display_name=kw.pop("display_name", f"Personne {n}"),
               password_hash=hash_password(password), **kw)
    row.memberships = [Membership(team=t, role=r) for t, r in roles]
    db.session.add(row)
    db.session.commit()
    return row


def household(team: Team, referent: User | None = None, **kw) -> Household:
    n = next(_seq)
    row = Household(name=kw.pop("name", f"Ménage {n}"), team=team, referent=referent, **kw)
    row.people = [Person(first_name="Alex", last_name=f"Nom{n}")]
    db.session.add(row)
    db.session.commit()
    return row


def flat(team: Team, **kw) -> Flat:
    n = next(_seq)
    row = Flat(team=team, address=kw.pop("address", f"{n} rue des Essais"),
               postcode=kw.pop("postcode", "31000"), city=kw.pop("city", "Toulouse"),
               kind=kw.pop("kind", "T2"), **kw)
    db.session.add(row)
    db.session.commit()
    return row
