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


def rent_terms(contract, effective_on, rent: str, charges: str = "0.00", apl: str = "0.00"):
    """Rent terms of `contract` in force from `effective_on` (a revision)."""
    from decimal import Decimal

    from app.housing.models import RentTerms

    row = RentTerms(contract_id=contract.id, effective_on=effective_on, rent=Decimal(rent),
                    charges=Decimal(charges), apl=Decimal(apl))
    db.session.add(row)
    db.session.commit()
    return row


def payment(contract, paid_on, amount: str, cancelled: bool = False):
    """A payment received for `contract` (cancelled when asked: it then counts for nothing)."""
    from decimal import Decimal

    from app.housing.models import Payment
    from app.timeutil import utcnow

    row = Payment(contract_id=contract.id, paid_on=paid_on, amount=Decimal(amount),
                  method="virement", cancelled_at=utcnow() if cancelled else None,
                  cancel_reason="Saisie en double" if cancelled else None)
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


def enrolment(household, entry_date, exit_date=None, team=None, **kw):
    """`household` followed by its team (or `team`) from `entry_date`."""
    from app.households.models import Enrolment

    team = team or household.team
    row = Enrolment(household_id=household.id, team_id=team.id,
                    programme=team.programme, entry_date=entry_date,
                    exit_date=exit_date, **kw)
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


# -- Logbook ----------------------------------------------------------------------------------


def log_entry(team: Team, author: User, text: str = "Repas partagé ce midi.", **kw):
    """A logbook entry of `team` written by `author` (occurred_at is naive UTC)."""
    import hashlib
    import uuid
    from datetime import datetime

    from app.households.text import fold
    from app.logbook.models import LogEntry, LogEntryPerson

    people = kw.pop("people", [])
    row = LogEntry(team_id=team.id, author_id=author.id, text=text,
                   occurred_at=kw.pop("occurred_at", datetime(2026, 3, 10, 11, 0)),
                   category=kw.pop("category", "vie_collective"),
                   client_id=kw.pop("client_id", str(uuid.uuid4())),
                   payload_hash=hashlib.sha256(text.encode()).hexdigest(), **kw)
    row.people = [LogEntryPerson(person_id=p.id, household_id=p.household_id) for p in people]
    row.search_text = fold(" ".join([text, row.partners or ""]
                                    + [f"{p.search_words} {p.household.name}" for p in people]))
    db.session.add(row)
    db.session.commit()
    return row


def flat_check(flat: Flat, author: User, checked_on=None, outcome: str = "satisfaisant", **kw):
    """A contrôle du savoir-habiter of `flat` with every point OK unless `states` says otherwise."""
    from datetime import date

    from app.logbook.models import CHECK_POINTS, FlatCheck, FlatCheckItem

    states = kw.pop("states", {})
    row = FlatCheck(team_id=flat.team_id, flat_id=flat.id, author_id=author.id,
                    checked_on=checked_on or date(2026, 3, 1), outcome=outcome,
                    items=[FlatCheckItem(point=p, state=states.get(p, "ok"),
                                         comment=None if states.get(p, "ok") == "ok" else "À voir")
                           for p in CHECK_POINTS], **kw)
    db.session.add(row)
    db.session.commit()
    return row


# -- Relogement -------------------------------------------------------------------------------


