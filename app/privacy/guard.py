"""The database refuses to delete audit rows or to change them, except to erase a value.

Anonymisation (and a deleted account or team, whose ids become NULL) may set `actor_id`,
`team_id`, `subject`, `ip` and `detail` to NULL; nothing else about a row can change, and no row
can be deleted. Triggers for SQLite and PostgreSQL, created with the table (create_all) and by
migration 0016_privacy, so even a bug in the app — or someone with the app's credentials and a
SQL prompt who does not drop the triggers first — cannot rewrite the history.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import DDL, event

from app.audit.models import AuditEvent

SQLITE = [
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event rows cannot be deleted'); END""",
    """CREATE TRIGGER audit_event_only_erase BEFORE UPDATE ON audit_event
WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.action IS NOT OLD.action
  OR NEW.object_type IS NOT OLD.object_type OR NEW.object_id IS NOT OLD.object_id
  OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS NOT OLD.actor_id)
  OR (NEW.team_id IS NOT NULL AND NEW.team_id IS NOT OLD.team_id)
  OR (NEW.subject IS NOT NULL AND NEW.subject IS NOT OLD.subject)
  OR (NEW.ip IS NOT NULL AND NEW.ip IS NOT OLD.ip)
  OR (NEW.detail IS NOT NULL AND NEW.detail IS NOT OLD.detail)
BEGIN SELECT RAISE(ABORT, 'audit_event rows can only lose personal data'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_event_only_erase",
               "DROP TRIGGER IF EXISTS audit_event_no_delete"]

POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'audit_event rows cannot be deleted';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.at IS DISTINCT FROM OLD.at
     OR NEW.action IS DISTINCT FROM OLD.action
     OR NEW.object_type IS DISTINCT FROM OLD.object_type
     OR NEW.object_id IS DISTINCT FROM OLD.object_id
     OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
     OR (NEW.team_id IS NOT NULL AND NEW.team_id IS DISTINCT FROM OLD.team_id)
     OR (NEW.subject IS NOT NULL AND NEW.subject IS DISTINCT FROM OLD.subject)
     OR (NEW.ip IS NOT NULL AND NEW.ip IS DISTINCT FROM OLD.ip)
     OR (NEW.detail IS NOT NULL AND NEW.detail::text IS DISTINCT FROM OLD.detail::text) THEN
    RAISE EXCEPTION 'audit_event rows can only lose personal data';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_guard()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard()""",
]
POSTGRESQL_DROP = ["DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
                   "DROP TRIGGER IF EXISTS audit_event_guard ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_guard()"]


def statements(dialect: str, drop: bool = False) -> list[str]:
    """The SQL creating (or dropping) the guard on one dialect."""
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    if dialect == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL
    return []


for _sql in SQLITE:
    event.listen(AuditEvent.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRESQL:
    event.listen(AuditEvent.__table__, "after_create",
                 DDL(_sql).execute_if(dialect="postgresql"))


@contextmanager
def suspended(connection):
    """The guard lifted inside the caller's transaction, and put back before it commits.

    For emptying a whole test or benchmark database only (tests/live.py); the app never calls
    it. Both databases run DDL inside the transaction, so a failure leaves the guard in place.
    """
    dialect = connection.dialect.name
    for sql in statements(dialect, drop=True):
        connection.exec_driver_sql(sql)
    yield
    for sql in statements(dialect):
        connection.exec_driver_sql(sql)
