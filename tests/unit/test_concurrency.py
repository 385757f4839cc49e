"""Two server processes writing visit reports at the same time on one database.

Each process is a real OS process with its own app, engine and connection pool (as two
gunicorn workers are), signed in as its own worker; a barrier starts them together and each
opens every report form (a read that writes an audit row) and posts the report. On SQLite this is the "database is locked" case: no answer may carry
it, every report must be saved exactly once, and every answer must be a success.
"""
from __future__ import annotations

import multiprocessing
import uuid
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.visits.models import VisitReport
from tests import factories

JSON = {"Accept": "application/json"}
VISITS_PER_WORKER = 8
DAY = date(2026, 11, 23)


def _server_process(settings, email, visits, barrier, results):
    """One 'worker process': sign in, wait for the other one, then write every report."""
    from app import create_app

    answers = []
    try:
        app = create_app(settings)
        client = app.test_client()
        signed_in = client.post("/connexion", data={"email": email,
                                                     "password": factories.PASSWORD})
        answers.append(("sign-in", signed_in.status_code, ""))
        barrier.wait(timeout=60)
        for visit_id, person_id in visits:
            url = f"/visites/{visit_id}/compte-rendu"
            form = client.get(url)
            answers.append((f"form {visit_id}", form.status_code, _locked(form)))
            sent = client.post(url, headers=JSON, data={
                "client_id": str(uuid.uuid4()), "seen": [str(person_id)],
                "observations": f"Visite {visit_id} : logement en ordre.",
                "next_steps": "Appeler la CAF."})
            answers.append((f"report {visit_id}", sent.status_code, _locked(sent)))
        with app.app_context():
            db.engine.dispose()
    except Exception as exc:  # noqa: BLE001 - sent back to the test
        answers.append(("exception", 0, repr(exc)))
    results.put((email, answers))


def _locked(response) -> str:
    body = response.get_data(as_text=True)
    return "database is locked" if "locked" in body.lower() else ""


def test_two_processes_write_reports_at_once_without_lock_errors(app, team_a):
    workers, jobs = [], []
    for n in range(2):
        w = factories.user((team_a, "worker"), email=f"process{n}@exemple.test")
        visits = []
        for _ in range(VISITS_PER_WORKER):
            h = factories.household(team_a, referent=w)
            visits.append((factories.visit(h, w, DAY).id, h.people[0].id))
        workers.append(w.email)
        jobs.append(visits)
    settings = {k: v for k, v in app.config.items() if k.isupper()}
    settings["INSTANCE_PATH"] = app.instance_path
    db.session.remove()

    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, as a new worker is
    barrier, results = spawn.Barrier(2), spawn.Queue()
    procs = [spawn.Process(target=_server_process, args=(settings, email, visits, barrier, results))
             for email, visits in zip(workers, jobs)]
    for p in procs:
        p.start()
    answers = dict(results.get(timeout=180) for _ in procs)
    for p in procs:
        p.join(30)

    for email in workers:
        assert answers[email][0] == ("sign-in", 302, "")
        problems = [a for a in answers[email][1:]
                    if a[2] or a[0] == "exception" or a[1] != (201 if a[0].startswith("report")
                                                                else 200)]
        assert problems == [], problems
        assert len(answers[email]) == 1 + 2 * VISITS_PER_WORKER
    saved = db.session.execute(select(VisitReport.visit_id, func.count())
                               .group_by(VisitReport.visit_id)).all()
    assert sorted(saved) == sorted((visit_id, 1) for visits in jobs for visit_id, _ in visits)
