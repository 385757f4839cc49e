"""Every form fuzzed: hostile values in every field of every POST route, in every GET filter
and search form, and hostile files in every upload; 0 server errors.

The fields of each route are read from the forms of the pages that post to it (a crawl of
every GET page of the world, each as a role the authorization matrix allows there), so a new
form is fuzzed without a line here. Each route is then fuzzed as a role the matrix allows on
it (a refused role would only meet the 403 the matrix already proves): admin-only routes as
the admin, the logbook entry's edit as its author, the rest as the coordinator where allowed.
Hypothesis draws a few submissions per route (derandomized, so CI sees the same ones each
run): long strings, unicode, control characters, numbers out of range, malformed dates,
missing fields; uploads get random bytes, truncated images and impostors. A refusal must be a
4xx, and an HTML 422 must show the form again.
"""
from __future__ import annotations

import html
import io
import json
import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from app.extensions import db
from tests import world
from tests.conftest import IsolatedClient, _test_settings
from tests.unit.test_security_matrix import entry_for
from tests.world import build_url, signed_in

#: Routes not fuzzed, and why.
SKIP = {
    "auth.logout": "signs the fuzzing client out",
    "auth.accept_invitation": "signs the fuzzing client out (tested in test_invitations)",
    "auth.login": "fuzzed with an anonymous client: test_sign_in_survives_hostile_input",
    "passkeys.login": "fuzzed with an anonymous client: test_passkey_sign_in_survives_hostile_"
                      "input",
    "passkeys.login_options": "no form fields",
    "admin.remove_membership": "would remove the fuzzing admin's own role",
}
#: Routes fuzzed last: a lucky draw may sign one of the fuzzing clients out (deactivating the
#: world's worker, resetting their passkeys, ending a device, changing a password).
LAST = ("admin.set_active", "admin.reset_passkeys", "privacy.revoke_device",
        "auth.change_password")
#: Upload routes and their file fields, beyond the file inputs the crawl finds (the
#: inventory's photos are sent by a script, one per request).
UPLOADS = {"inventories.add_photo": {"photo"}, "logbook.create": {"photos"},
           "logbook.edit": {"photos"}}
#: The role a route is fuzzed as: the first of these the matrix allows there.
PREFERRED = ("coordinator", "worker", "admin", "volunteer")
EXAMPLES = 4
FILE_EXAMPLES = 6

HOSTILE = [
    "", " ", "\x00", "\x00\x01\x1b[31m", "\u202eevil", "\ud7ff\ue000\ufffd", "😀" * 50,
    "a" * 5000, "0", "-1", "-999999999999", "99999999999999999999999", "1e309", "NaN",
    "Infinity", "0x1F", "3.14159", "1,5", "2026-02-30", "2026-13-01", "0000-00-00",
    "31/12/2026", "9999-12-31", "0001-01-01", "25:61", "12:00:00", "<script>alert(1)</script>",
    "' OR 1=1 --", "../../etc/passwd", "%00", "{{7*7}}", "true", "on", "None",
]
VALUE = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


def _image(kind: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, kind)
    return out.getvalue()


