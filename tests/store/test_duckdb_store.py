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
