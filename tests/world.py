"""A small fixture world for the authorization matrix and the form fuzzing.

Two sides, "a" and "b", each with five teams (IML, ASLL, permanence, Logement d'abord,
relogement) and one person per role holding that role in every team of the side, plus one
object of every kind the app's URLs name. A test acting as someone of side "a" reaches side
"a"'s objects (its own teams) and side "b"'s (another team's) with the same URL rule.
"""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from app.extensions import db
from tests import factories

ROLES = ("admin", "coordinator", "worker", "volunteer")
#: A day far from the wall clock: permanence sessions on it are closed for volunteers.
DAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 8, 0)


@dataclass
class Side:
    """One side of the world: teams, people by role, and one object of each kind."""

    name: str
    teams: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    #: Text that only this side's people may read (names of case files, aliases...).
    secrets: list[str] = field(default_factory=list)
    #: Text of the side's archived file: only its archive readers may read it.
    archived_secrets: list[str] = field(default_factory=list)
    #: Text of archived records nobody of the world may read (no grant for that team).
    sealed_secrets: list[str] = field(default_factory=list)

    def __getitem__(self, kind: str):
        return self.objects[kind]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def build_side(name: str) -> Side:
    """Make one side: teams, people and objects; everything committed."""
    from app.alerts.models import Alert
    from app.auth.models import Invitation
    from app.households.models import Barrier, Goal, Note, Right
    from app.housing.models import Payment, Place
    from app.inventories import services as inventories
    from app.inventories import photos as photo_store
    from app.logbook.models import LogEntryConflict, LogEntryPhoto
    from app.measures.models import LinkSheet
    from app.privacy.models import ArchiveAccess, DropInArchive, HouseholdArchive
    from app.relogement.models import Mission
    from app.permanences import services as permanences
    from app.permanences.models import (AidCriterion, Closure, Dysfunction, Orientation,
                                        SessionSchedule, VolunteerProfile)
    from app.visits.models import ReportConflict

    up = name.upper()
    side = Side(name)
    side.teams = {
        "iml": factories.team("iml", name=f"IML {up}"),
        "asll": factories.team("asll", name=f"ASLL {up}"),
        "permanence": factories.team("permanence", name=f"Permanence {up}"),
        "lda": factories.team("lda", name=f"Logement d'abord {up}"),
        "relogement": factories.team("relogement", name=f"Relogement {up}"),
    }
    teams = list(side.teams.values())
    for role in ROLES:
        side.users[role] = factories.user(
            *[(t, role) for t in teams], email=f"{role}-{name}@exemple.test",
            display_name=f"{role.capitalize()} {up}")
    worker, coordinator = side.users["worker"], side.users["coordinator"]
    iml, asll, perm = side.teams["iml"], side.teams["asll"], side.teams["permanence"]
    o = side.objects
    o["user"] = side.users["worker"]
    o["team"] = iml
    o["asll_team"] = asll
    o["permanence_team"] = perm
    o["membership"] = next(m for m in side.users["volunteer"].memberships
                           if m.team_id == iml.id)

    # Case files.
    household = factories.household(iml, referent=worker, name=f"Famille Secret{up}")
    o["household"] = household
    o["person"] = household.people[0]
    o["enrolment"] = factories.enrolment(household, DAY - timedelta(days=90))
    o["barrier"] = Barrier(household_id=household.id, category="budget",
                           description="Dettes anciennes", identified_on=DAY)
    o["goal"] = Goal(household_id=household.id, title="Ouvrir les droits", set_on=DAY)
    o["right"] = Right(household_id=household.id, kind="apl", status="a_faire",
                       created_at=NOW)
    o["note"] = Note(household_id=household.id, author_id=worker.id, created_at=NOW,
                     title="Note", body="Note d'équipe", confidentiality="equipe",
                     written_on=DAY)
    db.session.add_all([o["barrier"], o["goal"], o["right"], o["note"]])
    db.session.commit()

    # Housing.
    flat = factories.flat(iml, address=f"12 rue Secret{up}")
    o["flat"] = flat
    o["place"] = Place(flat_id=flat.id, label="Chambre 1")
    db.session.add(o["place"])
    contract = factories.contract(flat, household, start_on=DAY - timedelta(days=60))
    o["contract"] = contract
    o["payment"] = Payment(contract_id=contract.id, paid_on=DAY, amount=100, method="virement",
                           recorded_by_id=worker.id)
    db.session.add(o["payment"])
    o["application"] = factories.application(iml, name=f"Candidat Secret{up}")
    db.session.commit()

    # Visits.
    visit = factories.visit(household, worker, day=DAY)
    o["visit"] = visit
    o["conflict"] = ReportConflict(visit_id=visit.id, client_id=str(uuid.uuid4()),
                                   author_id=worker.id, reason="stale_version",
                                   payload={"observations": "x"}, created_at=NOW)
    db.session.add(o["conflict"])
    db.session.commit()

    # Inventories (an entry inventory with one photo).
    inventory = inventories.start(worker, flat, "entrant", contract, DAY, now=NOW)
    o["inventory"] = inventory
    photo, _ = inventories.add_photo(worker, inventory, str(uuid.uuid4()), _png(), now=NOW)
    o["photo"] = photo

    # ASLL measure.
    o["measure"] = factories.measure(asll, household, worker)
    db.session.add(LinkSheet(measure_id=o["measure"].id, month=date(2026, 1, 1),
                             summary="Point budget fait.", author_id=worker.id))
    db.session.commit()

    # Permanence.
    session = factories.dropin_session(perm, day=DAY)
    o["session"] = session
    o["shift"] = factories.shift(session, side.users["volunteer"])
    o["dropin_person"] = factories.dropin_person(perm, alias=f"Alias Secret{up}")
    arrival = factories.arrival(session, o["dropin_person"])
    o["arrival"] = arrival
    o["partner"] = factories.partner(perm, name=f"Structure {up}")
    o["orientation"] = Orientation(arrival_id=arrival.id, kind="pass", created_at=NOW,
                                   created_by_id=worker.id)
    o["schedule"] = SessionSchedule(team_id=perm.id, weekday=0, starts_at=time(9),
                                    ends_at=time(12, 30), place="Local", valid_from=DAY,
                                    created_at=NOW)
    o["closure"] = Closure(team_id=perm.id, start_on=DAY + timedelta(days=200),
                           end_on=DAY + timedelta(days=210), reason="Fermeture estivale",
                           created_by_id=coordinator.id, created_at=NOW)
    o["aid_criterion"] = AidCriterion(team_id=perm.id, kind="transport",
                                      rule="Une fois par mois", valid_from=DAY,
                                      created_at=NOW)
    o["dysfunction"] = Dysfunction(team_id=perm.id, kind="refus_soins", observed_on=DAY,
                                   description="Refus de soins sans motif", created_at=NOW)
    o["profile"] = VolunteerProfile(team_id=perm.id, user_id=side.users["volunteer"].id)
    db.session.add_all([o["orientation"], o["schedule"], o["closure"], o["aid_criterion"],
                        o["dysfunction"], o["profile"]])
    db.session.commit()
    o["criterion"] = permanences.add_criterion(coordinator, perm.id, "Femme enceinte", now=NOW)

    # Alerts and accounts.
    o["alert"] = Alert(key=f"visit_tomorrow:visit:{visit.id}:{DAY}:{worker.id}",
                       rule="visit_tomorrow", team_id=iml.id, object_type="visit",
                       object_id=visit.id, household_id=household.id, due_on=DAY,
                       label="Visite demain", urgency="soon", stage="j1",
                       user_id=worker.id)
    o["invitation"] = Invitation(email=f"invite-{name}@exemple.test", team_id=iml.id,
                                 role="worker", token_hash=uuid.uuid4().hex * 2,
                                 created_by_id=side.users["admin"].id, created_at=NOW,
                                 expires_at=NOW + timedelta(days=3650))
    db.session.add_all([o["alert"], o["invitation"]])
    db.session.commit()
    o["passkey"] = factories.passkey(worker)

    # Logbook (Logement d'abord team).
    lda = side.teams["lda"]
    o["lda_team"] = lda
    entry = factories.log_entry(lda, worker, text=f"Repas partagé SecretLog{up}")
    o["log_entry"] = entry
    o["log_conflict"] = LogEntryConflict(entry_id=entry.id, author_id=worker.id,
                                         payload={"text": "x"}, payload_hash="0" * 64,
                                         created_at=NOW)
    stored = photo_store.store(_png())
    o["log_photo"] = LogEntryPhoto(entry_id=entry.id, key=stored.key, sha256=stored.sha256,
                                   width=stored.width, height=stored.height, size=stored.size)
    db.session.add_all([o["log_conflict"], o["log_photo"]])
    db.session.commit()
    lda_flat = factories.flat(lda, address=f"3 impasse SecretLda{up}")
    o["lda_flat"] = lda_flat
    o["flat_check"] = factories.flat_check(lda_flat, worker)

    # Relogement.
    rel = side.teams["relogement"]
    o["relogement_team"] = rel
    op = factories.operation(rel, name=f"Opération Secret{up}")
    o["operation"] = op
    o["building"] = factories.building(op)
    rehoused = factories.household(rel, referent=worker, name=f"Famille RelogSecret{up}")
    o["rehousing_case"] = factories.rehousing_case(
        op, o["building"], rehoused, proposals=[(DAY, None, None)])
    o["proposal"] = o["rehousing_case"].proposals[0]
    o["mission"] = Mission(operation_id=op.id, team_id=rel.id, provider="Prestataire",
                           kind="enquete_sociale", subject="Diagnostic des ménages",
                           started_on=DAY)
    db.session.add(o["mission"])
    db.session.commit()

    # Privacy: an archived file, an anonymised one, and an archive reading grant (coordinator).
    o["archived_household"] = factories.household(iml, name=f"Famille ArchSecret{up}")
    o["erased_household"] = factories.household(iml, name="Ménage anonymisé")
    db.session.add_all([
        HouseholdArchive(household_id=o["archived_household"].id, closed_on=DAY,
                         archived_at=NOW),
        HouseholdArchive(household_id=o["erased_household"].id, closed_on=DAY,
                         archived_at=NOW, anonymised_at=NOW, reason="demande_personne",
                         summary={})])
    o["archive_grant"] = ArchiveAccess(user_id=coordinator.id, team_id=iml.id,
                                       granted_by_id=side.users["admin"].id)
    db.session.add(o["archive_grant"])
    db.session.commit()
    # The archived file's past housing: a flat it left (its only occupant), the ended
    # contract and the entry inventory with a photo. Only the grant holder may open them.
    o["archived_flat"] = factories.flat(iml, address=f"5 allée Vide{up}")
    o["archived_contract"] = factories.contract(
        o["archived_flat"], o["archived_household"], start_on=DAY - timedelta(days=400),
        ended_on=DAY - timedelta(days=100))
    o["archived_inventory"] = inventories.start(worker, o["archived_flat"], "entrant",
                                                o["archived_contract"],
                                                DAY - timedelta(days=400), now=NOW)
    o["archived_photo"], _ = inventories.add_photo(worker, o["archived_inventory"],
                                                   str(uuid.uuid4()), _png(), now=NOW)
    db.session.commit()
    # Someone received at the permanence whose record is archived (nobody holds the
    # permanence team's grant), still in the session's queue: shown as "Personne archivée".
    o["archived_dropin_person"] = factories.dropin_person(perm, alias=f"DropArch{up}")
    o["archived_arrival"] = factories.arrival(session, o["archived_dropin_person"])
    db.session.add(DropInArchive(person_id=o["archived_dropin_person"].id, last_seen_on=DAY,
                                 archived_at=NOW))
    db.session.commit()

    side.secrets = [household.name, f"Alias Secret{up}", f"12 rue Secret{up}",
                    f"Candidat Secret{up}", f"SecretLog{up}", f"SecretLda{up}",
                    f"RelogSecret{up}", f"Opération Secret{up}", f"ArchSecret{up}",
                    f"DropArch{up}"]
    side.archived_secrets = [f"ArchSecret{up}"]
    side.sealed_secrets = [f"DropArch{up}"]
    return side


