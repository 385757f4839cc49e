"""The load benchmark's users (locust): a worker's day and a coordinator's, plus a bare
hello-world request in each so both are measured under the same load.

Run by bench/load_bench.py; the plan (accounts, households, visits) comes from
$TERRAIN_BENCH_PLAN, a JSON file that load_bench writes from the generated data.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import uuid

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["TERRAIN_BENCH_PLAN"]).read())
_workers = itertools.cycle(PLAN["workers"])
_coordinators = itertools.cycle(PLAN["coordinators"])


class Signed(HttpUser):
    """A signed-in person at work: a click every 2 to 6 seconds (reading, typing between)."""

    abstract = True
    wait_time = between(2.0, 6.0)

    def sign_in(self, account: dict) -> None:
        """Take the session bench/load_bench.py opened for this account before the run."""
        self.client.cookies.update(account["cookies"])
        self.csrf = account["csrf"]

    @task(2)
    def hello(self):
        self.client.get("/hello/", name="hello-world")


class FieldWorker(Signed):
    """Aujourd'hui, a household of mine, and now and then a visit report written."""

    weight = 4

    def on_start(self):
        self.account = next(_workers)
        self.rng = random.Random(self.account["email"])
        # Shared by the users of one account, so no visit gets two first reports.
        self.visits = self.account["visits"]
        self.sign_in(self.account)

    @task(4)
    def today(self):
        self.client.get("/", name="Aujourd'hui /")

    @task(3)
    def household(self):
        hid = self.rng.choice(self.account["households"])
        self.client.get(f"/menages/{hid}", name="ménage /menages/<id>")

    @task(1)
    def report(self):
        if not self.visits:
            return
        visit = self.visits.pop()
        self.client.post(f"/visites/{visit['id']}/compte-rendu", name="compte rendu POST",
                         headers={"X-CSRFToken": self.csrf, "Accept": "application/json"},
                         data={"client_id": str(uuid.uuid4()), "seen": visit["seen"],
                               "observations": "Visite faite, démarches CAF à jour.",
                               "next_steps": "Rappeler la CAF.", "duration_minutes": "45"})


class Coordinator(Signed):
    """The alert centre (mine and the team's) and the dashboard."""

    weight = 1

    def on_start(self):
        self.sign_in(next(_coordinators))

    @task(2)
    def my_alerts(self):
        self.client.get("/alertes/", name="alertes /alertes/")

    @task(2)
    def team_alerts(self):
        self.client.get("/alertes/?vue=equipe", name="alertes équipe /alertes/?vue=equipe")

    @task(2)
    def dashboard(self):
        if PLAN.get("dashboard"):
            self.client.get("/tableau-de-bord/", name="tableau de bord /tableau-de-bord/")
