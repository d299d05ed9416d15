"""Typing and validating raw tables inside DuckDB, for every format at once.

Raw columns are turned into typed ``__t_<name>`` columns with TRY_CAST-style
expressions; a row is bad when any check holds. Detailed reasons are worked
out only for bad rows, so the clean path costs one pass over the input.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace

import duckdb

from tailorwise.columns import EVENT_ALIASES
from tailorwise.columns import Columns as C
from tailorwise.errors import IngestError, RowIssue
from tailorwise.ingest.formats.base import Check, IngestOptions, RawTable
from tailorwise.ingest.formats.diagnose import explain_unreadable
from tailorwise.ingest.rules import field_checks, table_checks, value_checks
from tailorwise.schema import SCHEMAS, Field, Kind, TableSchema
from tailorwise.store.sql import DUCKDB_TYPES, quote

# String columns that hold identifiers or codes: trimmed on the way in.
_TRIMMED = {C.user, C.item, C.type, C.session, C.channel, C.campaign, C.treatment}
BAD_ROW = "tailorwise: a row failed validation"


def _event_type(expr: str) -> str:
    """``expr`` with the common aliases of event types replaced by ours (cart -> add_to_cart)."""
    cases = " ".join(f"WHEN '{alias}' THEN '{ours}'" for alias, ours in EVENT_ALIASES.items())
    return f"(CASE {expr} {cases} ELSE {expr} END)"


def _typed_text(f: Field, c: str) -> str:
    if f.kind == Kind.string:
        expr = f"NULLIF(trim({c}), '')" if f.name in _TRIMMED else f"NULLIF({c}, '')"
        return _event_type(f"lower({expr})") if f.name == C.type else expr
    if f.kind == Kind.timestamp:
        return _timestamp_text(c)
    if f.kind == Kind.double:  # numeric casts accept surrounding spaces
        return f"CASE WHEN isfinite(TRY_CAST({c} AS DOUBLE)) THEN TRY_CAST({c} AS DOUBLE) END"
    if f.kind == Kind.integer:
        return f"TRY_CAST({c} AS BIGINT)"
    if f.kind == Kind.json:
        return f"CASE WHEN json_valid({c}) THEN CAST({c} AS JSON) END"
    if f.kind == Kind.string_list:
        return f"list_filter(list_transform(string_split({c}, '|'), lambda x: trim(x)), lambda x: x <> '')"
    return f"TRY_CAST(trim({c}) AS {DUCKDB_TYPES[f.kind]})"


def _timestamp_text(c: str) -> str:
    """ISO 8601 (with or without a zone) or epoch seconds, to a UTC TIMESTAMP.

    The plain TIMESTAMP cast runs first because it is the fast, common case;
    it ignores zone offsets, so text with an offset goes through TIMESTAMPTZ.
    """
    offset = (
        f"({c} LIKE '%Z' OR {c} LIKE '%z' OR contains({c}, '+') OR (length({c}) > 19 AND "
        f"regexp_matches({c}, '[0-9]-[0-9]{{2}}(:?[0-9]{{2}})?$')))"
    )
    num = f"TRY_CAST({c} AS DOUBLE)"
    return (
        f"CASE WHEN {offset} THEN TRY_CAST(TRY_CAST(trim({c}) AS TIMESTAMPTZ) AS TIMESTAMP) "
        f"ELSE COALESCE(TRY_CAST({c} AS TIMESTAMP), "
        f"CASE WHEN abs({num}) < 1e11 THEN to_timestamp({num})::TIMESTAMP END, "
        f"TRY_CAST(TRY_CAST(trim({c}) AS TIMESTAMPTZ) AS TIMESTAMP)) END"
    )


def typed_expr(f: Field, raw_type: str | None) -> str:
    """SQL turning a raw column into the field's type; NULL where it cannot."""
    target = DUCKDB_TYPES[f.kind]
    if raw_type is None:
        return f"CAST(NULL AS {target})"
    c = quote(f.name)
    if raw_type == "VARCHAR":
        return _typed_text(f, c)
    if (
        f.kind == Kind.timestamp
        and raw_type not in ("TIMESTAMP", "DATE")
        and "TIME" not in raw_type
    ):
        return f"CASE WHEN abs({c}) < 1e11 THEN to_timestamp({c})::TIMESTAMP END"
    if f.kind == Kind.json:
        return c if raw_type == "JSON" else f"CAST(to_json({c}) AS JSON)"
    if f.kind == Kind.double:
        return f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) THEN CAST({c} AS DOUBLE) END"
    return f"TRY_CAST({c} AS {target})"


