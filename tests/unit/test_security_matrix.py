"""Authorization matrix: every route of the app, for every role, on its own team's objects and on
another team's, answers as declared below; a route without an entry fails the test.

How to read and extend the tables
---------------------------------
`MATRIX` has one table per blueprint: endpoint -> `Allow(...)`. `Allow(*roles)` names the roles
that may use the route on their own team's objects (the answer must then be `ok`, 200 unless
said); every other role must get 403 or 404, anonymous people the sign-in page (302, or 401 for a
POST). A route whose URL names an object is also tried on the same kind of object in another
team: 403/404 for everyone (`cross=True` when the route is association-wide, like the admin
pages). URL arguments are filled from the world (`tests/world.py`) by name, through `ARGS` and
the overrides `BP_ARGS` / `ENDPOINT_ARGS` / constants of that file; a new kind of argument needs
one line there.

Every GET route is walked in full; every POST route is posted by each person who must be
refused (empty, or the valid submission of `VALID_POSTS`), and nothing in the database may
change (audit rows and sign-in sessions aside). Every answer carries the security headers,
every HTML page is free of inline script and style, and no page shows another team's names.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from app.security import CSP, permissions_policy
from tests import world
from tests.conftest import IsolatedClient, _test_settings
from tests.world import build_url, object_args, signed_in

ROLES = world.ROLES
ALL = ROLES
CASE = ("coordinator", "worker")
LEAD = ("coordinator",)
ADMIN = ("admin",)
PERM = ("coordinator", "worker", "volunteer")  # people of a permanence team


@dataclass(frozen=True)
class Allow:
    """Who may use a route, and what they get."""

    roles: tuple[str, ...]
    ok: tuple[int, ...] = (200,)
    #: True when other teams' objects are allowed too (association-wide pages).
    cross: bool = False
    #: None: sign-in required; else the statuses an anonymous visitor gets (public route).
    public: tuple[int, ...] | None = None
    #: The route signs the person out: walked with a throwaway session.
    ends_session: bool = False
    #: What a refused person gets (422 where the service refuses with a reason on the page).
    refused: tuple[int, ...] = (403, 404)

    def __init__(self, *roles, ok=(200,), cross=False, public=None, ends_session=False,
                 refused=(403, 404)):
        object.__setattr__(self, "roles", tuple(roles[0]) if len(roles) == 1 and
                           isinstance(roles[0], tuple) else tuple(roles))
        object.__setattr__(self, "ok", (ok,) if isinstance(ok, int) else tuple(ok))
        object.__setattr__(self, "cross", cross)
        object.__setattr__(self, "public", (public,) if isinstance(public, int) else public)
        object.__setattr__(self, "ends_session", ends_session)
        object.__setattr__(self, "refused", tuple(refused))


MATRIX: dict[str, dict[str, Allow]] = {
    "core": {
        "home": Allow(ALL),
        "more": Allow(ALL),
        "healthz": Allow(ALL, public=200),
    },
    "auth": {
        # A signed-in person is sent home from the sign-in page.
        "login": Allow(ALL, ok=302, public=200),
        "logout": Allow(ALL, ok=302, ends_session=True),
        # The world's tokens are never valid (only hashes are stored): 410 for everyone; the
        # link signs out whoever opens it (the account to create is someone else's).
        "accept_invitation": Allow(ALL, ok=410, public=410, ends_session=True),
        "change_password": Allow(ALL),
    },
    "passkeys": {
        "login": Allow(ALL, ok=302, public=302),  # GET: back to the sign-in page
        "login_options": Allow(ALL, public=200),
        "manage": Allow(ALL),
        "registration_options": Allow(ALL),
        "remove": Allow(ALL),
        "required": Allow(ALL, ok=302),
    },
    "admin": {
        "users": Allow(ADMIN),
        "user": Allow(ADMIN, cross=True),
        "set_active": Allow(ADMIN, cross=True),
        "reset_passkeys": Allow(ADMIN, cross=True),
        "invitations": Allow(ADMIN),
        "revoke_invitation": Allow(ADMIN, cross=True),
        "remove_membership": Allow(ADMIN, cross=True),
        "teams": Allow(ADMIN),
        "security": Allow(ADMIN),
        "journal": Allow(ADMIN),
    },
    "households": {
        "index": Allow(CASE),
        "create": Allow(CASE),
        "caseload": Allow(LEAD),
        "show": Allow(CASE),
        "edit": Allow(CASE),
        "add_person": Allow(CASE),
        "edit_person": Allow(CASE),
        "set_referent": Allow(CASE),
        "enrol": Allow(CASE),
        "end_enrolment": Allow(CASE),
        "project": Allow(CASE),
        "barrier": Allow(CASE),
        "goal": Allow(CASE),
        "progress": Allow(CASE),
        "rights": Allow(CASE),
        "right": Allow(CASE),
        "notes": Allow(CASE),
        "note": Allow(CASE),
        "timeline": Allow(CASE),
    },
    "housing": {
        "index": Allow(CASE),
        "flat": Allow(CASE),
        "new_flat": Allow(CASE),
        "edit_flat": Allow(CASE),
        "add_place": Allow(CASE),
        "new_contract": Allow(CASE),
        "contract": Allow(CASE),
        "renew": Allow(CASE),
        "end_contract": Allow(CASE),
        "glide": Allow(CASE),
        "siao_exit": Allow(CASE),
        "rent": Allow(CASE),
        "new_payment": Allow(CASE),
        "cancel_payment": Allow(CASE),
        "arrears_step": Allow(CASE),
        "receipt": Allow(CASE),
        "deadlines": Allow(CASE),
        "vacancy": Allow(CASE),
        "household": Allow(CASE),
        "applications": Allow(CASE),
        "application": Allow(CASE),
        "new_application": Allow(CASE),
        "interview": Allow(CASE),
        "decision": Allow(CASE),
        "withdraw": Allow(CASE),
        "entry": Allow(CASE),
    },
    "visits": {
        "plan": Allow(CASE),
        "show": Allow(CASE),
        "report_form": Allow(CASE),
        "submit_report": Allow(CASE),
        "set_status": Allow(CASE),
        "conflicts": Allow(CASE),
        "conflict": Allow(CASE),
    },
    "inventories": {
        "of_flat": Allow(CASE),
        "start": Allow(CASE),
        "show": Allow(CASE),
        "save": Allow(CASE),
        "add_photo": Allow(CASE),
        "photo": Allow(CASE),
        "sign": Allow(CASE),
        "pdf": Allow(CASE),
        "new_version": Allow(CASE),
        "templates": Allow(LEAD),
    },
    "measures": {
        "index": Allow(CASE),
        "new": Allow(LEAD),
        "show": Allow(CASE),
        # The service refuses a worker (422 with the reason), after the team scoping.
        "assign": Allow(LEAD, refused=(403, 404, 422)),
        "contract": Allow(CASE),
        "finish": Allow(CASE),
        "sheet": Allow(CASE),
        "sheet_pdf": Allow(CASE),
        "edit": Allow(LEAD),
        # Workers see the month's batch; recording it sent is the coordination's (service).
        "batch": Allow(CASE),
        "batch_export": Allow(CASE),
    },
    "permanences": {
        "index": Allow(PERM),
        "session": Allow(PERM),
        "queue": Allow(CASE),
        "new_arrival": Allow(CASE),
        "set_state": Allow(CASE),
        "intake": Allow(CASE),
        "add_orientation": Allow(CASE),
        "orientation_outcome": Allow(CASE),
        "grant_aid": Allow(CASE),
        "sign_up": Allow(PERM),
        "cancel_shift": Allow(PERM),
        "call": Allow(LEAD),
        "add_session": Allow(LEAD),
        "edit_session": Allow(LEAD),
        "cancel_session": Allow(LEAD),
        "reopen_session": Allow(LEAD),
        "gaps": Allow(LEAD),
        "people": Allow(CASE),
        "person": Allow(CASE),
        "merge": Allow(CASE),
        "partners": Allow(PERM),
        "partner": Allow(PERM),
        "edit_partner": Allow(CASE),
        # Dysfunctions name nobody: volunteers record them too.
        "dysfunctions": Allow(PERM),
        "new_dysfunction": Allow(PERM),
        "figures": Allow(CASE),
        "organisation": Allow(LEAD),
        "team_settings": Allow(LEAD),
        "add_schedule": Allow(LEAD),
        "edit_schedule": Allow(LEAD),
        "end_schedule": Allow(LEAD),
        "add_closure": Allow(LEAD),
        "remove_closure": Allow(LEAD),
        "add_criterion": Allow(LEAD),
        "toggle_criterion": Allow(LEAD),
        "aids": Allow(LEAD),
        "add_aid_criterion": Allow(LEAD),
        "profile": Allow(LEAD),
    },
    "alerts": {
        "index": Allow(ALL),
        "acknowledge": Allow(CASE),
        "reopen": Allow(CASE),
        "snooze": Allow(CASE),
        "assign": Allow(CASE),
        "settings": Allow(ALL),
        "subscribe": Allow(ALL),
        "unsubscribe": Allow(ALL),
        "test_push": Allow(ALL),
        "leads": Allow(LEAD),
    },
    "pwa": {
        "service_worker": Allow(ALL, public=200),
        "manifest": Allow(ALL, public=200),
        "offline": Allow(ALL, public=200),
        "session_state": Allow(ALL),
    },
    "logbook": {
        "index": Allow(CASE),
        "team": Allow(CASE),
        "new": Allow(CASE),
        "create": Allow(CASE),
        "show": Allow(CASE),
        # Only an entry's author edits it (the world's entry is the worker's).
        "edit": Allow("worker"),
        "resolve": Allow(CASE),
        "photo": Allow(CASE),
        "export_csv": Allow(CASE),
        "export_pdf": Allow(CASE),
        "flats": Allow(CASE),
        "flat": Allow(CASE),
        "new_check": Allow(CASE),
        "check": Allow(CASE),
        # The world's check is the worker's; the team's coordination may correct it too.
        "edit_check": Allow(CASE),
    },
    "relogement": {
        "index": Allow(CASE),
        "new_operation": Allow(LEAD),
        "operation": Allow(CASE),
        "edit_operation": Allow(LEAD),
        "building": Allow(LEAD),
        "mission": Allow(LEAD),
        "new_case": Allow(CASE),
        "case": Allow(CASE),
        "edit_case": Allow(CASE),
        "new_proposal": Allow(CASE),
        "answer": Allow(CASE),
        "outcome": Allow(CASE),
    },
    "dashboard": {
        "index": Allow(LEAD),
        "indicators": Allow(LEAD),
        "commission": Allow(LEAD),
        "export": Allow(LEAD),
        "summary": Allow(LEAD),
        "listing": Allow(LEAD),
        "owed": Allow(LEAD),
    },
    "privacy": {
        "household": Allow(LEAD),
        "erase": Allow(LEAD),
        "erased": Allow(LEAD),
        "journal": Allow(LEAD),
        "archives": Allow(CASE),
        # Only people an admin authorised read archives (the world's grant: the coordinator).
        "archive_show": Allow(LEAD),
        # Someone received at a permanence: the permanence team's coordination.
        "dropin": Allow(LEAD),
        "dropin_erase": Allow(LEAD),
        "retention": Allow(ADMIN),
        "retention_run": Allow(ADMIN),
        "grant": Allow(ADMIN),
        "revoke_grant": Allow(ADMIN, cross=True),
        "revoke_device": Allow(ADMIN, cross=True),
    },
    "": {
        "static": Allow(ALL, public=200),
    },
}

#: Valid submissions for a representative set of POST routes: a refusal must not depend on
#: the form being invalid. endpoint -> side -> form data.
VALID_POSTS = {
    "measures.assign": lambda s: {"received_on": "2026-01-16", "worker_id": s.users["worker"].id},
    "measures.batch": lambda s: {"sent_on": "2026-02-02"},
    "households.note": lambda s: {"kind": "note", "confidentiality": "equipe",
                                  "written_on": "2026-01-05", "title": "Essai",
                                  "body": "Ne doit pas être enregistrée"},
    "households.set_referent": lambda s: {"referent_id": s.users["coordinator"].id},
    "households.create": lambda s: {"team_id": s.teams["iml"].id, "first_name": "Intrus",
                                    "last_name": "Essai"},
    "housing.new_payment": lambda s: {"paid_on": "2026-01-05", "amount": "10", "method": "cheque"},
    "visits.set_status": lambda s: {"statut": "annulee"},
    "admin.set_active": lambda s: {"active": "0"},
    "admin.invitations": lambda s: {"email": "intrus@exemple.test", "team_id": s.teams["iml"].id,
                                    "role": "admin"},
    "admin.user": lambda s: {"team_id": s.teams["iml"].id, "role": "admin"},
    "alerts.acknowledge": lambda s: {},
    "alerts.leads": lambda s: {"visit_tomorrow": "3"},
    "permanences.sign_up": lambda s: {"slot": "accueil:"},
    "permanences.new_dysfunction": lambda s: {"team_id": s.teams["permanence"].id,
                                              "kind": "refus_soins", "observed_on": "2026-01-05",
                                              "description": "Refus au guichet"},
    "permanences.add_criterion": lambda s: {"label": "Critère intrus"},
    "inventories.templates": lambda s: {"team_id": s.teams["iml"].id, "flat_kind": "T2",
                                        "rooms": "Entrée: sol"},
}


def entry_for(rule) -> Allow | None:
    """The MATRIX entry of a URL rule, or None."""
    bp, _, name = rule.endpoint.rpartition(".")
    return MATRIX.get(bp, {}).get(name)


# -- the world, once for the module -------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_app(databases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": databases.fresh(folder),
                      "INSTANCE_PATH": str(folder / "instance")})
    app.test_client_class = IsolatedClient
    with app.app_context():
        sides = world.build()
        # Side b's people mirror side a's: only side a's are signed in.
        clients = {None: app.test_client()}
        for role, user in sides["a"].users.items():
            clients[("a", role)] = signed_in(app, user)
        yield app, sides, clients
        db.session.remove()
        db.engine.dispose()


def _client(app, sides, clients, key, entry):
    """The key's client, or a fresh one for a route that signs out."""
    if key is None or not entry.ends_session:
        return clients[key]
    return signed_in(app, sides[key[0]].users[key[1]])


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))