def operation(team: Team, **kw):
    """A rehousing operation of `team` (a relogement team)."""
    from datetime import date

    from app.relogement.models import Operation

    n = next(_seq)
    row = Operation(team_id=team.id, name=kw.pop("name", f"Opération {n}"),
                    town=kw.pop("town", "Grenoble"), programme=kw.pop("programme", "npnru"),
                    started_on=kw.pop("started_on", date(2025, 1, 1)),
                    status=kw.pop("status", "en_cours"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def building(op, **kw):
    """A building of a rehousing operation, to be demolished."""
    from app.relogement.models import Building

    n = next(_seq)
    row = Building(operation_id=op.id, team_id=op.team_id,
                   address=kw.pop("address", f"{n} rue des Peupliers"),
                   dwellings=kw.pop("dwellings", 10), works=kw.pop("works", "demolition"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def rehousing_case(op, building_row, household_row=None, *, proposals=(), **kw):
    """A household to rehouse; `proposals` are (proposed_on, answer, answered_on) triples."""
    from app.relogement.models import Proposal, RehousingCase

    if household_row is None:
        household_row = household(db.session.get(Team, op.team_id))
    row = RehousingCase(operation_id=op.id, team_id=op.team_id, household_id=household_row.id,
                        building_id=building_row.id, **kw)
    for rank, (proposed_on, answer, answered_on) in enumerate(proposals, start=1):
        row.proposals.append(Proposal(
            team_id=op.team_id, rank=rank, address=f"{rank} rue du Relogement",
            landlord="Alpes Habitat", typology="T3", proposed_on=proposed_on, answer=answer,
            answered_on=answered_on, refusal_reason="loyer" if answer == "refusee" else None))
    db.session.add(row)
    db.session.commit()
    return row


# -- Dashboard --------------------------------------------------------------------------------


def alert(team: Team, urgency: str = "soon", **kw):
    """An open alert of `team` (no rule run)."""
    from datetime import date

    from app.alerts.models import Alert

    n = next(_seq)
    row = Alert(key=kw.pop("key", f"test:{n}"), rule=kw.pop("rule", "lease_end"), team_id=team.id,
                object_type=kw.pop("object_type", "contract"), object_id=kw.pop("object_id", n),
                due_on=kw.pop("due_on", date(2026, 7, 20)), label=kw.pop("label", "Échéance"),
                urgency=urgency, stage=kw.pop("stage", "j30"), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def right(household, kind: str = "apl", status: str = "depose", **kw):
    """A right application of `household`."""
    from app.households.models import Right

    row = Right(household_id=household.id, kind=kind, status=status, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def orientation(arrival, kind: str = "pass", **kw):
    """An orientation given to someone received at a permanence."""
    from app.permanences.models import Orientation

    row = Orientation(arrival_id=arrival.id, kind=kind, **kw)
    db.session.add(row)
    db.session.commit()
    return row


# -- Privacy ----------------------------------------------------------------------------------


def closed_case(team: Team, worker: User, *, exit_on=None, with_photo: bool = True):
    """A household whose support ended on `exit_on`, with a row in most tables that hold a
    household's data: people, barrier, goal and step, right, notes of every confidentiality,
    a visit and its report, an ended contract with a payment, an inventory with a stored photo
    and a signature, a measure with a link sheet, an alert."""
    import io
    import uuid
    from datetime import date, timedelta
    from decimal import Decimal

    from PIL import Image

    from app.alerts.models import Alert
    from app.households.models import Barrier, Goal, GoalStep, Note, Person, Right
    from app.housing.models import Payment
    from app.inventories import photos
    from app.inventories.models import Inventory, InventoryPhoto, InventoryRoom, Signature
    from app.measures.models import LinkSheet

    exit_on = exit_on or date(2024, 6, 30)
    start = exit_on - timedelta(days=400)
    h = household(team, worker, name="Famille Zerbib", address="3 rue Invisible",
                  phone="06 00 00 00 01", situation="Hébergée chez un tiers.")
    h.people.append(Person(first_name="Nora", last_name="Zerbib", alias="Nono",
                           birth_date=date(1990, 2, 3), birth_year=1990, phone="06 00 00 00 02"))
    h.refresh_search_text()
    db.session.add_all([
        Barrier(household=h, category="budget", description="Dettes de loyer anciennes",
                identified_on=start),
        Right(household=h, kind="apl", comment="Dossier CAF n° 123", filed_on=start),
    ])
    goal = Goal(household=h, title="Retrouver un emploi", set_on=start)
    goal.steps = [GoalStep(on=start, progress=20, comment="CV fait avec Nora",
                           author_id=worker.id)]
    db.session.add(goal)
    for level in ("equipe", "referent", "sante"):
        db.session.add(Note(household=h, author_id=worker.id, confidentiality=level,
                            title=f"Note {level}", body=f"Texte {level} sur Nora",
                            written_on=start))
    db.session.commit()
    enrolment(h, start, exit_on)
    v = visit(h, worker, day=start + timedelta(days=10))
    report(v, worker, observations="Nora va mieux.")
    f = flat(team)
    c = contract(f, h, start_on=start, ended_on=exit_on)
    db.session.add(Payment(contract_id=c.id, paid_on=start, amount=Decimal("123.45"),
                           method="cheque", reference="Chèque Zerbib n° 7"))
    inv = Inventory(team_id=team.id, flat_id=f.id, contract_id=c.id, household_id=h.id,
                    kind="entree", done_on=start, people_present="Nora Zerbib",
                    remarks="Clés remises à Nora")
    inv.rooms = [InventoryRoom(position=1, name="Séjour")]
    inv.signatures = [Signature(party="occupant", signer_name="Nora Zerbib", image=b"\x89PNG..")]
    db.session.add(inv)
    db.session.commit()
    if with_photo:
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
        stored = photos.store(buf.getvalue())
        db.session.add(InventoryPhoto(inventory_id=inv.id, client_id=str(uuid.uuid4()),
                                      key=stored.key, sha256=stored.sha256, width=stored.width,
                                      height=stored.height, size=stored.size))
    m = measure(team, h, worker, notified_on=start, ended_on=exit_on, outcome="terminee")
    db.session.add(LinkSheet(measure_id=m.id, month=start.replace(day=1),
                             summary="Nora a ouvert ses droits.", author_id=worker.id))
    db.session.add(Alert(key=f"not_seen:household:{h.id}:x", rule="not_seen", team_id=team.id,
                         object_type="household", object_id=h.id, household_id=h.id,
                         due_on=exit_on, label="Famille Zerbib : pas vue depuis 30 jours",
                         urgency="normal", stage="j30", user_id=worker.id))
    db.session.commit()
    return h


def received_person(team: Team, worker: User, *, last_day=None):
    """Someone received at a permanence, last seen on `last_day`: two arrivals, an intake
    (coverage, asylum stage, housing, a criterion, free texts), an orientation with a detail, an
    aid with a note, and an older record merged into theirs."""
    from datetime import date, timedelta

    from app.permanences.models import (Aid, AidCriterion, Intake, VulnerabilityCriterion)

    last_day = last_day or date(2024, 6, 3)
    person = dropin_person(team, alias="Amina Secrète", first_name="Amina",
                           last_name="Kessoum", birth_year=1994, languages=["arabe"])
    older = dropin_person(team, alias="Mina", languages=["francais"])
    first = arrival(dropin_session(team, day=last_day - timedelta(days=30)), person,
                    language="arabe", interpreter_needed=True)
    second = arrival(dropin_session(team, day=last_day), person, reason="juridique")
    older.merged_into_id, older.merged_by_id = person.id, worker.id
    criterion = VulnerabilityCriterion(team_id=team.id, label="Femme enceinte")
    rule = AidCriterion(team_id=team.id, kind="transport", rule="Une fois par mois",
                        valid_from=last_day - timedelta(days=60))
    db.session.add_all([criterion, rule])
    db.session.flush()
    intake = Intake(arrival_id=first.id, in_france_since=date(2024, 3, 1),
                    health_coverage="aucune", domiciliation="en_cours", asylum_stage="dublin",
                    housing="rue", assessment="Dort à la gare du Nord, enceinte de 5 mois.",
                    information=["droits_sante"], information_note="Rendez-vous PASS mardi.",
                    author_id=worker.id, criteria=[criterion])
    db.session.add_all([intake, Aid(arrival_id=second.id, criterion_id=rule.id,
                                    kind="transport", quantity=2, note="Pour aller à la PASS",
                                    decided_by_id=worker.id)])
    db.session.commit()
    orientation(first, kind="pass", detail="PASS Lariboisière, demander Mme Roux",
                outcome_note="Reçue le 12", created_by_id=worker.id)
    return person