@dataclass
class Typed:
    """A raw table typed into a temp table ``relation`` with flags ``_bad``/``_excluded``."""

    raw: RawTable
    relation: str
    checks: list[Check]
    rows: int
    bad: int
    excluded: int
    structural: int = 0  # rows the reader rejected before typing (e.g. wrong column count)


def _full_sql(
    raw: RawTable, schema: TableSchema, raw_types: dict[str, str], where: str = "true"
) -> str:
    """The raw rows (those where ``where`` holds) with their typed ``__t_`` columns."""
    typed = ", ".join(
        f"{typed_expr(f, raw_types.get(f.name))} AS {quote('__t_' + f.name)}" for f in schema.fields
    )
    rows = raw.sql if where == "true" else f"SELECT * FROM ({raw.sql}) AS r WHERE {where}"
    return f"SELECT *, {typed} FROM ({rows}) AS raw_rows"


def raw_columns(con: duckdb.DuckDBPyConnection, raw: RawTable) -> dict[str, str]:
    try:
        desc = con.execute(f"DESCRIBE {raw.sql}").fetchall()
    except duckdb.Error as exc:
        raise IngestError(
            f"{raw.file}: cannot read the file: {explain_unreadable(raw.file, exc)}"
        ) from exc
    return {str(name): str(kind) for name, kind, *_ in desc}


def _checks(
    con: duckdb.DuckDBPyConnection, raw: RawTable, options: IngestOptions
) -> tuple[dict[str, str], list[Check]]:
    schema = SCHEMAS[raw.table]
    raw_types = {k: v for k, v in raw_columns(con, raw).items() if k in schema.names}
    checks = (
        field_checks(schema, raw_types)
        + table_checks(schema, options, raw_types)
        + value_checks(schema, options, raw_types)
    )
    return raw_types, checks + raw.checks


def _any(checks: list[Check], fatal: bool) -> str:
    """SQL true where any (fatal or excluding) check holds; never NULL."""
    return " OR ".join(f"coalesce({c.condition}, false)" for c in checks if c.fatal == fatal) or (
        "false"
    )


def _raw_exclusions(checks: list[Check]) -> str | None:
    """The exclusions as one condition on raw rows; None when one needs a typed column."""
    excluding = [c for c in checks if not c.fatal]
    if not excluding or any("__t_" in c.condition for c in excluding):
        return None
    return _any(checks, False)


def raw_json(raw_types: dict[str, str]) -> str:
    """SQL for a row's raw values as JSON text: the ``raw`` column of the rejects file."""
    shown = ", ".join(f"{quote(n)} := {quote(n)}" for n in raw_types)
    return f"to_json(struct_pack({shown}))::VARCHAR"


def _why(checks: list[Check], raw_types: dict[str, str]) -> str:
    """Columns ``_why``, ``_why_column`` (the first exclusion that holds, if any) and
    ``_raw`` (the raw values of an excluded row, as bad rows show them)."""
    excluding = [c for c in checks if not c.fatal]
    if not excluding:
        return (
            "CAST(NULL AS VARCHAR) AS _why, CAST(NULL AS VARCHAR) AS _why_column, "
            "CAST(NULL AS VARCHAR) AS _raw"
        )
    why = "".join(f" WHEN {c.condition} THEN {c.reason}" for c in excluding)
    why_col = "".join(f" WHEN {c.condition} THEN {_sql_str(c.column)}" for c in excluding)
    raw = f"CASE WHEN {_any(checks, False)} THEN {raw_json(raw_types)} END"
    return f"CASE{why} END AS _why, CASE{why_col} END AS _why_column, {raw} AS _raw"


