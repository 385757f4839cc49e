"""The bench data generator: a small dataset, the same rows for the same seed; and, on its
data, the SQL queries of each main page do not grow with the data (issue 13)."""
from datetime import date

from argon2 import PasswordHasher
from sqlalchemy import create_engine, event, select, text

from app import create_app
from app.alerts.services import run_pass
from app.config import TestConfig
from app.timeutil import utcnow

from app import models  # noqa: F401  (every table)
from app.extensions import db
from bench import datagen

TODAY = date(2026, 11, 23)


def dump(seed: int) -> tuple[dict, dict]:
    engine = create_engine("sqlite://")  # in memory: one connection per thread
    db.metadata.create_all(engine)
    with engine.begin() as connection:
        counts = datagen.generate(connection, households=60, seed=seed, today=TODAY,
                                  password_hash="not-a-real-hash")
        rows = {t.name: connection.execute(select(t).order_by(*t.primary_key.columns)).all()
                for t in db.metadata.sorted_tables if t.name in counts}
    engine.dispose()
    return counts, rows


def test_same_seed_same_rows_other_seed_other_rows():
    counts, first = dump(seed=7)
    _, again = dump(seed=7)
    _, other = dump(seed=8)
    assert first == again
    assert first["household"] != other["household"]
    # Every part of the dataset is there, in proportion to the households.
    assert counts["household"] == 60 and counts["visit"] == 600 and counts["flat"] == 6
    for table in ("person", "enrolment", "contract", "rent_terms", "payment", "visit_report",
                  "inventory", "inventory_item", "asll_measure", "dropin_session", "shift",
                  "arrival", "intake", "membership"):
        assert counts.get(table, 0) > 0, table
    # Visits run from a year ago to two weeks ahead; reports only for visits done.
    days = [v.day for v in first["visit"]]
    assert min(days) >= date(2025, 11, 22) and max(days) <= date(2026, 12, 7)
    done = {v.id for v in first["visit"] if v.status == "faite"}
    assert {r.visit_id for r in first["visit_report"]} <= done


# ---- queries per page at two data sizes ------------------------------------------------------

PAGES = ["/", "/menages/", "/menages/{household}", "/visites/{visit}", "/alertes/",
         "/alertes/?vue=equipe", "/tableau-de-bord/"]


def queries_per_page(databases, folder, households: int) -> dict[str, int]:
    url = databases.fresh(folder)  # the schema, no rows, on the backend under test
    engine = create_engine(url)
    password_hash = PasswordHasher(time_cost=TestConfig.ARGON2_TIME_COST,
                                   memory_cost=TestConfig.ARGON2_MEMORY_COST,
                                   parallelism=TestConfig.ARGON2_PARALLELISM
                                   ).hash(datagen.BENCH_PASSWORD)
    with engine.begin() as connection:
        datagen.generate(connection, households, seed=3, today=date.today(),
                         password_hash=password_hash)
        worker_id, email = connection.execute(text(
            "SELECT id, email FROM app_user WHERE email = 'ts1@bench.test'")).one()
        household = connection.execute(text(
            "SELECT min(id) FROM household WHERE referent_id = :u"), {"u": worker_id}).scalar()
        visit = connection.execute(text(
            "SELECT min(id) FROM visit WHERE household_id = :h"), {"h": household}).scalar()
    engine.dispose()
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**settings, "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": str(folder / f"instance-{households}")})
    with app.app_context():
        run_pass(utcnow(), sender=lambda *a, **k: 201)  # the alert centre has its alerts
        db.session.remove()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
    counts = {}
    for path_ in PAGES:
        lead_page = "alertes" in path_ or "tableau" in path_
        who = "coord1@bench.test" if lead_page else email
        client = app.test_client()
        client.post("/connexion", data={"email": who, "password": datagen.BENCH_PASSWORD})
        url_ = path_.format(household=household, visit=visit)
        assert client.get(url_).status_code == 200, url_  # warm-up, and the page works
        statements.clear()
        assert client.get(url_).status_code == 200
        counts[path_] = len(statements)
    with app.app_context():
        db.engine.dispose()
    return counts


def test_queries_per_page_do_not_grow_with_the_generated_data(databases, tmp_path):
    small = queries_per_page(databases, tmp_path, 150)
    large = queries_per_page(databases, tmp_path, 1500)
    assert large == small
    assert all(n > 0 for n in small.values())
