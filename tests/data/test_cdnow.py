"""Issue #2: the cdnow format on Fader & Hardie's CDNOW transaction log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tailorwise.columns import Table
from tailorwise.errors import IngestError
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore

ROWS, CUSTOMERS, TOTAL = 69_659, 23_570, 2_500_315.63


@pytest.fixture(scope="module")
def master(shared_data: Callable[[str], Path]) -> Path:
    return shared_data("cdnow") / "CDNOW_master.txt"


@pytest.fixture(scope="module")
def store(master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    tmp = tmp_path_factory.mktemp("cdnow")
    with DuckDBStore(tmp / "store.duckdb") as s:
        report = ingest(master, "cdnow", s, rejects_path=tmp / "rejects.csv")
        assert (report.loaded, report.rejected, report.excluded) == (ROWS, 0, 0)
        yield s


def summary(store: DuckDBStore) -> tuple[object, ...]:
    events = store.read(Table.events).to_pandas()
    return (
        len(events),
        events["user_id"].nunique(),
        store.count(Table.users),
        events["timestamp"].min().to_pydatetime(),
        events["timestamp"].max().to_pydatetime(),
        round(float(events["amount"].sum()), 2),
        int(events["quantity"].sum()),
        set(events["type"]),
        int(events["item_id"].notna().sum()),
    )


def test_master_file(store: DuckDBStore) -> None:
    assert summary(store)[:-1] == (
        ROWS,
        CUSTOMERS,
        CUSTOMERS,
        datetime(1997, 1, 1),
        datetime(1998, 6, 30),
        TOTAL,
        167_881,
        {"purchase"},
    )
    assert summary(store)[-1] == 0  # no item on any event
    assert store.count(Table.items) == 0


def test_first_line(store: DuckDBStore) -> None:
    events = store.read(Table.events).to_pandas().sort_values("source_row")
    first = events.iloc[0]
    assert (first["user_id"], first["quantity"], first["amount"], first["source_row"]) == (
        "00001",
        1,
        11.77,
        2,
    )
    assert first["timestamp"].to_pydatetime() == datetime(1997, 1, 1)


def test_without_header(store: DuckDBStore, master: Path, tmp_path: Path) -> None:
    """Hardie's original file has no header line."""
    lines = master.read_bytes().split(b"\r\n", 1)[1]
    path = tmp_path / "CDNOW_master.txt"
    path.write_bytes(lines + b"\r\n\r\n")  # a trailing blank line is skipped
    with DuckDBStore(tmp_path / "plain.duckdb") as plain:
        ingest(path, "cdnow", plain, rejects_path=tmp_path / "r.csv")
        assert summary(plain) == summary(store)
        rows = plain.read(Table.events, ["source_row"]).column(0).to_pylist()
        assert min(rows) == 1


def test_bad_date_is_reported_with_its_row(duck_store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(
        " 00001 19970101  1   11.77\n"
        " 00002 19971340  1   12.00\n"
        " 00003 1997011  2   20.00\n"
        " 00004 19970105  x   20.00\n"
        " 00005 19970105  1\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        ingest(path, "cdnow", duck_store, rejects_path=tmp_path / "r.csv")
    found = [(i.row, i.column) for i in info.value.issues]
    assert found == [(2, "timestamp"), (3, "timestamp"), (4, "quantity"), (5, None)]
    assert '"19971340"' in info.value.issues[0].reason and "YYYYMMDD" in info.value.issues[0].reason
    assert "expected 4 fields" in info.value.issues[3].reason
    assert duck_store.count(Table.events) == 0


def test_reingest_is_idempotent(store: DuckDBStore, master: Path, tmp_path: Path) -> None:
    ingest(master, "cdnow", store, rejects_path=tmp_path / "r.csv")
    assert (store.count(Table.events), store.count(Table.users)) == (ROWS, CUSTOMERS)
