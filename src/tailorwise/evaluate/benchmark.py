"""Several models on one split, each tuned on validation (optionally) and tested once.

Every model is compared with a baseline model by a per-user paired bootstrap
of the test metrics. ``write_benchmark`` writes the Markdown tables, the JSON
and the plots through ``tailorwise.evaluate.report``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tailorwise.data.protocols import Protocol
from tailorwise.data.split import Split, check_evaluable, make_split
from tailorwise.data.training import training_interactions
from tailorwise.data.weighting import WeightingConfig
from tailorwise.errors import ConfigError, InvalidRequestError
from tailorwise.evaluate import report
from tailorwise.evaluate.runner import EvaluationResult
from tailorwise.evaluate.tuning import tune_and_test
from tailorwise.metrics.bootstrap import BootstrapResult, paired_bootstrap
from tailorwise.progress import ProgressCallback, ProgressUpdate
from tailorwise.recommend.registry import model_class, model_names
from tailorwise.store.base import DataStore

DEFAULT_MODELS = ("popular", "itemknn", "ease", "als")
DEFAULT_BASELINE = "popular"
COMPARED = ("ndcg", "recall")  # metrics bootstrapped against the baseline, at every k
TABLE_METRICS = ("ndcg", "recall", "precision", "hr", "mrr", "map", "coverage", "novelty", "arp")
N_RESAMPLES = 1000

# say(label, models_done): before each stage of each model, and once at the end.
StepCallback = Callable[[str, int], None]


@dataclass
class ModelRun:
    """One model's test result, its difference to the baseline, and its tuning."""

    result: EvaluationResult
    vs_baseline: dict[str, BootstrapResult] = field(default_factory=dict)
    tuned: bool = False
    tune_seconds: float | None = None
    validation_value: float | None = None  # best validation metric when tuned

    def summary(self) -> dict[str, Any]:
        return {
            **self.result.summary(),
            "tuned": self.tuned,
            "tune_seconds": None if self.tune_seconds is None else round(self.tune_seconds, 3),
            "validation_value": self.validation_value,
            "vs_baseline": {m: b.as_dict() for m, b in self.vs_baseline.items()},
        }


@dataclass
class Benchmark:
    protocol: str
    ks: tuple[int, ...]
    seed: int
    baseline: str
    n_trials: int
    split_sizes: dict[str, int]
    runs: list[ModelRun]

    @property
    def results(self) -> list[EvaluationResult]:
        return [r.result for r in self.runs]

    @property
    def main_k(self) -> int:
        """The cut-off of the summary table and the popularity plot: 10 when measured."""
        return 10 if 10 in self.ks else self.ks[-1]

    def summary(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "ks": list(self.ks),
            "seed": self.seed,
            "baseline": self.baseline,
            "trials": self.n_trials,
            "split": self.split_sizes,
            "models": [r.summary() for r in self.runs],
        }


