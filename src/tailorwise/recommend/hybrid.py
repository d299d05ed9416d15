"""Hybrid recommender: a weighted blend of any registered models.

Each component's scores are normalised per user over the items the user has
not seen (z-score, min-max or rank), then blended with non-negative weights
that sum to one. Weights are given, or tuned with Optuna on a validation set
(``tune``); with ``weights=None``, ``fit`` tunes them on a split of its own
training data, then refits every component on all of it. ``holdout`` picks
that split: ``"last"`` holds out each user's latest item (what next-item use
and a leave-last-out evaluation need), ``"random"`` a random 10% of each
user's items (what a random per-user evaluation measures).

Cold items (no positive training interaction) get no useful score from
collaborative components. Components that score items by their features
(``scores_cold_items = True``, e.g. ``content``) take over for them: a cold
item is placed, per user, at the quantile of the blended scores of warm
items that its content score reaches among those warm items. So a cold item
that content ranks above 95% of the warm candidates ranks above 95% of them
in the blend too. Without such a component, cold items keep the blend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.evaluate.metrics import ACCURACY, accuracy_at, hit_matrix
from tailorwise.evaluate.split import Split, leave_last_out, random_per_user
from tailorwise.recommend.base import BATCH, BaseRecommender
from tailorwise.recommend.registry import ModelConfig

# The default blend. The benchmark (benchmarks/recommend.py, docs/BENCHMARKS.md) found a
# hybrid best across data sets and protocols; this one keeps its strongest parts (the
# sequential kNN for what comes next, EASE and item-kNN for overall taste) and adds
# popularity for users with little history and content for cold items. Each component keeps its own defaults; the weights are tuned on ``holdout``.
DEFAULT_COMPONENTS: list[dict[str, Any]] = [
    {"name": "seqknn"},
    {"name": "ease"},
    {"name": "itemknn"},
    {"name": "popular"},
    {"name": "content"},
]
NORMALIZERS = ("zscore", "minmax", "rank")
HOLDOUTS = ("last", "random")
MAX_TUNE_USERS = (
    3000  # validation users sampled for tuning, to bound memory (users x items x parts)
)


@dataclass(frozen=True)
class TuneResult:
    """Tuned weights, their validation score, and each component's score alone."""

    weights: list[float]
    value: float
    single: dict[str, float]
    metric: str
    k: int


def normalize_scores(scores: np.ndarray, seen: sp.csr_matrix, method: str) -> np.ndarray:
    """Per-user normalisation, with statistics over the items each user has not seen."""
    s = np.array(scores, dtype=np.float64)
    finite = np.isfinite(s)
    s = np.where(finite, s, np.where(finite, s, np.inf).min(axis=1, keepdims=True))
    s[~np.isfinite(s)] = 0.0  # rows with no finite score at all
    unseen = np.ones(s.shape, dtype=bool)
    unseen[np.repeat(np.arange(s.shape[0]), np.diff(seen.indptr)), seen.indices] = False
    if method == "rank":
        keyed = np.where(unseen, s, -np.inf)
        ranks = np.argsort(np.argsort(keyed, axis=1, kind="stable"), axis=1).astype(np.float64)
        return ranks / max(s.shape[1] - 1, 1)
    cand = np.where(unseen, s, np.nan)
    if method == "minmax":
        lo, hi = np.nanmin(cand, axis=1, keepdims=True), np.nanmax(cand, axis=1, keepdims=True)
        return (s - lo) / np.maximum(hi - lo, 1e-12)
    mu, sd = np.nanmean(cand, axis=1, keepdims=True), np.nanstd(cand, axis=1, keepdims=True)
    return (s - mu) / np.maximum(sd, 1e-12)


def place_cold(
    blend: np.ndarray, content: np.ndarray, cold: np.ndarray, unseen: np.ndarray
) -> np.ndarray:
    """Give cold items the blended score at the quantile their content score reaches."""
    out = blend.copy()
    if not cold.any():
        return out
    for row in range(blend.shape[0]):
        warm = unseen[row] & ~cold
        if not warm.any():
            out[row, cold] = content[row, cold]
            continue
        ref_c, ref_b = np.sort(content[row, warm]), np.sort(blend[row, warm])
        q = np.searchsorted(ref_c, content[row, cold], side="right") / len(ref_c)
        out[row, cold] = np.interp(q, np.linspace(0.0, 1.0, len(ref_b)), ref_b)
    return out