def test_every_route_has_an_entry(matrix_app):
    app, _, _ = matrix_app
    missing = sorted({r.endpoint for r in _rules(app) if entry_for(r) is None})
    assert not missing, ("routes without an entry in tests/unit/test_security_matrix.py "
                         f"MATRIX: {missing}")
    unknown_roles = {(bp, ep) for bp, table in MATRIX.items() for ep, a in table.items()
                     if set(a.roles) - set(ROLES)}
    assert not unknown_roles
    endpoints = {r.endpoint for r in _rules(app)}
    stale = sorted(f"{bp}.{ep}".lstrip(".") for bp, table in MATRIX.items() for ep in table
                   if f"{bp}.{ep}".lstrip(".") not in endpoints)
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"


# -- checks -------------------------------------------------------------------------------------

REFUSED = (403, 404)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def header_problems(response, endpoint: str | None = None) -> list[str]:
    """What is wrong with an answer's security headers and HTML (empty when all is well)."""
    problems = []
    h = response.headers
    if endpoint is not None and h.get("Permissions-Policy") != permissions_policy(endpoint):
        problems.append(f"Permissions-Policy {h.get('Permissions-Policy')!r}")
    if h.get("Content-Security-Policy") != CSP:
        problems.append("no strict CSP")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if "frame-ancestors 'none'" not in (h.get("Content-Security-Policy") or ""):
        problems.append("framing allowed")
    if not h.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if not h.get("Permissions-Policy"):
        problems.append("no Permissions-Policy")
    if "Strict-Transport-Security" in h:
        problems.append("HSTS over plain HTTP")
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        if INLINE_SCRIPT.search(body):
            problems.append("inline <script>")
        if INLINE_STYLE.search(body):
            problems.append("style= attribute")
        if HANDLER.search(body):
            problems.append("on…= handler attribute")
        if "no-store" not in h.get("Cache-Control", ""):
            problems.append("HTML cacheable")
    return problems