def build() -> dict[str, Side]:
    """Both sides."""
    return {"a": build_side("a"), "b": build_side("b")}


# -- URLs of the world's objects ---------------------------------------------------------------

#: URL argument -> kind of world object (its id), for every blueprint.
ARGS = {
    "household_id": "household", "person_id": "person", "barrier_id": "barrier",
    "goal_id": "goal", "right_id": "right", "note_id": "note", "enrolment_id": "enrolment",
    "flat_id": "flat", "contract_id": "contract", "payment_id": "payment",
    "application_id": "application", "visit_id": "visit", "conflict_id": "conflict",
    "inventory_id": "inventory", "measure_id": "measure", "session_id": "session",
    "shift_id": "shift", "arrival_id": "arrival", "partner_id": "partner",
    "orientation_id": "orientation", "schedule_id": "schedule", "closure_id": "closure",
    "criterion_id": "criterion", "alert_id": "alert", "invitation_id": "invitation",
    "membership_id": "membership", "user_id": "user", "passkey_id": "passkey",
    "team_id": "team", "operation_id": "operation", "building_id": "building",
    "proposal_id": "proposal", "mission_id": "mission",
}
#: Per-blueprint overrides of ARGS.
BP_ARGS = {
    "permanences": {"person_id": "dropin_person", "team_id": "permanence_team",
                    "user_id": "volunteer"},
    "measures": {"team_id": "asll_team"},
    "logbook": {"team_id": "lda_team", "entry_id": "log_entry", "conflict_id": "log_conflict",
                "flat_id": "lda_flat", "check_id": "flat_check"},
    "relogement": {"case_id": "rehousing_case"},
    "privacy": {"grant_id": "archive_grant"},
}
#: Per-endpoint overrides (an argument naming an object in a particular state).
ENDPOINT_ARGS = {"privacy.archive_show": {"household_id": "archived_household"},
                 "privacy.erased": {"household_id": "erased_household"},
                 "privacy.dropin": {"person_id": "dropin_person"},
                 "privacy.dropin_erase": {"person_id": "dropin_person"}}
