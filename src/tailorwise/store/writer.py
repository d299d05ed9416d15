"""The steps of writing a staged batch, shared by the SQL backends.

The caller wraps them in one transaction; ``execute`` runs one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.data.schema import SCHEMAS
from tailorwise.store.base import StagedBatch
from tailorwise.store.sql import quote, upsert_sql

Execute = Callable[[str, "list[Any] | None"], object]

# Keyed tables that rows of an appended table refer to: (table, column).
_REFERENCES: dict[Table, list[tuple[Table, str]]] = {
    Table.events: [(Table.users, C.user), (Table.items, C.item)],
    Table.exposures: [(Table.users, C.user), (Table.campaigns, C.campaign)],
}


def write_batch(execute: Execute, batch: StagedBatch) -> None:
    ids = [s.source_id for s in batch.sources]
    marks = ", ".join("?" for _ in ids)
    for schema in SCHEMAS.values():
        if schema.appended and ids:
            execute(f"DELETE FROM {schema.table} WHERE {C.source} IN ({marks})", ids)
    keyed = [t for t in batch.tables if not SCHEMAS[t.table].appended]
    appended = [t for t in batch.tables if SCHEMAS[t.table].appended]
    for staged in keyed:
        execute(upsert_sql(SCHEMAS[staged.table], staged.relation), None)
    for staged in appended:
        for ref_table, col in _REFERENCES.get(staged.table, []):
            execute(
                f"INSERT INTO {ref_table} ({quote(col)}) SELECT DISTINCT {quote(col)} "
                f"FROM {staged.relation} WHERE {quote(col)} IS NOT NULL ON CONFLICT DO NOTHING",
                None,
            )
        cols = ", ".join(quote(n) for n in SCHEMAS[staged.table].storage_names)
        execute(f"INSERT INTO {staged.table} ({cols}) SELECT {cols} FROM {staged.relation}", None)
    if ids:
        execute(f"DELETE FROM sources WHERE {C.source} IN ({marks})", ids)
    now = datetime.now(UTC).replace(tzinfo=None)
    for s in batch.sources:
        execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            [s.source_id, s.path, s.format, now, s.rows, s.rejected],
        )
