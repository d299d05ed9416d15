"""Fixtures shared by every test: the real data sets and throwaway stores."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tailorwise.store.duckdb import DuckDBStore

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TAILORWISE_DATA_DIR", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """Return a data set's folder under ../shared/data, or skip saying what is missing."""

    def get(name: str) -> Path:
        path = DATA / name
        if not path.is_dir():
            pytest.skip(f"data set '{name}' not found at {path}; set TAILORWISE_DATA_DIR to its parent")
        return path

    return get


@pytest.fixture
def duck_store(tmp_path: Path) -> Iterator[DuckDBStore]:
    """A fresh DuckDB store in a real file."""
    store = DuckDBStore(tmp_path / "store.duckdb")
    yield store
    store.close()
