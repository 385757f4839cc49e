"""Which SQL statements make the main pages slower when the data grows (issue 13)?

    .venv/bin/python -m bench.query_plans --database-url sqlite:////tmp/qp-2k.db \\
        --database-url sqlite:////tmp/qp-20k.db [--runs 5] [--post-report] [--json out.json]

Each database is one made by bench/datagen.py followed by one alert pass, as bench/load_bench.py
does (`fill`; `--fill N` here makes such a database at the first URL when it is empty). The
script signs in, with the Flask test client on an app created on that database, as a bench
worker (ts1@bench.test) and as the coordinator of one team (coord1@bench.test), and requests
each main page: Aujourd'hui, one of the worker's households, a visit, the alerts (mine and the
team's), the dashboard; with --post-report, also posts visit reports (it writes into the
database: one new report per run). Every SQL statement a request runs is recorded
(SQLAlchemy's before/after_cursor_execute) with its duration.

Per page it prints the best of --runs wall and CPU times (`time.process_time`, fairer on a
shared machine), the SQL statements and their total time, and the slowest statements with
their query plan (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL). A full scan of a
big table (SCAN visit, Seq Scan on household...) is flagged `<-- SCAN`. Each SELECT is also
replayed alone on a raw connection and fully fetched ("replay": time in the database, fetch
included, without the ORM). With two databases, the statements whose replay time grows from
the first to the second are listed per page.

Same scale per user: datagen grows the teams and workers with the households, so a worker or a
one-team coordinator sees about the same data at every size; any growth is a query reading
whole tables instead of its team's rows.
"""
from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import create_engine, event, inspect, text

from bench import datagen

#: tables that grow with the households (a full scan of one of them grows with the data).
BIG_TABLES = {"household", "person", "enrolment", "visit", "visit_worker", "visit_report",
              "alert", "notification", "audit_event", "payment", "contract", "rent_terms",
              "renewal", "flat", "note", "barrier", "goal", "right_application", "inventory",
              "inventory_item", "inventory_room", "asll_measure", "asll_link_sheet",
              "login_session", "arrival", "intake", "orientation", "dropin_person"}
SECRET = "query-plans-secret-0123456789abcdef0123456789"
WORKER = "ts1@bench.test"
COORDINATOR = "coord1@bench.test"


@dataclass
class Statement:
    sql: str
    params: object
    seconds: float
    replay: float | None = None
    plan: list[str] = field(default_factory=list)

    @property
    def shape(self) -> str:
        """The statement with its IN lists folded, to match it across data sizes."""
        param = r"(\?|%\([^)]*\)s(::\w+)?)"
        folded = re.sub(rf"\(\s*{param}(\s*,\s*{param})*\s*\)", "(…)", self.sql)
        folded = re.sub(r"%\(([a-z_]+?)(_\d+)*\)s", r"%(\1)s", folded)
        return " ".join(folded.split())


@dataclass
class Page:
    name: str
    wall: float = float("inf")
    cpu: float = float("inf")
    sql_total: float = float("inf")
    statements: list[Statement] = field(default_factory=list)


# ---- data ------------------------------------------------------------------------------------

def make_app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                       "ALERTS_SCHEDULER_IN_PROCESS": False, "WTF_CSRF_ENABLED": False,
                       "INSTANCE_PATH": tempfile.mkdtemp(prefix="query-plans-")})


def accounts(url: str, worker: str, coordinator: str, reports: int) -> dict:
    """The worker's first household and visit, visits to report, the household count."""
    engine = create_engine(url)
    with engine.connect() as c:
        worker_id = c.execute(text("SELECT id FROM app_user WHERE email = :e"),
                              {"e": worker}).scalar_one()
        household = c.execute(text("SELECT min(id) FROM household WHERE referent_id = :u"),
                              {"u": worker_id}).scalar_one()
        visit = c.execute(text("SELECT min(id) FROM visit WHERE household_id = :h"),
                          {"h": household}).scalar_one()
        to_report = []
        for vid, hid in c.execute(text(
                "SELECT v.id, v.household_id FROM visit v JOIN visit_worker w "
                "ON w.visit_id = v.id LEFT JOIN visit_report r ON r.visit_id = v.id "
                "WHERE w.user_id = :u AND r.id IS NULL AND v.day <= :d "
                "AND v.status IN ('prevue', 'faite') ORDER BY v.day DESC, v.id LIMIT :n"),
                {"u": worker_id, "d": date.today(), "n": reports}):
            person = c.execute(text("SELECT min(id) FROM person WHERE household_id = :h"),
                               {"h": hid}).scalar()
            to_report.append((vid, person))
        households = c.execute(text("SELECT count(*) FROM household")).scalar_one()
    engine.dispose()
    return {"household": household, "visit": visit, "to_report": to_report,
            "households": households}


# ---- measure ---------------------------------------------------------------------------------

class Recorder:
    """Every statement run on the engine, with its cursor.execute duration."""

    def __init__(self, engine):
        self.statements: list[Statement] = []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("query_plans_started", []).append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info["query_plans_started"].pop()
        self.statements.append(Statement(statement, parameters, time.perf_counter() - started))