def fast_view(
    con: duckdb.DuckDBPyConnection, raw: RawTable, options: IngestOptions, relation: str
) -> Typed:
    """A view of the typed rows of ``raw.fast_sql`` that raises on the first bad row.

    Writing from it reads the input once, straight into the store; when it
    raises, the caller takes the careful path, which explains every bad row.
    Excluded rows are left out (see :func:`excluded_rows`), never raise.
    """
    assert raw.fast_sql is not None
    fast = replace(raw, sql=raw.fast_sql)
    raw_types, checks = _checks(con, fast, options)
    schema = SCHEMAS[raw.table]
    cols = ", ".join(f"{quote('__t_' + n)} AS {quote(n)}" for n in schema.names)
    # One WHEN per check (a NULL condition does not hold), exclusions first: an
    # excluded row never reaches error(), and each check looks only at the rows
    # no earlier one decided, which is cheaper than one OR of them all.
    # Exclusions on raw columns drop their rows before any typing is done.
    early = _raw_exclusions(checks)
    whens = [] if early else [(c, "false") for c in checks if not c.fatal]
    whens += [(c, f"error('{BAD_ROW}')") for c in checks if c.fatal]
    case = "".join(f" WHEN {c.condition} THEN {then}" for c, then in whens)
    full = _full_sql(fast, schema, raw_types, f"NOT ({early})" if early else "true")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {relation} AS SELECT {cols}, _row, false AS _bad, "
        f"false AS _excluded FROM ({full}) AS full_rows WHERE CASE{case} ELSE true END"
    )
    return Typed(raw, relation, checks, rows=-1, bad=0, excluded=0)


def excluded_rows(
    con: duckdb.DuckDBPyConnection, raw: RawTable, options: IngestOptions, relation: str
) -> Typed | None:
    """A view of the rows of ``raw.fast_sql`` the format excludes, with their reasons.

    None when the format excludes nothing. The view has the columns of
    :func:`build_typed`'s table, so the rejects file is written the same way;
    counting it types no row, and the rejects file types only excluded rows.
    """
    assert raw.fast_sql is not None
    fast = replace(raw, sql=raw.fast_sql)
    raw_types, checks = _checks(con, fast, options)
    if all(c.fatal for c in checks):
        return None
    schema = SCHEMAS[raw.table]
    cols = ", ".join(f"{quote('__t_' + n)} AS {quote(n)}" for n in schema.names)
    # Exclusions on raw columns select their rows before any typing is done.
    full = _full_sql(fast, schema, raw_types, _raw_exclusions(checks) or "true")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {relation} AS SELECT {cols}, _row, false AS _bad, "
        f"true AS _excluded, {_why(checks, raw_types)} FROM ({full}) AS full_rows "
        f"WHERE {_any(checks, False)}"
    )
    count = int(con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0])
    return Typed(raw, relation, checks, rows=count, bad=0, excluded=count)


