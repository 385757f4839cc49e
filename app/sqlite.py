"""SQLite settings for a file shared by several threads: WAL, foreign keys, busy timeout,
memory-mapped reads and in-memory temporary tables.

The busy timeout is how long a request waits for the write lock before giving up
(SQLITE_BUSY_TIMEOUT_MS, 30 s by default: well under gunicorn's 60 s worker timeout); a
request that still cannot get it is answered 503 "réessayez" (app/__init__.py), never a 500.

Transactions start with BEGIN IMMEDIATE: most requests write (the audit trail records reads),
and a deferred transaction that upgrades from read to write fails at once under contention
instead of waiting for the busy timeout.

Reads go through a memory map of the file (SQLITE_MMAP_MB, 256 MiB by default; 0 turns it
off): pages come straight from the operating system's cache instead of being copied into
each connection's small page cache, which makes the scheduler's pass and the dashboard's
set-based queries about a third faster. Sorts and temporary B-trees stay in memory instead
of temporary files.
"""
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 30_000
MMAP_MB = 256


def configure_engine(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                     mmap_mb: int = MMAP_MB) -> None:
    """Attach the SQLite pragmas and transaction mode; other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Take transaction control away from pysqlite so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")  # sql-ok: an integer
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute(f"PRAGMA mmap_size = {int(mmap_mb) * 1024 * 1024:d}")  # sql-ok: an integer
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_lock_timeout(exc: BaseException) -> bool:
    """True when SQLite gave up waiting for its write lock ("database is locked")."""
    return "database is locked" in str(getattr(exc, "orig", exc))
