"""The production shape: gunicorn with two workers on one database, sessions valid on every
worker (and on another machine sharing the database and SECRET_KEY), no scheduler in the
workers, forwarded headers believed from the local proxy only."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from app import create_app
from app.audit.models import AuditEvent
from app.extensions import db
from app.proxy import TrustedProxyFix
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
SECRET = "production-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path):
    """Terrain under gunicorn.conf.py with two sync workers, on the test's database."""
    db.session.commit()
    db.session.remove()
    port = free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": SECRET, "TERRAIN_INSTANCE_PATH": str(tmp_path / "instance"),
           "TERRAIN_BIND": f"127.0.0.1:{port}", "TERRAIN_WORKERS": "2"}
    env.pop("TERRAIN_ALERTS_IN_PROCESS", None)  # the config file must switch it off
    # Sync workers answer one request at a time, so concurrent requests reach both.
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--worker-class", "sync",
         "--threads", "1",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(U)s %(s)s"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "error.log").open("wb"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded CI machine boots workers slowly
    while True:
        try:
            if requests.get(url + "/healthz", timeout=10).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or workers still booting
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("gunicorn did not start: " + (tmp_path / "error.log").read_text()[-2000:])
        time.sleep(0.1)  # polling a starting server: nothing to wait on but the port
    yield url, log
    proc.terminate()
    proc.wait(timeout=30)


def sign_in(url: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(url + "/connexion")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    answer = browser.post(url + "/connexion", data={"email": email, "password": factories.PASSWORD,
                                                    "csrf_token": token}, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:500]
    return browser


def test_two_workers_share_sessions_and_run_no_scheduler(app, worker, team_a, gunicorn):
    url, log = gunicorn
    household = factories.household(team_a, name="Famille Sauvage", referent=worker)
    db.session.commit()
    email, household_id = worker.email, household.id
    db.session.rollback()  # end the read just made: SQLite transactions here take the lock
    browser = sign_in(url, email)
    cookies = browser.cookies.get_dict()
    pages = ["/", "/menages/", f"/menages/{household_id}", "/alertes/"]

    def browse(i):
        # A fresh connection per request (as from several phones): the kernel hands each to
        # whichever worker is free.
        answer = requests.get(url + pages[i % len(pages)], cookies=cookies,
                              allow_redirects=False, timeout=30)
        return answer.status_code, answer.text

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(browse, range(48)))
    assert all(status == 200 for status, _ in answers), [s for s, _ in answers]
    assert any("Famille Sauvage" in text for _, text in answers)
    served = [line.split() for line in log.read_text().splitlines()]
    signed_in_pids = {pid for pid, path, status in served
                      if status == "200" and path in pages}
    assert len(signed_in_pids) == 2, served  # both workers served the signed-in person

    # Another machine: same database and SECRET_KEY, another process, same cookie.
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": SECRET, "INSTANCE_PATH": str(Path(app.instance_path)
                                                                   / "other"),
                        "ALERTS_SCHEDULER_IN_PROCESS": False})
    with other.test_client() as elsewhere:
        for name, value in cookies.items():
            elsewhere.set_cookie(name, value, domain="localhost")
        assert "Famille Sauvage" in elsewhere.get(f"/menages/{household_id}").get_data(True)

    # Signing out on one worker ends the session on all of them.
    token = re.search(r'"X-CSRFToken": "([^"]+)"', answers[0][1]).group(1)
    out = browser.post(url + "/deconnexion", headers={"X-CSRFToken": token},
                       allow_redirects=False)
    assert out.status_code in (302, 303), out.text
    with ThreadPoolExecutor(max_workers=4) as pool:
        after = list(pool.map(lambda _: requests.get(url + "/", cookies=cookies,
                                                     allow_redirects=False).status_code,
                              range(8)))
    assert all(status in (302, 303) for status in after)


def test_gunicorn_config_turns_the_in_process_scheduler_off_and_trusts_loopback(monkeypatch):
    monkeypatch.delenv("TERRAIN_ALERTS_IN_PROCESS", raising=False)
    monkeypatch.delenv("TERRAIN_TRUSTED_PROXIES", raising=False)
    settings: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)
    assert os.environ["TERRAIN_ALERTS_IN_PROCESS"] == "0"
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert settings["bind"].startswith("127.0.0.1:") and settings["workers"] >= 2
    assert settings["wsgi_app"] == "app:create_app()"


def test_forwarded_headers_believed_from_the_proxy_only(app, client, worker):
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, {"127.0.0.1"})
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    client.post("/connexion", data={"email": worker.email, "password": "faux"}, headers=headers,
                environ_base={"REMOTE_ADDR": "127.0.0.1"})
    client.post("/connexion", data={"email": worker.email, "password": "faux"}, headers=headers,
                environ_base={"REMOTE_ADDR": "198.51.100.9"})
    ips = [e.ip for e in db.session.query(AuditEvent).order_by(AuditEvent.id)
           if e.action == "auth.login_failed"]
    assert ips == ["203.0.113.7", "198.51.100.9"]  # the proxy's word; a stranger's own address
    answer = client.get("/connexion", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert "Strict-Transport-Security" in answer.headers  # HTTPS as told by the proxy
    answer = client.get("/connexion", headers=headers,
                        environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert "Strict-Transport-Security" not in answer.headers
