"""Honest evaluation of a configured model on the store, and the demo's comparison of the
default model with popularity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tailorwise.data.protocols import Protocol
from tailorwise.data.split import check_evaluable, leave_last_out, make_split
from tailorwise.data.training import training_interactions
from tailorwise.errors import InvalidRequestError
from tailorwise.evaluate.runner import EvaluationResult
from tailorwise.metrics.bootstrap import BootstrapResult, paired_bootstrap
from tailorwise.progress import ProgressCallback, report, reporting, stage
from tailorwise.recommend.config import DEFAULT_MODEL, TrainConfig
from tailorwise.store.base import DataStore

BASELINE = "popular"


def evaluate_model(
    store: DataStore,
    config: TrainConfig,
    protocol: Protocol = Protocol.leave_last_out,
    tune_trials: int = 0,
    ks: Sequence[int] = (5, 10, 20),
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> EvaluationResult:
    """Split the store, tune on validation (``tune_trials`` > 0), fit on train+validation and
    score the test once."""
    from tailorwise.evaluate.tuning import fit_and_test, tune  # optuna: only when evaluating

    cut = tuple(ks)
    if not cut or min(cut) <= 0:
        raise InvalidRequestError(f"k must be positive, got {list(cut)}")
    name = config.model.name
    with reporting(progress):
        stage("reading interactions")
        data = training_interactions(store, config.weighting, seed=seed)
        split = check_evaluable(make_split(data, protocol, seed=seed))
        params = dict(config.model.params)
        if tune_trials > 0:
            params = tune(
                name,
                split,
                n_trials=tune_trials,
                seed=seed,
                fixed_params=params,
                on_trial=lambda n, total, best: report(
                    f"tuning {name} on validation", n, total, f"best {best:.4f}"
                ),
            ).best_params
        stage(f"fitting {name} on train+validation, scoring the test")
        return fit_and_test(name, params, split, ks=cut)[1]


@dataclass(frozen=True)
class DefaultComparison:
    """The default model and a baseline on one leave-last-out test, and their difference."""

    baseline: EvaluationResult
    model: EvaluationResult
    difference: BootstrapResult


def compare_with_baseline(
    store: DataStore,
    model: str = DEFAULT_MODEL,
    baseline: str = BASELINE,
    metric: str = "ndcg@10",
    progress: ProgressCallback | None = None,
) -> DefaultComparison:
    """``model`` against ``baseline`` on a leave-last-out test, all items ranked, with a
    paired bootstrap CI of the difference in ``metric``; an error says why when the store
    cannot be evaluated."""
    from tailorwise.evaluate.tuning import fit_and_test

    with reporting(progress):
        stage("reading interactions")
        split = check_evaluable(leave_last_out(training_interactions(store, seed=0)))
        results = []
        for name in (baseline, model):
            stage(f"fitting {name}, scoring the test")
            results.append(fit_and_test(name, {}, split, ks=(10,))[1])
    diff = paired_bootstrap(results[1], results[0], metric, n_resamples=500)
    return DefaultComparison(results[0], results[1], diff)
