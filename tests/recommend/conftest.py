"""MovieLens 100K through the real loader and store, shared by the model tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tailorwise.data.ingest import ingest
from tailorwise.data.interactions import Interactions
from tailorwise.evaluate.split import Split, leave_last_out
from tailorwise.store.duckdb import DuckDBStore


@pytest.fixture(scope="session")
def ml100k(shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Interactions:
    store = DuckDBStore(tmp_path_factory.mktemp("ml") / "ml.duckdb")
    ingest(shared_data("movielens-100k"), "movielens", store)
    data = Interactions.from_store(store, seed=42)
    store.close()
    return data


@pytest.fixture(scope="session")
def ml_small(ml100k: Interactions) -> Interactions:
    """The first 300 users (by internal index): small enough for every model to fit fast."""
    return ml100k.subset(ml100k.user_idx < 300)


@pytest.fixture(scope="session")
def ml_split(ml_small: Interactions) -> Split:
    return leave_last_out(ml_small)

