"""Results of several models: a Markdown table, JSON, and plots (PNG)."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tailorwise.evaluate.runner import EvaluationResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOTS_MISSING = "plots skipped: matplotlib is not installed (pip install 'tailorwise[plots]')"


def plots_available() -> bool:
    """Whether matplotlib (the ``plots`` extra) is installed."""
    try:
        import matplotlib  # noqa: F401 - the package alone: no backend, no pyplot
    except ModuleNotFoundError:
        return False
    return True


def _figure(width: float, height: float) -> Figure:
    # The object-oriented API without pyplot: no backend to choose, no window, no global
    # state, so importing this module changes nothing in the process.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


DEFAULT_COLUMNS = (
    "ndcg@10",
    "recall@10",
    "precision@10",
    "hr@10",
    "mrr@10",
    "map@10",
    "coverage@10",
    "novelty@10",
    "ild@10",
    "arp@10",
)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return (
            "nan" if math.isnan(value) else f"{value:.4f}" if abs(value) < 100 else f"{value:.1f}"
        )
    return str(value)


def metrics_by_k_table(result: EvaluationResult, names: Sequence[str]) -> str:
    """One model: a row per metric name, a column per cut-off k."""
    lines = [
        "| metric | " + " | ".join(f"@{k}" for k in result.ks) + " |",
        "|---|" + "---:|" * len(result.ks),
    ]
    for name in names:
        cells = [_fmt(result.metrics.get(f"{name}@{k}", float("nan"))) for k in result.ks]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_table(
    results: Sequence[EvaluationResult],
    columns: Sequence[str] = DEFAULT_COLUMNS,
    baseline: str | None = None,
    ratio_metric: str = "ndcg@10",
    extra: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One row per result; with ``baseline``, ``ratio_metric`` also as a ratio to that model's.

    ``extra`` adds columns after the ratio: a header and one cell per result.
    """
    cols = [c for c in columns if any(c in r.metrics for r in results)]
    base = next((r for r in results if r.model == baseline), None)
    head = ["model", "protocol", *cols, "users", "fit s", "eval s"]
    extra = dict(extra or {})
    for offset, name in enumerate(extra):
        head.insert(3 + offset, name)
    if base is not None:
        head.insert(3, f"{ratio_metric} / {baseline}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate(results):
        row = [
            r.model,
            r.protocol,
            *[_fmt(r.metrics.get(c, float("nan"))) for c in cols],
            str(r.n_users),
            _fmt(r.fit_seconds) if r.fit_seconds is not None else "",
            f"{r.seconds:.2f}",
        ]
        for offset, cells in enumerate(extra.values()):
            row.insert(3 + offset, cells[i])
        if base is not None:
            denom = base.metrics[ratio_metric]
            ratio = r.metrics[ratio_metric] / denom if denom else 0
            row.insert(3, f"{ratio:.2f}x")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def results_json(results: Sequence[EvaluationResult]) -> str:
    return json.dumps([r.summary() for r in results], indent=2, default=str, allow_nan=True)


def plot_metric_vs_k(results: Sequence[EvaluationResult], path: Path, metric: str = "ndcg") -> Path:
    """One line per model: ``metric@k`` against k."""
    fig = _figure(6, 4)
    ax = fig.subplots()
    _metric_lines(ax, results, metric)
    return _save(fig, path)


def plot_metrics_vs_k(
    results: Sequence[EvaluationResult],
    path: Path,
    metrics: Sequence[str] = ("ndcg", "recall", "coverage", "arp"),
) -> Path:
    """One panel per metric, one line per model: ``metric@k`` against k."""
    fig = _figure(4.5 * len(metrics), 4)
    axes = fig.subplots(1, len(metrics), squeeze=False)
    for i, (ax, metric) in enumerate(zip(axes[0], metrics, strict=True)):
        _metric_lines(ax, results, metric, legend=i == 0)
    return _save(fig, path)


def _metric_lines(
    ax: Any, results: Sequence[EvaluationResult], metric: str, legend: bool = True
) -> None:
    for r in results:
        ax.plot(
            r.ks,
            [r.metrics[f"{metric}@{k}"] for k in r.ks],
            marker="o",
            label=f"{r.model} ({r.protocol})",
        )
    ax.set_xlabel("K")
    ax.set_ylabel(f"{metric.upper()}@K")
    ax.set_xticks(sorted({k for r in results for k in r.ks}))
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=8)


def plot_popularity_bias(results: Sequence[EvaluationResult], path: Path, k: int = 10) -> Path:
    """Popularity (training users) of recommended items at ``k``, against the catalog's."""
    fig = _figure(6, 4)
    ax = fig.subplots()
    top_pop = max(float(r.popularity.max()) for r in results) if results else 1.0
    bins = np.logspace(0, np.log10(max(top_pop, 1.0) + 1), 30).tolist()
    if results:
        catalog = results[0].popularity + 1  # +1: items nobody took sit at 1 on a log axis
        ax.hist(
            catalog,
            bins=bins,
            weights=_shares(catalog),
            histtype="stepfilled",
            alpha=0.25,
            color="grey",
            label="catalog",
        )
    for r in results:
        shown = r.top[:, :k]
        values = r.popularity[shown[shown >= 0]] + 1
        ax.hist(
            values,
            bins=bins,
            weights=_shares(values),
            histtype="step",
            linewidth=1.5,
            label=f"{r.model} @ {k}",
        )
    ax.set_xscale("log")
    ax.set_xlabel("item popularity (training users + 1)")
    # Shares per bin, not densities: a density divides by the bin width, which on
    # log bins flattens the popular tail where recommendations sit.
    ax.set_ylabel("share of items in bin")
    ax.legend(fontsize=8)
    return _save(fig, path)


def _shares(values: np.ndarray) -> np.ndarray:
    return np.full(len(values), 1.0 / max(len(values), 1))


def write_report(
    results: Sequence[EvaluationResult],
    out_dir: Path,
    name: str = "results",
    baseline: str | None = None,
) -> dict[str, Path]:
    """``NAME.md``, ``NAME.json``, ``NAME_ndcg_vs_k.png`` and ``NAME_popularity.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{name}.md"
    md.write_text(markdown_table(results, baseline=baseline), encoding="utf-8")
    js = out_dir / f"{name}.json"
    js.write_text(results_json(results), encoding="utf-8")
    files = {"markdown": md, "json": js}
    if not plots_available():
        warnings.warn(PLOTS_MISSING, stacklevel=2)
        return files
    return {
        **files,
        "ndcg_vs_k": plot_metric_vs_k(results, out_dir / f"{name}_ndcg_vs_k.png"),
        "popularity": plot_popularity_bias(results, out_dir / f"{name}_popularity.png"),
    }


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
