"""Hyperparameter search with Optuna: fit on train, score on validation only.

The test part is never read here except by ``fit_and_test``, which fits the
chosen parameters on train + validation and evaluates the test once.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import optuna
import pandas as pd
from pydantic import BaseModel, ConfigDict

from tailorwise.data.split import Split
from tailorwise.errors import ConfigError
from tailorwise.evaluate.runner import EvaluationResult, evaluate
from tailorwise.metrics.ranking import ACCURACY
from tailorwise.recommend.registry import model_class, model_names


class Param(BaseModel):
    """One dimension of a search space: a float or int range, or a list of choices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str  # "float" | "int" | "choice"
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a point of this dimension (e.g. a model's default)."""
        if self.kind == "choice":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return self.low <= value <= self.high and (self.kind == "float" or value == int(value))

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        if self.kind == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log)
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        if self.kind == "choice":
            return trial.suggest_categorical(name, list(self.choices))
        raise ConfigError(
            f"search space '{name}': kind must be float, int or choice, got {self.kind}"
        )


def float_range(low: float, high: float, log: bool = False) -> Param:
    return Param(kind="float", low=low, high=high, log=log)


def int_range(low: int, high: int, log: bool = False) -> Param:
    return Param(kind="int", low=low, high=high, log=log)


def choice(*options: Any) -> Param:
    return Param(kind="choice", choices=tuple(options))


SearchSpace = Mapping[str, Param]

# Default spaces for the registered models whose parameters are known. Fixed
# settings (seed, verbose, threads) are left out; an empty space means nothing to tune.
SEARCH_SPACES: dict[str, dict[str, Param]] = {
    "popular": {},
    "trending": {"half_life_days": float_range(1.0, 365.0, log=True)},
    "itemknn": {
        "k_neighbors": int_range(10, 1000, log=True),
        "shrink": float_range(0.0, 200.0),
        "weighting": choice("none", "bm25", "tfidf"),
        "bm25_k1": float_range(0.1, 3.0),
        "bm25_b": float_range(0.0, 1.0),
    },
    "ease": {"l2": float_range(10.0, 10_000.0, log=True)},
    "seqknn": {
        "window": int_range(1, 50, log=True),
        "decay": float_range(0.3, 1.0),
        "backward": float_range(0.0, 1.0),
        "recency": float_range(0.5, 1.0),
        "alpha": float_range(0.0, 1.0),
    },
    "als": {
        "factors": int_range(16, 256, log=True),
        "regularization": float_range(1e-4, 1.0, log=True),
        "alpha": float_range(0.1, 50.0, log=True),
        "iterations": int_range(5, 40),
    },
    "bpr": {
        "factors": int_range(16, 256, log=True),
        "learning_rate": float_range(1e-3, 0.2, log=True),
        "regularization": float_range(1e-5, 0.1, log=True),
        "iterations": int_range(20, 300, log=True),
    },
    "content": {"features": choice("tfidf", "minilm"), "category_weight": float_range(0.0, 3.0)},
    "sasrec": {
        "embedding_dim": choice(32, 64, 128),
        "n_layers": int_range(1, 3),
        "dropout": float_range(0.0, 0.5),
        "lr": float_range(1e-4, 1e-2, log=True),
        # linear from 0, so the default (no decay) is a point of the space and trial 0
        "weight_decay": float_range(0.0, 0.1),
    },
    "gru4rec": {
        "embedding_dim": choice(32, 64, 128),
        "dropout": float_range(0.0, 0.5),
        "lr": float_range(1e-4, 1e-2, log=True),
    },
}


@dataclass
class TuningResult:
    model: str
    metric: str
    best_params: dict[str, Any]
    best_value: float
    trials: pd.DataFrame = field(repr=False)  # one row per trial: number, value, params, seconds
    seconds: float = 0.0


def parse_metric(metric: str) -> tuple[str, int]:
    """``"ndcg@10"`` -> ("ndcg", 10), with a clear error otherwise."""
    name, _, k = metric.partition("@")
    if name not in ACCURACY or not k.isdigit() or int(k) <= 0:
        raise ConfigError(
            f"metric must look like NAME@K with NAME one of {', '.join(ACCURACY)} "
            f"and K > 0, got '{metric}'"
        )
    return name, int(k)


