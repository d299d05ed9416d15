"""Hillstrom's MineThatData E-Mail Challenge (2008): a randomised e-mail test.

One campaign, ``hillstrom-2008``, and one exposure per row: the arm
(``mens_email``, ``womens_email`` or ``control`` for "No E-Mail") with the
two-week outcomes visit, conversion and spend. The file has no customer id,
so user ``hillstrom-<n>`` is the n-th data row; the customer columns become
that user's attributes. No propensity is stored: the file does not log one
(the arms were drawn with equal probability).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.formats.base import Check, IngestOptions, RawTable
from tailorwise.ingest.formats.readers import DelimitedFile
from tailorwise.store.sql import quote, sql_literal

CAMPAIGN_ID = "hillstrom-2008"
CAMPAIGN_NAME = "MineThatData E-Mail Challenge"
ARMS = {"Mens E-Mail": "mens_email", "Womens E-Mail": "womens_email", "No E-Mail": "control"}
# User attributes: column -> DuckDB type in the attributes JSON.
ATTRIBUTES = {
    "recency": "BIGINT",
    "history_segment": "VARCHAR",
    "history": "DOUBLE",
    "mens": "BIGINT",
    "womens": "BIGINT",
    "zip_code": "VARCHAR",
    "newbie": "BIGINT",
    "channel": "VARCHAR",
}
OUTCOMES = ("segment", "visit", "conversion", "spend")
_DESCRIPTION = (
    "Kevin Hillstrom's 2008 test: customers who bought in the last twelve months were "
    "randomly sent a men's e-mail, a women's e-mail or no e-mail; outcomes over two weeks."
)


def _text(col: str) -> str:
    return f"NULLIF(trim({quote(col)}), '')"


def _user(row: str) -> str:
    # The n-th data row, whatever the header line count.
    return f"'hillstrom-' || CAST({row} AS VARCHAR)"


def _source_file(path: Path) -> Path:
    if not path.is_dir():
        return path
    found = sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(".csv"))
    if len(found) != 1:
        raise IngestError(
            f"{path}: expected one .csv file in the folder, found {len(found)}; pass the file."
        )
    return found[0]


def _check_columns(file: Path, columns: list[str]) -> None:
    missing = [c for c in (*ATTRIBUTES, *OUTCOMES) if c not in columns]
    if missing:
        raise IngestError(
            f"{file}: not a Hillstrom file: no column(s) {', '.join(missing)} "
            f"(the file has: {', '.join(columns)})."
        )


def _exposures(reader: DelimitedFile) -> RawTable:
    arm = (
        "CASE "
        + " ".join(
            f"WHEN {_text('segment')} = {sql_literal(k)} THEN {sql_literal(v)}"
            for k, v in ARMS.items()
        )
        + f" ELSE {_text('segment')} END"
    )
    exprs = {
        C.campaign: sql_literal(CAMPAIGN_ID),
        C.treatment: arm,
        C.visit: quote("visit"),
        C.conversion: quote("conversion"),
        C.revenue: quote("spend"),
        "_segment": _text("segment"),
    }
    sql = f"SELECT *, {_user('_row - 1')} AS {C.user} FROM ({reader.select(exprs)}) AS e"
    known = ", ".join(sql_literal(k) for k in ARMS)
    check = Check(
        C.treatment,
        f"_segment IS NOT NULL AND _segment NOT IN ({known})",
        "'unknown segment ' || left(to_json(_segment)::VARCHAR, 60) || '; expected one of: "
        + ", ".join(ARMS)
        + "'",
    )
    return RawTable(Table.exposures, reader.path, sql, [check], reader.structural, 1)


def _users(reader: DelimitedFile) -> RawTable:
    pairs = ", ".join(
        f"{name} := TRY_CAST({_text(name)} AS {kind})" for name, kind in ATTRIBUTES.items()
    )
    raw = {f"_{name}": _text(name) for name, kind in ATTRIBUTES.items() if kind != "VARCHAR"}
    exprs = {C.attributes: f"to_json(struct_pack({pairs}))", **raw}
    sql = f"SELECT *, {_user('_row - 1')} AS {C.user} FROM ({reader.select(exprs)}) AS u"
    checks = [
        Check(
            C.attributes,
            f"{col} IS NOT NULL AND TRY_CAST({col} AS {ATTRIBUTES[col[1:]]}) IS NULL",
            f"'cannot read ' || left(to_json({col})::VARCHAR, 60) || ' as a number ({col[1:]})'",
        )
        for col in raw
    ]
    return RawTable(Table.users, reader.path, sql, checks, reader.silent_structural, 1)


def _campaign(file: Path) -> RawTable:
    sql = (
        f"SELECT {sql_literal(CAMPAIGN_ID)} AS {C.campaign}, {sql_literal(CAMPAIGN_NAME)} AS name, "
        f"{sql_literal(_DESCRIPTION)} AS description, 'email' AS {C.channel}, "
        f"{sql_literal(file.name)} AS _file, 1 AS _row"
    )
    return RawTable(Table.campaigns, file, sql, header_lines=1)


class HillstromLoader:
    name = "hillstrom"
    description = "Hillstrom MineThatData e-mail test (2008): campaign, exposures, users"

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]:
        file = _source_file(path)
        users, exposures = (DelimitedFile(file, delimiter=options.delimiter) for _ in range(2))
        _check_columns(file, users.columns(con))
        return [_campaign(file), _users(users), _exposures(exposures)]
