"""Hyperparameter search with Optuna: fit on train, score on validation only.

The test part is never read here except by ``fit_and_test``, which fits the
chosen parameters on train + validation and evaluates the test once.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import optuna
import pandas as pd

from tailorwise.config.space import Param, SearchSpace
from tailorwise.data.split import Split
from tailorwise.errors import ConfigError
from tailorwise.evaluate.runner import EvaluationResult, evaluate
from tailorwise.metrics.ranking import ACCURACY
from tailorwise.recommend.registry import model_class, model_names


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


def default_spaces() -> dict[str, dict[str, Param]]:
    """Each registered model's default search space, for the models that declare one."""
    spaces = {name: model_class(name).search_space for name in model_names()}
    return {name: dict(space) for name, space in spaces.items() if space is not None}


def default_space(model_name: str) -> dict[str, Param]:
    space = model_class(model_name).search_space  # an unknown name lists the known ones
    if space is None:
        raise ConfigError(
            f"no default search space for model '{model_name}'; pass search_space= "
            f"(models with one: {', '.join(default_spaces())})"
        )
    return dict(space)


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
    around_fit: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> tuple[Any, EvaluationResult]:
    """The one touch of the test set: fit on train + validation, evaluate on test.
    ``around_fit`` wraps the fit alone (the benchmark measures its memory with it)."""
    model = build(model_name, _quiet(model_name, params, verbose))
    t0 = time.perf_counter()
    with around_fit():
        model.fit(split.train_validation())
    fit_seconds = time.perf_counter() - t0
    return model, evaluate(model, split, "test", ks=ks, verbose=verbose, fit_seconds=fit_seconds)


@dataclass
class TestedModel:
    """A model tuned on validation (``tuning``: None when it was not), fitted on train +
    validation, and its one test result."""

    model: Any
    result: EvaluationResult
    tuning: TuningResult | None


def tune_and_test(
    model_name: str,
    split: Split,
    *,
    n_trials: int,
    space: SearchSpace,
    fixed: Mapping[str, Any],
    seed: int = 0,
    ks: tuple[int, ...] = (5, 10, 20),
    metric: str = "ndcg@10",
    on_trial: Callable[[int, int, float], None] | None = None,
    around_fit: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> TestedModel:
    """The protocol of every comparison, in `tailorwise benchmark` and benchmarks/: tune
    ``space`` over ``n_trials`` on validation (none when 0), fit the best on train +
    validation, score the test once."""
    tuning, params = None, dict(fixed)
    if n_trials > 0:
        tuning = tune(
            model_name,
            split,
            metric,
            n_trials,
            search_space=space,
            seed=seed,
            fixed_params=fixed,
            on_trial=on_trial,
        )
        params = tuning.best_params
    model, result = fit_and_test(model_name, params, split, ks=ks, around_fit=around_fit)
    return TestedModel(model, result, tuning)
