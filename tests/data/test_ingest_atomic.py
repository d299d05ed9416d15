"""Issue #2: a crash part-way through an ingest leaves the store as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tailorwise.columns import Table
from tailorwise.errors import StoreError
from tailorwise.ingest.job import ingest
from tailorwise.store.base import SourceRecord, StagedBatch, StagedTable
from tailorwise.store.duckdb import DuckDBStore

SCRIPT = textwrap.dedent(
    """
    import sys
    from tailorwise.ingest.job import ingest
    from tailorwise.store.duckdb import DuckDBStore

    def show(update):
        print(update.info, flush=True)

    store = DuckDBStore(sys.argv[1])
    ingest(sys.argv[2], "events", store, progress=show)
    print("finished", flush=True)
    """
)


def big_events_file(path: Path, rows: int) -> Path:
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'u' || (i % 5000) AS user_id, 'i' || (i % 3000) AS item_id, 'view' AS type, "
        f"TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS timestamp FROM range({rows}) t(i)) "
        f"TO '{path}' (HEADER)"
    )
    con.close()
    return path


def test_killed_ingest_leaves_store_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    small = tmp_path / "small.csv"
    small.write_text("user_id,item_id,type,timestamp\nu1,i1,view,2024-01-01\n", encoding="utf-8")
    with DuckDBStore(db) as store:
        ingest(small, "events", store)
        before = {t: store.count(t) for t in Table}
    big = big_events_file(tmp_path / "big.csv", 1_500_000)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(db), str(big)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    killed = False
    for line in proc.stdout:
        if "writing" in line:
            proc.kill()  # SIGKILL while the store transaction is open
            killed = True
            break
    returncode = proc.wait(timeout=120)
    # Issue #14: the test proves nothing unless the child was killed mid-write by us.
    assert killed, "the ingest never reached its write step"
    assert returncode == -signal.SIGKILL, f"the ingest ended by itself (exit {returncode})"
    with DuckDBStore(db) as store:
        after = {t: store.count(t) for t in Table}
    assert after == before, "a killed ingest must leave no trace"


def test_failed_write_rolls_back(duck_store: DuckDBStore, tmp_path: Path) -> None:
    """An error inside the store transaction (here: a source id clash) undoes every step."""
    good = tmp_path / "events.csv"
    good.write_text("user_id,item_id,type,timestamp\nu1,i1,view,2024-01-01\n", encoding="utf-8")
    ingest(good, "events", duck_store)
    before = {t: duck_store.count(t) for t in Table}
    con = duck_store.staging()
    con.execute("CREATE TEMP TABLE broken AS SELECT * FROM events WHERE false")
    con.execute(
        "INSERT INTO broken VALUES ('u2', 'i2', 'view', NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, 'x', 1)"
    )
    batch = StagedBatch(
        [SourceRecord("x", "p", "events", 1, 0)], [StagedTable(Table.events, "broken")]
    )
    with pytest.raises(StoreError, match="nothing was written"):  # NULL timestamp: NOT NULL
        duck_store.write(batch)
    assert {t: duck_store.count(t) for t in Table} == before