PNG, JPEG = _image("PNG"), _image("JPEG")
#: Files a hostile or broken phone could send.
FILE = st.one_of(
    st.binary(max_size=3000),
    st.sampled_from([b"", PNG[: len(PNG) // 2], JPEG[: len(JPEG) // 3], JPEG[:20],
                     b"GIF89a" + b"\x00" * 40, b"<?php system($_GET['c']); ?>",
                     b"%PDF-1.4\n%\xe2\xe3", b"<svg onload='alert(1)'/>",
                     PNG + b"<script>alert(1)</script>"]),
)
FILENAME = st.sampled_from(["photo.jpg", "IMG_0001.HEIC", "../../x.php", "", "é😀.png",
                            "a" * 300 + ".jpg"])


def form_data(fields: list[str]):
    """A strategy of form submissions: any subset of `fields`, each with a hostile value."""
    return st.fixed_dictionaries({}, optional={name: VALUE for name in fields})


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
FIELD = re.compile(r"<(?:input|select|textarea|button)\b([^>]*)>", re.I)


def forms_of(page: str, url: str) -> dict[str, dict[str, set[str]]]:
    """{"post": {action path: field names}, "get": {...}, "file": {...}} for the forms of an
    HTML page found at `url` (file fields: the names of its file inputs)."""
    found = {"post": defaultdict(set), "get": defaultdict(set), "file": defaultdict(set)}
    for attrs, body in FORM.findall(page):
        a = dict(ATTR.findall(attrs))
        posted = a.get("method", "get").lower() == "post" or "hx-post" in a
        action = html.unescape(a.get("action") or a.get("hx-post") or a.get("hx-get") or url)
        path = urlsplit(action).path
        for field in FIELD.findall(body):
            f = dict(ATTR.findall(field))
            name = f.get("name")
            if not name or name == "csrf_token" or "{" in name:
                continue
            if f.get("type") == "file":
                found["file"][path].add(name)
            else:
                found["post" if posted else "get"][path].add(name)
    return found


def role_for(rule) -> str | None:
    """A role the authorization matrix allows on this route (None: not a signed-in route)."""
    entry = entry_for(rule)
    if entry is None:
        return None
    return next((r for r in PREFERRED if r in entry.roles), None)


@pytest.fixture(scope="module")
def fuzz_world(databases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": databases.fresh(folder),
                      "INSTANCE_PATH": str(folder / "instance")})
    app.test_client_class = IsolatedClient
    with app.app_context():
        sides = world.build()
        clients = {role: signed_in(app, sides["a"].users[role]) for role in PREFERRED}
        found = {"post": defaultdict(set), "get": defaultdict(set), "file": defaultdict(set)}
        rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        # Every URL is built before anything is posted (a fuzzed POST may delete its object).
        urls = {}
        for rule in rules:
            try:
                urls[id(rule)] = build_url(app, rule, sides, "a")
            except KeyError:
                pass  # an argument the world does not know yet: the matrix test says so
        for rule in rules:
            if id(rule) not in urls or "GET" not in rule.methods or rule.endpoint in SKIP \
                    or rule.endpoint == "static" or role_for(rule) is None:
                continue
            try:
                page = clients[role_for(rule)].get(urls[id(rule)])
            except Exception:  # noqa: BLE001 - a broken page is the matrix's to report
                continue
            if page.mimetype == "text/html":
                path = urls[id(rule)].split("?")[0]
                for kind, forms in forms_of(page.get_data(as_text=True), path).items():
                    for action, names in forms.items():
                        found[kind][action] |= names
        yield app, urls, sides["a"], clients, found
        db.session.remove()
        db.engine.dispose()


def _post_rules(app, urls):
    rules = [r for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
             if "POST" in r.methods and r.endpoint not in SKIP and id(r) in urls
             and role_for(r) is not None]
    return sorted(rules, key=lambda r: r.endpoint in LAST)  # stable: the rest keep their order


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [repr(exc)])[0][:300]


def test_forms_are_found(fuzz_world):
    """The crawl finds the fields of the main forms (the fuzzing is not fuzzing nothing), the
    admin-only and author-only ones included, the GET filters and the file inputs."""
    app, urls, side, _, found = fuzz_world
    fields = found["post"]
    assert {"body", "confidentiality"} <= fields[f"/menages/{side['household'].id}/notes/nouvelle"]
    assert {"email", "team_id", "role"} <= fields["/admin/invitations"]
    assert {"active_months", "archive_months", "programme"} <= fields["/confidentialite/"
                                                                      "conservation"]
    assert "grant" in fields["/confidentialite/conservation/acces"]
    assert "text" in fields[f"/journal/entree/{side['log_entry'].id}/modifier"]  # worker only
    assert "q" in fields["/menages/"]  # the name search is posted
    assert {"action", "du", "au"} <= found["get"]["/admin/journal"]
    assert "photos" in found["file"][f"/journal/entree/{side['log_entry'].id}/modifier"]
    with_fields = [r for r in _post_rules(app, urls) if fields.get(urls[id(r)].split("?")[0])]
    assert len(with_fields) >= 40
    assert {role_for(r) for r in _post_rules(app, urls)} >= {"coordinator", "worker", "admin"}


def test_every_form_survives_hostile_input(fuzz_world):
    app, urls, _, clients, found = fuzz_world
    failures, statuses = [], defaultdict(set)
    for rule in _post_rules(app, urls):
        if rule.endpoint == LAST[0]:  # nothing so far may have signed a fuzzing client out
            for role, client in clients.items():
                assert client.get("/").status_code == 200, f"{role} signed out by the fuzz"
        url = urls[id(rule)]
        names = sorted(found["post"].get(url.split("?")[0], set()) | {"version", "client_id"})
        client = clients[role_for(rule)]

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=form_data(names))
        def submit(data):
            response = client.post(url, data=data)
            statuses[rule.endpoint].add(response.status_code)
            assert response.status_code < 500, f"{response.status_code} for {data!r}"
            if response.status_code == 422 and response.mimetype == "text/html":
                assert "<form" in response.get_data(as_text=True), \
                    f"422 without its form for {data!r}"

        try:
            submit()
        except Exception as exc:  # noqa: BLE001 - collected with the route
            failures.append(f"POST {url} ({rule.endpoint} as {role_for(rule)}): "
                            f"{_first_line(exc)}")
    assert not failures, f"{len(failures)} routes failed:\n" + "\n".join(failures)
    # Each route was fuzzed past its door: no route answered its fuzzing role only 401/403.
    shut = sorted(e for e, codes in statuses.items() if codes <= {401, 403})
    assert not shut, f"fuzzed as a role the route refuses: {shut}"


