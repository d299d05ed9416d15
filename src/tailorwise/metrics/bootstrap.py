"""Per-user paired bootstrap of the difference in a metric between two models."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import stats

from tailorwise.errors import InvalidRequestError


@runtime_checkable
class PerUser(Protocol):
    """Per-user metric values keyed by metric name, for the users in ``users`` (an
    evaluation result, for one)."""

    users: np.ndarray
    per_user: dict[str, np.ndarray]


@dataclass(frozen=True)
class BootstrapResult:
    """``model - baseline`` in ``metric``: mean, percentile CI, and the share of resamples <= 0."""

    metric: str
    mean_diff: float
    ci_low: float
    ci_high: float
    p_value: float  # share of bootstrap means <= 0: small when the model is reliably better
    n_users: int
    n_resamples: int
    confidence: float

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def paired_bootstrap(
    model: PerUser | np.ndarray,
    baseline: PerUser | np.ndarray,
    metric: str = "ndcg@10",
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapResult:
    """Resample users with replacement (the same users for both models) B times."""
    a, b = _per_user(model, metric), _per_user(baseline, metric)
    if (
        isinstance(model, PerUser)
        and isinstance(baseline, PerUser)
        and not np.array_equal(model.users, baseline.users)
    ):
        raise InvalidRequestError(
            "paired bootstrap needs both models evaluated on the same users; "
            "evaluate them on the same split part"
        )
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise InvalidRequestError(
            f"need two equal-length, non-empty per-user arrays, got {a.shape} and {b.shape}"
        )
    if n_resamples < 1 or not 0 < confidence < 1:
        raise InvalidRequestError("n_resamples must be >= 1 and confidence in (0, 1)")
    diff = a - b
    with warnings.catch_warnings():  # all-equal differences: CI collapses to the mean below
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(
            (diff,),
            np.mean,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            vectorized=True,
            rng=np.random.default_rng(seed),
            batch=max(1, 2_000_000 // len(diff)),
        )
    low, high = res.confidence_interval
    return BootstrapResult(
        metric=metric,
        mean_diff=float(diff.mean()),
        ci_low=float(low) if np.isfinite(low) else float(diff.mean()),
        ci_high=float(high) if np.isfinite(high) else float(diff.mean()),
        p_value=float((res.bootstrap_distribution <= 0).mean()),
        n_users=len(diff),
        n_resamples=n_resamples,
        confidence=confidence,
    )


def _per_user(result: PerUser | np.ndarray, metric: str) -> np.ndarray:
    if isinstance(result, PerUser):
        if metric not in result.per_user:
            raise InvalidRequestError(
                f"no per-user values for '{metric}'; have: {', '.join(result.per_user)}"
            )
        return np.asarray(result.per_user[metric], dtype=np.float64)
    return np.asarray(result, dtype=np.float64)