def _who(key) -> str:
    return "anonymous" if key is None else f"{key[1]} of side {key[0]}"


def _expected(entry: Allow, key, rule, owner: str, method: str) -> tuple[int, ...]:
    if key is None:
        if entry.public is not None:
            return entry.public
        return (302,) if method == "GET" else (401,)
    side, role = key
    if role not in entry.roles:
        return entry.refused
    foreign = owner != side and object_args(rule)
    if foreign and not entry.cross:
        return REFUSED
    return entry.ok


def test_get_matrix(matrix_app):
    """Every GET route, every role and anonymous, own team's object and another team's."""
    app, sides, clients = matrix_app
    failures = []
    checked = 0
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        entry = entry_for(rule)
        if entry is None:
            continue  # reported by test_every_route_has_an_entry
        variants = [("a", False), ("b", False)] if object_args(rule) else [("a", False)]
        if len(object_args(rule)) > 1:
            variants.append(("a", True))  # own first object, the others from another team
        for owner, mixed in variants:
            url = build_url(app, rule, sides, owner, mixed)
            for key, client in clients.items():
                if key is not None and key[0] != "a":
                    continue  # side b's people mirror side a's
                expected = _expected(entry, key, rule, owner, "GET")
                if mixed and key is not None and expected == entry.ok and not entry.cross:
                    expected = REFUSED
                where = (f"GET {url} ({rule.endpoint}) as {_who(key)} on "
                         f"{'a mix of teams' if mixed else 'side ' + owner}'s object")
                checked += 1
                try:
                    response = _client(app, sides, clients, key, entry).get(url)
                except Exception as exc:  # noqa: BLE001 - reported with the route
                    failures.append(f"{where}: raised {exc!r}")
                    continue
                if response.status_code not in expected:
                    failures.append(f"{where}: got {response.status_code}, expected "
                                    f"{'/'.join(map(str, expected))}")
                if key is None and response.status_code == 302 and entry.public is None and \
                        "/connexion" not in response.headers.get("Location", ""):
                    failures.append(f"{where}: redirected to {response.headers['Location']}")
                problems = header_problems(response, rule.endpoint)
                if problems:
                    failures.append(f"{where}: {', '.join(problems)}")
                if response.status_code == 200 and key is not None and \
                        response.mimetype.startswith("text/"):
                    body = response.get_data(as_text=True)
                    leaked = [s for s in sides["b"].secrets if s in body]
                    if leaked:
                        failures.append(f"{where}: shows another team's {leaked}")
                    if key[1] != GRANTED and any(s in body for s in sides["a"].archived_secrets):
                        failures.append(f"{where}: shows an archived file without the grant")
                    if any(s in body for s in sides["a"].sealed_secrets):
                        failures.append(f"{where}: shows an archived record without the grant")
    assert checked > 500
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)


