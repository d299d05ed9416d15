"""Comparisons, targets and the Markdown / JSON output of the recommendation benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from recsys_run import METRIC, ModelRun
from tailorwise.metrics.bootstrap import paired_bootstrap

RATIO_TARGET = 1.05
ALS_TARGET = 1.2
EVAL_TARGET_S = 30.0


@dataclass
class Block:
    """All runs of one data set and protocol, and how ours compare with the peers."""

    dataset: str
    protocol: str
    runs: list[ModelRun]
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    comparison: dict[str, Any] = field(default_factory=dict)
    sequential: dict[str, Any] | None = None

    def ok(self, side: str) -> list[ModelRun]:
        return [r for r in self.runs if r.side == side and r.result is not None]

    def get(self, model: str) -> ModelRun | None:
        return next((r for r in self.runs if r.model == model and r.result is not None), None)


def _ndcg(run: ModelRun) -> float:
    assert run.result is not None
    return run.result[METRIC]


def _pair(a: ModelRun, b: ModelRun, seed: int) -> dict[str, Any]:
    assert a.result is not None and b.result is not None
    boot = paired_bootstrap(a.result, b.result, METRIC, n_resamples=1000, seed=seed)
    ratio = _ndcg(a) / _ndcg(b) if _ndcg(b) > 0 else float("inf")
    return {
        "ours": a.model,
        "peer": b.model,
        "ours_ndcg@10": _ndcg(a),
        "peer_ndcg@10": _ndcg(b),
        "ratio": ratio,
        "bootstrap": boot.as_dict(),
    }


def compare(block: Block, seed: int) -> None:
    """Our best model against the best peer, both chosen by VALIDATION NDCG@10."""
    ours, peers = block.ok("ours"), block.ok("peer")
    if ours and peers:
        best_ours = max(ours, key=lambda r: r.val_ndcg)
        best_peer = max(peers, key=lambda r: r.val_ndcg)
        block.comparison = {**_pair(best_ours, best_peer, seed), "selected_by": "validation"}
        block.comparison["met"] = block.comparison["ratio"] >= RATIO_TARGET
        top_ours, top_peer = max(ours, key=_ndcg), max(peers, key=_ndcg)
        block.comparison["by_test"] = {
            "ours": top_ours.model,
            "peer": top_peer.model,
            "ratio": _ndcg(top_ours) / max(_ndcg(top_peer), 1e-12),
        }
    seq, peer_seq = block.get("sasrec"), block.get("rectools_sasrec")
    if block.protocol == "leave-last-out" and seq is not None and peer_seq is not None:
        block.sequential = _pair(seq, peer_seq, seed)
        block.sequential["met"] = block.sequential["ratio"] >= 1.0


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _params(params: dict[str, Any]) -> str:
    shown = {
        k: (round(v, 4) if isinstance(v, float) else v)
        for k, v in params.items()
        if k not in ("verbose", "seed", "components", "lists_path")
    }
    return ", ".join(f"{k}={v}" for k, v in shown.items())


def block_table(block: Block) -> list[str]:
    head = [
        "model",
        "side",
        "NDCG@10",
        "Recall@10",
        "coverage@10",
        "fit s",
        "peak MiB",
        "eval s",
        "val NDCG@10",
        "trials",
        "tune s",
        "tuned params",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * 9 + "---|"]
    for r in sorted(block.runs, key=lambda r: -_ndcg(r) if r.result else 1.0):
        if r.result is None:
            lines.append(f"| {r.model} | {r.side} | {r.status}: {r.message[:120]} |" + " |" * 9)
            continue
        m = r.result.metrics
        lines.append(
            "| "
            + " | ".join(
                [
                    r.model,
                    r.side,
                    fmt(m["ndcg@10"]),
                    fmt(m["recall@10"]),
                    fmt(m["coverage@10"]),
                    fmt(r.fit_seconds, 2),
                    fmt(r.peak_mib, 0),
                    fmt(r.result.seconds, 2),
                    fmt(r.val_ndcg),
                    str(r.n_trials),
                    fmt(r.tune_seconds, 1),
                    _params(r.best_params)
                    + (
                        ""
                        if r.best_epoch is None
                        else f"; early stopping chose {r.best_epoch} epochs"
                    ),
                ]
            )
            + " |"
        )
    return lines


def _ci(c: dict[str, Any]) -> str:
    b = c["bootstrap"]
    return f"{b['mean_diff']:+.4f} [{b['ci_low']:+.4f}, {b['ci_high']:+.4f}]"


def comparison_table(blocks: list[Block]) -> list[str]:
    lines = [
        "| data set | protocol | our best (by validation) | NDCG@10 | best peer (by validation) "
        "| NDCG@10 | ratio | diff, 95% CI (paired bootstrap, per user) | >= 1.05x |",
        "|---|---|---|---:|---|---:|---:|---|---|",
    ]
    for b in blocks:
        c = b.comparison
        if not c:
            lines.append(
                f"| {b.dataset} | {b.protocol} | (no comparison: a side has no result) |" + " |" * 6
            )
            continue
        lines.append(
            f"| {b.dataset} | {b.protocol} | {c['ours']} | {fmt(c['ours_ndcg@10'])} | "
            f"{c['peer']} | {fmt(c['peer_ndcg@10'])} | {c['ratio']:.3f}x | {_ci(c)} | "
            f"{'met' if c['met'] else '**missed**'} |"
        )
    return lines


def sequential_table(blocks: list[Block]) -> list[str]:
    lines = [
        "| data set | our sasrec NDCG@10 | RecTools SASRec NDCG@10 | ratio "
        "| diff, 95% CI | ours >= peer |",
        "|---|---:|---:|---:|---|---|",
    ]
    for b in blocks:
        s = b.sequential
        if s is not None:
            lines.append(
                f"| {b.dataset} | {fmt(s['ours_ndcg@10'])} | {fmt(s['peer_ndcg@10'])} | "
                f"{s['ratio']:.3f}x | {_ci(s)} | {'met' if s['met'] else '**missed**'} |"
            )
    return lines


def als_table(speeds: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| data set | params | ours (median s) | implicit direct (median s) | ratio | <= 1.2x |",
        "|---|---|---:|---:|---:|---|",
    ]
    for ds, s in speeds.items():
        lines.append(
            f"| {ds} | {_params(s['params'])} | {s['ours_median']:.3f} | "
            f"{s['implicit_median']:.3f} | {s['ratio']:.2f}x | "
            f"{'met' if s['ratio'] <= ALS_TARGET else '**missed**'} |"
        )
    return lines


def eval_times(blocks: list[Block], dataset: str = "online-retail") -> dict[str, Any]:
    """Seconds to evaluate each of our models over the whole test set of ``dataset``."""
    out: dict[str, Any] = {}
    for b in blocks:
        if b.dataset != dataset:
            continue
        times = {r.model: r.result.seconds for r in b.ok("ours") if r.result is not None}
        if times:
            best = b.comparison.get("ours", max(times, key=times.__getitem__))
            users = next(r.result.n_users for r in b.ok("ours") if r.result is not None)
            out[b.protocol] = {
                "users": users,
                "seconds": times,
                "best_model": best,
                "best_model_seconds": times.get(best),
                "max_seconds": max(times.values()),
                "met": max(times.values()) < EVAL_TARGET_S,
            }
    return out


def default_ranking(blocks: list[dict[str, Any]]) -> list[tuple[str, float, int]]:
    """Our models by mean validation NDCG@10 relative to the best of ours in each split.

    Only validation scores count (the test set plays no part in the choice), and only
    models that ran on every split compete: the default must serve every protocol.
    Returns (model, mean relative score, splits) from best to worst.
    """
    scores: dict[str, list[float]] = {}
    for block in blocks:
        ours = {
            r["model"]: float(r["validation_ndcg@10"])
            for r in block["runs"]
            if r["side"] == "ours" and r["status"] == "ok"
        }
        best = max(ours.values(), default=0.0)
        for model, value in ours.items():
            scores.setdefault(model, []).append(value / best if best > 0 else 0.0)
    everywhere = {m: v for m, v in scores.items() if len(v) == len(blocks)}
    ranking = [(m, sum(v) / len(v), len(v)) for m, v in everywhere.items()]
    return sorted(ranking, key=lambda row: -row[1])


def default_table(blocks: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| model | mean validation NDCG@10 / best of ours, per split | splits |",
        "|---|---:|---:|",
    ]
    lines += [f"| {m} | {score:.3f} | {n} |" for m, score, n in default_ranking(blocks)]
    return lines