#: Kind of object -> the archived one of that kind (the archived file's household, contract,
#: inventory and photo, the flat it left; the archived drop-in person and their arrival): what
#: the archive grant opens, and nothing else does.
ARCHIVED_KINDS = {"household": "archived_household", "contract": "archived_contract",
                  "inventory": "archived_inventory", "flat": "archived_flat",
                  "dropin_person": "archived_dropin_person", "arrival": "archived_arrival"}
ARCHIVED_DERIVED = {"key": lambda side: side["archived_photo"].key}
#: Arguments that are not objects: the same value on both sides.
CONSTANTS = {"funder": "metropole", "month": "2026-01", "year": 2026, "filename": "css/terrain.css",
             "token": "jeton-inconnu", "handle": "0" * 20}
ENDPOINT_CONSTANTS = {"housing.receipt": {"month": 1}, "measures.batch_export": {"ext": "csv"},
                      "dashboard.export": {"page": "tableau", "key": "tout", "fmt": "xlsx"},
                      "dashboard.listing": {"kind": "suivis"}}
#: Objects named in the query string: endpoint -> {query argument: kind of object}.
QUERY = {"visits.plan": {"menage": "household"}}
#: Arguments derived from an object by something else than its id.
DERIVED = {"key": lambda side: side["photo"].key}
BP_DERIVED = {"logbook": {"key": lambda side: side["log_photo"].key}}