def _snapshot() -> str:
    """A digest of every row of every table but the audit trail and the sign-in sessions."""
    digest = hashlib.sha256()
    skip = {"audit_event", "login_session", "alembic_version"}
    with db.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            if table in skip:
                continue
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')):  # noqa: S608
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_refused_posts_change_nothing(matrix_app):
    """Every POST route, posted (empty, or valid for VALID_POSTS) by everyone who must be
    refused: 401/403/404, and nothing changes."""
    app, sides, clients = matrix_app
    failures = []
    posted = 0
    before = _snapshot()
    for rule in _rules(app):
        if "POST" not in rule.methods:
            continue
        entry = entry_for(rule)
        if entry is None or entry.public is not None:
            continue
        owners = ("a", "b") if object_args(rule) else ("a",)
        for owner in owners:
            url = build_url(app, rule, sides, owner)
            for key, client in clients.items():
                if key is not None and key[0] != "a":
                    continue
                expected = _expected(entry, key, rule, owner, "POST")
                if expected == entry.ok:
                    continue  # allowed: not posted here (the feature's own tests do)
                data = VALID_POSTS.get(rule.endpoint, lambda _s: {})(sides[owner])
                where = f"POST {url} ({rule.endpoint}) as {_who(key)} on side {owner}'s object"
                posted += 1
                try:
                    response = _client(app, sides, clients, key, entry).post(url, data=data)
                except Exception as exc:  # noqa: BLE001 - reported with the route
                    failures.append(f"{where}: raised {exc!r}")
                    continue
                if response.status_code not in expected:
                    failures.append(f"{where}: got {response.status_code}, expected "
                                    f"{'/'.join(map(str, expected))}")
                after = _snapshot()
                if after != before:
                    failures.append(f"{where}: the database changed")
                    before = after
    assert posted > 100
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)


