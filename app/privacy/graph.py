"""Every row that belongs to a household (or to a drop-in person), found by walking the foreign
keys of the schema.

A table holds a household's data when one of its foreign keys points at the household or at a
row that does. Walking the schema (rather than listing tables by hand) means a table added by a
new feature is exported, and refused by the anonymisation until it says what to do with it.
The same walk from `dropin_person` finds what the permanence keeps about someone received there
(arrivals, intakes and their criteria, orientations, aids, and the records merged into theirs).
"""
from __future__ import annotations

from sqlalchemy import Table, or_, select

from app.extensions import db

#: Tables never walked into: the privacy state itself.
NOT_OWNED = {"household_archive", "dropin_archive"}


def owned_tables(root: str = "household") -> list[tuple[Table, list]]:
    """(table, [its foreign keys pointing at owned tables]) in walking order, `root` first."""
    metadata = db.metadata
    names = {root}
    order = [metadata.tables[root]]
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name in names or table.name in NOT_OWNED:
                continue
            if any(fk.column.table.name in names for fk in table.foreign_keys):
                names.add(table.name)
                order.append(table)
                changed = True
    return [(t, [fk for fk in t.foreign_keys if fk.column.table.name in names]) for t in order]


def _key(table: Table, row: dict):
    return tuple(row[c.name] for c in table.primary_key.columns)


def collect(root_id: int, root: str = "household") -> dict[str, list[dict]]:
    """{table name: [row as a dict of column values]} for every row owned by the root row
    (a household by default; `root="dropin_person"` for someone received at a permanence)."""
    tables = owned_tables(root)
    ids: dict[str, set] = {t.name: set() for t, _ in tables}
    ids[root] = {root_id}
    rows: dict[str, dict] = {t.name: {} for t, _ in tables}
    changed = True
    while changed:  # a row may hang from a parent found later in the walk: repeat until stable
        changed = False
        for table, links in tables:
            conds = [fk.parent.in_(ids[fk.column.table.name]) for fk in links
                     if ids[fk.column.table.name]]
            if table.name == root:  # the root row, and rows of its table pointing at it
                conds.append(table.c.id == root_id)
            if not conds:
                continue
            for r in db.session.execute(select(table).where(or_(*conds))):
                row = dict(r._mapping)
                key = _key(table, row)
                if key not in rows[table.name]:
                    rows[table.name][key] = row
                    if "id" in table.c:
                        ids[table.name].add(row["id"])
                    changed = True
    return {name: list(found.values()) for name, found in rows.items()}


def object_ids(rows: dict[str, list[dict]]) -> dict[str, set[int]]:
    """{table name: ids} of the collected rows that have an integer id."""
    return {name: {r["id"] for r in found if isinstance(r.get("id"), int)}
            for name, found in rows.items()}
