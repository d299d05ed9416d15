"""Items like one item, for an item page: what the model recommends to a visitor whose
only event is a view of that item (the same path serves a user with a single event)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from tailorwise.columns import Columns as C
from tailorwise.data.idmap import UnknownIdError
from tailorwise.errors import InvalidRequestError
from tailorwise.recommend.base import Filters
from tailorwise.recommend.itemknn import item_titles
from tailorwise.service.live import LiveModel, Served
from tailorwise.types import REASON, Recommendations

VISITOR = "\x00visitor"  # an id no stored user can have (ids never hold control characters)


def similar_items(
    live: LiveModel, item: str, k: int = 10, filters: Filters | None = None
) -> Served:
    """The top ``k`` items for someone who has just viewed ``item``; the reason names the
    relation the data holds between the two items."""
    if k <= 0:
        raise InvalidRequestError(f"k must be a positive number of items, got {k}")
    data = live.model.data_
    item = str(item)
    if data.items.to_internal([item], strict=False)[0] < 0:
        raise UnknownIdError(f"unknown item {item!r}: the model has not seen it")
    view = pd.DataFrame(
        {
            C.user: [VISITOR],
            C.item: [item],
            C.type: ["view"],
            C.value: [None],
            C.timestamp: [datetime.now(UTC).replace(tzinfo=None)],
        }
    )
    history = data.on_catalog(view, live.weighting, seed=live.seed)
    recs = live.model.for_history(history).recommend([VISITOR], k=k, filters=filters)
    return Served(_as_item_page(live, recs, item), live.name, 1)


def _as_item_page(live: LiveModel, recs: Recommendations, item: str) -> Recommendations:
    """The visitor's answer with reasons about the item, not about "you"."""
    evidence = live.model.evidence()
    data = live.model.data_
    frame = recs.frame.copy()
    source = data.items.to_internal([item])
    targets = data.items.to_internal(frame[C.item].astype(str).tolist())
    title = item_titles(data)[source[0]]
    related = evidence.related(source, targets)[0] if len(targets) else np.zeros(0, dtype=bool)
    popular = evidence.popular(targets)
    frame[REASON] = [
        f"customers who took {title} took this too" if r else str(p)
        for r, p in zip(related, popular, strict=True)
    ]
    frame[C.user] = item
    return Recommendations(frame)
