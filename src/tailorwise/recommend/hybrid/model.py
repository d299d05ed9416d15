"""Hybrid recommender: a weighted blend of any registered models.

Each component's scores are normalised per user over the items the user has
not seen (z-score, min-max or rank), then blended with non-negative weights
that sum to one. Weights are given, or tuned with Optuna (``tune``, or ``fit``
with ``weights=None``; see ``hybrid_tuning``).

Cold items (no positive training interaction) get no useful score from
collaborative components. Components that score items by their features
(``scores_cold_items = True``, e.g. ``content``) take over for them: a cold
item whose content score ranks r-th among a user's warm candidates is placed
where the (r x ``cold_factor``)-th warm item sits in the blend. With a factor
of 1, a cold item that content ranks above 95% of the warm candidates ranks
above 95% of them in the blend too; a factor of 100 moves content's first
choice to the blend's 100th place. How far content can be trusted for items
nobody has touched differs between catalogues (a new film vs a new mug),
so the factor is tuned with the weights unless given. Without such a
component, cold items keep the blend.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.metrics.ranking import ACCURACY
from tailorwise.recommend.base import BATCH, BaseRecommender
from tailorwise.recommend.config import ModelConfig
from tailorwise.recommend.hybrid.blend import (
    MAX_COLD_FACTOR,
    NORMALIZERS,
    components_to_fit,
    normalize_scores,
    place_cold,
    unseen_mask,
    weighted_sum,
)
from tailorwise.recommend.hybrid.tuning import TuneResult, inner_splits, search

# TuneResult, what ``tune`` returns, lives in hybrid_tuning and is re-exported here
__all__ = ["DEFAULT_COMPONENTS", "HOLDOUTS", "HybridRecommender", "TuneResult"]

# The default blend, and the hybrid the benchmark measures (benchmarks/recommend.py,
# docs/BENCHMARKS.md): the sequential kNN for what comes next, EASE, item-kNN and ALS
# for overall taste, popularity for users with little history, content for cold items.
# Each component keeps its own defaults; the weights are tuned on ``holdout``.
DEFAULT_COMPONENTS: list[dict[str, Any]] = [
    {"name": "seqknn"},
    {"name": "ease"},
    {"name": "itemknn"},
    {"name": "als"},
    {"name": "popular"},
    {"name": "content"},
]
HOLDOUTS = ("last", "random")


class HybridRecommender(BaseRecommender):
    """Blend of component models; ``components`` are ModelConfig dicts (name, params)."""

    name = "hybrid"
    serves_unknown_users = True

    def __init__(
        self,
        components: list[dict[str, Any]] | None = None,
        weights: list[float] | None = None,
        normalize: Literal["zscore", "minmax", "rank"] = "zscore",
        metric: str = "ndcg",
        k: int = 10,
        n_trials: int = 30,
        holdout: Literal["last", "random"] = "last",
        folds: int = 3,
        cold_factor: float | None = None,
        seed: int = 0,
        verbose: bool = False,
    ) -> None:
        self.components = components
        self.weights = weights
        self.cold_factor = cold_factor
        self.normalize = normalize
        self.metric = metric
        self.k = k
        self.n_trials = n_trials
        self.holdout = holdout
        self.folds = folds
        self.seed = seed
        self.verbose = verbose

    # --- configuration --------------------------------------------------
    def configs(self) -> list[ModelConfig]:
        raw = DEFAULT_COMPONENTS if self.components is None else self.components
        try:
            return [ModelConfig.model_validate(c) for c in raw]
        except ValueError as exc:
            raise ConfigError(f"hybrid: each component needs {{name, params}}: {exc}") from exc

    def _check_params(self) -> None:
        configs = self.configs()
        if not configs:
            raise ConfigError("hybrid: components is empty; give at least one model")
        for c in configs:
            c.build()  # unknown names and bad parameters fail here, before any fitting
        if self.weights is not None and (
            len(self.weights) != len(configs) or min(self.weights) < 0 or sum(self.weights) <= 0
        ):
            raise ConfigError(
                f"hybrid: weights must be {len(configs)} non-negative numbers with a positive "
                f"sum (one per component), got {self.weights}"
            )
        if self.normalize not in NORMALIZERS:
            raise ConfigError(
                f"hybrid: normalize must be one of {NORMALIZERS}, got {self.normalize!r}"
            )
        if self.cold_factor is not None and not 1.0 <= self.cold_factor <= MAX_COLD_FACTOR:
            raise ConfigError(
                f"hybrid: cold_factor must be between 1 and {MAX_COLD_FACTOR:g} (or None, to "
                f"tune it with the weights), got {self.cold_factor}"
            )
        if self.holdout not in HOLDOUTS:
            raise ConfigError(f"hybrid: holdout must be one of {HOLDOUTS}, got {self.holdout!r}")
        if self.metric not in ACCURACY or min(self.k, self.n_trials, self.folds) < 1:
            raise ConfigError(
                f"hybrid: metric must be one of {ACCURACY}, k >= 1, n_trials >= 1 and "
                f"folds >= 1; got {self.metric!r}, {self.k}, {self.n_trials}, {self.folds}"
            )

    def _choose(self, data: Interactions) -> None:
        """``kept_``, a mask over ``configs()``: the components to fit on ``data``."""
        names = [c.name for c in self.configs()]
        self.kept_ = components_to_fit(names, self.components is None, data.item_meta)

    @property
    def configs_(self) -> list[ModelConfig]:
        """The configured components that ``kept_`` keeps."""
        return [c for c, k in zip(self.configs(), self.kept_, strict=True) if k]

    # --- fitting --------------------------------------------------------
    def _fit_components(self, data: Interactions) -> list[Any]:
        """Fit each component; those that show progress do so only when the hybrid does
        (a component's own ``verbose``, when its config sets one, wins)."""
        models = []
        for config in self.configs_:
            model = config.build()
            if "verbose" in model.get_params() and "verbose" not in config.params:
                model.set_params(verbose=self.verbose)
            models.append(model.fit(data))
        return models

    def _fit(self, data: Interactions) -> None:
        self._choose(data)
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=np.float64)[self.kept_]
            factor = 1.0 if self.cold_factor is None else self.cold_factor
        else:
            result = search(
                self, self._inner_splits(data), self.metric, self.k, self.n_trials, keep_last=False
            )[0]
            weights = np.asarray(result.weights, dtype=np.float64)
            factor = result.cold_factor
        self.components_: list[Any] = []  # the last tuning fold's, freed before the final fit
        self._adopt(data, self._fit_components(data), weights, factor)

    def _inner_splits(self, data: Interactions) -> list[tuple[Interactions, Interactions]]:
        """(train, validation) pairs within ``data`` for tuning the weights (see ``holdout``)."""
        return inner_splits(data, self.holdout, self.folds, self.seed)

    def _adopt(
        self,
        data: Interactions,
        components: list[Any],
        weights: np.ndarray | list[float],
        cold_factor: float = 1.0,
    ) -> None:
        self.data_, self.seen_ = data, data.seen()
        self.components_ = components
        w = np.asarray(weights, dtype=np.float64)
        self.weights_ = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
        self.cold_factor_ = float(cold_factor)
        self.cold_ = data.matrix().getnnz(axis=0) == 0
        self.cold_capable_ = np.array(
            [bool(getattr(type(c), "scores_cold_items", False)) for c in components]
        )

    def tune(
        self,
        train: Interactions,
        validation: Interactions,
        metric: str | None = None,
        k: int | None = None,
        n_trials: int | None = None,
    ) -> TuneResult:
        """Tune the blend weights on ``validation`` with components fitted on ``train`` only.

        Sets ``weights`` and ``cold_factor`` to the best found and leaves the
        model fitted on ``train``; fit it again on train + validation for the
        final model.
        """
        self._check_params()
        self._choose(train)
        result, components = search(
            self,
            [(train, validation)],
            metric or self.metric,
            k or self.k,
            n_trials or self.n_trials,
        )
        weights = np.zeros(len(self.kept_))  # one per configured component, 0 if left out
        weights[self.kept_] = result.weights
        self.weights = [float(w) for w in weights]
        self.cold_factor = result.cold_factor
        self._adopt(train, components, result.weights, result.cold_factor)
        return result

    def _user_state(self, data: Interactions) -> None:
        catalog = self.evidence()
        for c in self.components_:  # one evidence over the training data, not one each
            if c.data_ is self.data_:
                c.evidence_ = catalog
        self.components_ = [c.for_history(data) for c in self.components_]

    # --- scoring --------------------------------------------------------
    def _parts(self, user_idx: np.ndarray) -> np.ndarray:
        """Normalised scores of every component, shape (parts, users, items), float32."""
        seen = self.seen_[user_idx]
        return np.stack(
            [
                normalize_scores(c._scores(user_idx), seen, self.normalize).astype(np.float32)
                for c in self.components_
            ]
        )

    def _blend(
        self,
        user_idx: np.ndarray,
        parts: np.ndarray,
        weights: np.ndarray,
        unseen: np.ndarray | None = None,
    ) -> np.ndarray:
        w = (
            weights / weights.sum()
            if weights.sum() > 0
            else np.full(len(weights), 1 / len(weights))
        )
        blend = weighted_sum(w, parts)
        if not self.cold_capable_.any() or not self.cold_.any():
            return blend
        cw = np.where(self.cold_capable_, w, 0.0)
        cw = cw if cw.sum() > 0 else self.cold_capable_.astype(np.float64)
        content = weighted_sum(cw / cw.sum(), parts)
        if unseen is None:
            unseen = unseen_mask(self.seen_[user_idx])
        return place_cold(blend, content, self.cold_, unseen, self.cold_factor_)

    def _top(
        self,
        user_idx: np.ndarray,
        parts: np.ndarray,
        weights: np.ndarray,
        allowed: np.ndarray,
        k: int,
    ) -> np.ndarray:
        unseen = unseen_mask(self.seen_[user_idx])
        s = self._blend(user_idx, parts, weights, unseen)
        s[:, ~allowed] = -np.inf
        s[~unseen] = -np.inf
        k = min(k, s.shape[1])  # a catalog smaller than k (issue #14: a 5-item shop crashed)
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return self._blend(user_idx, self._parts(user_idx), self.weights_)

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The reason of the component that added most to each item's blended score."""
        out = np.empty(items.shape, dtype=object)
        for start in range(0, len(user_idx), BATCH):
            rows = slice(start, start + BATCH)
            out[rows] = self._batch_reasons(user_idx[rows], items[rows])
        return out

    def _recommend_batch(
        self, user_idx: np.ndarray, k: int, allowed: np.ndarray, exclude_seen: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = self._parts(user_idx)  # once, for the ranking and for the reasons
        s = np.asarray(self._blend(user_idx, parts, self.weights_), dtype=np.float64)
        items, scores = self._top_of(user_idx, s, k, allowed, exclude_seen)
        return items, scores, self._batch_reasons(user_idx, items, parts)

    def _batch_reasons(
        self, user_idx: np.ndarray, items: np.ndarray, parts: np.ndarray | None = None
    ) -> np.ndarray:
        safe = np.maximum(items, 0)
        parts = self._parts(user_idx) if parts is None else parts
        parts = np.take_along_axis(parts, safe[None].repeat(len(self.weights_), 0), axis=2)
        contrib = self.weights_[:, None, None] * parts
        cold_item = self.cold_[safe] & self.cold_capable_.any()
        contrib[:, cold_item] = np.where(
            self.cold_capable_[:, None], contrib[:, cold_item], -np.inf
        )
        best = contrib.argmax(axis=0)
        # no part scores the item above its average: no positive evidence to name
        weak = np.take_along_axis(contrib, best[None], axis=0)[0] <= 0
        best[weak] = -1
        out = np.full(items.shape, None, dtype=object)  # weak cells: popularity, below
        for i, component in enumerate(self.components_):
            # each part explains only the cells it won (-1 elsewhere: no item to explain)
            mine = best == i
            rows = np.flatnonzero(mine.any(axis=1))
            if len(rows):
                asked = np.where(mine[rows], items[rows], -1)
                said = component._reasons(user_idx[rows], asked)
                out[rows] = np.where(mine[rows], said, out[rows])
        return self.evidence().explain_rest(out, items)

    # --- persistence ----------------------------------------------------
    def _get_state(self) -> dict[str, np.ndarray]:
        state = {
            "weights": self.weights_,
            "cold_factor": np.array([self.cold_factor_]),
            "kept": self.kept_,
        }
        for i, c in enumerate(self.components_):
            state.update({f"c{i}.{key}": arr for key, arr in c._get_state().items()})
        return state

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        # artifacts saved before ``kept`` existed fitted every configured component
        self.kept_ = state.get("kept", np.ones(len(self.configs()), dtype=bool)).astype(bool)
        components = [c.build() for c in self.configs_]
        for i, c in enumerate(components):
            c.data_, c.seen_ = self.data_, self.seen_
            prefix = f"c{i}."
            c._set_state(
                {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
            )
        factor = float(state["cold_factor"][0]) if "cold_factor" in state else 1.0
        self._adopt(self.data_, components, state["weights"], factor)