def kind_of(bp: str, arg: str, endpoint: str = "") -> str | None:
    """The kind of world object a URL argument of blueprint `bp` names, if any."""
    return ENDPOINT_ARGS.get(endpoint, {}).get(arg) or BP_ARGS.get(bp, {}).get(arg) \
        or ARGS.get(arg)


def object_args(rule) -> list[str]:
    """The arguments of a rule (path and query) that name an object of the world."""
    bp = rule.endpoint.rpartition(".")[0]
    return [a for a in sorted(url_arguments(rule)) if kind_of(bp, a) or a in DERIVED
            and a not in ENDPOINT_CONSTANTS.get(rule.endpoint, {})] + \
        sorted(QUERY.get(rule.endpoint, {}))


def url_arguments(rule) -> set[str]:
    """The rule's URL arguments (a rule's defaults are not in its URL)."""
    return set(rule.arguments) - set(rule.defaults or {})


def _value(side, bp: str, arg: str, endpoint: str = ""):
    derived = {**DERIVED, **BP_DERIVED.get(bp, {})}
    if arg in derived:
        return derived[arg](side)
    kind = kind_of(bp, arg, endpoint)
    if kind == "volunteer":
        return side.users["volunteer"].id
    return side[kind].id


def build_url(app, rule, sides: dict, owner: str, mixed: bool = False) -> str:
    """The rule's URL with every object argument taken from side `owner` (the first one only
    when `mixed`: the others then come from the other side)."""
    bp = rule.endpoint.rpartition(".")[0]
    other = "b" if owner == "a" else "a"
    values = {}
    first = True
    for arg in sorted(url_arguments(rule)):
        constants = {**CONSTANTS, **ENDPOINT_CONSTANTS.get(rule.endpoint, {})}
        if arg in constants:
            values[arg] = constants[arg]
            continue
        source = owner if (first or not mixed) else other
        values[arg] = _value(sides[source], bp, arg, rule.endpoint)
        first = False
    url = rule.build(values, append_unknown=False)[1]
    query = {arg: sides[owner][kind].id for arg, kind in QUERY.get(rule.endpoint, {}).items()}
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def signed_in(app, user):
    """A client signed in as `user`."""
    client = app.test_client()
    answer = client.post("/connexion", data={"email": user.email, "password": factories.PASSWORD})
    assert answer.status_code == 302, (user.email, answer.status_code)
    return client


