"""The Recommender protocol and the base class every model builds on.

A model implements ``_fit(data)`` and ``_scores(user_idx)`` on dense
indices; the base class does the rest once for all: parameter handling,
filters (seen, include/exclude items or categories, hidden items), top-k,
reasons, external ids, and versioned save/load.
"""

from __future__ import annotations

import copy
import inspect
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict

from tailorwise.columns import Columns as C
from tailorwise.config.space import SearchSpace
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError, InvalidRequestError, NotFittedError
from tailorwise.recommend.evidence import Evidence
from tailorwise.types import Recommendations

BATCH = 512


class Filters(BaseModel):
    """What may be recommended. Hidden items are always dropped."""

    model_config = ConfigDict(extra="forbid")

    exclude_seen: bool = True
    include_items: list[str] | None = None
    exclude_items: list[str] = []
    include_categories: list[str] | None = None
    exclude_categories: list[str] = []


@runtime_checkable
class Recommender(Protocol):
    """What serving needs of a fitted model (the service layer takes this, not a class)."""

    name: ClassVar[str]
    data_: Interactions  # what it was fitted on: its users, items and catalog

    def fit(self, data: Interactions) -> Self: ...

    def recommend(
        self, users: Sequence[str], k: int = 10, filters: Filters | None = None
    ) -> Recommendations: ...

    def save(self, path: str | Path) -> Path: ...


