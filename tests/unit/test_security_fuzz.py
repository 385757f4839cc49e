"""Every form fuzzed: hostile values in every field of every POST route, 0 server errors.

The fields of each route are read from the forms of the pages that post to it (a crawl of
every GET page of the world as a coordinator and as an admin), so a new form is fuzzed without
a line here. Hypothesis draws a few submissions per route (derandomized, so CI sees the same
ones each run): long strings, unicode, control characters, numbers out of range, malformed
dates, missing fields. A refusal must be a 4xx, and an HTML refusal must show the form again.
"""
from __future__ import annotations

import html
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
from tests.world import build_url, signed_in

#: Routes not fuzzed, and why.
SKIP = {
    "auth.logout": "signs the fuzzing client out",
    "auth.accept_invitation": "signs the fuzzing client out (tested in test_invitations)",
    "auth.login": "fuzzed with its own client below",
    "passkeys.login": "fuzzed with its own client below",
    "passkeys.login_options": "no form fields",
    "admin.remove_membership": "would remove the fuzzing admin's own role",
}
EXAMPLES = 4

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


def form_data(fields: list[str]):
    """A strategy of form submissions: any subset of `fields`, each with a hostile value."""
    return st.fixed_dictionaries({}, optional={name: VALUE for name in fields})


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', re.I)


def forms_of(page: str, url: str) -> dict[str, set[str]]:
    """action path -> field names, for every POST form of an HTML page found at `url`."""
    found = defaultdict(set)
    for attrs, body in FORM.findall(page):
        a = dict(ATTR.findall(attrs))
        if a.get("method", "get").lower() != "post" and "hx-post" not in a:
            continue
        action = html.unescape(a.get("action") or a.get("hx-post") or url)
        found[urlsplit(action).path] |= {n for n in NAME.findall(body) if n != "csrf_token"}
    return found


@pytest.fixture(scope="module")
def fuzz_world(databases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI": databases.fresh(folder),
                      "INSTANCE_PATH": str(folder / "instance")})
    app.test_client_class = IsolatedClient
    with app.app_context():
        sides = world.build()
        staff = signed_in(app, sides["a"].users["coordinator"])
        admin = signed_in(app, sides["a"].users["admin"])
        fields: dict[str, set[str]] = defaultdict(set)
        rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        # Every URL is built before anything is posted (a fuzzed POST may delete its object).
        urls = {}
        for rule in rules:
            try:
                urls[id(rule)] = build_url(app, rule, sides, "a")
            except KeyError:
                pass  # an argument the world does not know yet: the matrix test says so
        for rule in rules:
            if id(rule) not in urls:
                continue
            if "GET" not in rule.methods or rule.endpoint in SKIP or rule.endpoint == "static":
                continue
            client = admin if rule.endpoint.startswith("admin.") else staff
            try:
                page = client.get(urls[id(rule)])
            except Exception:  # noqa: BLE001 - a broken page is the matrix's to report
                continue
            if page.mimetype == "text/html":
                path = urls[id(rule)].split("?")[0]
                for action, names in forms_of(page.get_data(as_text=True), path).items():
                    fields[action] |= names
        yield app, urls, sides["a"]["household"].id, staff, admin, fields
        db.session.remove()
        db.engine.dispose()


def _post_rules(app, urls):
    return [r for r in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if "POST" in r.methods and r.endpoint not in SKIP and id(r) in urls]


def test_forms_are_found(fuzz_world):
    """The crawl finds the fields of the main forms (the fuzzing is not fuzzing nothing)."""
    app, urls, household, *_, fields = fuzz_world
    assert {"body", "confidentiality"} <= fields[f"/menages/{household}/notes/nouvelle"]
    assert {"email", "team_id", "role"} <= fields["/admin/invitations"]
    with_fields = [r for r in _post_rules(app, urls) if fields.get(urls[id(r)].split("?")[0])]
    assert len(with_fields) >= 40


def test_every_form_survives_hostile_input(fuzz_world):
    app, urls, _, staff, admin, fields = fuzz_world
    failures = []
    for rule in _post_rules(app, urls):
        url = urls[id(rule)]
        names = sorted(fields.get(url.split("?")[0], set()) | {"version", "client_id"})
        client = admin if rule.endpoint.startswith("admin.") else staff

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=form_data(names))
        def submit(data):
            response = client.post(url, data=data)
            assert response.status_code < 500, f"{response.status_code} for {data!r}"
            if 400 <= response.status_code < 500 and response.mimetype == "text/html" and \
                    response.status_code == 422:
                assert "<form" in response.get_data(as_text=True), \
                    f"422 without its form for {data!r}"

        try:
            submit()
        except Exception as exc:  # noqa: BLE001 - collected with the route
            failures.append(f"POST {url} ({rule.endpoint}): {str(exc).splitlines()[0][:300]}")
    assert not failures, f"{len(failures)} routes failed:\n" + "\n".join(failures)


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
