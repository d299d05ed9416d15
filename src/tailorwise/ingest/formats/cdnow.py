"""CDNOW transaction log (Fader & Hardie): one purchase per line, no items.

Lines hold ``customer_id date number_of_cds dollar_value`` separated by any
run of spaces or tabs, dates as YYYYMMDD. The header line that the
``lifetimes`` copy adds is optional: Hardie's original has none. Customer
ids are kept as written (``00001``). Blank lines are skipped.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tailorwise.columns import Columns as C
from tailorwise.columns import EventType, Table
from tailorwise.errors import IngestError
from tailorwise.ingest.formats.base import Check, IngestOptions, RawTable
from tailorwise.ingest.formats.readers import DelimitedFile

FIELDS = ("customer_id", "date", "number_of_cds", "dollar_value")
# A byte that never occurs in the file: every line is read as one column.
_WHOLE_LINE = "\x1f"
_VALID = "regexp_full_match({date}, '[0-9]{{8}}') AND try_strptime({date}, '%Y%m%d') IS NOT NULL"


def header_line(file: Path) -> int:
    """The line number of the header (0 when none): the first non-blank line, if its
    first field is not a number."""
    with file.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            fields = raw.decode("utf-8", errors="replace").split()
            if fields:
                return 0 if fields[0].isdigit() else number
    raise IngestError(f"{file}: the file holds no data lines; there is nothing to ingest.")


def _source_file(path: Path) -> Path:
    if not path.is_dir():
        return path
    found = sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(".txt"))
    if len(found) != 1:
        raise IngestError(
            f"{path}: expected one .txt file in the folder, found {len(found)}; pass the file."
        )
    return found[0]


def _events_sql(reader: DelimitedFile, header: int) -> str:
    fields = "regexp_split_to_array(trim(line, ' \t\r'), '[ \t]+')"
    date = "f[2]"
    # A valid YYYYMMDD as ISO; anything else passes through (see _checks).
    iso = (
        f"CASE WHEN {_VALID.format(date=date)} THEN "
        f"{date}[1:4] || '-' || {date}[5:6] || '-' || {date}[7:8] ELSE {date} END"
    )
    inner = reader.select({"line": "line"})
    return (
        f"SELECT f[1] AS {C.user}, CAST(NULL AS VARCHAR) AS {C.item}, "
        f"'{EventType.purchase.value}' AS {C.type}, {iso} AS {C.timestamp}, "
        f"f[3] AS {C.quantity}, f[4] AS {C.amount}, len(f) AS _fields, {date} AS _date, "
        f"_file, _row FROM (SELECT {fields} AS f, _file, _row FROM ({inner}) AS l "
        f"WHERE NULLIF(trim(line, ' \t\r'), '') IS NOT NULL AND _row <> {header}) "
        "AS s"
    )


def _checks() -> list[Check]:
    return [
        Check(
            None,
            f"_fields <> {len(FIELDS)}",
            f"'expected {len(FIELDS)} fields ({' '.join(FIELDS)}), found ' || _fields",
        ),
        # The engine would read any other number as epoch seconds.
        Check(
            C.timestamp,
            f"regexp_full_match(_date, '[0-9]+') AND NOT ({_VALID.format(date='_date')})",
            "'cannot read ' || left(to_json(_date)::VARCHAR, 60) || ' as a date (YYYYMMDD)'",
        ),
    ]


class CDNowLoader:
    name = "cdnow"
    description = "CDNOW transaction log (customer_id date number_of_cds dollar_value)"

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]:
        file = _source_file(path)
        header = header_line(file)
        reader = DelimitedFile(
            file, delimiter=_WHOLE_LINE, header=False, names=["line"], quote_char=None
        )
        reader.columns(con)  # fails early, with the file named, if it cannot be read
        sql = _events_sql(reader, header)
        return [RawTable(Table.events, file, sql, _checks(), reader.structural, header)]
