"""Tuning the hybrid's blend weights (and cold factor) with Optuna.

``HybridRecommender.tune`` tunes on a given validation set; with
``weights=None``, ``fit`` tunes on ``folds`` splits of its own training data
(the mean metric over them), then refits every component on all of it.
``holdout`` picks those splits: ``"last"`` holds out each user's latest items
(what next-item use and a leave-last-out evaluation need), ``"random"`` a
random 10% of each user's items (what a random per-user evaluation measures).

The functions here were the hybrid's own methods: they fit components through
the model and put each fold's fitted state on it to rank, so they use its
private members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import leave_last_out, random_per_user
from tailorwise.metrics.ranking import accuracy_at, hit_matrix
from tailorwise.recommend.hybrid.blend import optimise_weights


class Blendable(Protocol):
    """What the weight search reads and sets on the hybrid (so this module need not import
    the model, which imports it)."""

    seed: int
    verbose: bool
    cold_factor: float | None
    data_: Interactions
    seen_: sp.csr_matrix
    components_: list[Any]
    cold_: np.ndarray
    cold_capable_: np.ndarray
    cold_factor_: float

    @property
    def configs_(self) -> list[Any]: ...

    def _fit_components(self, data: Interactions) -> list[Any]: ...

    def _adopt(
        self,
        data: Interactions,
        components: list[Any],
        weights: np.ndarray | list[float],
        cold_factor: float = 1.0,
    ) -> None: ...

    def _parts(self, user_idx: np.ndarray) -> np.ndarray: ...

    def _top(
        self,
        user_idx: np.ndarray,
        parts: np.ndarray,
        weights: np.ndarray,
        allowed: np.ndarray,
        k: int,
    ) -> np.ndarray: ...


MAX_TUNE_USERS = (
    3000  # validation users sampled for tuning, to bound memory (users x items x parts)
)


class _Fitted(NamedTuple):
    """What ``_adopt`` derives from one training set, besides the weights."""

    data: Interactions
    seen: sp.csr_matrix
    components: list[Any]
    cold: np.ndarray
    cold_capable: np.ndarray


@dataclass(frozen=True)
class _Fold:
    """One tuning holdout: components fitted on its train part, the sampled
    validation users, their normalised component scores and their truth."""

    fitted: _Fitted
    users: np.ndarray
    parts: np.ndarray
    truth: sp.csr_matrix
    n_rel: np.ndarray
    allowed: np.ndarray


@dataclass(frozen=True)
class TuneResult:
    """Tuned weights, their validation score, and each component's score alone."""

    weights: list[float]
    cold_factor: float
    value: float
    single: dict[str, float]
    metric: str
    k: int


def inner_splits(
    data: Interactions, holdout: str, folds: int, seed: int
) -> list[tuple[Interactions, Interactions]]:
    """(train, validation) pairs within ``data`` for tuning the weights (see ``holdout``).

    One holdout of 943 users moved the tuned weights enough to lose 4% on
    MovieLens 100K's validation while gaining 4% on the holdout itself;
    averaging ``folds`` holdouts keeps the blend from fitting that noise.
    With ``"last"``, fold f holds out each user's (f+1)-th latest item and
    trains on the items before it; with ``"random"``, fold f is a random
    10% of each user's items (seed + f).
    """
    if holdout == "random":
        cuts = (random_per_user(data, 0.1, 0.0, seed=seed + f) for f in range(folds))
        return [(cut.train, cut.validation) for cut in cuts]
    pairs, rest = [], data
    for _ in range(folds):
        cut = leave_last_out(rest)
        pairs.append((cut.train_validation(), cut.test))
        rest = cut.train_validation()
    return pairs


def _fold(
    model: Blendable,
    train: Interactions,
    validation: Interactions,
    max_users: int,
    keep: bool,
) -> _Fold:
    """Components fitted on ``train`` and their scores for (a sample of) the validation
    users. Scoring a blend needs only the scores, so the components are kept only if
    ``keep``: three folds' EASE matrices made the peak 1.9 GiB on ML latest-small."""
    model.components_ = []  # the previous fold's, freed before these are fitted
    model._adopt(train, model._fit_components(train), np.ones(len(model.configs_)))
    truth = validation.matrix()
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    if len(users) > max_users:
        rng = np.random.default_rng(model.seed)
        users = np.sort(rng.choice(users, max_users, replace=False))
    allowed = np.ones(train.n_items, dtype=bool)
    allowed[train.hidden_items()] = False
    parts = model._parts(users) if len(users) else np.zeros((0, 0, 0), np.float32)
    components = model.components_ if keep else []
    fitted = _Fitted(model.data_, model.seen_, components, model.cold_, model.cold_capable_)
    return _Fold(fitted, users, parts, truth[users], np.diff(truth.indptr)[users], allowed)


def _objective(
    model: Blendable, folds: list[_Fold], metric: str, k: int
) -> Callable[[np.ndarray, float], float]:
    """The mean ``metric`` over ``folds`` of a blend with the given weights and cold
    factor; each call puts a fold's fitted state on ``model`` to rank with it."""

    def score(weights: np.ndarray, factor: float) -> float:
        values = []
        for fold in folds:
            model.data_, model.seen_, model.components_, model.cold_, model.cold_capable_ = (
                fold.fitted
            )
            model.cold_factor_ = factor if model.cold_factor is None else model.cold_factor
            top = model._top(fold.users, fold.parts, weights, fold.allowed, k)
            hits = hit_matrix(top, fold.truth)
            values.append(float(accuracy_at(hits, fold.n_rel, k)[metric].mean()))
        return float(np.mean(values))

    return score


def search(
    model: Blendable,
    pairs: list[tuple[Interactions, Interactions]],
    metric: str,
    k: int,
    n_trials: int,
    keep_last: bool = True,
) -> tuple[TuneResult, list[Any]]:
    """Weights (and cold factor) with the best mean ``metric`` over the (train, validation)
    pairs; returns them and the components of the last pair (empty unless ``keep_last``)."""
    per_fold = max(1, MAX_TUNE_USERS // len(pairs))
    folds = [
        _fold(model, t, v, per_fold, keep_last and i == len(pairs) - 1)
        for i, (t, v) in enumerate(pairs)
    ]
    folds = [f for f in folds if len(f.users)]
    names = [f"w{i}_{c.name}" for i, c in enumerate(model.configs_)]
    fixed = 1.0 if model.cold_factor is None else model.cold_factor
    if not folds:  # nothing to tune on: equal weights
        equal = [1.0 / len(names)] * len(names)
        return TuneResult(equal, fixed, float("nan"), {}, metric, k), model.components_
    tune_cold = model.cold_factor is None and any(
        f.fitted.cold_capable.any() and f.fitted.cold.any() for f in folds
    )
    best, factor, value, single = optimise_weights(
        _objective(model, folds, metric, k), names, n_trials, model.seed, model.verbose, tune_cold
    )
    factor = factor if tune_cold else fixed
    return TuneResult(best, factor, value, single, metric, k), folds[-1].fitted.components
