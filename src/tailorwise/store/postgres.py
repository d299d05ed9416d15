"""The PostgreSQL store: the canonical tables in a PostgreSQL database.

Ingestion stages in a private in-memory DuckDB. ``write`` copies each staged
relation into a PostgreSQL temp table with ``COPY ... FROM STDIN`` (CSV that
DuckDB writes to a temp file), then runs the shared write steps in one
transaction. ``read`` goes the other way: PostgreSQL streams CSV out and
DuckDB types it, so both stores return the same Arrow types.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg
import pyarrow as pa

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.errors import StoreError
from tailorwise.schema import SCHEMAS, SOURCE_COLUMNS, Kind
from tailorwise.store.base import CompactReport, SourceRecord, StagedBatch, StagedTable
from tailorwise.store.sql import (
    DUCKDB_TYPES,
    POSTGRES_TYPES,
    all_ddl,
    quote,
    source_indexes,
    sql_literal,
    where_sql,
)
from tailorwise.store.summary import StoreSummary, compute_summary
from tailorwise.store.writer import write_batch

_CHUNK = 1 << 20
_SESSION = [
    "SET TimeZone TO 'UTC'",
    "SET DateStyle TO 'ISO, YMD'",
    "SET client_encoding TO 'UTF8'",
]
_CSV = "FORMAT csv, DELIMITER ',', QUOTE '\"', ESCAPE '\"'"
# DuckDB list -> PostgreSQL array literal: {"a","b \"c\""}; NULL elements stay NULL.
_PG_ARRAY = (
    "CASE WHEN {c} IS NULL THEN NULL ELSE '{{' || array_to_string(list_transform({c}, lambda x: "
    "CASE WHEN x IS NULL THEN 'NULL' ELSE '\"' || replace(replace(x, '\\', '\\\\'), '\"', '\\\"')"
    " || '\"' END), ',') || '}}' END"
)


def redact(url: str) -> str:
    """The URL with its password hidden, for messages and ``stats``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def column_kinds(table: Table) -> dict[str, Kind]:
    """Stored columns of a table and their kinds, in table order."""
    if table == Table.sources:
        return dict(SOURCE_COLUMNS)
    schema = SCHEMAS[table]
    kinds = {f.name: f.kind for f in schema.fields}
    if schema.appended:
        kinds |= {C.source: Kind.string, C.source_row: Kind.integer}
    return kinds


def _to_csv_text(name: str, kind: Kind) -> str:
    """DuckDB SQL for a column as PostgreSQL's COPY reads it."""
    c = quote(name)
    if kind == Kind.string_list:
        return f"{_PG_ARRAY.format(c=c)} AS {c}"
    if kind in (Kind.json, Kind.timestamp):
        return f"CAST({c} AS VARCHAR) AS {c}"
    return c


def _from_pg(name: str, kind: Kind) -> str:
    """PostgreSQL SQL for a column as text that DuckDB casts back."""
    c = quote(name)
    if kind == Kind.string_list:
        return f"to_json({c})::text"
    if kind in (Kind.json, Kind.boolean):
        return f"{c}::text"
    return c


def _from_csv_text(i: int, name: str, kind: Kind) -> str:
    """DuckDB SQL typing the i-th text column of PostgreSQL's CSV."""
    if kind == Kind.string_list:
        return f"CAST(CAST(c{i} AS JSON) AS VARCHAR[]) AS {quote(name)}"
    return f"CAST(c{i} AS {DUCKDB_TYPES[kind]}) AS {quote(name)}"


def _placeholders(sql: str, params: list[Any] | None) -> str:
    """The shared writer's ``?`` placeholders as psycopg's ``%s``."""
    return sql if params is None else sql.replace("%", "%%").replace("?", "%s")


def _execute(
    cur: psycopg.Cursor[Any], sql: str, params: list[Any] | None = None
) -> psycopg.Cursor[Any]:
    return cur.execute(_placeholders(sql, params), params)


