"""The generic format: CSV, Parquet or JSON lines in the canonical columns.

A single file holds events, unless its name starts with another table's name
(``users.csv``, ``items.parquet``, ``campaigns.jsonl``, ``exposures.csv``).
A folder is read file by file the same way. Source columns that the table
does not know go into its JSON column (``context`` for events,
``attributes`` for the others), so nothing in the input is lost.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.formats.base import IngestOptions, RawTable
from tailorwise.ingest.formats.readers import (
    DelimitedFile,
    json_scan,
    json_select,
    parquet_select,
    scan_columns,
)
from tailorwise.schema import SCHEMAS
from tailorwise.store.sql import quote, sql_literal

_TEXT = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
_JSON = (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".ndjson.gz")
_PARQUET = (".parquet", ".pq")


def table_for(path: Path) -> Table:
    stem = path.name.split(".")[0].lower()
    for table in (Table.users, Table.items, Table.campaigns, Table.exposures):
        if stem.startswith(table.value):
            return table
    return Table.events


def _kind(path: Path) -> str:
    name = path.name.lower()
    for kind, suffixes in (("text", _TEXT), ("json", _JSON), ("parquet", _PARQUET)):
        if name.endswith(suffixes):
            return kind
    raise IngestError(
        f"{path}: unknown file type; the events format reads .csv, .tsv, .parquet and "
        ".jsonl files (gzipped text too)."
    )


def _mapping(
    path: Path, table: Table, columns: list[str], options: IngestOptions
) -> dict[str, str]:
    schema = SCHEMAS[table]
    json_col = C.context if table == Table.events else C.attributes
    mapping: dict[str, str] = {}
    for name in schema.names:
        source = options.column_map.get(name, name)
        if source in columns:
            mapping[name] = source
        elif name in options.column_map:
            raise IngestError(
                f"{path}: --map {name}={source} names a column the file does not have "
                f"(it has: {', '.join(columns)})."
            )
    missing = [f.name for f in schema.fields if f.required and f.name not in mapping]
    if missing:
        raise IngestError(
            f"{path}: no column '{missing[0]}' for table {table} (the file has: "
            f"{', '.join(columns)}). Rename the column or map it, e.g. --map {missing[0]}=COLUMN."
        )
    used = set(mapping.values())
    extra = [c for c in columns if c not in used]
    if extra and json_col not in mapping:
        pairs = ", ".join(f"{quote(c)} := {quote(c)}" for c in extra)
        mapping[json_col] = f"to_json(struct_pack({pairs}))"
    return mapping


def _exprs(mapping: dict[str, str], table: Table) -> dict[str, str]:
    json_col = C.context if table == Table.events else C.attributes
    return {
        name: src if name == json_col and src.startswith("to_json(") else quote(src)
        for name, src in mapping.items()
    }


def file_table(
    path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions, table: Table | None = None
) -> RawTable:
    table = table or table_for(path)
    kind = _kind(path)
    if kind == "text":
        delim = options.delimiter or ("\t" if ".tsv" in path.name.lower() else None)
        reader = DelimitedFile(path, delimiter=delim)
        mapping = _mapping(path, table, reader.columns(con), options)
        exprs = _exprs(mapping, table)
        header_check = reader.repeated_header(
            {
                k: v
                for k, v in mapping.items()
                if k in SCHEMAS[table].names and k in exprs and not exprs[k].startswith("to_json(")
            }
        )
        return RawTable(
            table,
            path,
            reader.select(exprs),
            [header_check],
            reader.structural,
            header_lines=1,
            skipped_lines=reader.blank_lines,
            fast_sql=reader.select(exprs, strict=True),
        )
    if kind == "json":
        columns = scan_columns(con, path, json_scan(path))
        mapping = _mapping(path, table, columns, options)
        sql = json_select(path, _exprs(mapping, table))
        return RawTable(table, path, sql, fast_sql=sql)
    scan = f"read_parquet({sql_literal(str(path))})"
    columns = scan_columns(con, path, scan)
    mapping = _mapping(path, table, columns, options)
    sql = parquet_select(path, _exprs(mapping, table))
    return RawTable(table, path, sql, fast_sql=sql)


class EventsLoader:
    name = "events"
    description = "generic CSV, Parquet or JSON lines in the canonical columns (or mapped)"

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            files = [p for p in files if p.name.lower().endswith(_TEXT + _JSON + _PARQUET)]
            if not files:
                raise IngestError(f"{path}: the folder holds no .csv, .parquet or .jsonl files.")
            order = list(Table)
            files.sort(key=lambda p: (order.index(table_for(p)), p.name))
            return [file_table(p, con, options) for p in files]
        return [file_table(path, con, options)]