def default_space(model_name: str) -> dict[str, Param]:
    if model_name not in model_names():
        model_class(model_name)  # raises the registry's error, which lists the known names
    if model_name not in SEARCH_SPACES:
        raise ConfigError(
            f"no default search space for model '{model_name}'; pass search_space= "
            f"(models with one: {', '.join(SEARCH_SPACES)})"
        )
    return SEARCH_SPACES[model_name]


def _check_space(model_name: str, space: SearchSpace, fixed: Mapping[str, Any]) -> None:
    allowed = set(model_class(model_name)._param_names())
    unknown = sorted((set(space) | set(fixed)) - allowed)
    if unknown:
        raise ConfigError(
            f"model '{model_name}' has no parameter(s) {unknown}; "
            f"its parameters are: {', '.join(sorted(allowed))}"
        )


def _quiet(model_name: str, params: Mapping[str, Any], verbose: bool) -> dict[str, Any]:
    """Pass ``verbose`` to models that take it, unless the caller set it."""
    out = dict(params)
    if "verbose" in model_class(model_name)._param_names():
        out.setdefault("verbose", verbose)
    return out


def build(model_name: str, params: Mapping[str, Any]) -> Any:
    return model_class(model_name)(**dict(params))


def tune(
    model_name: str,
    split: Split,
    metric: str = "ndcg@10",
    n_trials: int = 20,
    search_space: SearchSpace | None = None,
    seed: int = 0,
    fixed_params: Mapping[str, Any] | None = None,
    verbose: bool = False,
    on_trial: Callable[[int, int, float], None] | None = None,
) -> TuningResult:
    """Seeded TPE search over ``search_space``: each trial fits on train, scores validation.

    ``on_trial(done, total, best_value)`` is called after each trial (for progress display).
    """
    start = time.perf_counter()
    _, k = parse_metric(metric)
    space = dict(default_space(model_name) if search_space is None else search_space)
    fixed = _quiet(model_name, fixed_params or {}, verbose)
    _check_space(model_name, space, fixed)
    if n_trials < 1:
        raise ConfigError(f"n_trials must be >= 1, got {n_trials}")
    if not space:
        n_trials = 1  # nothing to search: one fit gives the validation score

    def objective(trial: optuna.Trial) -> float:
        params = {**fixed, **{name: p.suggest(trial, name) for name, p in space.items()}}
        t0 = time.perf_counter()
        model = build(model_name, params).fit(split.train)
        trial.set_user_attr("fit_seconds", time.perf_counter() - t0)
        return evaluate(model, split, "validation", ks=(k,))[metric]

    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(defaults_in(model_name, space))  # the first trial: the model's defaults
    callbacks = (
        []
        if on_trial is None
        else [lambda st, t: on_trial(t.number + 1, n_trials, float(st.best_value))]
    )
    study.optimize(objective, n_trials=n_trials, show_progress_bar=verbose, callbacks=callbacks)
    trials = study.trials_dataframe(attrs=("number", "value", "params", "duration", "user_attrs"))
    return TuningResult(
        model=model_name,
        metric=metric,
        best_params={**fixed, **study.best_params},
        best_value=float(study.best_value),
        trials=trials,
        seconds=time.perf_counter() - start,
    )


def defaults_in(model_name: str, space: SearchSpace) -> dict[str, Any]:
    """The model's constructor defaults that lie in ``space``: so one trial = the defaults."""
    signature = inspect.signature(model_class(model_name).__init__)
    defaults = {n: p.default for n, p in signature.parameters.items() if n in space}
    return {n: v for n, v in defaults.items() if space[n].contains(v)}


def fit_and_test(
    model_name: str,
    params: Mapping[str, Any],
    split: Split,
    ks: tuple[int, ...] = (5, 10, 20),
    verbose: bool = False,
) -> tuple[Any, EvaluationResult]:
    """The one touch of the test set: fit on train + validation, evaluate on test."""
    t0 = time.perf_counter()
    model = build(model_name, _quiet(model_name, params, verbose)).fit(split.train_validation())
    fit_seconds = time.perf_counter() - t0
    return model, evaluate(model, split, "test", ks=ks, verbose=verbose, fit_seconds=fit_seconds)