def test_every_filter_and_search_form_survives_hostile_query_strings(fuzz_world):
    """The GET forms (filters, periods, the partners directory…) with hostile query strings,
    as a role allowed on the page they ask."""
    app, _, _, clients, found = fuzz_world
    adapter = app.url_map.bind("localhost")
    failures, tried = [], 0
    for path, names in sorted(found["get"].items()):
        try:
            rule, _ = adapter.match(path, method="GET", return_rule=True)
        except Exception:  # noqa: BLE001 - an action outside the app (none today)
            continue
        if role_for(rule) is None:
            continue
        client = clients[role_for(rule)]
        tried += 1

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=form_data(sorted(names | {"page"})))
        def ask(data):
            response = client.get(path, query_string=data)
            assert response.status_code < 500, f"{response.status_code} for {data!r}"

        try:
            ask()
        except Exception as exc:  # noqa: BLE001 - collected with the route
            failures.append(f"GET {path} ({rule.endpoint}): {_first_line(exc)}")
    assert tried >= 6
    assert not failures, f"{len(failures)} forms failed:\n" + "\n".join(failures)


def test_every_upload_survives_hostile_files(fuzz_world):
    """Multipart posts to every upload route: random bytes, truncated images, impostors, odd
    names, with hostile values in the other fields; a refusal is a 4xx."""
    app, urls, _, clients, found = fuzz_world
    failures = []
    rules = {r.endpoint: r for r in _post_rules(app, urls)}
    uploads = {endpoint: set(names) for endpoint, names in UPLOADS.items()}
    for rule in rules.values():
        uploads.setdefault(rule.endpoint, set()).update(
            found["file"].get(urls[id(rule)].split("?")[0], set()))
    uploads = {e: names for e, names in uploads.items() if names}
    assert set(UPLOADS) <= set(uploads) and set(uploads) <= set(rules)
    for endpoint, file_fields in sorted(uploads.items()):
        rule = rules[endpoint]
        url = urls[id(rule)]
        names = sorted(found["post"].get(url.split("?")[0], set())
                       | {"client_id", "item_id", "meter"})
        client = clients[role_for(rule)]

        @settings(max_examples=FILE_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=form_data(names), blob=FILE, filename=FILENAME)
        def upload(data, blob, filename):
            body = dict(data)
            for name in file_fields:
                body[name] = (io.BytesIO(blob), filename, "image/jpeg")
            response = client.post(url, data=body, content_type="multipart/form-data")
            assert response.status_code < 500, f"{response.status_code} for {filename!r}, " \
                                               f"{blob[:40]!r}, {data!r}"

        try:
            upload()
        except Exception as exc:  # noqa: BLE001 - collected with the route
            failures.append(f"POST {url} ({endpoint}): {_first_line(exc)}")
    assert not failures, f"{len(failures)} uploads failed:\n" + "\n".join(failures)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=form_data(["email", "password"]))
def test_sign_in_survives_hostile_input(fuzz_world, data):
    app, *_ = fuzz_world
    client = app.test_client()
    response = client.post("/connexion", data=data,
                           environ_base={"REMOTE_ADDR": "192.0.2.200"})
    if any("\x00" in v for v in data.values()):
        assert response.status_code == 400  # refused before anything (app.security)
        return
    assert response.status_code in (401, 422), (response.status_code, data)
    assert "<form" in response.get_data(as_text=True)


CREDENTIAL = st.one_of(
    VALUE,
    st.dictionaries(st.sampled_from(["id", "rawId", "type", "response", "clientDataJSON",
                                     "authenticatorData", "signature", "userHandle"]),
                    st.one_of(VALUE, st.dictionaries(st.text(max_size=10), VALUE,
                                                     max_size=4)),
                    max_size=6).map(json.dumps),
)


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(credential=CREDENTIAL)
def test_passkey_sign_in_survives_hostile_input(fuzz_world, credential):
    """The passkey sign-in with a hostile "credential" (text, or JSON shaped like a WebAuthn
    answer), by an anonymous client: refused with the sign-in page, never a server error."""
    app, *_ = fuzz_world
    client = app.test_client()
    response = client.post("/connexion/cle", data={"credential": credential},
                           environ_base={"REMOTE_ADDR": "192.0.2.201"})
    if "\x00" in credential:
        assert response.status_code == 400
        return
    assert response.status_code in (400, 401, 429), (response.status_code, credential)
