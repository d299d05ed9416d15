"""Rows in and out one at a time, for serving: events appended as they are posted, and
the events of a few users read back. Both go through the stores' own ``write`` and
``read``, so every backend behaves the same."""

from __future__ import annotations

import time
from collections.abc import Sequence
from itertools import count

import pyarrow as pa

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.schema import SCHEMAS
from tailorwise.store.base import DataStore, SourceRecord, StagedBatch, StagedTable
from tailorwise.store.sql import DUCKDB_TYPES, quote, sql_literal

_names = count()


def append_rows(store: DataStore, table: Table, rows: pa.Table, source: SourceRecord) -> int:
    """Append ``rows`` (columns of ``table``'s schema; missing ones are null) to ``table`` in
    one transaction, under ``source``: its users and items get rows of their own, as with
    an ingest, and earlier rows of the source are kept. Returns the rows written."""
    schema = SCHEMAS[table]
    if not schema.appended:
        raise ValueError(f"table '{table}' is keyed, not appended")
    con = store.staging()
    relation, arrow = f"_tw_append_{next(_names)}", f"_tw_arrow_{next(_names)}"
    first = time.time_ns() // 1000  # source_row: arrival order, unique per source
    select = []
    for f in schema.fields:
        typed = DUCKDB_TYPES[f.kind]
        value = quote(f.name) if f.name in rows.column_names else "NULL"
        select.append(f"CAST({value} AS {typed}) AS {quote(f.name)}")
    select += [
        f"{sql_literal(source.source_id)} AS {C.source}",
        f"{first} + row_number() OVER () AS {C.source_row}",
    ]
    con.register(arrow, rows)
    try:
        con.execute(f"CREATE TEMP TABLE {relation} AS SELECT {', '.join(select)} FROM {arrow}")
        batch = StagedBatch([source], [StagedTable(table, relation, source.source_id)], append=True)
        store.write(batch)
    finally:
        con.unregister(arrow)
        con.execute(f"DROP TABLE IF EXISTS {relation}")
    return rows.num_rows


def read_for_users(
    store: DataStore, table: Table, users: Sequence[str], columns: Sequence[str]
) -> pa.Table:
    """The rows of ``table`` about ``users``."""
    return store.read(table, columns, where={C.user: [str(u) for u in users]})