def parse_models(spec: str) -> list[str]:
    """``"popular,ease"`` or ``"all"`` -> registry names, in order, without repeats."""
    known = model_names()
    if spec.strip().lower() == "all":
        return known
    names = list(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        what = f"unknown model(s) {', '.join(map(repr, unknown))}" if unknown else "no model named"
        raise ConfigError(f"{what}; choose from: {', '.join(known)} (or 'all')")
    return names


def store_split(
    store: DataStore, protocol: Protocol | str, weighting: WeightingConfig, seed: int = 0
) -> Split:
    """The store's interactions, weighted as configured, split by ``protocol``."""
    split = make_split(training_interactions(store, weighting, seed), protocol, seed=seed)
    return check_evaluable(split, ("validation", "test"))


def run_benchmark(
    split: Split,
    models: Sequence[str],
    ks: Sequence[int] = (5, 10, 20),
    n_trials: int = 0,
    seed: int = 0,
    baseline: str = DEFAULT_BASELINE,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: ProgressCallback | None = None,
) -> Benchmark:
    """Run ``models`` (the baseline first if not among them), compare each with the baseline.

    ``params`` fixes parameters per model name (tuning searches the rest).
    """
    names = parse_models(",".join(models if baseline in models else [baseline, *models]))
    cut = tuple(sorted({int(k) for k in ks}))
    if not cut or cut[0] <= 0:
        raise InvalidRequestError(f"k must be positive cut-offs, got {list(ks)}")

    def say(label: str, done: int) -> None:
        if progress:
            progress(ProgressUpdate("benchmark", done, len(names), label))

    fixed = params or {}
    runs = [
        _run_one(name, split, cut, n_trials, seed, dict(fixed.get(name, {})), say, done)
        for done, name in enumerate(names)
    ]
    say("done", len(names))
    base = runs[names.index(baseline)]
    for run in runs:
        run.vs_baseline = {
            f"{m}@{k}": paired_bootstrap(
                run.result, base.result, f"{m}@{k}", n_resamples=N_RESAMPLES, seed=seed
            )
            for m in COMPARED
            for k in cut
        }
    sizes = {
        "train": len(split.train),
        "validation": len(split.validation),
        "test": len(split.test),
    }
    return Benchmark(split.protocol, cut, seed, baseline, n_trials, sizes, runs)


def _run_one(
    name: str,
    split: Split,
    ks: tuple[int, ...],
    n_trials: int,
    seed: int,
    fixed: dict[str, Any],
    say: StepCallback,
    done: int,
) -> ModelRun:
    default = model_class(name).search_space or {}
    space = {p: dim for p, dim in default.items() if p not in fixed}
    say(f"tuning {name}" if n_trials > 0 and space else f"fitting {name}", done)
    tested = tune_and_test(
        name,
        split,
        n_trials=n_trials if space else 0,  # nothing to search: the model as configured
        space=space,
        fixed=fixed,
        seed=seed,
        ks=ks,
        on_trial=lambda n, total, v: say(f"tuning {name}: trial {n}/{total}, best {v:.4f}", done),
    )
    tuning = tested.tuning
    return ModelRun(
        tested.result,
        tuned=tuning is not None,
        tune_seconds=None if tuning is None else tuning.seconds,
        validation_value=None if tuning is None else tuning.best_value,
    )


def _ci(b: BootstrapResult) -> str:
    return f"{b.mean_diff:+.4f} [{b.ci_low:+.4f}, {b.ci_high:+.4f}]"


def benchmark_markdown(bench: Benchmark) -> str:
    """A summary row per model, then a metric x k table per model."""
    k = bench.main_k
    sizes = ", ".join(f"{part} {n:,}" for part, n in bench.split_sizes.items())
    tuning = f"{bench.n_trials} Optuna trials on validation" if bench.n_trials else "defaults"
    diff = f"ndcg@{k} - {bench.baseline}, 95% CI"
    summary = report.markdown_table(
        bench.results,
        columns=[f"{m}@{k}" for m in ("ndcg", "recall", "coverage", "novelty", "arp")],
        baseline=bench.baseline,
        ratio_metric=f"ndcg@{k}",
        extra={diff: [_ci(r.vs_baseline[f"ndcg@{k}"]) for r in bench.runs]},
    )
    parts = [
        f"# Benchmark: {bench.protocol} split ({sizes} pairs), parameters: {tuning}, "
        f"seed {bench.seed}\n",
        f"Differences are per-user paired bootstrap means ({N_RESAMPLES} resamples) "
        f"against `{bench.baseline}` on the same test users.\n",
        summary,
    ]
    for run in bench.runs:
        r = run.result
        fit = "" if r.fit_seconds is None else f", fit {r.fit_seconds:.2f}s"
        tuned = f", tuned {run.tune_seconds:.1f}s" if run.tune_seconds is not None else ""
        parts.append(f"## {r.model}\n\n{r.n_users:,} test users{fit}{tuned}; params `{r.params}`\n")
        parts.append(report.metrics_by_k_table(r, TABLE_METRICS))
        diffs = [f"| {m} | {_ci(b)} |" for m, b in run.vs_baseline.items()]
        parts.append(
            f"| difference to {bench.baseline} | mean [95% CI] |\n|---|---|\n"
            + "\n".join(diffs)
            + "\n"
        )
    return "\n".join(parts)


def write_benchmark(bench: Benchmark, out_dir: Path) -> dict[str, Path]:
    """``benchmark.md``, ``benchmark.json``, ``metrics_vs_k.png``, ``popularity_bias.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "benchmark.md"
    md.write_text(benchmark_markdown(bench), encoding="utf-8")
    js = out_dir / "benchmark.json"
    js.write_text(
        json.dumps(bench.summary(), indent=2, default=str, allow_nan=True), encoding="utf-8"
    )
    if not report.plots_available():
        warnings.warn(report.PLOTS_MISSING, stacklevel=2)
        return {"markdown": md, "json": js}
    return {
        "markdown": md,
        "json": js,
        "metrics_vs_k": report.plot_metrics_vs_k(bench.results, out_dir / "metrics_vs_k.png"),
        "popularity_bias": report.plot_popularity_bias(
            bench.results, out_dir / "popularity_bias.png", k=bench.main_k
        ),
    }
