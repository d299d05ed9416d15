"""The one-pass ingest: clean input read straight into the store.

The usual input is clean, and then typing it into a staging table first
would only copy every row once more. Views type the rows and raise on the
first bad one (``error()`` in SQL); the store writes from them in one
transaction. When anything fails the store rolls back and the caller takes
the careful path, which explains every bad row.

Rows a format excludes on purpose (Online Retail's guest checkouts) do not
stop this path: they are left out of the views, listed with their reasons
in a small temp table, and written to the rejects file, which gets its name
only once the store has committed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from tailorwise.errors import TailorwiseError
from tailorwise.ingest.careful_path import (
    FileReport,
    Job,
    drop_staging,
    fingerprint,
    staged_view,
    write_rejects,
)
from tailorwise.ingest.formats.base import RawTable
from tailorwise.ingest.validate import Typed, excluded_rows, fast_view, renumber
from tailorwise.schema import SCHEMAS
from tailorwise.store.base import SourceRecord, StagedBatch, StagedTable


@dataclass
class _Fast:
    """One raw table on the one-pass path."""

    typed: Typed  # the view that raises on a bad row
    excluded: Typed | None  # the rows the format excludes, if it can exclude any
    staged: StagedTable
    kept: int | None = None  # rows of a keyed table sharing its file, counted before the write

    @property
    def dropped(self) -> int:
        return self.excluded.excluded if self.excluded else 0


def one_pass(
    job: Job, raws: list[RawTable]
) -> tuple[list[FileReport], Path | None, list[str]] | None:
    """Read each input once, straight into the store; None if this path cannot or did not work.

    Returns the file reports, the rejects file written (if any) and no issues.
    """
    if not _possible(job.con, raws):
        return None
    fast: list[_Fast] = []
    pending: Path | None = None
    committed = False
    steps = len(raws) + 2
    try:
        ids = {f: fingerprint(f, job.fmt, job.options) for f in dict.fromkeys(r.file for r in raws)}
        for n, raw in enumerate(raws):
            job.step(f"reading {raw.file.name} ({raw.table})", n, steps)
            fast.append(_fast_table(job, raw, f"_fast_{n}", ids[raw.file], _kept(raw, raws)))
        if any(f.kept == 0 for f in fast):
            return None  # an empty table: the careful path says so
        pending = _pending_rejects(job, fast, steps)
        job.step("writing to the store", steps - 1, steps)
        job.store.write(_batch(job, ids, fast))
        committed = True
    except (TailorwiseError, duckdb.Error):
        return None
    finally:
        drop_staging(job.con, ("_fast_", "_excl_"))
        if pending and not committed:
            pending.unlink(missing_ok=True)
    if pending and job.rejects:
        pending.replace(job.rejects)
    job.step("done", steps, steps)
    return _reports(job, fast), job.rejects if pending else None, []


def _possible(con: duckdb.DuckDBPyConnection, raws: list[RawTable]) -> bool:
    """Every table can be read strictly and has rows; at most one appended table per file.

    Rows written are counted per source file; with one appended table per
    file, that table's count is the file's count less its keyed tables'.
    """
    if not all(r.fast_sql for r in raws):
        return False
    appended = Counter(r.file for r in raws if SCHEMAS[r.table].appended)
    if any(n > 1 for n in appended.values()):
        return False
    # An empty input must fail with its own message, which the careful path gives.
    # (Kept tables are counted anyway; probing a grouping would compute it twice.)
    probed = [r for r in raws if not _kept(r, raws)]
    try:
        return all(con.execute(f"SELECT 1 FROM ({r.fast_sql}) LIMIT 1").fetchall() for r in probed)
    except duckdb.Error:
        return False


def _kept(raw: RawTable, raws: list[RawTable]) -> bool:
    """A keyed table derived from a file that gives other tables too (Online Retail's
    users and items): small, so kept in memory and counted before the write."""
    shared = sum(r.file == raw.file for r in raws) > 1
    return shared and not SCHEMAS[raw.table].appended


def _fast_table(job: Job, raw: RawTable, relation: str, source_id: str, kept: bool) -> _Fast:
    typed = fast_view(job.con, raw, job.options, relation)
    excluded = excluded_rows(job.con, raw, job.options, relation.replace("_fast_", "_excl_"))
    sql, view = staged_view(typed, source_id)
    job.con.execute(sql)
    if not kept:
        return _Fast(typed, excluded, StagedTable(raw.table, view, source_id))
    job.con.execute(f"CREATE OR REPLACE TEMP TABLE {relation}_kept AS SELECT * FROM {view}")
    rows = int(job.con.execute(f"SELECT count(*) FROM {relation}_kept").fetchall()[0][0])
    return _Fast(typed, excluded, StagedTable(raw.table, f"{relation}_kept", source_id), rows)


def _pending_rejects(job: Job, fast: list[_Fast], steps: int) -> Path | None:
    """The excluded rows, written beside the rejects file; None when there are none."""
    excluded = [f.excluded for f in fast if f.excluded and f.excluded.excluded]
    if job.rejects is None or not excluded:
        return None
    job.step("listing excluded rows in the rejects file", steps - 2, steps)
    pending = job.rejects.with_name(job.rejects.name + ".partial")
    write_rejects(job.con, pending, [], [_by_line(job.con, t) for t in excluded])
    return pending


def _by_line(con: duckdb.DuckDBPyConnection, excluded: Typed) -> Typed:
    """Excluded rows numbered by file line, as bad rows are: blank lines counted.

    The view is copied into a table only for a file that has blank lines.
    """
    blank = excluded.raw.skipped_lines() if excluded.raw.skipped_lines else []
    if not blank:
        return excluded
    lined = replace(excluded, relation=f"{excluded.relation}_lines")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {lined.relation} AS SELECT * FROM {excluded.relation}"
    )
    renumber(con, lined, [], blank)
    return lined


def _batch(job: Job, ids: dict[Path, str], fast: list[_Fast]) -> StagedBatch:
    sources = [
        SourceRecord(
            source_id,
            str(file.resolve()),
            job.fmt,
            -1,  # counted by the store as it writes
            sum(f.dropped for f in fast if f.typed.raw.file == file),
        )
        for file, source_id in ids.items()
    ]
    return StagedBatch(sources, [f.staged for f in fast])


def _reports(job: Job, fast: list[_Fast]) -> list[FileReport]:
    written = {s.source_id: s.rows for s in job.store.sources()}

    def loaded(f: _Fast) -> int:
        if f.kept is not None:
            return f.kept
        sid = f.staged.source_id
        return written[str(sid)] - sum(g.kept or 0 for g in fast if g.staged.source_id == sid)

    return [
        FileReport(
            file=f.typed.raw.file.name,
            table=f.typed.raw.table.value,
            loaded=loaded(f),
            rejected=0,
            excluded=f.dropped,
        )
        for f in fast
    ]
