"""Ingest files into a store: load, type, validate, then write atomically.

With ``on_error="fail"`` (the default) one bad row rejects the whole input
and nothing is written. With ``"skip"`` the good rows are written and the
bad ones go to a rejects file with their reasons. Rows a format excludes on
purpose are written to the rejects file in both modes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import duckdb
import pyarrow as pa
from pydantic import BaseModel

from tailorwise.columns import Columns as C
from tailorwise.data.formats import IngestOptions, RawTable, get_loader
from tailorwise.data.schema import SCHEMAS
from tailorwise.data.validate import Typed, build_typed, fast_view, row_issues
from tailorwise.errors import IngestError, RowIssue, TailorwiseError
from tailorwise.store.base import DataStore, SourceRecord, StagedBatch, StagedTable
from tailorwise.store.sql import quote

Progress = Callable[[str, int, int], None]
MAX_SHOWN = 20


class OnError(StrEnum):
    fail = "fail"
    skip = "skip"


class FileReport(BaseModel):
    file: str
    table: str
    loaded: int
    rejected: int
    excluded: int


class IngestReport(BaseModel):
    path: str
    format: str
    files: list[FileReport]
    rejects_path: str | None
    issues_shown: list[str]
    seconds: float
    one_pass: bool = False  # read straight into the store (clean input, fail mode)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def excluded(self) -> int:
        return sum(f.excluded for f in self.files)


FULL_HASH_LIMIT = 64 << 20
_SAMPLES = 16
_BLOCK = 1 << 20


def fingerprint(path: Path, fmt: str, options: IngestOptions) -> str:
    """Id of one input: its bytes, format and options. Same input, same id.

    Files up to 64 MiB are hashed whole. Larger ones are hashed by size and
    16 spread 1 MiB blocks (first and last included), which keeps a 10M-row
    file's fingerprint under a few milliseconds; two different exports of
    that size do not agree on all sampled blocks.
    """
    h = hashlib.sha256(f"{fmt}\n{options.model_dump_json()}\n".encode())
    size = path.stat().st_size
    h.update(str(size).encode())
    with path.open("rb") as fh:
        if size <= FULL_HASH_LIMIT:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
        else:
            step = (size - _BLOCK) // (_SAMPLES - 1)
            for n in range(_SAMPLES):
                fh.seek(n * step)
                h.update(fh.read(_BLOCK))
    return h.hexdigest()[:20]


def _staged_view(typed: Typed, source_id: str) -> tuple[str, str]:
    """SQL creating the view of rows to write, and the view's name."""
    schema = SCHEMAS[typed.raw.table]
    view = typed.relation + "_ok"
    cols = ", ".join(quote(n) for n in schema.names)
    if schema.appended:
        body = (
            f"SELECT {cols}, '{source_id}' AS {C.source}, _row AS {C.source_row} "
            f"FROM {typed.relation} WHERE NOT _bad AND NOT _excluded"
        )
    else:  # one row per key: the last one in the file wins
        keys = ", ".join(quote(k) for k in schema.key)
        body = (
            f"SELECT {cols} FROM (SELECT *, row_number() OVER (PARTITION BY {keys} "
            f"ORDER BY _row DESC) AS _n FROM {typed.relation} WHERE NOT _bad AND NOT _excluded) "
            "WHERE _n = 1"
        )
    return f"CREATE OR REPLACE TEMP VIEW {view} AS {body}", view