def build_typed(
    con: duckdb.DuckDBPyConnection, raw: RawTable, options: IngestOptions, relation: str
) -> Typed:
    raw_types, checks = _checks(con, raw, options)
    schema = SCHEMAS[raw.table]
    fatal, excl = _any(checks, True), _any(checks, False)
    cols = ", ".join(f"{quote('__t_' + n)} AS {quote(n)}" for n in schema.names)
    try:
        # Why a row is excluded is worked out in the same pass: exclusions can be many.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT {cols}, _row, "
            f"NOT ({excl}) AND ({fatal}) AS _bad, ({excl}) AS _excluded, {_why(checks, raw_types)} "
            f"FROM ({_full_sql(raw, schema, raw_types)}) AS full_rows"
        )
    except duckdb.Error as exc:
        raise IngestError(
            f"{raw.file}: cannot read the file: {explain_unreadable(raw.file, exc)}"
        ) from exc
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open on the connection.
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (_bad), count(*) FILTER (_excluded) FROM {relation}"
    ).fetchall()[0]
    return Typed(raw, relation, checks, int(row[0]), int(row[1]), int(row[2]))


def row_issues(con: duckdb.DuckDBPyConnection, typed: Typed) -> list[RowIssue]:
    """Reasons for every bad row, plus the reader's structural issues.

    Excluded rows keep their reason in the typed table (``_why``); they are
    written to the rejects file straight from there.
    """
    issues = _bad_row_issues(con, typed) if typed.bad else []
    raw = typed.raw
    structural = raw.structural(con) if raw.structural else []
    typed.structural = len({i.row for i in structural})
    # Blank lines shift line numbers; they are looked for only when a row is reported,
    # as bad or excluded (a clean file is not read again for them).
    if issues or structural or typed.excluded:
        skipped = {i.row for i in structural}
        skipped |= set(raw.skipped_lines() if raw.skipped_lines else [])
        if skipped:
            issues = renumber(con, typed, issues, sorted(skipped))
    return _whole_row_first(issues + structural)


def _bad_row_issues(con: duckdb.DuckDBPyConnection, typed: Typed) -> list[RowIssue]:
    """Every failed check of every bad row, from a second look at those rows only."""
    raw, schema = typed.raw, SCHEMAS[typed.raw.table]
    raw_types = {k: v for k, v in raw_columns(con, raw).items() if k in schema.names}
    parts = [
        f"SELECT _row, {_sql_str(c.column)} AS col, {c.reason} AS reason, "
        f"{raw_json(raw_types)} AS raw FROM checked WHERE {c.condition}"
        for c in typed.checks
        if c.fatal
    ]
    sql = (
        f"WITH checked AS MATERIALIZED (SELECT * FROM ({_full_sql(raw, schema, raw_types)}) AS f "
        f"WHERE _row IN (SELECT _row FROM {typed.relation} WHERE _bad)) "
        + " UNION ALL ".join(parts)
        + " ORDER BY _row"
    )
    return [
        RowIssue(raw.file.name, int(row), col, str(reason), str(text))
        for row, col, reason, text in con.execute(sql).fetchall()
    ]


def _whole_row_first(issues: list[RowIssue]) -> list[RowIssue]:
    """Sorted issues; where a row is broken as a whole, only that reason is kept.

    A repeated header or a line with the wrong number of fields fails every
    column check too; the one real reason is enough.
    """
    found = sorted(issues, key=lambda i: (i.row, i.column or ""))
    whole = {i.row for i in found if i.column is None}
    return [i for i in found if i.row not in whole or i.column is None]


def renumber(
    con: duckdb.DuckDBPyConnection, typed: Typed, issues: list[RowIssue], rejected: list[int]
) -> list[RowIssue]:
    """Turn positions among accepted rows into file lines, skipping rejected lines."""
    shifts = [line - j for j, line in enumerate(rejected, start=1)]
    con.execute("CREATE OR REPLACE TEMP TABLE _shifts AS SELECT unnest(?::BIGINT[]) AS s", [shifts])
    con.execute(
        f"UPDATE {typed.relation} SET _row = _row + "
        f"(SELECT count(*) FROM _shifts WHERE s < {typed.relation}._row)"
    )
    con.execute("DROP TABLE _shifts")
    return [
        RowIssue(
            i.file, i.row + bisect.bisect_left(shifts, i.row), i.column, i.reason, i.raw, i.fatal
        )
        for i in issues
    ]


def _sql_str(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"