def measure(url: str, runs: int, worker: str, coordinator: str, post_report: bool) -> tuple:
    """Best-of-runs figures for each page, and the account data used."""
    from app.extensions import db

    data = accounts(url, worker, coordinator, reports=runs + 1 if post_report else 0)
    app = make_app(url)
    with app.app_context():
        engine = db.engine
    recorder = Recorder(engine)

    def signed(email):
        client = app.test_client()
        answer = client.post("/connexion", data={"email": email,
                                                  "password": datagen.BENCH_PASSWORD})
        if answer.status_code not in (200, 302, 303):
            raise SystemExit(f"{email} cannot sign in: {answer.status_code}")
        return client

    as_worker, as_lead = signed(worker), signed(coordinator)
    requests = [
        ("Aujourd'hui /", as_worker, "GET", "/"),
        ("ménage /menages/<id>", as_worker, "GET", f"/menages/{data['household']}"),
        ("visite /visites/<id>", as_worker, "GET", f"/visites/{data['visit']}"),
        ("alertes /alertes/", as_lead, "GET", "/alertes/"),
        ("alertes équipe /alertes/?vue=equipe", as_lead, "GET", "/alertes/?vue=equipe"),
        ("tableau de bord /tableau-de-bord/", as_lead, "GET", "/tableau-de-bord/"),
    ]
    if post_report and len(data["to_report"]) > runs:
        requests.append(("compte rendu POST", as_worker, "POST", None))
    pages = {}
    for name, client, method, path in requests:
        page = pages[name] = Page(name)
        best_by_index: dict[int, Statement] = {}
        for run in range(runs + 1):  # the first run warms caches and templates: not counted
            kwargs = {}
            if method == "POST":
                vid, person = data["to_report"][run]
                path = f"/visites/{vid}/compte-rendu"
                kwargs = {"headers": {"Accept": "application/json"},
                          "data": {"client_id": str(uuid.uuid4()), "seen": [person],
                                   "observations": "Visite faite, démarches CAF à jour.",
                                   "next_steps": "Rappeler la CAF.", "duration_minutes": "45"}}
            recorder.statements = []
            wall, cpu = time.perf_counter(), time.process_time()
            answer = client.open(path, method=method, **kwargs)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if answer.status_code >= 400:
                raise SystemExit(f"{name}: {path} answered {answer.status_code}")
            if run == 0:
                continue
            page.wall, page.cpu = min(page.wall, wall), min(page.cpu, cpu)
            page.sql_total = min(page.sql_total, sum(s.seconds for s in recorder.statements))
            # Per statement: the best of the runs (same position, same shape).
            for i, statement in enumerate(recorder.statements):
                known = best_by_index.get(i)
                if known is None or known.shape != statement.shape:
                    best_by_index[i] = statement
                elif statement.seconds < known.seconds:
                    known.seconds = statement.seconds
        page.statements = [best_by_index[i] for i in sorted(best_by_index)]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return pages, data


# ---- plans -----------------------------------------------------------------------------------

def aliases(sql: str) -> dict[str, str]:
    """alias -> table, from `table AS alias` and `FROM/JOIN table alias`."""
    found = {}
    for table, alias in re.findall(r'"?(\w+)"?\s+AS\s+"?(\w+)"?', sql, flags=re.I):
        found[alias] = table
    for table, alias in re.findall(r'\b(?:FROM|JOIN)\s+"?(\w+)"?\s+(?!AS\b|ON\b|WHERE\b|JOIN\b|'
                                   r'LEFT\b|INNER\b|ORDER\b|GROUP\b|LIMIT\b)(\w+)', sql,
                                   flags=re.I):
        found.setdefault(alias, table)
    return found