def optimise_weights(
    score: Callable[[np.ndarray], float],
    names: list[str],
    n_trials: int,
    seed: int,
    verbose: bool = False,
) -> tuple[list[float], float, dict[str, float]]:
    """Blend weights in [0, 1] that maximise ``score``, with a seeded TPE sampler.

    Each component alone and the equal blend are tried first, so the result
    is never worse on validation than the best single component.
    Returns the weights (summing to one), the best score, and each single score.
    """
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    for i in range(len(names)):
        study.enqueue_trial({n: float(i == j) for j, n in enumerate(names)})
    study.enqueue_trial(dict.fromkeys(names, 1.0))

    def objective(trial: optuna.Trial) -> float:
        return score(np.array([trial.suggest_float(n, 0.0, 1.0) for n in names]))

    try:
        study.optimize(objective, n_trials=max(n_trials, len(names) + 1), show_progress_bar=verbose)
    finally:
        optuna.logging.set_verbosity(level)
    single = {n: float(study.trials[i].value or 0.0) for i, n in enumerate(names)}
    best = np.array([study.best_params[n] for n in names])
    total = best.sum()
    weights = [float(w / total) if total > 0 else 1.0 / len(names) for w in best]
    return weights, float(study.best_value), single


def _unseen_mask(seen: sp.csr_matrix) -> np.ndarray:
    mask = np.ones(seen.shape, dtype=bool)
    mask[np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr)), seen.indices] = False
    return mask


