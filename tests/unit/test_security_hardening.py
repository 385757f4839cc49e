"""Hardening: security headers, no SQL built from strings, uploads checked by their content."""
from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest

from app.security import (CAMERA_ENDPOINTS, CSP, PERMISSIONS_CAMERA, PERMISSIONS_NO_CAMERA,
                          permissions_policy)

ROOT = Path(__file__).resolve().parents[2]


# -- headers --------------------------------------------------------------------------------------


def test_csp_is_strict():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CSP and "*" not in CSP


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/connexion").headers
    secure = client.get("/connexion", base_url="https://terrain.exemple.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_headers_of_the_sign_in_page(client):
    h = client.get("/connexion").headers
    assert h["Content-Security-Policy"] == CSP
    assert h["Referrer-Policy"] == "same-origin"
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Permissions-Policy"] == PERMISSIONS_NO_CAMERA
    assert "no-store" in h["Cache-Control"]


def test_camera_only_on_pages_that_take_photos(app):
    assert "camera=()" in PERMISSIONS_NO_CAMERA and "camera=(self)" in PERMISSIONS_CAMERA
    for policy in (PERMISSIONS_CAMERA, PERMISSIONS_NO_CAMERA):
        assert "microphone=()" in policy and "geolocation=()" in policy
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    # Every camera page exists (a renamed view must not silently lose or keep the camera)...
    assert CAMERA_ENDPOINTS <= endpoints | {e for e in CAMERA_ENDPOINTS
                                            if e.split(".")[0] not in app.blueprints}
    # ...and each is a page whose template really has a photo input.
    assert permissions_policy("inventories.show") == PERMISSIONS_CAMERA
    assert permissions_policy("core.home") == PERMISSIONS_NO_CAMERA
    with_file_inputs = {p.relative_to(ROOT / "templates").as_posix()
                        for p in (ROOT / "templates").rglob("*.html")
                        if 'type="file"' in p.read_text(encoding="utf-8")}
    assert with_file_inputs <= {"inventories/show.html", "logbook/new.html",
                                "logbook/edit.html"}, \
        f"a new page takes photos: add its endpoint to app.security.CAMERA_ENDPOINTS " \
        f"({with_file_inputs})"


def test_inventory_page_offers_the_camera(client, auth, team_a, worker):
    from app.inventories import services as inventories
    from app.timeutil import utcnow
    from tests import factories

    flat = factories.flat(team_a)
    inventory = inventories.start(worker, flat, "entrant", None,
                                  utcnow().date(), now=utcnow())
    auth.login(worker.email)
    page = client.get(f"/edl/{inventory.id}")
    assert page.status_code == 200
    assert page.headers["Permissions-Policy"] == PERMISSIONS_CAMERA
    assert client.get("/").headers["Permissions-Policy"] == PERMISSIONS_NO_CAMERA


def test_templates_have_no_inline_script_nor_style():
    """The CSP would block them; the matrix checks rendered pages, this the pages it cannot
    reach (error states, PDFs rendered server-side are exempt: WeasyPrint runs no script)."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if path.name.endswith("_pdf.html") or "/pdf" in path.as_posix():
            continue
        body = path.read_text(encoding="utf-8")
        if inline_script.search(body) or re.search(r"<[a-zA-Z][^<>]*\sstyle\s*=", body) or \
                re.search(r"<[^>]+\son(click|load|submit|change|input|error)\s*=", body, re.I):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert not offenders, offenders


def test_nul_characters_are_refused_before_anything(client, auth, worker):
    """PostgreSQL refuses NUL in text: such a value is answered 400, never a server error."""
    assert client.post("/connexion", data={"email": "a\x00@exemple.test",
                                           "password": "x"}).status_code == 400
    auth.login(worker.email)
    assert client.get("/menages/?programme=ab\x00c").status_code == 400
    assert client.post("/menages/", data={"q": "ab\x00c"}).status_code == 400
    assert client.post("/menages/nouveau", data={"first_name": "ok",
                                                 "last_name": ["ok", "\x00"]}).status_code == 400


# -- no SQL built from strings ----------------------------------------------------------------------

RAW_SQL_METHODS = {"exec_driver_sql", "execute", "executescript", "executemany"}
#: A line may carry this marker with a reason when its formatted SQL holds no input at all.
MARKER = "# sql-ok:"


def _is_built(node: ast.AST) -> bool:
    """Whether an expression builds a string by formatting or concatenation."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("format", "join", "replace"):
        return True
    return False


def raw_sql_offences(source: str, filename: str) -> list[str]:
    """file:line of every raw SQL string built with formatting in `source`."""
    tree = ast.parse(source, filename)
    lines = source.splitlines()
    text_names, sa_modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in ("text", "literal_column"):
                    text_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy":
                    sa_modules.add(alias.asname or alias.name)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        is_text = (isinstance(f, ast.Name) and f.id in text_names) or (
            isinstance(f, ast.Attribute) and f.attr in ("text", "literal_column")
            and isinstance(f.value, ast.Name) and f.value.id in sa_modules)
        is_raw = isinstance(f, ast.Attribute) and f.attr in RAW_SQL_METHODS
        if (is_text or is_raw) and _is_built(node.args[0]):
            span = lines[node.lineno - 1:(node.end_lineno or node.lineno)]
            if any(MARKER in line and line.split(MARKER, 1)[1].strip() for line in span):
                continue
            found.append(f"{filename}:{node.lineno}")
    return found


def test_scanner_catches_formatted_sql():
    bad = '''
from sqlalchemy import text
import sqlalchemy as sa
def f(conn, name, cur):
    conn.execute(text(f"SELECT * FROM t WHERE name = '{name}'"))
    conn.execute(sa.text("SELECT * FROM t WHERE name = '%s'" % name))
    conn.exec_driver_sql("DELETE FROM t WHERE id = " + name)
    cur.execute("SELECT {}".format(name))
'''
    assert len(raw_sql_offences(bad, "bad.py")) == 4
    good = '''
from sqlalchemy import select, text
def f(conn, name, t):
    conn.execute(text("SELECT * FROM t WHERE name = :n"), {"n": name})
    conn.execute(select(t).where(t.c.name == name))
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    conn.execute(text(f"PRAGMA x = {1}"))  # sql-ok: a constant
'''
    assert raw_sql_offences(good, "good.py") == []
    # The helper named text() in a forms module is not SQLAlchemy's.
    assert raw_sql_offences("def text(a, b): pass\ntext(f'x-{1}', 2)\n", "forms.py") == []


def test_no_user_input_in_raw_sql():
    offences = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        offences += raw_sql_offences(path.read_text(encoding="utf-8"),
                                     path.relative_to(ROOT).as_posix())
    assert not offences, ("SQL built by string formatting (use bound parameters or SQLAlchemy "
                          f"expressions): {offences}")


# -- uploads checked by content -----------------------------------------------------------------


def _image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 200)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("data", [
    b"<?php echo 'x'; ?>",
    b"%PDF-1.4 not a photo",
    b"GIF89a" + b"\x00" * 40,
    b"\xff\xd8\xff\xe0" + b"\x00" * 40,  # JPEG magic bytes, broken body
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"",
])
def test_photo_pipeline_refuses_what_is_not_a_photo(app, data):
    from app.inventories import photos

    with pytest.raises(photos.PhotoError):
        photos.process(data)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_photo_pipeline_accepts_real_photos_whatever_their_name(app, fmt):
    from app.inventories import photos

    full, thumb, width, height = photos.process(_image(fmt))
    assert full[:3] == b"\xff\xd8\xff" and thumb[:3] == b"\xff\xd8\xff"  # re-encoded JPEG
    assert (width, height) == (20, 10)


def test_photo_upload_judged_by_content_not_name_or_type(client, auth, team_a, worker):
    """A PHP file named photo.jpg and sent as image/jpeg is refused; no file is stored."""
    import uuid

    from sqlalchemy import func, select

    from app.extensions import db
    from app.inventories import services as inventories
    from app.inventories.models import InventoryPhoto
    from app.storage import get_storage
    from app.timeutil import utcnow
    from tests import factories

    flat = factories.flat(team_a)
    inventory = inventories.start(worker, flat, "entrant", None, utcnow().date(), now=utcnow())
    auth.login(worker.email)
    stored_before = sorted(get_storage().keys())
    response = client.post(f"/edl/{inventory.id}/photos", data={
        "client_id": str(uuid.uuid4()),
        "photo": (io.BytesIO(b"<?php system($_GET['c']); ?>"), "photo.jpg", "image/jpeg")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "image" in response.get_json()["error"].lower() or response.get_json()["error"]
    assert db.session.scalar(select(func.count(InventoryPhoto.id))) == 0
    assert sorted(get_storage().keys()) == stored_before