def write_rejects(
    con: duckdb.DuckDBPyConnection, path: Path, issues: list[RowIssue], typed_all: list[Typed]
) -> None:
    """One CSV of every row not loaded: bad rows with their reasons, then excluded rows.

    Each part is in file order already, so the (slow, large) sort is skipped.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    bad = pa.table(
        {
            "file": [i.file for i in issues],
            "row": pa.array([i.row for i in issues], pa.int64()),
            "column": [i.column or "" for i in issues],
            "reason": [i.reason for i in issues],
            "kind": ["rejected"] * len(issues),
            "raw": [i.raw for i in issues],
        }
    )
    con.register("_bad_issues", bad)
    parts = ["SELECT * FROM _bad_issues"]
    for t in typed_all:
        if t.excluded:
            names = SCHEMAS[t.raw.table].names
            shown = ", ".join(f"{quote(n)} := {quote(n)}" for n in names)
            parts.append(
                f"SELECT '{t.raw.file.name.replace(chr(39), chr(39) * 2)}', _row, "
                f"coalesce(_why_column, ''), _why, "
                f"'excluded', to_json(struct_pack({shown}))::VARCHAR FROM {t.relation} "
                "WHERE _excluded"
            )
    target = str(path).replace("'", "''")
    try:
        con.execute(f"COPY ({' UNION ALL '.join(parts)}) TO '{target}' (FORMAT csv, HEADER)")
    finally:
        con.unregister("_bad_issues")


def _failure(path: Path, issues: list[RowIssue]) -> IngestError:
    fatal = [i for i in issues if i.fatal]
    rows = len({(i.file, i.row) for i in fatal})
    lines = [f"{path}: {rows} bad row(s); nothing was written."]
    lines += ["  " + i.describe() for i in fatal[:MAX_SHOWN]]
    if len(fatal) > MAX_SHOWN:
        lines.append(f"  ... and {len(fatal) - MAX_SHOWN} more")
    lines.append(
        "Fix these rows, or pass --on-error skip to load the good rows and write "
        "the bad ones to a rejects file."
    )
    return IngestError("\n".join(lines), fatal, rows)


def ingest(
    path: str | Path,
    fmt: str,
    store: DataStore,
    *,
    on_error: OnError | str = OnError.fail,
    rejects_path: str | Path | None = None,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest ``path`` (a file or a data set's folder) in format ``fmt`` into ``store``."""
    start = time.perf_counter()
    src, mode, opts = Path(path).expanduser(), OnError(on_error), options or IngestOptions()
    if not src.exists():
        raise IngestError(f"{src}: no such file or folder.")
    con = store.staging()
    raws = get_loader(fmt).raw_tables(src, con, opts)
    if mode == OnError.fail and _one_pass_possible(con, raws):
        files = _one_pass(con, raws, fmt, opts, store, progress)
        if files is not None:
            return IngestReport(
                path=str(src),
                format=fmt,
                files=files,
                rejects_path=None,
                issues_shown=[],
                seconds=time.perf_counter() - start,
                one_pass=True,
            )
    steps = len(raws) + 1
    typed_all: list[Typed] = []
    issues: list[RowIssue] = []
    try:
        for n, raw in enumerate(raws):
            if progress:
                progress(f"reading {raw.file.name} ({raw.table})", n, steps)
            typed = build_typed(con, raw, opts, f"_stage_{n}")
            typed_all.append(typed)
            issues += _issues_of(con, typed)
        if any(i.fatal for i in issues) and mode == OnError.fail:
            raise _failure(src, issues)
        dropped = issues or any(t.excluded for t in typed_all)
        rejects = Path(rejects_path) if dropped and rejects_path is not None else None
        if rejects:
            write_rejects(con, rejects, issues, typed_all)
        if progress:
            progress("writing to the store", steps - 1, steps)
        store.write(_batch(con, fmt, opts, typed_all))
        if progress:
            progress("done", steps, steps)
    finally:
        _drop_staging(con, typed_all)
    return IngestReport(
        path=str(src),
        format=fmt,
        files=[_file_report(t) for t in typed_all],
        rejects_path=str(rejects) if rejects else None,
        issues_shown=[i.describe() for i in issues if i.fatal][:MAX_SHOWN],
        seconds=time.perf_counter() - start,
    )


def _one_pass_possible(con: duckdb.DuckDBPyConnection, raws: list[RawTable]) -> bool:
    """Every table can be read strictly, excludes nothing, and has rows."""
    if not all(r.fast_sql and all(c.fatal for c in r.checks) for r in raws):
        return False
    # An empty input must fail with its own message, which the careful path gives.
    try:
        return all(con.execute(f"SELECT 1 FROM ({r.fast_sql}) LIMIT 1").fetchall() for r in raws)
    except duckdb.Error:
        return False


