"""DuckDB readers for delimited text, Parquet and JSON lines.

Each returns SQL that yields the file's own columns plus ``_file`` and
``_row``; delimited text also reports structural problems (wrong column
count, bytes that are not UTF-8) with their line numbers.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import os
import re
import shutil
import tempfile
import weakref
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import duckdb

from tailorwise.errors import IngestError, RowIssue
from tailorwise.ingest.formats.base import Check
from tailorwise.ingest.formats.diagnose import encoding_problem, explain_unreadable
from tailorwise.ingest.formats.line_ends import mixed_line_ends, one_line_end_copy, open_bytes
from tailorwise.store.sql import quote, sql_literal

REPEATED_HEADER = "repeated header line"
_DELIMITERS = (",", "\t", ";", "|")

_counter = itertools.count()

_REASONS = {
    "INVALID ENCODING": "bytes that are not valid UTF-8; save the file as UTF-8",
    "INVALID UNICODE": "bytes that are not valid UTF-8; save the file as UTF-8",
}


def _options(opts: Mapping[str, object]) -> str:
    parts = []
    for key, value in opts.items():
        if isinstance(value, bool):
            parts.append(f"{key}={str(value).lower()}")
        elif isinstance(value, str):
            parts.append(f"{key}={sql_literal(value)}")
        elif isinstance(value, Sequence):
            parts.append(f"{key}=[" + ", ".join(sql_literal(str(v)) for v in value) + "]")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)


class ReadOnce(NamedTuple):
    """SQL over a file read into memory; ``clean``: the reader rejected no line."""

    sql: str
    clean: bool


class DelimitedFile:
    """A delimited text file read as text columns, with its rejected lines."""

    def __init__(
        self,
        path: Path,
        *,
        delimiter: str | None = None,
        header: bool = True,
        names: Sequence[str] | None = None,
        encoding: str = "utf-8",
        quote_char: str | None = '"',
    ) -> None:
        self.path = path
        self.header = header
        n = next(_counter)
        self.rejects = f"_rejects_{n}"
        opts: dict[str, object] = {
            "all_varchar": True,
            "header": header,
            "store_rejects": True,
            "rejects_table": self.rejects,
            "rejects_scan": f"_rejects_scan_{n}",
            "null_padding": False,
            "strict_mode": True,
            "encoding": encoding,
        }
        if delimiter is not None:
            opts["delim"] = delimiter
        if names is not None:
            opts["names"] = list(names)
        if quote_char is None:
            opts["quote"] = ""
        self._opts = opts
        self._blank: list[int] | None = None
        self._source: Path | None = None

    def _readable(self) -> Path:
        """The file DuckDB reads: this one, or, when it mixes '\\r\\n' and '\\n' line
        ends (DuckDB cannot read that), a copy whose lines all end in '\\n'.

        The copy is removed with this reader, once the SQL that names it is done.
        """
        if self._source is None:
            self._source = self.path
            quoted = self._opts.get("quote") != ""
            if mixed_line_ends(self.path, quoted):
                self._source = one_line_end_copy(self.path, quoted)
                weakref.finalize(self, self._source.unlink, missing_ok=True)
        return self._source

    @property
    def scan(self) -> str:
        return self._scan(self._readable(), strict=False)

    @property
    def strict_scan(self) -> str:
        """The scan without a rejects table: a structural problem raises instead."""
        return self._scan(self._readable(), strict=True)

    def _scan(self, path: Path, *, strict: bool) -> str:
        opts = {k: v for k, v in self._opts.items() if not (strict and "rejects" in k)}
        return f"read_csv({sql_literal(str(path))}, {_options(opts)})"

    def _quick_header(self) -> list[str] | None:
        """The header read in Python: DuckDB's sniffer takes ~0.5 s on a gzipped file.

        Used only for plain UTF-8 headers with unique, clean names; anything
        unusual falls back to DuckDB's own DESCRIBE so both agree on names.
        """
        if not self.header or "names" in self._opts or self._opts.get("encoding") != "utf-8":
            return None
        opener = gzip.open if self.path.name.lower().endswith(".gz") else open
        try:
            with opener(self.path, "rt", encoding="utf-8", newline="") as fh:
                first = fh.readline(1 << 16).rstrip("\r\n").lstrip("\ufeff")
        except (OSError, UnicodeDecodeError, EOFError):
            return None
        delim = self._opts.get("delim") or max(_DELIMITERS, key=first.count)
        if not isinstance(delim, str) or first.count(delim) == 0:
            return None
        names = next(csv.reader([first], delimiter=delim))
        clean = all(n and n == n.strip() and '"' not in n for n in names)
        if not clean or len(set(names)) != len(names):
            return None
        self._opts["delim"] = delim
        return names

    def columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        if self.path.stat().st_size == 0:
            raise IngestError(f"{self.path}: the file is empty; there is nothing to ingest.")
        wide = encoding_problem(self.path) if self._opts.get("encoding") == "utf-8" else None
        if wide:
            raise IngestError(f"{self.path}: {wide}")
        quick = self._quick_header()
        if quick is not None:
            return quick
        try:
            return [
                str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {self.scan}").fetchall()
            ]
        except duckdb.Error as exc:
            why = explain_unreadable(self.path, exc)
            raise IngestError(f"{self.path}: cannot read as delimited text: {why}") from exc

    def select(self, exprs: Mapping[str, str], strict: bool = False) -> str:
        """SQL selecting ``canonical name -> SQL expression over the file's columns``.

        ``strict``: read with :attr:`strict_scan` (for the one-pass ingest).
        """
        cols = ", ".join(f"{expr} AS {quote(name)}" for name, expr in exprs.items())
        offset = 1 if self.header else 0
        return (
            f"SELECT {cols}, {sql_literal(self.path.name)} AS _file, "
            f"row_number() OVER () + {offset} AS _row FROM {self.strict_scan if strict else self.scan}"
        )

    def select_once(self, con: duckdb.DuckDBPyConnection, exprs: Mapping[str, str]) -> ReadOnce:
        """Read the file once, with ``exprs`` applied, into a temp table; SQL over it.

        For formats that derive several tables from one file: each derived
        table then reads memory, not the (often gzipped) file again, and the
        expressions run once. The engine drops ``_src_*`` tables at the end.

        The strict scan runs first: it is cheaper than keeping a rejects
        table, and a clean file needs none. Only a file with a structural
        problem is read a second time, with the rejects table.
        """
        name = f"_src_{next(_counter)}"
        cols = ", ".join(f"{expr} AS {quote(n)}" for n, expr in exprs.items())
        clean = True
        with plain_text(self._readable()) as path:
            for strict in (True, False):
                try:
                    scan = self._scan(path, strict=strict)
                    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {scan}")
                    break
                except duckdb.Error as exc:
                    if not clean:
                        why = explain_unreadable(self.path, exc)
                        raise IngestError(
                            f"{self.path}: cannot read as delimited text: {why}"
                        ) from exc
                    clean = False
            if path != self.path:  # a gunzipped copy: searched now, not decompressed again later
                self._blank = _blank_lines(path)
        # A fresh table's rowid counts its rows in insertion (file) order, which
        # saves the window that row_number() would need.
        offset = 2 if self.header else 1
        sql = (
            f"SELECT *, {sql_literal(self.path.name)} AS _file, rowid + {offset} AS _row "
            f"FROM {name}"
        )
        return ReadOnce(sql, clean)

    def repeated_header(self, mapping: Mapping[str, str]) -> Check:
        """A check for header lines repeated inside the data (concatenated exports)."""
        cond = " AND ".join(
            f"{quote(canon)} = {sql_literal(src)}" for canon, src in mapping.items()
        )
        return Check(None, cond or "false", f"'{REPEATED_HEADER}'")

    def blank_lines(self) -> list[int]:
        """Physical numbers of empty lines, which the reader skips without a trace.

        Read only where rows are reported (bad or excluded), to turn row
        positions into line numbers.
        """
        if self._blank is None:
            self._blank = _blank_lines(self.path)
        return self._blank

    def silent_structural(self, con: duckdb.DuckDBPyConnection) -> list[RowIssue]:
        """Clear this scan's rejects without reporting them.

        For a second table read from the same file: the first reports them once.
        """
        self.structural(con)
        return []

    def structural(self, con: duckdb.DuckDBPyConnection) -> list[RowIssue]:
        try:
            rows = con.execute(
                f"SELECT line, any_value(column_name), any_value(error_type), "
                f"any_value(error_message), any_value(csv_line) FROM {self.rejects} "
                "GROUP BY line ORDER BY line"
            ).fetchall()
        except duckdb.CatalogException:
            return []
        issues = []
        for line, column, kind, message, raw in rows:
            reason = _REASONS.get(str(kind), str(message).split("\n")[0])
            col = None if "COLUMNS" in str(kind) else column
            if "COLUMNS" in str(kind):
                counts = re.findall(r"\d+", str(message))
                reason = "wrong number of columns" + (
                    f": expected {counts[0]}, found {counts[1]}" if len(counts) >= 2 else ""
                )
            issues.append(RowIssue(self.path.name, int(line), col, reason, str(raw or "")))
        con.execute(f"DROP TABLE IF EXISTS {self.rejects}")
        con.execute(f"DROP TABLE IF EXISTS {self.rejects.replace('_rejects_', '_rejects_scan_')}")
        return issues


# A line that is empty, or holds only '\r': a newline right after a newline.
_EMPTY_LINE = re.compile(rb"\n\r?\n")


def _blank_lines(path: Path) -> list[int]:
    """Numbers of the empty lines of a (maybe gzipped) file.

    Most files have none: one regular-expression search per block (0.04 s for
    Online Retail's 45 MB) says so; only a file with one is read line by line.
    """
    with open_bytes(path) as fh:
        tail = b"\n"  # the start of the file counts as the start of a line
        while block := fh.read(1 << 22):
            if _EMPTY_LINE.search(tail + block[:2]) or _EMPTY_LINE.search(block):
                break
            tail = (tail + block[-2:])[-2:]
        else:
            if not tail.endswith(b"\n\r"):  # nor a last line of only '\r'
                return []
        fh.seek(0)
        return [n for n, line in enumerate(fh, start=1) if line in (b"\n", b"\r\n", b"\r")]


# DuckDB reads a gzipped CSV on one thread. Decompressing it to a temp file
# first (0.12 s for Online Retail's 7.5 MB) lets it read the text on every
# core, which more than pays for itself. Large files are read as they are:
# the copy would take disk space the machine may not have.
GUNZIP_LIMIT = 256 << 20  # compressed bytes
_GUNZIP_SPACE = 12  # free temp space wanted, in multiples of the compressed size


@contextmanager
def plain_text(path: Path) -> Iterator[Path]:
    """``path`` itself, or a decompressed temp copy of a gzipped one, removed afterwards."""
    size = path.stat().st_size
    tmp_dir = tempfile.gettempdir()
    if (
        not path.name.lower().endswith(".gz")
        or size > GUNZIP_LIMIT
        or shutil.disk_usage(tmp_dir).free < _GUNZIP_SPACE * size
    ):
        yield path
        return
    fd, name = tempfile.mkstemp(prefix="tailorwise-", suffix=".csv", dir=tmp_dir)
    copy = Path(name)
    try:
        try:
            with gzip.open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
        except (OSError, EOFError, zlib.error) as exc:
            raise IngestError(f"{path}: cannot decompress the gzipped file: {exc}") from exc
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def parquet_select(path: Path, exprs: Mapping[str, str]) -> str:
    cols = ", ".join(f"{expr} AS {quote(name)}" for name, expr in exprs.items())
    return (
        f"SELECT {cols}, {sql_literal(path.name)} AS _file, file_row_number + 1 AS _row "
        f"FROM read_parquet({sql_literal(str(path))}, file_row_number=true)"
    )


def json_scan(path: Path) -> str:
    return (
        f"read_json({sql_literal(str(path))}, format='newline_delimited', records=true, "
        "sample_size=-1)"
    )


def json_select(path: Path, exprs: Mapping[str, str]) -> str:
    cols = ", ".join(f"{expr} AS {quote(name)}" for name, expr in exprs.items())
    return (
        f"SELECT {cols}, {sql_literal(path.name)} AS _file, row_number() OVER () AS _row "
        f"FROM {json_scan(path)}"
    )


def scan_columns(con: duckdb.DuckDBPyConnection, path: Path, scan: str) -> list[str]:
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty; there is nothing to ingest.")
    try:
        return [str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    except duckdb.Error as exc:
        raise IngestError(f"{path}: cannot read the file: {str(exc).splitlines()[0]}") from exc
