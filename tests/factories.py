"""Small factories for tests: each makes one valid row with sensible defaults and commits."""
from __future__ import annotations

import itertools
import os

from app.auth.models import Membership, PasskeyCredential, Site, Team, User
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
    row.refresh_search_text()
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


def passkey(owner: User, rp_id: str = "localhost", **kw) -> PasskeyCredential:
    """A registered passkey with a real key pair; the software device is on `row.device`."""
    from tests.passkey_device import SoftPasskey

    n = next(_seq)
    device = SoftPasskey(rp_id=rp_id, user_handle=kw.pop("user_handle", os.urandom(32)))
    row = PasskeyCredential(user_id=owner.id, credential_id=device.credential_id,
                            public_key=device.cose_key(), sign_count=kw.pop("sign_count", 0),
                            user_handle=device.user_handle, backup_eligible=True, backed_up=True,
                            transports="internal", name=kw.pop("name", f"Appareil {n}"), **kw)
    db.session.add(row)
    db.session.commit()
    row.device = device
    return row


def contract(flat: Flat, household: Household, *, start_on, kind: str = "sous_location",
             rent: str = "400.00", charges: str = "50.00", apl: str = "0.00", place=None,
             **kw):
    """A running contract with its first rent terms (no service rules applied)."""
    from decimal import Decimal

    from app.housing.models import Contract, RentTerms

    term = kw.pop("term_months", None if kind == "occupation" else 6)
    row = Contract(team_id=flat.team_id, flat=flat, household=household, kind=kind,
                   start_on=start_on, term_months=term, place=place, **kw)
    row.rent_terms = [RentTerms(effective_on=start_on, rent=Decimal(rent),
                                charges=Decimal(charges), apl=Decimal(apl))]
    db.session.add(row)
    db.session.commit()
    return row


def application(team: Team, **kw):
    """A candidature received from the SIAO."""
    from datetime import date

    from app.housing.models import Application

    n = next(_seq)
    row = Application(team_id=team.id, name=kw.pop("name", f"Candidat {n}"),
                      received_on=kw.pop("received_on", date(2026, 1, 5)),
                      source=kw.pop("source", "siao"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def visit(household, worker, day=None, **kw):
    """A planned visit of `worker` to `household`."""
    from datetime import date

    from app.visits.models import Visit

    row = Visit(household_id=household.id, team_id=household.team_id,
                day=day or date(2026, 11, 23), place=kw.pop("place", "domicile"),
                purpose=kw.pop("purpose", "Visite à domicile"), **kw)
    row.workers = [worker]
    db.session.add(row)
    db.session.commit()
    return row


# -- Permanences ------------------------------------------------------------------------------


def dropin_session(team: Team, day=None, *, starts="09:00", ends="12:30",
                   needs=(("accueil", None, 2), ("entretien", None, 1)), **kw):
    """A session of a permanence team on `day` (Paris wall-clock hours) with its needs."""
    from datetime import date, time

    from app.permanences.models import DropInSession, SessionNeed

    row = DropInSession(team_id=team.id, day=day or date(2026, 11, 23),
                        starts_at=time.fromisoformat(starts), ends_at=time.fromisoformat(ends),
                        place=kw.pop("place", "Local de la permanence"), **kw)
    row.needs = [SessionNeed(role=r, language=lang, count=n) for r, lang, n in needs]
    db.session.add(row)
    db.session.commit()
    return row


def shift(session, who: User, role: str = "accueil", language=None, **kw):
    """`who` signed up for `session` (no rule applied)."""
    from app.permanences.models import Shift

    row = Shift(session_id=session.id, user_id=who.id, role=role, language=language, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def dropin_person(team: Team, alias: str | None = None, **kw):
    """Someone received at the permanence, known by an alias."""
    from sqlalchemy import func, select

    from app.permanences.models import DropInPerson

    number = kw.pop("number", None) or (db.session.scalar(
        select(func.max(DropInPerson.number)).where(DropInPerson.team_id == team.id)) or 0) + 1
    row = DropInPerson(team_id=team.id, number=number, alias=alias or f"Alias{next(_seq)}",
                       **kw)
    row.refresh_search_text()
    db.session.add(row)
    db.session.commit()
    return row


def arrival(session, person=None, **kw):
    """An arrival in a session's queue (next ticket), for `person` or a new alias."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from app.permanences.models import Arrival

    person = person or dropin_person(db.session.get(Team, session.team_id))
    ticket = (db.session.scalar(select(func.max(Arrival.ticket))
                                .where(Arrival.session_id == session.id)) or 0) + 1
    at = kw.pop("arrived_at", session.start_utc + timedelta(minutes=5 * ticket))
    row = Arrival(session_id=session.id, team_id=session.team_id, person_id=person.id,
                  ticket=ticket, arrived_at=at, state_at=at,
                  reason=kw.pop("reason", "droits_sante"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def partner(team: Team, name: str | None = None, kind: str = "pass", **kw):
    """A partner structure of the directory."""
    from app.permanences.models import Partner

    row = Partner(team_id=team.id, name=name or f"Structure {next(_seq)}", kind=kind, **kw)
    row.refresh_search_text()
    db.session.add(row)
    db.session.commit()
    return row


# -- Alerts -----------------------------------------------------------------------------------


def report(visit, author: User, **kw):
    """A written report for `visit` (the visit becomes "faite")."""
    import uuid

    from app.timeutil import utcnow
    from app.visits.models import VisitReport

    row = VisitReport(visit_id=visit.id, client_id=str(uuid.uuid4()), payload_hash="0" * 64,
                      author_id=author.id, written_at=kw.pop("written_at", utcnow()), **kw)
    visit.status = "faite"
    db.session.add(row)
    db.session.commit()
    return row


def enrolment(household, entry_date, exit_date=None):
    """`household` followed by its team from `entry_date`."""
    from app.households.models import Enrolment

    row = Enrolment(household_id=household.id, team_id=household.team_id,
                    programme=household.team.programme, entry_date=entry_date,
                    exit_date=exit_date)
    db.session.add(row)
    db.session.commit()
    return row


def push_subscription(owner: User, endpoint: str, p256dh: str = "B" * 87, auth: str = "A" * 22):
    """A device subscribed to push for `owner`."""
    from app.alerts.models import PushSubscription

    row = PushSubscription(user_id=owner.id, endpoint=endpoint, p256dh=p256dh, auth=auth,
                           device="Android, Chrome")
    db.session.add(row)
    db.session.commit()
    return row


# -- ASLL measures ----------------------------------------------------------------------------


def measure(team: Team, household, worker: User | None = None, **kw):
    """An ASLL measure of `team` for `household`, confirmed and assigned when `worker` is given."""
    from datetime import date

    from app.measures.models import Measure

    n = next(_seq)
    notified = kw.pop("notified_on", date(2026, 1, 15))
    row = Measure(team_id=team.id, household_id=household.id,
                  reference=kw.pop("reference", f"FSL-2026-{n:04d}"), notified_on=notified,
                  funder=kw.pop("funder", "metropole"),
                  prescriber=kw.pop("prescriber", "MDS Toulouse Nord"),
                  objectives=kw.pop("objectives", "Stabiliser le budget et l'accès aux droits."),
                  received_on=kw.pop("received_on", notified if worker else None),
                  worker_id=worker.id if worker else None, **kw)
    db.session.add(row)
    db.session.commit()
    return row
