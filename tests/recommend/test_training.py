"""Issue #3: training reads the store's interactions, or says why there are none to learn from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tailorwise.data.training import training_interactions
from tailorwise.data.weighting import DEFAULT_EVENT_WEIGHTS, WeightingConfig
from tailorwise.errors import InvalidRequestError
from tailorwise.ingest.job import ingest
from tailorwise.store.duckdb import DuckDBStore


def test_an_empty_store_says_to_ingest_first(duck_store: DuckDBStore) -> None:
    with pytest.raises(InvalidRequestError, match="no events; run `tailorwise ingest` first"):
        training_interactions(duck_store)


def test_events_without_items_are_named_as_the_reason(
    shared_data: Callable[[str], Path], duck_store: DuckDBStore, tmp_path: Path
) -> None:
    """CDNOW's purchase log has amounts but no items: profiles can use it, recommenders not."""
    master = shared_data("cdnow") / "CDNOW_master.txt"
    ingest(master, "cdnow", duck_store, rejects_path=tmp_path / "rejects.csv")
    with pytest.raises(
        InvalidRequestError, match="none of the store's 69,659 events names an item"
    ):
        training_interactions(duck_store)


def test_a_store_of_campaigns_alone_says_so(
    shared_data: Callable[[str], Path], duck_store: DuckDBStore
) -> None:
    ingest(shared_data("hillstrom") / "hillstrom.csv", "hillstrom", duck_store)
    with pytest.raises(
        InvalidRequestError, match=r"no events \(only 64,000 users, 64,000 exposures\); the rec"
    ):
        training_interactions(duck_store)


def test_a_weighting_that_zeroes_every_event_is_named(
    shared_data: Callable[[str], Path], duck_store: DuckDBStore
) -> None:
    ingest(shared_data("movielens-100k"), "movielens", duck_store)
    assert len(training_interactions(duck_store)) == 100_000
    nothing = WeightingConfig(event_weights={**DEFAULT_EVENT_WEIGHTS, "rating": 0.0})
    with pytest.raises(InvalidRequestError, match="100,000 user-item pairs has a positive weight"):
        training_interactions(duck_store, nothing)