class HybridRecommender(BaseRecommender):
    """Blend of component models; ``components`` are ModelConfig dicts (name, params)."""

    name = "hybrid"

    def __init__(
        self,
        components: list[dict[str, Any]] | None = None,
        weights: list[float] | None = None,
        normalize: Literal["zscore", "minmax", "rank"] = "zscore",
        metric: str = "ndcg",
        k: int = 10,
        n_trials: int = 30,
        holdout: Literal["last", "random"] = "last",
        seed: int = 0,
        verbose: bool = False,
    ) -> None:
        self.components = components
        self.weights = weights
        self.normalize = normalize
        self.metric = metric
        self.k = k
        self.n_trials = n_trials
        self.holdout = holdout
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
        if self.holdout not in HOLDOUTS:
            raise ConfigError(f"hybrid: holdout must be one of {HOLDOUTS}, got {self.holdout!r}")
        if self.metric not in ACCURACY or self.k < 1 or self.n_trials < 1:
            raise ConfigError(
                f"hybrid: metric must be one of {ACCURACY}, k >= 1 and n_trials >= 1; "
                f"got {self.metric!r}, {self.k}, {self.n_trials}"
            )

    # --- fitting --------------------------------------------------------
    def _fit_components(self, data: Interactions) -> list[Any]:
        return [c.build().fit(data) for c in self.configs()]

    def _fit(self, data: Interactions) -> None:
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=np.float64)
        else:
            inner = self._inner_split(data)
            result = self._search(
                inner.train, inner.validation, self.metric, self.k, self.n_trials
            )[0]
            weights = np.asarray(result.weights, dtype=np.float64)
        self._adopt(data, self._fit_components(data), weights)

    def _inner_split(self, data: Interactions) -> Split:
        """Train/validation within ``data`` for tuning the weights (see ``holdout``)."""
        if self.holdout == "last":  # the latest item is held out, all others train
            cut = leave_last_out(data)
            nothing = cut.test.subset(np.zeros(len(cut.test), dtype=bool))
            return Split(cut.protocol, cut.train_validation(), cut.test, nothing)
        return random_per_user(data, validation=0.1, test=0.0, seed=self.seed)

    def _adopt(
        self, data: Interactions, components: list[Any], weights: np.ndarray | list[float]
    ) -> None:
        self.data_, self.seen_ = data, data.seen()
        self.components_ = components
        w = np.asarray(weights, dtype=np.float64)
        self.weights_ = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
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

        Sets ``weights`` to the best found and leaves the model fitted on
        ``train``; fit it again on train + validation for the final model.
        """
        self._check_params()
        result, components = self._search(
            train, validation, metric or self.metric, k or self.k, n_trials or self.n_trials
        )
        self.weights = [float(w) for w in result.weights]
        self._adopt(train, components, result.weights)
        return result

    def _search(
        self, train: Interactions, validation: Interactions, metric: str, k: int, n_trials: int
    ) -> tuple[TuneResult, list[Any]]:
        components = self._fit_components(train)
        self._adopt(train, components, np.ones(len(components)))
        truth = validation.matrix()
        users = np.flatnonzero(np.diff(truth.indptr) > 0)
        if len(users) > MAX_TUNE_USERS:
            rng = np.random.default_rng(self.seed)
            users = np.sort(rng.choice(users, MAX_TUNE_USERS, replace=False))
        names = [f"w{i}_{c.name}" for i, c in enumerate(self.configs())]
        if len(users) == 0:  # nothing to tune on: equal weights
            return TuneResult(
                [1.0 / len(names)] * len(names), float("nan"), {}, metric, k
            ), components
        parts = self._parts(users)
        truth_u, n_rel = truth[users], np.diff(truth.indptr)[users]
        allowed = np.ones(train.n_items, dtype=bool)
        allowed[train.hidden_items()] = False

        def score(weights: np.ndarray) -> float:
            top = self._top(users, parts, weights, allowed, k)
            return float(accuracy_at(hit_matrix(top, truth_u), n_rel, k)[metric].mean())

        best, value, single = optimise_weights(score, names, n_trials, self.seed, self.verbose)
        return TuneResult(best, value, single, metric, k), components

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

    def _blend(self, user_idx: np.ndarray, parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
        w = (
            weights / weights.sum()
            if weights.sum() > 0
            else np.full(len(weights), 1 / len(weights))
        )
        blend = np.tensordot(w, parts, axes=1)
        if not self.cold_capable_.any() or not self.cold_.any():
            return blend
        cw = np.where(self.cold_capable_, w, 0.0)
        cw = cw if cw.sum() > 0 else self.cold_capable_.astype(np.float64)
        content = np.tensordot(cw / cw.sum(), parts, axes=1)
        return place_cold(blend, content, self.cold_, _unseen_mask(self.seen_[user_idx]))

    def _top(
        self,
        user_idx: np.ndarray,
        parts: np.ndarray,
        weights: np.ndarray,
        allowed: np.ndarray,
        k: int,
    ) -> np.ndarray:
        s = self._blend(user_idx, parts, weights)
        s[:, ~allowed] = -np.inf
        s[~_unseen_mask(self.seen_[user_idx])] = -np.inf
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

    def _batch_reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        safe = np.maximum(items, 0)
        parts = np.take_along_axis(
            self._parts(user_idx), safe[None].repeat(len(self.weights_), 0), axis=2
        )
        contrib = self.weights_[:, None, None] * parts
        cold_item = self.cold_[safe] & self.cold_capable_.any()
        contrib[:, cold_item] = np.where(
            self.cold_capable_[:, None], contrib[:, cold_item], -np.inf
        )
        best = contrib.argmax(axis=0)
        reasons = np.stack([c._reasons(user_idx, items) for c in self.components_])
        return np.take_along_axis(reasons, best[None], axis=0)[0]

    # --- persistence ----------------------------------------------------
    def _get_state(self) -> dict[str, np.ndarray]:
        state = {"weights": self.weights_}
        for i, c in enumerate(self.components_):
            state.update({f"c{i}.{key}": arr for key, arr in c._get_state().items()})
        return state

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        components = [c.build() for c in self.configs()]
        for i, c in enumerate(components):
            c.data_, c.seen_ = self.data_, self.seen_
            prefix = f"c{i}."
            c._set_state(
                {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
            )
        self._adopt(self.data_, components, state["weights"])