def _one_pass(
    con: duckdb.DuckDBPyConnection,
    raws: list[RawTable],
    fmt: str,
    opts: IngestOptions,
    store: DataStore,
    progress: Progress | None,
) -> list[FileReport] | None:
    """Read each input once, straight into the store; None if any row failed.

    The usual input is clean, and then typing it into a staging table first
    would only copy every row once more. Views raise on the first bad row;
    the store rolls back, and the caller's careful path explains the rows.
    """
    typed_all: list[Typed] = []
    ids: dict[Path, str] = {}
    batch = StagedBatch(sources=[])
    try:
        for n, raw in enumerate(raws):
            typed = fast_view(con, raw, opts, f"_fast_{n}")
            typed_all.append(typed)
            if raw.file not in ids:
                ids[raw.file] = fingerprint(raw.file, fmt, opts)
                path = str(raw.file.resolve())
                batch.sources.append(SourceRecord(ids[raw.file], path, fmt, -1, 0))
            sql, view = _staged_view(typed, ids[raw.file])
            con.execute(sql)
            batch.tables.append(StagedTable(raw.table, view, ids[raw.file]))
        if progress:
            progress("reading and writing in one pass", 0, 1)
        store.write(batch)
    except (TailorwiseError, duckdb.Error):
        return None
    finally:
        _drop_staging(con, typed_all, views=True)
    # Rows per source file; one-pass formats map each file to exactly one table.
    written = {s.source_id: s.rows for s in store.sources()}
    if progress:
        progress("done", 1, 1)
    return [
        FileReport(
            file=t.raw.file.name,
            table=t.raw.table.value,
            loaded=written[ids[t.raw.file]],
            rejected=0,
            excluded=0,
        )
        for t in typed_all
    ]


def _drop_staging(
    con: duckdb.DuckDBPyConnection, typed_all: list[Typed], views: bool = False
) -> None:
    for t in typed_all:
        con.execute(f"DROP VIEW IF EXISTS {t.relation}_ok")
        con.execute(f"DROP {'VIEW' if views else 'TABLE'} IF EXISTS {t.relation}")
    cached = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, '_src_')"
    ).fetchall()
    for (name,) in cached:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _issues_of(con: duckdb.DuckDBPyConnection, typed: Typed) -> list[RowIssue]:
    found = row_issues(con, typed)
    if typed.rows == 0 and not found:
        found.append(
            RowIssue(typed.raw.file.name, typed.raw.header_lines, None, "the file has no data rows")
        )
    return found


def default_rejects_path(src: str | Path) -> Path:
    """Where the command line writes rejected rows unless told otherwise."""
    return Path.cwd() / "rejects" / f"{Path(src).name}.rejects.csv"


def _file_report(typed: Typed) -> FileReport:
    return FileReport(
        file=typed.raw.file.name,
        table=typed.raw.table.value,
        loaded=typed.rows - typed.bad - typed.excluded,
        rejected=typed.bad + typed.structural,
        excluded=typed.excluded,
    )


def _batch(
    con: duckdb.DuckDBPyConnection, fmt: str, opts: IngestOptions, typed_all: list[Typed]
) -> StagedBatch:
    ids: dict[Path, str] = {}
    batch = StagedBatch(sources=[])
    for t in typed_all:
        file = t.raw.file
        if file not in ids:
            ids[file] = fingerprint(file, fmt, opts)
            mine = [x for x in typed_all if x.raw.file == file]
            rows = sum(x.rows - x.bad - x.excluded for x in mine)
            dropped = sum(x.bad + x.structural + x.excluded for x in mine)
            batch.sources.append(SourceRecord(ids[file], str(file.resolve()), fmt, rows, dropped))
        sql, view = _staged_view(t, ids[file])
        con.execute(sql)
        batch.tables.append(StagedTable(t.raw.table, view))
    return batch
