"""Recommendations from a trained model and the store's latest events: an event stored a
moment ago changes the next answer, without retraining (what the server and
``tailorwise recommend --db`` serve).

For each request the user's events are read from the store and the model scores from
them (``BaseRecommender.for_history``); what the model learned about items is shared.
When the model has nothing to say (a user with no events, or no item it may show), a
fallback answers, and the answer names who answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tailorwise.columns import Columns as C
from tailorwise.columns import Table
from tailorwise.data.interactions import Interactions
from tailorwise.data.weighting import WeightingConfig
from tailorwise.errors import InvalidRequestError
from tailorwise.recommend.base import BaseRecommender, Filters
from tailorwise.recommend.config import TrainConfig
from tailorwise.service.training import load_trained
from tailorwise.store.base import DataStore
from tailorwise.store.models import DEFAULT_MODEL_DIR, resolve_artifact
from tailorwise.store.rows import read_for_users
from tailorwise.types import Recommendations

EVENT_COLUMNS = [C.user, C.item, C.type, C.value, C.timestamp]
POPULAR = "popular"


@dataclass(frozen=True)
class LiveModel:
    """A trained model ready to serve: the model, the weighting it was trained with (fresh
    events are weighted the same way) and where it came from."""

    model: BaseRecommender
    weighting: WeightingConfig
    path: Path
    seed: int = 0

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def version(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


@dataclass(frozen=True)
class Served:
    """What one request gets: the items, and which model answered (the trained model's
    name, or the fallback's: ``popular``)."""

    recommendations: Recommendations
    answered_by: str
    pairs_read: int = 0  # the user's items whose events the answer read from the store
    notes: list[str] = field(default_factory=list)


def load_live(model_dir: Path = DEFAULT_MODEL_DIR) -> LiveModel:
    """The latest trained model under ``model_dir`` with its training config."""
    path = resolve_artifact(model_dir)
    config_file = path / "train_config.json"
    config = (
        TrainConfig.model_validate(json.loads(config_file.read_text(encoding="utf-8")))
        if config_file.is_file()
        else TrainConfig()
    )
    return LiveModel(load_trained(path), config.weighting, path, config.seed)


def user_history(store: DataStore, live: LiveModel, users: list[str]) -> Interactions:
    """The events of ``users`` in the store now, on the model's items."""
    events = read_for_users(store, Table.events, users, EVENT_COLUMNS).to_pandas()
    attributes = read_for_users(store, Table.users, users, [C.user, C.attributes]).to_pandas()
    data = live.model.data_
    return data.on_catalog(events, live.weighting, seed=live.seed, users=attributes)


def recommend_live(
    store: DataStore,
    live: LiveModel,
    user: str,
    k: int = 10,
    filters: Filters | None = None,
) -> Served:
    """The top ``k`` for ``user`` from their latest events; the most popular items (that
    ``filters`` allow) for a user with none, or when the model has nothing to show."""
    if k <= 0:
        raise InvalidRequestError(f"k must be a positive number of items, got {k}")
    user = str(user)
    history = user_history(store, live, [user])
    if len(history):
        recs = live.model.for_history(history).recommend([user], k=k, filters=filters)
        if len(recs):
            return Served(recs, live.name, len(history))
        note = f"{live.name} had nothing to show"
    else:
        note = "no events of this user on the model's items"
    return Served(_popular(live, history, user, k, filters), POPULAR, len(history), [note])


def _popular(
    live: LiveModel, history: Interactions, user: str, k: int, filters: Filters | None
) -> Recommendations:
    """The catalog's most popular items that ``filters`` allow, the user's seen ones aside."""
    model = live.model
    filters = filters or Filters()
    allowed = model.allowed_items(filters)
    if filters.exclude_seen and len(history):
        allowed[history.item_idx] = False
    items, top, reasons = model._for_unknown(k, allowed)  # the model's own popularity fallback
    ext = model.data_.items.to_external(np.maximum(items, 0)).astype(object)
    ext[items < 0] = None
    return Recommendations.from_arrays(np.asarray([user], dtype=object), ext, top, reasons)


def rank_live(store: DataStore, live: LiveModel, user: str, items: list[str]) -> Served:
    """The caller's candidate ``items`` for ``user``, best first, with scores and reasons
    (unknown or hidden items are left out); popularity orders them for a user with no
    events."""
    if not items:
        raise InvalidRequestError("give at least one item to rank")
    filters = Filters(include_items=[str(i) for i in items], exclude_seen=False)
    return recommend_live(store, live, user, k=len(items), filters=filters)
