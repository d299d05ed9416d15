"""Most-popular and trending (time-decayed popularity): the baselines."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tailorwise.config.space import SearchSpace, float_range
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.base import BaseRecommender, top_k_rows


class PopularRecommender(BaseRecommender):
    """Items ranked by how many users liked them in training."""

    name = "popular"
    serves_unknown_users = True
    reacts_to_events = False
    search_space: ClassVar[SearchSpace] = {}

    def __init__(self) -> None:
        pass

    def _fit(self, data: Interactions) -> None:
        m = data.matrix()
        self.item_scores_ = np.asarray((m > 0).sum(axis=0), dtype=np.float64).ravel()

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_scores_, (len(user_idx), len(self.item_scores_))).copy()

    def _for_unknown(
        self, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        anyone = np.zeros(1, dtype=np.int64)  # every user gets the same scores here
        scores = self._scores(anyone)
        scores[:, ~allowed] = -np.inf
        items, top = top_k_rows(scores, k)
        return items, top, self._reasons(anyone, items)

    def _get_state(self) -> dict[str, np.ndarray]:
        return {"item_scores": self.item_scores_}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.item_scores_ = state["item_scores"]


class TrendingRecommender(PopularRecommender):
    """Popularity with exponential time decay: recent interest counts more."""

    name = "trending"
    search_space: ClassVar[SearchSpace] = {"half_life_days": float_range(1.0, 365.0, log=True)}

    def __init__(self, half_life_days: float = 14.0) -> None:
        self.half_life_days = half_life_days

    def _check_params(self) -> None:
        if not self.half_life_days > 0:
            raise ConfigError(f"trending: half_life_days must be > 0, got {self.half_life_days}")

    def _fit(self, data: Interactions) -> None:
        positive = data.weight > 0
        age_days = (data.timestamp.max() - data.timestamp[positive]) / 86400.0
        decayed = np.power(0.5, age_days / self.half_life_days)
        self.item_scores_ = np.bincount(
            data.item_idx[positive], weights=decayed, minlength=data.n_items
        ).astype(np.float64)

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.full(
            items.shape, f"trending over the last {self.half_life_days:g} days", dtype=object
        )
