"""ALS and BPR matrix factorization, through the ``implicit`` library.

The training matrix is built once and handed to implicit as it is (CSR,
float32), so the fit costs what implicit's own call costs. BLAS is held to
one thread during the fit, as implicit recommends: its OpenMP loops run the
solves in parallel, and a BLAS thread pool inside them oversubscribes the
cores.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from tailorwise.config.space import SearchSpace, float_range, int_range
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.itemknn import item_titles


def _positive_int(model: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{model}: {name} must be a positive integer, got {value!r}")


def _number(model: str, name: str, value: Any, low: float, strict: bool = True) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not (value > low if strict else value >= low):
        raise ConfigError(
            f"{model}: {name} must be a number {'>' if strict else '>='} {low}, got {value!r}"
        )


class _ImplicitMF(BaseRecommender):
    """Shared parts: parameter checks, the implicit model, scores from factors, saved state."""

    library: ClassVar[type]  # implicit's model class
    rate: ClassVar[str]  # the positive number each model adds: ALS's alpha, BPR's learning rate

    factors: int
    regularization: float
    iterations: int
    seed: int
    num_threads: int
    verbose: bool

    def _check_params(self) -> None:
        _positive_int(self.name, "factors", self.factors)
        _positive_int(self.name, "iterations", self.iterations)
        _number(self.name, "regularization", self.regularization, 0.0, strict=False)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"{self.name}: seed must be an integer >= 0, got {self.seed!r}")
        _number(self.name, self.rate, getattr(self, self.rate), 0.0)
        if (
            isinstance(self.num_threads, bool)
            or not isinstance(self.num_threads, int)
            or self.num_threads < 0
        ):
            raise ConfigError(
                f"{self.name}: num_threads must be >= 0 (0 = all cores), got {self.num_threads!r}"
            )

    def _make(self) -> Any:
        """implicit's model, given our parameters by their names (both take the same ones,
        but for ``seed``, which implicit calls ``random_state``, and ``verbose``)."""
        params = {k: v for k, v in self.get_params().items() if k not in ("seed", "verbose")}
        return self.library(**params, random_state=self.seed)

    def _fit(self, data: Interactions) -> None:
        with threadpool_limits(1, "blas"):
            model = self._make()
            model.fit(data.matrix(), show_progress=bool(self.verbose))
        self.user_factors_ = model.user_factors
        self.item_factors_ = model.item_factors

    def _user_state(self, data: Interactions) -> None:
        self.user_factors_ = self._fold_in(data)

    def _fold_in(self, data: Interactions) -> np.ndarray:
        """User factors for ``data``'s users: those they had in training; BPR learns no
        closed form for a new history (ALS overrides this with its least squares)."""
        trained = self.data_.users.to_internal(data.users.external, strict=False)
        factors = np.zeros((data.n_users, self.user_factors_.shape[1]), self.user_factors_.dtype)
        factors[trained >= 0] = self.user_factors_[trained[trained >= 0]]
        return factors

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return self.user_factors_[user_idx] @ self.item_factors_.T

    def _get_state(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_}

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.user_factors_ = state["user_factors"]
        self.item_factors_ = state["item_factors"]


class ALSRecommender(_ImplicitMF):
    """Implicit-feedback ALS (Hu, Koren, Volinsky 2008); confidence = ``alpha`` x weight."""

    name = "als"
    library = AlternatingLeastSquares
    rate = "alpha"
    search_space: ClassVar[SearchSpace] = {
        "factors": int_range(16, 256, log=True),
        "regularization": float_range(1e-4, 1.0, log=True),
        "alpha": float_range(0.1, 50.0, log=True),
        "iterations": int_range(5, 40),
    }

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 0,
        num_threads: int = 0,
        verbose: bool = True,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.num_threads = num_threads
        self.verbose = verbose

    def _fold_in(self, data: Interactions) -> np.ndarray:
        """The trained factors of users whose history is unchanged since training; the
        others' solved from their history against the item factors: ALS's own step,
        implicit's ``recalculate_user``."""
        factors = super()._fold_in(data)
        liked = data.matrix()
        trained = self.data_.users.to_internal(data.users.external, strict=False)
        before = self.data_.liked[np.maximum(trained, 0)]
        changed = np.flatnonzero((trained < 0) | (abs(liked - before).sum(axis=1).A1 > 0))
        if len(changed):
            with threadpool_limits(1, "blas"):
                als = self._make()
            als.item_factors = self.item_factors_
            solved = als.recalculate_user(changed, liked[changed])
            factors[changed] = np.asarray(solved).reshape(len(changed), -1)
        return factors

    def _reasons(self, user_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        """implicit's ``explain``: the user's item that contributes most to each score, when
        some customer took both; else the item's popularity."""
        with threadpool_limits(1, "blas"):
            als = self._make()
        als.user_factors, als.item_factors = self.user_factors_, self.item_factors_
        evidence = self.evidence()
        liked = self.data_.matrix()
        titles = item_titles(self.data_)
        out = np.full(items.shape, None, dtype=object)
        for row, user in enumerate(user_idx):
            mine, cache = liked[user], None
            if mine.nnz == 0:
                continue
            for col, item in enumerate(items[row]):
                if item < 0:
                    continue
                _, top, cache = als.explain(0, mine, int(item), user_weights=cache, N=1)
                if not top or top[0][1] <= 0:
                    continue
                source = int(top[0][0])
                if evidence.related(np.array([source]), np.array([item]))[0, 0]:
                    deed = evidence.deed(int(user), source, titles[source])
                    out[row, col] = f"because you {deed}"
        return evidence.explain_rest(out, items)


class BPRRecommender(_ImplicitMF):
    """Bayesian Personalized Ranking by SGD (Rendle et al. 2009).

    implicit's BPR updates the factors from several threads without locks,
    so results repeat exactly for a seed only with ``num_threads=1`` (the
    default); more threads are faster and differ slightly from run to run.
    """

    name = "bpr"
    reacts_to_events = False  # no closed form for a new history: see ``_fold_in``
    library = BayesianPersonalizedRanking
    rate = "learning_rate"
    search_space: ClassVar[SearchSpace] = {
        "factors": int_range(16, 256, log=True),
        "learning_rate": float_range(1e-3, 0.2, log=True),
        "regularization": float_range(1e-5, 0.1, log=True),
        "iterations": int_range(20, 300, log=True),
    }

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        seed: int = 0,
        num_threads: int = 1,
        verbose: bool = True,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
        self.num_threads = num_threads
        self.verbose = verbose
