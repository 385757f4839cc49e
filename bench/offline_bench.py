"""Phone-side budgets of issue 6, measured in Debian's Chromium against a local Terrain.

1. Bytes a phone downloads for "Aujourd'hui": on a first visit (cold: sign-in page, then the
   page, the service worker and its precache) and on a repeat visit (warm: the service worker
   serves the static files). Sizes are the bodies received, and what gzip (level 6, as a
   reverse proxy would) makes of them. Budget: <= 60 KB compressed first load, 0 static bytes
   on a repeat load.
2. Time to replay 200 reports queued offline, on loopback.

Run: .venv/bin/python -m bench.offline_bench   (writes the results into docs/benchmarks.md)
"""
from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.households.models import Household
from app.timeutil import today_paris, utcnow
from app.visits.models import Visit, VisitReport
from bench.report import write_section
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer

WORKER = "travailleur@terrain.test"
PASSWORD = "terrain-demo"


class Meter:
    """Counts what the network really carried for a browser context (pages and worker)."""

    def __init__(self, context):
        self.rows = []
        context.on("requestfinished", self._finished)

    def _finished(self, request):
        response = request.response()
        if response is None or response.from_service_worker:
            return  # answered by the service worker: nothing crossed the network
        try:
            carried = request.sizes()["responseBodySize"]  # 0 when the HTTP cache answered
        except Exception:  # noqa: BLE001 - no size for some worker requests
            carried = None
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - redirects and opaque answers have no body
            body = b""
        if (carried is not None and carried <= 0) or response.status == 304:
            return  # the browser's cache answered
        size = carried if carried is not None else len(body)
        self.rows.append([request.url, response.status, size, body])

    def gzip_sizes(self, context):
        """Bodies the worker fetched are not exposed to us: fetch them again to weigh them."""
        for row in self.rows:
            body = row[3]
            if not body and row[2] > 0:
                body = context.request.get(row[0]).body()
            row[3] = min(len(gzip.compress(body, 6)), row[2]) if body else row[2]

    def reset(self):
        self.rows = []

    def totals(self, static_only=False, pages=None):
        rows = [r for r in self.rows if not static_only or "/static/" in r[0]]
        if pages is not None:  # True: only the offline copies; False: all but them
            rows = [r for r in rows if is_offline_copy(r[0]) == pages]
        return sum(r[2] for r in rows), sum(r[3] for r in rows), len(rows)


def is_offline_copy(url):
    """Pages fetched only to be kept for offline reading (visits, forms, households)."""
    return "/visites/" in url or "/menages/" in url


def sign_in(page, url):
    page.goto(url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(WORKER)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url(url + "/")


def wait_until(page, predicate, arg=None, timeout_s=30):
    page.evaluate(f"""async (arg) => {{
        const p = {predicate};
        const end = Date.now() + {timeout_s * 1000};
        while (!(await p(arg))) {{
            if (Date.now() > end) throw new Error('timeout');
            await new Promise(r => setTimeout(r, 20));
        }}
    }}""", arg)


def bytes_of_today(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    meter = Meter(context)
    page = context.new_page()
    sign_in(page, server.url)
    wait_until(page, "async () => { const r = await navigator.serviceWorker.getRegistration();"
                     " return !!(r && r.active && r.active.state === 'activated'); }")
    wait_until(page, """async () => (await caches.keys()).some(n => n.startsWith('terrain-pages-'))
                        && (await (await caches.open((await caches.keys())
                        .find(n => n.startsWith('terrain-pages-')))).keys()).length > 3""")
    page.wait_for_load_state("networkidle")
    meter.gzip_sizes(context)
    first, offline = meter.totals(pages=False), meter.totals(pages=True)
    meter.reset()
    page.goto(server.url + "/")
    page.wait_for_load_state("networkidle")
    meter.gzip_sizes(context)
    repeat_all, repeat_static = meter.totals(), meter.totals(static_only=True)
    context.close()
    return first, offline, repeat_all, repeat_static


def replay_time(browser, server, count=200):
    with server.app.app_context():
        worker = db.session.scalar(select(User).where(User.email == WORKER))
        household = db.session.scalar(select(Household).where(Household.name == "M. Dubois"))
        ids = []
        for i in range(count):
            v = Visit(household_id=household.id, team_id=household.team_id, place="domicile",
                      day=today_paris(), purpose=f"Bench {i}", created_at=utcnow())
            v.workers = [worker]
            db.session.add(v)
            db.session.flush()
            ids.append(v.id)
        db.session.commit()
        person = household.people[0].id
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url)
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.evaluate("""async ({ids, person}) => {
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        for (const id of ids) {
            const cid = crypto.randomUUID();
            await fetch('/visites/' + id + '/compte-rendu', {method: 'POST',
                body: new URLSearchParams({client_id: cid, seen: String(person),
                                           observations: 'Bench ' + id}),
                headers: {'Accept': 'application/json', 'X-CSRFToken': token,
                          'X-Terrain-Outbox': '1', 'X-Terrain-User': document.body.dataset.user,
                          'X-Terrain-Client-Id': cid}});
        }
    }""", {"ids": ids, "person": person})
    context.set_offline(False)
    start = time.perf_counter()
    page.evaluate("""() => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => resolve(e.data.count);
        navigator.serviceWorker.controller.postMessage(
            {type: 'replay', user: document.body.dataset.user}, [channel.port2]);
    })""")
    elapsed = time.perf_counter() - start
    with server.app.app_context():
        saved = db.session.scalar(select(func.count(VisitReport.id))
                                  .where(VisitReport.visit_id.in_(ids)))
    context.close()
    return elapsed, saved


def main():
    with tempfile.TemporaryDirectory() as folder:
        server = LiveServer.start(Path(folder))
        server.reset()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                runs = [bytes_of_today(browser, server) for _ in range(3)]
                first, offline, repeat_all, repeat_static = runs[-1]
                times = []
                for _ in range(3):
                    server.reset()
                    elapsed, saved = replay_time(browser, server)
                    assert saved == 200, saved
                    times.append(elapsed)
                browser.close()
        finally:
            server.stop()
    kb = lambda n: f"{n / 1024:.1f} KB"  # noqa: E731
    lines = [
        "| measure | result | budget |",
        "|---|---|---|",
        f"| first visit (sign-in page + Aujourd'hui + service worker + precache), gzip | "
        f"{kb(first[1])} ({kb(first[0])} uncompressed, {first[2]} requests) | ≤ 60 KB |",
        f"| first visit: the week's visits, forms and households kept for offline, gzip | "
        f"{kb(offline[1])} ({offline[2]} pages) | — |",
        f"| repeat visit of Aujourd'hui, static bytes | {repeat_static[0]} B "
        f"({repeat_static[2]} requests) | 0 |",
        f"| repeat visit of Aujourd'hui, everything (the page itself), gzip | "
        f"{kb(repeat_all[1])} ({repeat_all[2]} requests) | — |",
        f"| replay of 200 queued reports on loopback | median {statistics.median(times):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}), all 200 saved once | — |",
    ]
    write_section("Offline and first load (issue 6)", "\n".join(lines),
                  "`.venv/bin/python -m bench.offline_bench`")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