class BaseRecommender(ABC):
    """scikit-learn style: ``__init__`` stores parameters, ``fit`` returns self."""

    name: ClassVar[str] = "base"
    data_: Interactions  # set by fit
    seen_: sp.csr_matrix  # users x items the user took, set by fit
    # Whether a user the model never saw gets the most popular items (the fallback that
    # serving uses) rather than an "unknown user" error.
    serves_unknown_users: ClassVar[bool] = False
    # Whether a user's fresh events change their scores (``for_history``); the others
    # only stop showing what the user has just taken.
    reacts_to_events: ClassVar[bool] = True
    # The default space `tune` searches, beside the parameters it names; fixed settings
    # (seed, verbose, threads) stay out. None: no default; {}: nothing to tune.
    search_space: ClassVar[SearchSpace | None] = None

    # --- parameters -----------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn's contract; no model nests estimators,
        so ``deep`` changes nothing)."""
        return {p: getattr(self, p) for p in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters by name, as scikit-learn does; an unknown name is an
        error that lists the known ones."""
        known = self._param_names()
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ConfigError(
                f"{self.name} has no parameter {', '.join(unknown)}; it has: {', '.join(known)}"
            )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def _check_params(self) -> None:  # noqa: B027 - optional hook
        """Validate hyperparameters; override to add rules."""

    # --- fitting --------------------------------------------------------
    def fit(self, data: Interactions) -> Self:
        self._start_fit(data)
        self._fit(data)
        return self

    def _start_fit(self, data: Interactions) -> None:
        """What every way of fitting does first: check, then keep the data and what is seen."""
        self._check_params()
        if len(data) == 0:
            raise InvalidRequestError(f"{self.name}: no interactions to fit on")
        self.data_ = data
        self.seen_ = data.seen()

    @abstractmethod
    def _fit(self, data: Interactions) -> None: ...

    @abstractmethod
    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        """Scores (len(user_idx), n_items), higher is better."""

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        """One short, true explanation per recommended item; models override. The default
        names the item's popularity, counted from the data."""
        return self.evidence().popular(items)

    def evidence(self) -> Evidence:
        """What the training data holds, for true reasons (built once, on first use)."""
        self.check_fitted()
        cached: Evidence | None = getattr(self, "evidence_", None)
        if cached is None or cached.data is not self.data_:
            cached = self.evidence_ = Evidence(self.data_)
        return cached

    # --- serving from fresh events ---------------------------------------
    def for_history(self, history: Interactions) -> Self:
        """This fitted model serving the users of ``history`` from their events there, fresh
        ones included, rather than from what it was fitted on: an event posted now changes
        the next answer, without refitting. ``history`` is on this model's items (built by
        ``data_.on_catalog``); what the model learned about items is shared, not copied."""
        self.check_fitted()
        catalog = self.evidence()
        live = copy.copy(self)
        live._user_state(history)
        live.data_, live.seen_ = history, history.seen()
        live.evidence_ = catalog.for_users(history)
        return live

    def _user_state(self, data: Interactions) -> None:  # noqa: B027 - optional hook
        """Rebuild what scoring reads about each user from ``data`` (their events on this
        model's items; ``data_`` is still the training data); models that keep per-user
        state override it."""

    def check_fitted(self) -> None:
        if not hasattr(self, "data_"):
            raise NotFittedError(
                f"model '{self.name}' is not fitted yet; call fit() or train it first"
            )

    # --- recommending ---------------------------------------------------
    def allowed_items(self, filters: Filters) -> np.ndarray:
        """Boolean mask over items allowed by ``filters`` (seen items aside)."""
        self.check_fitted()
        data = self.data_
        allowed = np.ones(data.n_items, dtype=bool)
        allowed[data.hidden_items()] = False
        if filters.include_items is not None:
            keep = np.zeros_like(allowed)
            idx = data.items.to_internal(filters.include_items, kind="item", strict=False)
            keep[idx[idx >= 0]] = True
            allowed &= keep
        if filters.exclude_items:
            idx = data.items.to_internal(filters.exclude_items, kind="item", strict=False)
            allowed[idx[idx >= 0]] = False
        cats = data.item_meta[C.categories]
        if filters.include_categories is not None:
            want = set(filters.include_categories)
            allowed &= np.array([bool(want & set(c)) if c is not None else False for c in cats])
        if filters.exclude_categories:
            drop = set(filters.exclude_categories)
            allowed &= ~np.array([bool(drop & set(c)) if c is not None else False for c in cats])
        return allowed

    def top_k(
        self, user_idx: np.ndarray, k: int, allowed: np.ndarray, exclude_seen: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` item indices and scores per user; -1 / NaN where fewer are allowed."""
        self.check_fitted()
        items = np.full((len(user_idx), k), -1, dtype=np.int64)
        scores = np.full((len(user_idx), k), np.nan)
        for start in range(0, len(user_idx), BATCH):
            batch = user_idx[start : start + BATCH]
            rows = slice(start, start + len(batch))
            s = np.asarray(self._scores(batch), dtype=np.float64)
            items[rows], scores[rows] = self._top_of(batch, s, k, allowed, exclude_seen)
        return items, scores

    def _top_of(
        self, user_idx: np.ndarray, s: np.ndarray, k: int, allowed: np.ndarray, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` of the scores ``s`` of ``user_idx`` (changed in place) under the filters."""
        s[:, ~allowed] = -np.inf
        if exclude_seen:
            seen = self.seen_[user_idx]
            s[np.repeat(np.arange(len(user_idx)), np.diff(seen.indptr)), seen.indices] = -np.inf
        return top_k_rows(s, k)

    def recommend(
        self, users: Sequence[str], k: int = 10, filters: Filters | None = None
    ) -> Recommendations:
        """Top ``k`` items for each of ``users`` (external ids)."""
        self.check_fitted()
        if k <= 0:
            raise InvalidRequestError(f"k must be a positive number of items, got {k}")
        filters = filters or Filters()
        strict = not self.serves_unknown_users
        user_idx = self.data_.users.to_internal(list(users), kind="user", strict=strict)
        allowed = self.allowed_items(filters)
        items = np.full((len(user_idx), k), -1, dtype=np.int64)
        scores = np.full((len(user_idx), k), np.nan)
        reasons = np.empty((len(user_idx), k), dtype=object)
        known = np.flatnonzero(user_idx >= 0)
        for start in range(0, len(known), BATCH):
            rows = known[start : start + BATCH]
            items[rows], scores[rows], reasons[rows] = self._recommend_batch(
                user_idx[rows], k, allowed, filters.exclude_seen
            )
        unknown = np.flatnonzero(user_idx < 0)
        if len(unknown):
            items[unknown], scores[unknown], reasons[unknown] = self._for_unknown(k, allowed)
        ext_items = self.data_.items.to_external(np.maximum(items, 0)).astype(object)
        ext_items[items < 0] = None
        return Recommendations.from_arrays(
            np.asarray([str(u) for u in users], dtype=object), ext_items, scores, reasons
        )

    def _for_unknown(
        self, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One row for a user the model never saw: the most popular allowed items."""
        evidence = self.evidence()
        popularity = evidence.takers.astype(np.float64)[None, :].copy()
        popularity[:, ~allowed] = -np.inf
        items, scores = top_k_rows(popularity, k)
        return items, scores, evidence.popular(items)

    def _recommend_batch(
        self, user_idx: np.ndarray, k: int, allowed: np.ndarray, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Items, scores and reasons for one batch of users. A model that explains from the
        arrays it ranks by (the hybrid) overrides this, to compute them once."""
        items, scores = self.top_k(user_idx, k, allowed, exclude_seen)
        return items, scores, self._reasons(user_idx, items)

    # --- persistence ----------------------------------------------------
    def _get_state(self) -> dict[str, np.ndarray]:
        """Learned arrays to save; models override."""
        return {}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:  # noqa: B027 - optional hook
        """Restore learned arrays; models override."""

    def save(self, path: str | Path) -> Path:
        from tailorwise.recommend.artifacts import save_model

        return save_model(self, Path(path))


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` columns per row and their scores; -1 / NaN where fewer are finite."""
    kk = min(k, scores.shape[1])
    part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    top_s = np.take_along_axis(scores, top, axis=1)
    ok = np.isfinite(top_s)
    items = np.full((len(scores), k), -1, dtype=np.int64)
    out = np.full((len(scores), k), np.nan)
    items[:, :kk] = np.where(ok, top, -1)
    out[:, :kk] = np.where(ok, top_s, np.nan)
    return items, out
