"""Fixtures shared by every test: the real data sets, a synthetic shop, throwaway stores.

A data set missing from ../shared/data skips its tests with a message, except under
``CI=true``, where it fails them: a CI without the data folder must not pass by testing
nothing. The synthetic shop is built by the project's own ``synth``, so the contract suites
always have data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# As the CLI does for its process (cli/main.py): torch's OpenMP threads must not spin.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split, leave_last_out
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore
from tailorwise.synth import SynthConfig, generate

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TAILORWISE_DATA_DIR", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """Return a data set's folder under ../shared/data, or skip saying what is missing."""

    def get(name: str) -> Path:
        path = DATA / name
        if not path.is_dir():
            missing = (
                f"data set '{name}' not found at {path}; set TAILORWISE_DATA_DIR to its parent"
            )
            if os.environ.get("CI") == "true":
                pytest.fail(f"{missing} (CI=true: a missing data set fails, it does not skip)")
            pytest.skip(missing)
        return path

    return get


@pytest.fixture
def duck_store(tmp_path: Path) -> Iterator[DuckDBStore]:
    """A fresh DuckDB store in a real file."""
    store = DuckDBStore(tmp_path / "store.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="session")
def ml100k(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Interactions:
    store = DuckDBStore(tmp_path_factory.mktemp("ml") / "ml.duckdb")
    ingest(shared_data("movielens-100k"), "movielens", store)
    data = Interactions.from_store(store, seed=42)
    store.close()
    return data


@pytest.fixture(scope="session")
def instruments_reviews(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Interactions:
    """Amazon's Musical Instruments 5-core reviews: interactions with no item catalog."""
    folder = shared_data("amazon-reviews-2014-musical-instruments-5core")
    with DuckDBStore(tmp_path_factory.mktemp("amazon") / "amazon.duckdb") as store:
        ingest(folder / "Musical_Instruments_5.json.gz", "amazon-reviews", store)
        return Interactions.from_store(store, seed=42)


@pytest.fixture(scope="session")
def retail(
    shared_data: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Interactions:
    """UCI Online Retail (the Parquet file) through the loader and a DuckDB store."""
    with DuckDBStore(tmp_path_factory.mktemp("retail") / "retail.duckdb") as store:
        ingest(shared_data("uci-online-retail") / "online_retail.parquet", "online-retail", store)
        return Interactions.from_store(store)


@pytest.fixture(scope="session")
def ml_small(ml100k: Interactions) -> Interactions:
    """The first 300 users (by internal index): small enough for every model to fit fast."""
    return ml100k.subset(ml100k.user_idx < 300)


@pytest.fixture(scope="session")
def ml_split(ml_small: Interactions) -> Split:
    return leave_last_out(ml_small)


@dataclass(frozen=True)
class World:
    """A data set the contract suites run on, with two of its categories for the filters."""

    name: str
    data: Interactions
    split: Split
    category: str
    other_category: str


@pytest.fixture(scope="session")
def ml_world(ml_small: Interactions, ml_split: Split) -> World:
    return World("movielens", ml_small, ml_split, "Horror", "Drama")


@pytest.fixture(scope="session")
def synth_data(tmp_path_factory: pytest.TempPathFactory) -> Interactions:
    """A small synthetic shop (368 users, 300 items, 7,497 pairs) through the events
    loader and a DuckDB store: no data folder needed."""
    folder = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(n_users=400, n_items=300, n_events=30_000, n_categories=6, seed=3), folder)
    with DuckDBStore(folder / "synth.duckdb") as store:
        ingest(folder, "events", store)
        return Interactions.from_store(store, seed=42)


@pytest.fixture(scope="session")
def synth_world(synth_data: Interactions) -> World:
    return World("synth", synth_data, leave_last_out(synth_data), "fashion", "books")