def explain(engine, statements: list[Statement], replays: int = 3) -> None:
    """Replay each SELECT alone (best of `replays`, fetched) and attach its query plan."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgres = engine.dialect.name == "postgresql"
        for statement in statements:
            head = statement.sql.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "WITH"):
                continue
            best = float("inf")
            for _ in range(replays):
                started = time.perf_counter()
                cursor.execute(statement.sql, statement.params)
                cursor.fetchall()
                best = min(best, time.perf_counter() - started)
            statement.replay = best
            cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement.sql,
                           statement.params)
            names = aliases(statement.sql)
            for row in cursor.fetchall():
                detail = row[0] if postgres else row[-1]
                statement.plan.append(detail + flag(detail, names, postgres))
        if postgres:
            raw.rollback()
    finally:
        raw.close()


def flag(detail: str, names: dict[str, str], postgres: bool) -> str:
    """`  <-- SCAN` when the plan line reads a whole big table (or a whole index of it)."""
    if postgres:
        match = re.search(r"Seq Scan on (\w+)", detail)
    else:
        match = re.match(r"\s*SCAN (\w+)", detail)
    if not match:
        return ""
    table = names.get(match.group(1), match.group(1))
    table = table if table in BIG_TABLES else re.sub(r"_\d+$", "", table)
    if table not in BIG_TABLES:
        return ""
    how = "index" if "INDEX" in detail else "table"
    return f"   <-- SCAN {table} (whole {how})"


# ---- report ----------------------------------------------------------------------------------

def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def short(sql: str, width: int = 160) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def print_size(label: str, pages: dict[str, Page], top: int) -> None:
    print(f"\n## {label}\n")
    print("| page | wall ms | CPU ms | SQL ms (execute) | SQL ms (replay) | statements |")
    print("|---|---:|---:|---:|---:|---:|")
    for page in pages.values():
        replay = sum(s.replay or 0 for s in page.statements)
        print(f"| {page.name} | {ms(page.wall)} | {ms(page.cpu)} | {ms(page.sql_total)} | "
              f"{ms(replay)} | {len(page.statements)} |")
    for page in pages.values():
        print(f"\n### {page.name}: the {top} slowest statements (replay ms, execute ms)\n")
        ranked = sorted(page.statements, key=lambda s: -(s.replay or s.seconds))[:top]
        for statement in ranked:
            print(f"- {ms(statement.replay)} / {ms(statement.seconds)}  {short(statement.sql)}")
            for line in statement.plan:
                print(f"      {line}")


def print_growth(small_label: str, small: dict, large_label: str, large: dict,
                 ratio: float, floor_ms: float, full_sql: bool = False) -> None:
    print(f"\n## What grows from {small_label} to {large_label}\n")
    print(f"(replay time ratio > {ratio}, and over {floor_ms} ms at the larger size)\n")
    for name, page in small.items():
        other = large.get(name)
        if other is None:
            continue
        print(f"### {name}: SQL {ms(page.sql_total)} → {ms(other.sql_total)} ms, wall "
              f"{ms(page.wall)} → {ms(other.wall)} ms, CPU {ms(page.cpu)} → {ms(other.cpu)} ms")
        grown = []
        remaining = {}
        for s in page.statements:
            remaining.setdefault(s.shape, []).append(s)
        for s in other.statements:
            before = remaining.get(s.shape, [])
            first = before.pop(0) if before else None
            if first is None:
                grown.append((None, s))
                continue
            a = first.replay if first.replay is not None else first.seconds
            b = s.replay if s.replay is not None else s.seconds
            if b * 1000 > floor_ms and b > a * ratio:
                grown.append((first, s))
        if not grown:
            print("  nothing grows\n")
            continue
        for first, s in grown:
            a = "new" if first is None else ms(first.replay if first.replay is not None
                                                else first.seconds)
            print(f"- {a} → {ms(s.replay if s.replay is not None else s.seconds)} ms  "
                  f"{s.sql if full_sql else short(s.sql, 220)}")
            for line in s.plan:
                print(f"      {line}")
        print()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="SQL statements and query plans of the main "
                                     "pages, and what grows with the data.")
    parser.add_argument("--database-url", action="append", required=True,
                        help="a database made by bench.datagen (+ one alert pass); give two "
                        "to compare the smaller with the larger")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=5, help="slowest statements shown per page")
    parser.add_argument("--worker", default=WORKER)
    parser.add_argument("--coordinator", default=COORDINATOR)
    parser.add_argument("--post-report", action="store_true",
                        help="also post visit reports (writes one report per run)")
    parser.add_argument("--fill", type=int, metavar="HOUSEHOLDS",
                        help="first make each (empty) database with this many households, "
                        "times ten for the second one")
    parser.add_argument("--vacuum", action="store_true",
                        help="PostgreSQL: VACUUM ANALYZE each database first, as autovacuum "
                        "would have on a live one (statistics, index-only scans)")
    parser.add_argument("--ratio", type=float, default=1.5)
    parser.add_argument("--floor-ms", type=float, default=0.5)
    parser.add_argument("--full-sql", action="store_true",
                        help="print the whole SQL of the statements that grow")
    parser.add_argument("--json", help="write the per-page figures to this file")
    args = parser.parse_args(argv)
    results = []
    for n, url in enumerate(args.database_url):
        if args.fill:
            from bench.load_bench import fill

            engine = create_engine(url)
            empty = not inspect(engine).has_table("app_user")
            engine.dispose()
            if empty:
                fill(url, args.fill * 10 ** n, 1, date.today())
        if args.vacuum and url.startswith("postgresql"):
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("VACUUM ANALYZE"))
            engine.dispose()
        pages, data = measure(url, args.runs, args.worker, args.coordinator, args.post_report)
        engine = create_engine(url)
        for page in pages.values():
            explain(engine, page.statements)
        engine.dispose()
        label = f"{data['households']:,} ménages ({engine.dialect.name})"
        print_size(label, pages, args.top)
        results.append((label, pages))
    if len(results) >= 2:
        (small_label, small), (large_label, large) = results[0], results[-1]
        print_growth(small_label, small, large_label, large, args.ratio, args.floor_ms,
                     args.full_sql)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({label: {name: {"wall_ms": p.wall * 1000, "cpu_ms": p.cpu * 1000,
                                      "sql_ms": p.sql_total * 1000,
                                      "replay_ms": sum(s.replay or 0 for s in p.statements)
                                      * 1000, "statements": len(p.statements)}
                               for name, p in pages.items()}
                       for label, pages in results}, fh, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
