"""SQL shared by the backends: DDL from the schema, and dialect type maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tailorwise.columns import Columns as C
from tailorwise.schema import SCHEMAS, SOURCE_COLUMNS, Kind, TableSchema

DUCKDB_TYPES: Mapping[Kind, str] = {
    Kind.string: "VARCHAR",
    Kind.timestamp: "TIMESTAMP",
    Kind.double: "DOUBLE",
    Kind.integer: "BIGINT",
    Kind.boolean: "BOOLEAN",
    Kind.json: "JSON",
    Kind.string_list: "VARCHAR[]",
}

POSTGRES_TYPES: Mapping[Kind, str] = {
    Kind.string: "TEXT",
    Kind.timestamp: "TIMESTAMP",
    Kind.double: "DOUBLE PRECISION",
    Kind.integer: "BIGINT",
    Kind.boolean: "BOOLEAN",
    Kind.json: "JSONB",
    Kind.string_list: "TEXT[]",
}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str | Path) -> str:
    """A SQL string literal (file paths included), quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def where_sql(where: Mapping[str, Sequence[str]] | None) -> str:
    """`` WHERE col IN (...) AND ...`` for rows whose columns hold one of the given texts
    ("" without conditions; no row at all for an empty list)."""
    if not where:
        return ""
    terms = [
        f"{quote(col)} IN ({', '.join(sql_literal(v) for v in values)})" if values else "false"
        for col, values in where.items()
    ]
    return " WHERE " + " AND ".join(terms)


def table_ddl(schema: TableSchema, types: Mapping[Kind, str]) -> str:
    cols = []
    for f in schema.fields:
        null = " NOT NULL" if f.required else ""
        cols.append(f"{quote(f.name)} {types[f.kind]}{null}")
    if schema.appended:
        cols.append(f"{C.source} {types[Kind.string]} NOT NULL")
        cols.append(f"{C.source_row} {types[Kind.integer]} NOT NULL")
    if schema.key:
        cols.append(f"PRIMARY KEY ({', '.join(quote(k) for k in schema.key)})")
    return f"CREATE TABLE IF NOT EXISTS {schema.table} (\n  " + ",\n  ".join(cols) + "\n)"


def all_ddl(types: Mapping[Kind, str]) -> list[str]:
    stmts = [table_ddl(s, types) for s in SCHEMAS.values()]
    src = ", ".join(f"{quote(n)} {types[k]}" for n, k in SOURCE_COLUMNS)
    stmts.append(f"CREATE TABLE IF NOT EXISTS sources ({src}, PRIMARY KEY ({C.source}))")
    return stmts


def source_indexes() -> dict[str, str]:
    """Index name -> DDL, on ``source_id`` of each appended table (re-ingesting a file
    deletes its old rows by it), and on the events' ``user_id`` (the server reads the
    events of one user at a time)."""
    indexes = {
        f"{s.table}_{C.source}_idx": (
            f"CREATE INDEX IF NOT EXISTS {s.table}_{C.source}_idx ON {s.table} ({C.source})"
        )
        for s in SCHEMAS.values()
        if s.appended
    }
    indexes["events_user_idx"] = f"CREATE INDEX IF NOT EXISTS events_user_idx ON events ({C.user})"
    return indexes


def upsert_sql(schema: TableSchema, relation: str) -> str:
    """Upsert rows of ``relation`` into a keyed table: new non-null values win."""
    names = schema.names
    cols = ", ".join(quote(n) for n in names)
    keys = ", ".join(quote(k) for k in schema.key)
    sets = ", ".join(
        f"{quote(n)} = COALESCE(EXCLUDED.{quote(n)}, {schema.table}.{quote(n)})"
        for n in names
        if n not in schema.key
    )
    return (
        f"INSERT INTO {schema.table} ({cols}) SELECT {cols} FROM {relation} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    )