def _missing_indexes(pg: psycopg.Connection[Any]) -> list[str]:
    """DDL of the source indexes the database lacks (a store made before they existed).

    Looked up first: CREATE INDEX IF NOT EXISTS locks the table even when the
    index exists, so every open would wait for any write in progress.
    """
    indexes = source_indexes()
    found = pg.execute(
        "SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL", [list(indexes)]
    ).fetchall()
    return [indexes[str(n)] for (n,) in found]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresStore:
    """A store in a PostgreSQL database, opened by ``postgresql://`` URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._pg = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL at '{redact(url)}': {_first_line(exc)}. "
                "Is the server running, and do the user, password and database exist?"
            ) from exc
        try:
            with self._failed("creating the tables in"), self._pg.transaction():
                for stmt in _SESSION + all_ddl(POSTGRES_TYPES):
                    self._pg.execute(stmt)
                for stmt in _missing_indexes(self._pg):
                    self._pg.execute(stmt)
        except StoreError:
            self._pg.close()
            raise
        self._stage = duckdb.connect(":memory:")
        self._stage.execute("SET TimeZone = 'UTC'")
        self._stage.execute("SET enable_progress_bar = false")
        self._closed = False

    @contextmanager
    def _failed(self, doing: str, outcome: str = "") -> Iterator[None]:
        """Show database errors as a StoreError that names the (redacted) URL."""
        try:
            yield
        except (psycopg.Error, duckdb.Error) as exc:
            raise StoreError(
                f"{doing} PostgreSQL at '{redact(self.url)}' failed{outcome}: {_first_line(exc)}"
            ) from exc

    def staging(self) -> duckdb.DuckDBPyConnection:
        return self._stage

    def write(self, batch: StagedBatch) -> None:
        with (
            self._failed("writing to", ", so nothing was written"),
            tempfile.TemporaryDirectory(prefix="tw-pg-") as tmp,
            self._pg.transaction(),
            self._pg.cursor() as cur,
        ):
            moved = [self._copy_in(cur, t, n, Path(tmp)) for n, t in enumerate(batch.tables)]
            write_batch(partial(_execute, cur), StagedBatch(batch.sources, moved, batch.append))
        if batch.append:
            return  # a few posted rows: autovacuum's statistics are good enough
        # Fresh planner statistics after a bulk load, as autovacuum would give some time
        # later: without them PostgreSQL plans `stats` for the table's old size.
        with self._failed("updating statistics in"):
            for table in sorted({t.table.value for t in batch.tables}):
                self._pg.execute(f"ANALYZE {quote(table)}")

    def _copy_in(
        self, cur: psycopg.Cursor[Any], staged: StagedTable, n: int, tmp: Path
    ) -> StagedTable:
        """Copy one staged DuckDB relation into a PostgreSQL temp table."""
        kinds = column_kinds(staged.table)
        file = tmp / f"stage_{n}.csv"
        cols = ", ".join(_to_csv_text(name, kind) for name, kind in kinds.items())
        self._stage.execute(
            f"COPY (SELECT {cols} FROM {staged.relation}) TO {sql_literal(file)} "
            "(FORMAT csv, HEADER false)"
        )
        target = f"_tw_stage_{n}"
        cur.execute(f"CREATE TEMP TABLE {target} (LIKE {staged.table}) ON COMMIT DROP")
        names = ", ".join(quote(name) for name in kinds)
        with (
            cur.copy(f"COPY {target} ({names}) FROM STDIN ({_CSV})") as copy,
            file.open("rb") as fh,
        ):
            while chunk := fh.read(_CHUNK):
                copy.write(chunk)
        file.unlink()
        return StagedTable(staged.table, target, staged.source_id)

    def count(self, table: Table) -> int:
        row = self._fetch(f"SELECT count(*) FROM {Table(table).value}")
        return int(row[0][0]) if row else 0

    def read(
        self,
        table: Table,
        columns: Sequence[str] | None = None,
        where: Mapping[str, Sequence[str]] | None = None,
    ) -> pa.Table:
        kinds = column_kinds(Table(table))
        names = list(columns) if columns else list(kinds)
        unknown = [n for n in names if n not in kinds]
        if unknown:
            raise StoreError(
                f"table '{Table(table).value}' has no column '{unknown[0]}'; it has: "
                f"{', '.join(kinds)}"
            )
        select = ", ".join(_from_pg(n, kinds[n]) for n in names)
        with self._failed("reading from"), tempfile.TemporaryDirectory(prefix="tw-pg-") as tmp:
            file = Path(tmp) / "read.csv"
            with (
                self._pg.cursor() as cur,
                file.open("wb") as fh,
                cur.copy(
                    f"COPY (SELECT {select} FROM {Table(table).value}{where_sql(where)}) "
                    f"TO STDOUT ({_CSV})"
                ) as copy,
            ):
                for data in copy:
                    fh.write(data)
            return self._typed(file, [(n, kinds[n]) for n in names])

    def _typed(self, file: Path, columns: list[tuple[str, Kind]]) -> pa.Table:
        """PostgreSQL's CSV output typed by DuckDB, as an Arrow table."""
        types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns)))
        typed = ", ".join(_from_csv_text(i, n, k) for i, (n, k) in enumerate(columns))
        result: pa.Table = self._stage.sql(
            f"SELECT {typed} FROM read_csv({sql_literal(file)}, columns={{{types}}}, "
            "header=false, auto_detect=false, delim=',', quote='\"', escape='\"', "
            "allow_quoted_nulls=false)"
        ).to_arrow_table()
        return result

    def sources(self) -> list[SourceRecord]:
        rows = self._fetch(
            "SELECT source_id, path, format, rows, rejected, loaded_at FROM sources "
            "ORDER BY loaded_at"
        )
        return [
            SourceRecord(str(a), str(b), str(c), int(d), int(e), f) for a, b, c, d, e, f in rows
        ]

    def compact(self) -> CompactReport:
        """VACUUM FULL: rewrite each table without its dead rows and give the space back."""
        size = "SELECT pg_database_size(current_database())"
        with self._failed("compacting"):
            before = int(self._pg.execute(size).fetchall()[0][0])
            for table in Table:
                self._pg.execute(f"VACUUM (FULL, ANALYZE) {quote(table.value)}")
            after = int(self._pg.execute(size).fetchall()[0][0])
        return CompactReport(redact(self.url), before, after)

    def summary(self, top: int = 10) -> StoreSummary:
        # Room for the summary's sorts and counts in memory (the server default is 4 MB);
        # SET LOCAL ends with the transaction.
        with self._failed("reading from"), self._pg.transaction():
            self._pg.execute("SET LOCAL work_mem = '256MB'")
            return compute_summary(redact(self.url), self._fetch, top)

    def _fetch(self, sql: str) -> list[tuple[Any, ...]]:
        with self._failed("reading from"), self._pg.cursor() as cur:
            return cur.execute(sql).fetchall()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pg.close()
            self._stage.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
