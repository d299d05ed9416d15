"""The steps of writing a staged batch, shared by the SQL backends.

The caller wraps them in one transaction; ``execute`` runs one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.schema import SCHEMAS
from tailorwise.store.base import StagedBatch
from tailorwise.store.sql import quote, upsert_sql


class Result(Protocol):
    def fetchall(self) -> list[Any]: ...


Execute = Callable[[str, "list[Any] | None"], Result]


# Keyed tables that rows of an appended table refer to: (table, column).
_REFERENCES: dict[Table, list[tuple[Table, str]]] = {
    Table.events: [(Table.users, C.user), (Table.items, C.item)],
    Table.exposures: [(Table.users, C.user), (Table.campaigns, C.campaign)],
}


def write_batch(execute: Execute, batch: StagedBatch) -> None:
    ids = [s.source_id for s in batch.sources]
    marks = ", ".join("?" for _ in ids)
    for schema in SCHEMAS.values():
        if schema.appended and ids and not batch.append:
            execute(f"DELETE FROM {schema.table} WHERE {C.source} IN ({marks})", ids)
    keyed = [t for t in batch.tables if not SCHEMAS[t.table].appended]
    appended = [t for t in batch.tables if SCHEMAS[t.table].appended]
    for staged in keyed:
        execute(upsert_sql(SCHEMAS[staged.table], staged.relation), None)
    for staged in appended:
        cols = ", ".join(quote(n) for n in SCHEMAS[staged.table].storage_names)
        execute(f"INSERT INTO {staged.table} ({cols}) SELECT {cols} FROM {staged.relation}", None)
    # Placeholders come from the rows just written, not from the staged relation:
    # a staged relation may be a view over the input file, and reading it twice costs.
    for table in {t.table for t in appended}:
        for ref_table, col in _REFERENCES.get(table, []):
            execute(
                f"INSERT INTO {ref_table} ({quote(col)}) SELECT DISTINCT {quote(col)} FROM {table} "
                f"WHERE {C.source} IN ({marks}) AND {quote(col)} IS NOT NULL ON CONFLICT DO NOTHING",
                ids,
            )
    before = _rows_before(execute, ids) if batch.append else {}
    if ids:
        execute(f"DELETE FROM sources WHERE {C.source} IN ({marks})", ids)
    now = datetime.now(UTC).replace(tzinfo=None)
    for s in batch.sources:
        rows = s.rows if s.rows >= 0 else _written(execute, batch, s.source_id)
        rows += before.get(s.source_id, 0)
        execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            [s.source_id, s.path, s.format, now, rows, s.rejected],
        )


def _rows_before(execute: Execute, ids: list[str]) -> dict[str, int]:
    """Rows each source wrote before this batch, from the sources table."""
    marks = ", ".join("?" for _ in ids)
    found = execute(f"SELECT {C.source}, rows FROM sources WHERE {C.source} IN ({marks})", ids)
    return {str(source): int(rows) for source, rows in found.fetchall()}


def _written(execute: Execute, batch: StagedBatch, source_id: str) -> int:
    """Rows one source wrote in this batch, counted in the store."""
    total = 0
    for staged in batch.tables:
        if staged.source_id != source_id:
            continue
        if SCHEMAS[staged.table].appended:
            sql = f"SELECT count(*) FROM {staged.table} WHERE {C.source} = ?"
            total += int(execute(sql, [source_id]).fetchall()[0][0])
        else:
            total += int(execute(f"SELECT count(*) FROM {staged.relation}", None).fetchall()[0][0])
    return total
