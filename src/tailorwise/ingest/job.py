"""Ingest files into a store: load, type, validate, then write atomically.

With ``on_error="fail"`` (the default) one bad row rejects the whole input
and nothing is written. With ``"skip"`` the good rows are written and the
bad ones go to a rejects file with their reasons. Rows a format excludes on
purpose are written to the rejects file in both modes.

Clean input, the usual case, is read in one pass straight into the store
(:mod:`tailorwise.ingest.fast_path`); only when a row fails does the careful
path below type every table into staging tables and explain each bad row.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
from pydantic import BaseModel

from tailorwise.errors import IngestError, RowIssue
from tailorwise.ingest.careful_path import (
    FileReport,
    Job,
    drop_staging,
    fingerprint,
    staged_view,
    write_rejects,
)
from tailorwise.ingest.fast_path import one_pass
from tailorwise.ingest.formats import get_loader
from tailorwise.ingest.formats.base import IngestOptions, RawTable
from tailorwise.ingest.options import OnError
from tailorwise.ingest.validate import Typed, build_typed, row_issues
from tailorwise.progress import ProgressCallback
from tailorwise.store.base import DataStore, SourceRecord, StagedBatch, StagedTable

__all__ = ["FileReport", "IngestReport", "OnError", "default_rejects_path", "ingest"]

MAX_SHOWN = 20


class IngestReport(BaseModel):
    path: str
    format: str
    files: list[FileReport]
    rejects_path: str | None
    issues_shown: list[str]
    seconds: float
    one_pass: bool = False  # read straight into the store (clean input)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def excluded(self) -> int:
        return sum(f.excluded for f in self.files)


def ingest(
    path: str | Path,
    fmt: str,
    store: DataStore,
    *,
    on_error: OnError | str = OnError.fail,
    rejects_path: str | Path | None = None,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest ``path`` (a file or a data set's folder) in format ``fmt`` into ``store``."""
    start = time.perf_counter()
    src, mode, opts = Path(path).expanduser(), OnError(on_error), options or IngestOptions()
    if not src.exists():
        raise IngestError(f"{src}: no such file or folder.")
    rejects = Path(rejects_path) if rejects_path is not None else None
    job = Job(store.staging(), fmt, opts, store, rejects, progress)
    try:
        raws = get_loader(fmt).raw_tables(src, job.con, opts)
        # Tried in both modes: on clean input they write the same.
        fast = one_pass(job, raws)
        files, written, shown = fast or _careful(job, src, raws, mode)
    finally:
        drop_staging(job.con, ("_src_",))  # the loaders' in-memory copies of files
    return IngestReport(
        path=str(src),
        format=fmt,
        files=files,
        rejects_path=str(written) if written else None,
        issues_shown=shown,
        seconds=time.perf_counter() - start,
        one_pass=fast is not None,
    )


def _careful(
    job: Job, src: Path, raws: list[RawTable], mode: OnError
) -> tuple[list[FileReport], Path | None, list[str]]:
    """Type every table into a staging table, explain every bad row, then write."""
    steps = len(raws) + 1
    typed_all: list[Typed] = []
    issues: list[RowIssue] = []
    try:
        for n, raw in enumerate(raws):
            job.step(f"reading {raw.file.name} ({raw.table})", n, steps)
            typed = build_typed(job.con, raw, job.options, f"_stage_{n}")
            typed_all.append(typed)
            issues += _issues_of(job.con, typed)
        if any(i.fatal for i in issues) and mode == OnError.fail:
            raise _failure(src, issues)
        dropped = issues or any(t.excluded for t in typed_all)
        rejects = job.rejects if dropped else None
        if rejects:
            write_rejects(job.con, rejects, issues, typed_all)
        job.step("writing to the store", steps - 1, steps)
        job.store.write(_batch(job, typed_all))
        job.step("done", steps, steps)
    finally:
        drop_staging(job.con, ("_stage_",))
    shown = [i.describe() for i in issues if i.fatal][:MAX_SHOWN]
    return [_file_report(t) for t in typed_all], rejects, shown


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


def _batch(job: Job, typed_all: list[Typed]) -> StagedBatch:
    ids: dict[Path, str] = {}
    batch = StagedBatch(sources=[])
    for t in typed_all:
        file = t.raw.file
        if file not in ids:
            ids[file] = fingerprint(file, job.fmt, job.options)
            mine = [x for x in typed_all if x.raw.file == file]
            rows = sum(x.rows - x.bad - x.excluded for x in mine)
            dropped = sum(x.bad + x.structural + x.excluded for x in mine)
            batch.sources.append(
                SourceRecord(ids[file], str(file.resolve()), job.fmt, rows, dropped)
            )
        sql, view = staged_view(t, ids[file])
        job.con.execute(sql)
        batch.tables.append(StagedTable(t.raw.table, view))
    return batch
