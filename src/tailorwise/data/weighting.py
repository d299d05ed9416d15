"""How events become interaction strengths: event types, ratings, decay, negatives."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tailorwise.columns import Columns as C

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {
    "impression": 0.0,
    "view": 1.0,
    "click": 2.0,
    "search": 0.0,
    "like": 3.0,
    "dislike": -3.0,
    "share": 3.0,
    "wishlist": 3.0,
    "add_to_cart": 4.0,
    "remove_from_cart": -1.0,
    "purchase": 8.0,
    "rating": 1.0,
    "review": 1.0,
    "tag": 1.0,
    "return": -8.0,
}


class WeightingConfig(BaseModel):
    """Event weighting, set in configuration.

    ``rating`` says what a rating or review value contributes: ``binary`` (1
    each, the usual choice for ranking), ``value`` (the stars), or
    ``centered`` (stars minus ``rating_neutral``). Ratings below
    ``negative_below`` count as negative feedback. ``half_life_days`` decays
    older events relative to the latest event in the data.
    """

    model_config = ConfigDict(extra="forbid")

    event_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))
    rating: Literal["binary", "value", "centered"] = "binary"
    rating_neutral: float = 3.0
    negative_below: float | None = None
    half_life_days: float | None = None

    def weights(self, events: pd.DataFrame) -> np.ndarray:
        """Weight of each event row (columns: type, value, timestamp)."""
        types = events[C.type].astype(str)
        unknown = sorted(set(types.unique()) - set(self.event_weights))
        if unknown:
            raise ValueError(f"no weight for event type(s) {unknown}; add them to event_weights")
        w = types.map(self.event_weights).to_numpy(dtype=np.float64)
        rated = types.isin(["rating", "review"]).to_numpy() & events[C.value].notna().to_numpy()
        value = events[C.value].to_numpy(dtype=np.float64, na_value=np.nan)
        if self.rating == "value":
            w = np.where(rated, w * value, w)
        elif self.rating == "centered":
            w = np.where(rated, w * (value - self.rating_neutral), w)
        if self.negative_below is not None:
            w = np.where(rated & (value < self.negative_below), -np.abs(w), w)
        if self.half_life_days:
            ts = events[C.timestamp].to_numpy(dtype="datetime64[s]").astype(np.int64)
            age_days = (ts.max() - ts) / 86400.0
            w = w * np.power(0.5, age_days / self.half_life_days)
        return w
