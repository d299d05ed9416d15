"""Amazon product reviews (McAuley, 2014 release): JSON lines, plain or gzipped.

One ``review`` event per line. Lines are read whole and parsed with SQL, so
a line that is not valid JSON is reported with its line number instead of
failing the file as a whole, and ``--on-error skip`` can drop it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.formats.base import Check, IngestOptions, RawTable
from tailorwise.ingest.formats.movielens import scale_checks
from tailorwise.ingest.formats.readers import DelimitedFile
from tailorwise.store.sql import quote

SCALE = (1.0, 5.0)
SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz")

_FIELDS = {
    C.user: "j->>'$.reviewerID'",
    C.item: "j->>'$.asin'",
    C.type: "'review'",
    C.value: "j->>'$.overall'",
    C.text: "j->>'$.reviewText'",
    # unixReviewTime is the exact field; reviewTime ("09 18, 2004") only when it is absent.
    C.timestamp: "coalesce(j->>'$.unixReviewTime', "
    "strftime(try_strptime(j->>'$.reviewTime', '%m %d, %Y'), '%Y-%m-%d'))",
    C.context: "json_object('summary', j->'$.summary', 'helpful', j->'$.helpful', "
    "'reviewer_name', j->'$.reviewerName')::VARCHAR",
}

_NOT_JSON = Check(
    None,
    "NOT _object",
    "CASE WHEN _valid THEN 'the line is JSON but not an object {...}' "
    "WHEN starts_with(_line, '{''') THEN 'the line is not valid JSON (it looks like a Python "
    "dict with single quotes; use the strict-JSON copy of the file)' "
    "ELSE 'the line is not valid JSON: ' || left(_line, 40) END",
)


def review_files(path: Path) -> list[Path]:
    """The JSON lines files of ``path``: the file itself, or those in the folder."""
    if path.is_file():
        return [path]
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(SUFFIXES)
    )
    if not files:
        raise IngestError(
            f"{path}: the folder holds no reviews file; expected a .json or .json.gz file of "
            "JSON lines (reviewerID, asin, overall, reviewText, unixReviewTime, ...)."
        )
    return files


def reviews_table(path: Path, options: IngestOptions) -> RawTable:
    """One review event per line of a JSON lines file."""
    # \x01 cannot occur unescaped in valid JSON: each line arrives as one column.
    reader = DelimitedFile(path, delimiter="\x01", header=False, names=["_line"], quote_char=None)
    lines = reader.select({"_line": quote("_line")})
    cols = ", ".join(f"{expr} AS {quote(name)}" for name, expr in _FIELDS.items())
    sql = (
        f"SELECT {cols}, _line, _valid, coalesce(json_type(j) = 'OBJECT', false) AS _object, "
        "_file, _row FROM (SELECT *, CASE WHEN _valid THEN _line::JSON END AS j FROM "
        f"(SELECT *, coalesce(json_valid(_line), false) AS _valid FROM ({lines}) AS l "
        "WHERE NULLIF(trim(_line), '') IS NOT NULL) AS v) AS p"
    )
    checks = [_NOT_JSON, *scale_checks(options, SCALE, "Amazon reviews")]
    return RawTable(Table.events, path, sql, checks, reader.structural)


class AmazonReviewsLoader:
    name = "amazon-reviews"
    description = "Amazon reviews 2014 (JSON lines, .json or .json.gz): one review event per line"

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]:
        return [reviews_table(p, options) for p in review_files(path)]