def archived_url(rule, side) -> tuple[str, set[str]] | None:
    """The rule's URL naming side `side`'s archived objects (ARCHIVED_KINDS, and the archived
    file's photo) wherever an argument can, with the kinds it named; None when the rule names
    none of them."""
    bp = rule.endpoint.rpartition(".")[0]
    constants = {**CONSTANTS, **ENDPOINT_CONSTANTS.get(rule.endpoint, {})}
    values, named = {}, set()
    for arg in sorted(url_arguments(rule)):
        if arg in constants:
            values[arg] = constants[arg]
        elif kind_of(bp, arg, rule.endpoint) in ARCHIVED_KINDS:
            kind = ARCHIVED_KINDS[kind_of(bp, arg, rule.endpoint)]
            values[arg] = side[kind].id
            named.add(kind)
        elif arg in ARCHIVED_DERIVED and bp == "inventories":
            values[arg] = ARCHIVED_DERIVED[arg](side)
            named.add("archived_photo")
        else:
            values[arg] = _value(side, bp, arg, rule.endpoint)
    query = {}
    for arg, kind in QUERY.get(rule.endpoint, {}).items():
        if kind == "household":
            query[arg] = side["archived_household"].id
            named.add("archived_household")
        else:
            query[arg] = side[kind].id
    if not named:
        return None
    url = rule.build(values, append_unknown=False)[1]
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""), named
