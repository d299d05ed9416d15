"""The DuckDB store passes the shared store contract (issue #2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailorwise.errors import StoreError
from tailorwise.store import DataStore, open_store
from tailorwise.store.duckdb import DuckDBStore
from tests.contracts.store_contract import StoreContract


class TestDuckDBStore(StoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return str(tmp_path / "store.duckdb")

    def make_store(self, url: str) -> DataStore:
        return DuckDBStore(url)


def test_open_store_reads_duckdb_scheme(tmp_path: Path) -> None:
    with open_store(f"duckdb://{tmp_path / 'a.duckdb'}") as store:
        assert isinstance(store, DuckDBStore)
        assert store.url == str(tmp_path / "a.duckdb")


def test_open_store_rejects_an_unknown_scheme() -> None:
    with pytest.raises(StoreError, match=r"unknown store URL scheme 'mysql://'.*postgresql://"):
        open_store("mysql://user@host/db")


def test_a_stored_year_10000_does_not_break_stats(tmp_path: Path) -> None:
    """Issue #14: ingest now rejects such a row, but a store written before must still
    answer `stats` (the row is left out of the date range)."""
    from tailorwise.ingest.job import ingest

    events = tmp_path / "e.csv"
    events.write_text("user_id,item_id,type,timestamp\nu1,i1,view,2024-01-01\n", encoding="utf-8")
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        ingest(events, "events", store)
        store.staging().execute(
            "INSERT INTO events SELECT * REPLACE (TIMESTAMP '10000-01-01' AS timestamp) FROM events"
        )
        summary = store.summary()
    assert summary.counts["events"] == 2
    assert str(summary.first_event) == str(summary.last_event) == "2024-01-01 00:00:00"


def test_a_read_only_open_does_not_create_the_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no store at .*run `tailorwise ingest` first"):
        open_store(tmp_path / "typo.duckdb", create=False)
    assert not (tmp_path / "typo.duckdb").exists()
