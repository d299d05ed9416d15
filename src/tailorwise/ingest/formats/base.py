"""What a format loader hands the ingest engine.

A loader turns files into *raw tables*: DuckDB SQL that yields canonical
column names (any type; text is fine) plus ``_file`` and ``_row``. The engine
types, validates and writes them, so validation is written once for all
formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import duckdb
from pydantic import BaseModel, ConfigDict

from tailorwise.columns import Table
from tailorwise.errors import RowIssue


@dataclass(frozen=True)
class Check:
    """A row-level rule in SQL over the raw columns and the typed ``__t_<name>`` columns.

    ``reason`` is a SQL string expression. Non-fatal checks mark rows that
    the format excludes on purpose: reported, not loaded, never fatal.
    """

    column: str | None
    condition: str
    reason: str
    fatal: bool = True


StructuralIssues = Callable[[duckdb.DuckDBPyConnection], list[RowIssue]]
SkippedLines = Callable[[], list[int]]


@dataclass
class RawTable:
    """One input file's rows for one canonical table."""

    table: Table
    file: Path
    sql: str
    checks: list[Check] = field(default_factory=list)
    structural: StructuralIssues | None = None
    # Rows before the first data row: 1 for a CSV header, 0 otherwise.
    header_lines: int = 0
    # Lines the reader skips silently (blank lines), to number rows right.
    skipped_lines: SkippedLines | None = None
    # The same rows read so that any structural problem raises (no rejects table):
    # lets the engine write in one pass and fall back to ``sql`` only on failure.
    fast_sql: str | None = None


# Ratings outside this range are rejected unless --rating-min/--rating-max say otherwise.
DEFAULT_RATING_RANGE = (0.0, 5.0)


class IngestOptions(BaseModel):
    """Options every format understands."""

    model_config = ConfigDict(extra="forbid")

    rating_min: float | None = None
    rating_max: float | None = None
    # When events, exposures and campaigns may have happened: [min_date, max_date).
    min_date: date = date(1970, 1, 1)
    max_date: date = date(2100, 1, 1)
    column_map: dict[str, str] = {}
    delimiter: str | None = None


class Loader(Protocol):
    """Turns a file or a data set's folder into raw tables."""

    name: str
    description: str

    def raw_tables(
        self, path: Path, con: duckdb.DuckDBPyConnection, options: IngestOptions
    ) -> list[RawTable]: ...
