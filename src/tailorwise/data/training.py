"""The interactions a model learns from, or an error that says why there are none."""

from __future__ import annotations

from tailorwise.columns import Table
from tailorwise.data.interactions import Interactions
from tailorwise.data.weighting import WeightingConfig
from tailorwise.errors import InvalidRequestError
from tailorwise.store.base import DataStore


def training_interactions(
    store: DataStore, weighting: WeightingConfig | None = None, seed: int = 0
) -> Interactions:
    """The store's user-item interactions under ``weighting``; when there is nothing to learn
    from, an error that says why (no events, no items in them, or no positive weight)."""
    data = Interactions.from_store(store, weighting, seed=seed)
    if (data.weight > 0).any():
        return data
    events = store.count(Table.events)
    if events == 0:
        why = _no_events(store)
    elif len(data) == 0:
        why = (
            f"none of the store's {events:,} events names an item (item_id is empty), so there "
            "is nothing to recommend from: the recommenders need events with items"
        )
    else:
        why = (
            f"none of the {len(data):,} user-item pairs has a positive weight under this "
            "weighting; check the [weighting] of the config (event_weights, rating)"
        )
    raise InvalidRequestError(why)


def _no_events(store: DataStore) -> str:
    held = {t.value: store.count(t) for t in (Table.users, Table.items, Table.exposures)}
    has = ", ".join(f"{n:,} {name}" for name, n in held.items() if n)
    if not has:
        return "the store has no events; run `tailorwise ingest` first"
    return f"the store has no events (only {has}); the recommenders learn from user-item events"