def test_a_role_in_one_team_gives_nothing_in_another(matrix_app):
    """Someone who coordinates side b's teams and volunteers in side a's gets, on side a's
    objects, exactly what a volunteer gets: roles never leak from one team to another."""
    app, sides, clients = matrix_app
    from app.auth.models import Membership

    person = sides["b"].users["coordinator"]
    for team in sides["a"].teams.values():
        db.session.add(Membership(user_id=person.id, team_id=team.id, role="volunteer"))
    db.session.commit()
    client = signed_in(app, person)
    failures = []
    try:
        for rule in _rules(app):
            entry = entry_for(rule)
            if "GET" not in rule.methods or entry is None or entry.ends_session or \
                    not object_args(rule):
                continue
            url = build_url(app, rule, sides, "a")
            expected = _expected(entry, ("a", "volunteer"), rule, "a", "GET")
            response = client.get(url)
            if response.status_code not in expected:
                failures.append(f"GET {url} ({rule.endpoint}) as b's coordinator and a's "
                                f"volunteer: got {response.status_code}, expected "
                                f"{'/'.join(map(str, expected))}")
    finally:
        for m in list(person.memberships):
            if m.team_id in {t.id for t in sides["a"].teams.values()}:
                db.session.delete(m)
        db.session.commit()
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)


