"""Evaluate a fitted model on one part of a split, ranking the whole catalog.

For ``part="validation"`` the model must have been fitted on ``split.train``;
for ``part="test"`` on ``split.train_validation()``, so that validation items
count as seen and are excluded too. Every evaluated user gets a ranking of
ALL items minus the ones the model saw them take (never sampled negatives).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split
from tailorwise.errors import InvalidRequestError
from tailorwise.metrics import ranking as M
from tailorwise.progress import report
from tailorwise.recommend.base import BaseRecommender, Filters

Part = Literal["validation", "test"]
BEYOND = ("coverage", "novelty", "ild", "arp")
CHUNK = 1024  # users ranked per progress step


@dataclass
class EvaluationResult:
    """Per-user and mean metrics of one model on one part of one split.

    ``per_user["ndcg@10"][i]`` belongs to internal user ``users[i]``; the
    bootstrap in ``significance`` pairs models on these arrays.
    """

    model: str
    protocol: str
    part: str
    ks: tuple[int, ...]
    users: np.ndarray
    per_user: dict[str, np.ndarray]
    metrics: dict[str, float]
    n_skipped: int
    seconds: float
    top: np.ndarray = field(repr=False)  # (n_users, max k) internal item indices, -1 padded
    popularity: np.ndarray = field(repr=False)  # training users per item
    params: dict[str, Any] = field(default_factory=dict)
    fit_seconds: float | None = None

    @property
    def n_users(self) -> int:
        return len(self.users)

    def __getitem__(self, metric: str) -> float:
        if metric not in self.metrics:
            raise KeyError(f"no metric '{metric}'; have: {', '.join(self.metrics)}")
        return self.metrics[metric]

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (no per-user arrays)."""
        return {
            "model": self.model,
            "protocol": self.protocol,
            "part": self.part,
            "ks": list(self.ks),
            "params": self.params,
            "metrics": self.metrics,
            "users_evaluated": self.n_users,
            "users_skipped": self.n_skipped,
            "eval_seconds": round(self.seconds, 3),
            "fit_seconds": None if self.fit_seconds is None else round(self.fit_seconds, 3),
        }


def fitted_on(split: Split, part: str) -> Interactions:
    """What a model evaluated on ``part`` must have been fitted on."""
    if part == "validation":
        return split.train
    if part == "test":
        return split.train_validation()
    raise InvalidRequestError(f"part must be 'validation' or 'test', got '{part}'")


def evaluate(
    model: BaseRecommender,
    split: Split,
    part: Part = "test",
    ks: Sequence[int] = (5, 10, 20),
    *,
    verbose: bool = False,
    fit_seconds: float | None = None,
) -> EvaluationResult:
    """Rank all items for every user with held-out positives in ``part``; score them."""
    start = time.perf_counter()
    ks = _check_ks(ks)
    _check_fitted_on(model, split, part)
    truth_all = getattr(split, part).matrix()
    has_truth = np.diff(truth_all.indptr) > 0
    warm = np.diff(model.seen_.indptr) > 0
    users = np.flatnonzero(has_truth & warm)
    top = _rank(model, users, max(ks), verbose)
    truth = truth_all[users]
    per_user = _accuracy(top, truth, ks)
    popularity = np.bincount(
        model.data_.item_idx[model.data_.weight > 0], minlength=model.data_.n_items
    ).astype(np.float64)
    means = {name: float(v.mean()) if len(v) else 0.0 for name, v in per_user.items()}
    beyond = _beyond(top, ks, popularity, model.data_)
    return EvaluationResult(
        model=model.name,
        protocol=split.protocol,
        part=part,
        ks=ks,
        users=users,
        per_user=per_user,
        metrics={**means, **beyond},
        n_skipped=int((has_truth & ~warm).sum()),
        seconds=time.perf_counter() - start,
        top=top,
        popularity=popularity,
        params=model.get_params(),
        fit_seconds=fit_seconds,
    )


def _check_ks(ks: Sequence[int]) -> tuple[int, ...]:
    out = tuple(sorted({int(k) for k in ks}))
    if not out or out[0] <= 0:
        raise InvalidRequestError(f"ks must be positive cut-offs, got {list(ks)}")
    return out


def _check_fitted_on(model: BaseRecommender, split: Split, part: str) -> None:
    model.check_fitted()
    expected = fitted_on(split, part)
    data = model.data_
    same = (
        len(data) == len(expected)
        and data.n_users == expected.n_users
        and data.n_items == expected.n_items
    )
    if not same:
        need = "split.train" if part == "validation" else "split.train_validation()"
        raise InvalidRequestError(
            f"to evaluate on '{part}', fit the model on {need} ({len(expected):,} pairs); "
            f"it was fitted on {len(data):,} pairs"
        )


def _rank(model: BaseRecommender, users: np.ndarray, k: int, verbose: bool) -> np.ndarray:
    """Top ``k`` over all allowed items, seen items excluded, in chunks with a progress bar."""
    allowed = model.allowed_items(Filters())
    top = np.full((len(users), k), -1, dtype=np.int64)
    task = f"ranking ({model.name})"
    for s in range(0, len(users), CHUNK):
        top[s : s + CHUNK], _ = model.top_k(users[s : s + CHUNK], k, allowed, exclude_seen=True)
        if verbose:
            report(task, min(s + CHUNK, len(users)), len(users))
    return top


def _accuracy(top: np.ndarray, truth: sp.csr_matrix, ks: tuple[int, ...]) -> dict[str, np.ndarray]:
    hits = M.hit_matrix(top, truth)
    n_relevant = np.diff(truth.indptr)
    out: dict[str, np.ndarray] = {}
    for k in ks:
        for name, values in M.accuracy_at(hits, n_relevant, k).items():
            out[f"{name}@{k}"] = values
    return out


def _beyond(
    top: np.ndarray, ks: tuple[int, ...], popularity: np.ndarray, data: Interactions
) -> dict[str, float]:
    """Coverage, novelty, intra-list diversity and popularity bias (ARP) at each k."""
    item_vectors = sp.csr_matrix(data.matrix().T)
    out: dict[str, float] = {}
    for k in ks:
        t = top[:, :k]
        out[f"coverage@{k}"] = M.coverage(t, data.n_items)
        out[f"novelty@{k}"] = _nanmean(M.novelty(t, popularity, data.n_users))
        out[f"ild@{k}"] = _nanmean(M.intra_list_diversity(t, item_vectors))
        out[f"arp@{k}"] = _nanmean(M.popularity_bias(t, popularity))
    return out


def _nanmean(values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    return float(values[ok].mean()) if ok.any() else float("nan")
