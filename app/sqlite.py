"""SQLite settings for a file shared by several threads: WAL, foreign keys, busy timeout.

Transactions start with BEGIN IMMEDIATE: most requests write (the audit trail records reads),
and a deferred transaction that upgrades from read to write fails at once under contention
instead of waiting for the busy timeout.
"""
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 5000


def configure_engine(engine: Engine) -> None:
    """Attach the SQLite pragmas and transaction mode; other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Take transaction control away from pysqlite so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")  # sql-ok: a module constant
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
