"""Content-based recommender: items like the ones a user liked, by their text.

Item vectors come from the catalog (title, description, categories) through
TF-IDF or MiniLM sentence embeddings (see ``recommend/text.py``). A user's
profile is the weighted mean of the vectors of the items they liked, with
optional time decay; an item's score is the cosine between the profile and
its vector. Items nobody has touched yet (cold items) are scored like any
other, since only their features are used.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from tailorwise.columns import Columns as C
from tailorwise.config.space import SearchSpace, choice, float_range
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.features.text import category_lists, item_vectors
from tailorwise.recommend.base import BaseRecommender

# Added to cosine scores so that exact ties (e.g. a user with no liked item)
# fall back to popularity instead of catalog order; too small to reorder
# items whose cosines differ.
TIE_BREAK = 1e-6


class ContentRecommender(BaseRecommender):
    """Cosine between a user's taste profile and each item's text vector."""

    name = "content"
    search_space: ClassVar[SearchSpace] = {
        "features": choice("tfidf", "minilm"),
        "category_weight": float_range(0.0, 3.0),
    }
    scores_cold_items: ClassVar[bool] = True

    def __init__(
        self,
        features: Literal["tfidf", "minilm"] = "tfidf",
        category_weight: float = 0.5,
        half_life_days: float | None = None,
        verbose: bool = False,
    ) -> None:
        self.features = features
        self.category_weight = category_weight
        self.half_life_days = half_life_days
        self.verbose = verbose

    def _check_params(self) -> None:
        if self.features not in ("tfidf", "minilm"):
            raise ConfigError(
                f"content: features must be 'tfidf' or 'minilm', got {self.features!r}"
            )
        if not self.category_weight >= 0:
            raise ConfigError(f"content: category_weight must be >= 0, got {self.category_weight}")
        if self.half_life_days is not None and not self.half_life_days > 0:
            raise ConfigError(
                f"content: half_life_days must be > 0 or None, got {self.half_life_days}"
            )

    def _fit(self, data: Interactions) -> None:
        self.item_vectors_ = item_vectors(
            data.item_meta, self.features, self.category_weight, self.verbose
        )
        self._prepare()

    def _prepare(self) -> None:
        """Derived state, rebuilt from the saved vectors and the training data."""
        self.profile_weights_ = self._profile_weights(self.data_)
        liked = (self.profile_weights_ > 0).astype(np.float64)
        self.popularity_ = np.asarray(liked.sum(axis=0)).ravel()
        self.vectors_t_ = sp.csr_matrix(self.item_vectors_.T)

    def _profile_weights(self, data: Interactions) -> sp.csr_matrix:
        """users x items weights of liked items, decayed from each user's latest event."""
        pos = data.weight > 0
        w = data.weight[pos].astype(np.float64)
        if self.half_life_days is not None:
            users, ts = data.user_idx[pos], data.timestamp[pos]
            last = np.full(data.n_users, np.iinfo(np.int64).min)
            np.maximum.at(last, users, ts)
            w = w * np.power(0.5, (last[users] - ts) / 86400.0 / self.half_life_days)
        m = sp.csr_matrix(
            (w, (data.user_idx[pos], data.item_idx[pos])), shape=(data.n_users, data.n_items)
        )
        m.sum_duplicates()
        return m

    def _user_state(self, data: Interactions) -> None:
        self.profile_weights_ = self._profile_weights(data)  # popularity stays the catalog's

    def user_profiles(self, user_idx: np.ndarray) -> sp.csr_matrix:
        """Unit-length taste profiles (rows are zero for users who liked nothing)."""
        self.check_fitted()
        profiles = self.profile_weights_[user_idx] @ self.item_vectors_
        return sp.csr_matrix(normalize(profiles, norm="l2", axis=1))

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        cos = (self.user_profiles(user_idx) @ self.vectors_t_).toarray()
        pop = self.popularity_ / max(self.popularity_.max(), 1.0)
        return cos + TIE_BREAK * pop

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The user's item most similar in content ("similar to X, which you bought"), else
        a category the item is in, else its popularity."""
        titles = self.data_.item_meta[C.title].fillna(self.data_.item_meta[C.item]).astype(str)
        cats = category_lists(self.data_.item_meta)
        evidence = self.evidence()
        out = np.full(items.shape, None, dtype=object)
        for row, u in enumerate(user_idx):
            liked = self.profile_weights_[u].indices
            recs = np.maximum(items[row], 0)
            if len(liked):
                sim = (self.item_vectors_[recs] @ self.item_vectors_[liked].T).toarray()
                sim[recs[:, None] == liked[None, :]] = -np.inf  # not "similar to itself"
                nearest = liked[sim.argmax(axis=1)]
                ok = sim.max(axis=1) > 0
            else:
                nearest, ok = recs, np.zeros(len(recs), dtype=bool)
            for col, item in enumerate(recs):
                if items[row, col] < 0:
                    continue
                if ok[col]:
                    verb = evidence.verb(int(u), int(nearest[col]))
                    out[row, col] = f"similar to {titles.iloc[nearest[col]]}, which you {verb}"
                elif cats[item]:
                    out[row, col] = f"matches {cats[item][0]}"
        return evidence.explain_rest(out, items)

    def _get_state(self) -> dict[str, np.ndarray]:
        v = self.item_vectors_
        return {
            "vectors_data": v.data,
            "vectors_indices": v.indices,
            "vectors_indptr": v.indptr,
            "vectors_shape": np.asarray(v.shape, dtype=np.int64),
        }

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        shape = tuple(int(s) for s in state["vectors_shape"])
        self.item_vectors_ = sp.csr_matrix(
            (state["vectors_data"], state["vectors_indices"], state["vectors_indptr"]), shape=shape
        )
        self._prepare()