# -- archived files -------------------------------------------------------------------------------

#: Blueprints whose pages open an archived file's objects (contract, inventory, the household's
#: housing) for a person an admin authorised to read the team's archives. Everywhere else
#: archived files are out of every page for everyone; they are read in app/privacy.
ARCHIVE_READERS = {"housing", "inventories"}
#: The world's archive reader (side a's coordinator holds the IML team's grant).
GRANTED = "coordinator"
#: Routes whose other arguments do not fit the archived contract: 404 for the reader too.
ARCHIVED_MISFITS = {"housing.cancel_payment": "the world's payment is the running contract's",
                    "housing.receipt": "the archived contract ended before January 2026"}


def _archived_expected(entry: Allow, rule, role: str, named: set[str]) -> tuple[int, ...]:
    if role not in entry.roles:
        return entry.refused
    if named == {"archived_flat"}:
        return entry.ok  # the flat is the team's; only its archived occupant is hidden
    bp = rule.endpoint.rpartition(".")[0]
    if role == GRANTED and bp in ARCHIVE_READERS and rule.endpoint not in ARCHIVED_MISFITS:
        return entry.ok
    return (404,)


def test_archived_files_need_the_archive_grant(matrix_app):
    """Every route naming a household, a contract, an inventory or its photo, or a flat whose
    occupant's file is archived, tried on side a's archived file: only the grant holder opens
    it (and only in housing and inventories), everyone else gets 404 and an audit row; a worker
    without the grant never sees the archived name. POSTs by the worker change nothing."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent

    app, sides, clients = matrix_app
    side = sides["a"]
    failures, tried = [], set()
    before = _snapshot()
    for rule in _rules(app):
        entry = entry_for(rule)
        if entry is None or entry.ends_session or rule.endpoint.startswith("privacy."):
            continue  # the privacy pages have their own entries (ENDPOINT_ARGS)
        found = world.archived_url(rule, side)
        if found is None:
            continue
        url, named = found
        for role in ROLES:
            client = clients[("a", role)]
            expected = _archived_expected(entry, rule, role, named)
            where = f"{url} ({rule.endpoint}) as {role} on the archived file"
            if "GET" in rule.methods:
                tried.add(rule.endpoint)
                denied = db.session.scalar(select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == "access.denied"))
                response = client.get(url)
                if response.status_code not in expected:
                    failures.append(f"GET {where}: got {response.status_code}, expected "
                                    f"{'/'.join(map(str, expected))}")
                body = response.get_data(as_text=True) if response.mimetype.startswith(
                    "text/") else ""
                if role != GRANTED and any(s in body for s in side.archived_secrets) or any(
                        s in body for s in side.sealed_secrets):
                    failures.append(f"GET {where}: shows the archived name")
                if expected == (404,) and rule.endpoint not in ARCHIVED_MISFITS and \
                        db.session.scalar(select(func.count(
                        AuditEvent.id)).where(AuditEvent.action == "access.denied")) == denied:
                    failures.append(f"GET {where}: refused without an audit row")
            if "POST" in rule.methods and role == "worker" and expected == (404,):
                tried.add(rule.endpoint)
                response = client.post(url, data={})
                if response.status_code != 404:
                    failures.append(f"POST {where}: got {response.status_code}, expected 404")
                after = _snapshot()
                if after != before:
                    failures.append(f"POST {where}: the database changed")
                    before = after
    assert {"housing.household", "housing.contract", "housing.flat", "inventories.show",
            "inventories.photo", "inventories.of_flat", "households.show", "visits.plan",
            "permanences.person", "permanences.intake", "permanences.merge"} <= tried
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)
