"""Recommendation benchmark (issue #3): our models against implicit (ALS, BPR called
directly), a reference EASE and RecTools (SASRec, EASE), on identical split files, in
one run. Every model is tuned on validation with the same Optuna budget, fitted once on
train + validation, and evaluated once on test by tailorwise's own ranking and metric
code (all items ranked, seen items excluded).

    .venv/bin/python benchmarks/recommend.py [--datasets ml-100k,ml-latest-small,online-retail]
        [--protocols leave-last-out,random] [--models ...] [--trials 8] [--quick]

Writes benchmarks/results/recommend.{json,md} (``recommend-quick.*`` with ``--quick``)
and per split plots under benchmarks/results/recommend/. RecTools runs in
``.venv-peers`` (``make peers``); without it its rows say "skipped".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Before torch loads: OpenMP threads that spin while waiting make a shared 2-core machine
# ~10x slower for torch; the RecTools runner inherits the same environment.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "peers")]

import torch  # noqa: E402
from rss import steady_allocator  # noqa: E402

from recsys_data import DATA, DATASETS, DEFAULT_DATASETS, describe, load, write_split  # noqa: E402
from recsys_peers import PEERS, RECTOOLS, register_peers  # noqa: E402
from recsys_report import (  # noqa: E402
    Block,
    als_table,
    block_table,
    compare,
    comparison_table,
    default_table,
    eval_times,
    sequential_table,
)
from recsys_run import DEEP, BenchConfig, ModelRun, als_speed, run_rectools_peer, run_registered  # noqa: E402
from tailorwise.data.split import make_split  # noqa: E402
from tailorwise.evaluate.report import write_report  # noqa: E402
from tailorwise.recommend.registry import MODELS  # noqa: E402

RESULTS = HERE / "results"
PROTOCOLS = ("leave-last-out", "random")


def our_models() -> list[str]:
    """Everything registered that is not a peer, hybrid last (it blends the others)."""
    names = [n for n in MODELS.names() if n not in PEERS]
    return [n for n in names if n != "hybrid"] + (["hybrid"] if "hybrid" in names else [])


def peer_models() -> list[str]:
    return [*PEERS, *RECTOOLS]


def _say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _line(run: ModelRun) -> str:
    if run.result is None:
        return f"  {run.side:4s} {run.model:15s} {run.status}: {run.message[:200]}"
    return (
        f"  {run.side:4s} {run.model:15s} val {run.val_ndcg:.4f}  test NDCG@10 "
        f"{run.result['ndcg@10']:.4f}  fit {run.fit_seconds:.1f}s  {run.peak_mib:.0f} MiB  "
        f"tune {run.tune_seconds:.0f}s  eval {run.result.seconds:.1f}s"
    )


def run_block(
    dataset: str, protocol: str, data: Any, models: list[str], cfg: BenchConfig, work: Path
) -> Block:
    split = make_split(data, protocol, seed=cfg.seed)
    split_dir = write_split(split, work / dataset / protocol)
    block = Block(dataset, protocol, [])
    done: dict[str, ModelRun] = {}
    for name in models:
        if name in RECTOOLS:
            run = run_rectools_peer(name, split, split_dir, work / dataset / protocol, cfg)
        else:
            side = "peer" if name in PEERS else "ours"
            run = run_registered(name, side, split, cfg, done)
        done[name] = run
        block.runs.append(run)
        _say(_line(run))
    block.load = os.getloadavg()
    compare(block, cfg.seed)
    return block


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            int(line.split()[1]) / 2**20
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0.0,
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--datasets",
        default=",".join(DEFAULT_DATASETS),
        help=f"comma-separated, from {', '.join(DATASETS)}",
    )
    p.add_argument("--protocols", default=",".join(PROTOCOLS))
    p.add_argument("--models", default="", help="comma-separated; default: all ours and peers")
    p.add_argument("--trials", type=int, default=6, help="Optuna trials per classic model")
    p.add_argument(
        "--deep-trials",
        type=int,
        default=1,
        help="trials per deep model; 1 = its defaults, no search",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=3,
        help="epochs of every deep model; ours stop early within it (3 is RecTools SASRec's default)",
    )
    p.add_argument("--max-len", type=int, default=50, help="sequence length, ours and RecTools'")
    p.add_argument(
        "--patience",
        type=int,
        default=3,
        help="epochs without a gain before a deep model stops, ours and RecTools' alike",
    )
    p.add_argument(
        "--deep-protocols",
        default="leave-last-out",
        help="protocols on which the deep models run (default: leave-last-out only, for time)",
    )
    p.add_argument("--threads", type=int, default=2, help="torch threads, ours and peers alike")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--quick",
        action="store_true",
        help="ML-100K leave-last-out, 2 trials per classic model, deep models 1 epoch (~5 min)",
    )
    p.add_argument("--data-dir", type=Path, default=DATA)
    p.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/tailorwise-recbench"),
        help="split files and peer lists go here",
    )
    p.add_argument("--out", type=Path, default=None, help="JSON path (Markdown beside it)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.datasets = "ml-100k" if args.datasets == ",".join(DEFAULT_DATASETS) else args.datasets
        args.protocols = (
            "leave-last-out" if args.protocols == ",".join(PROTOCOLS) else args.protocols
        )
        args.trials, args.deep_trials, args.epochs = 2, 1, 1
    args.out = args.out or RESULTS / ("recommend-quick.json" if args.quick else "recommend.json")
    return args


def config(args: argparse.Namespace) -> tuple[BenchConfig, list[str]]:
    """The shared budget and the models to run (ours first, then the peers)."""
    cfg = BenchConfig(
        trials=args.trials,
        deep_trials=args.deep_trials,
        epochs=args.epochs,
        max_len=args.max_len,
        patience=args.patience,
        seed=args.seed,
        threads=args.threads,
        verbose=args.verbose,
    )
    wanted = [m for m in args.models.split(",") if m]
    known = [*our_models(), *peer_models()]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; known: {', '.join(known)}")
    return cfg, [m for m in known if not wanted or m in wanted]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    steady_allocator()  # see peers/rss.py: memory freed by one fit must not hide the next
    register_peers()
    cfg, models = config(args)
    torch.set_num_threads(cfg.threads)  # the RecTools runner sets the same
    meta: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "benchmarks/recommend.py", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_at_start": os.getloadavg(),
        "config": {**vars(args), "models": models},
    }
    start = time.perf_counter()
    blocks: list[Block] = []
    sizes: dict[str, Any] = {}
    speeds: dict[str, Any] = {}
    for ds in args.datasets.split(","):
        _say(f"{ds}: loading through the loader and store")
        data = load(ds, args.data_dir, seed=args.seed)
        sizes[ds] = {**describe(data), "weighting": DATASETS[ds].note}
        for i, protocol in enumerate(args.protocols.split(",")):
            deep_ok = protocol in args.deep_protocols.split(",")
            chosen = [m for m in models if deep_ok or m not in DEEP]
            _say(f"{ds} / {protocol}: {len(chosen)} models")
            blocks.append(run_block(ds, protocol, data, chosen, cfg, args.work))
            finish_block(blocks[-1], args.out, data, speeds if i == 0 else None, args.seed)
            meta.update(seconds=round(time.perf_counter() - start, 1), load_at_end=os.getloadavg())
            write_outputs(args.out, meta, sizes, blocks, speeds, final=False)  # partial results
    write_outputs(args.out, meta, sizes, blocks, speeds)
    return 0


def finish_block(
    block: Block, out: Path, data: Any, speeds: dict[str, Any] | None, seed: int
) -> None:
    """Plots of the block; on a data set's first protocol, our ALS against implicit's."""
    plots = [r.result for r in block.runs if r.result is not None]
    if plots:
        write_report(plots, out.parent / out.stem, f"{block.dataset}_{block.protocol}")
    als = block.get("als")
    if speeds is not None and als is not None:
        _say(f"{block.dataset}: ALS fit time, ours vs implicit's direct call")
        speeds[block.dataset] = als_speed(
            make_split(data, block.protocol, seed=seed), als.best_params
        )


def targets(blocks: list[Block], speeds: dict[str, Any], evals: dict[str, Any]) -> list[str]:
    lines = ["| target | result |", "|---|---|"]
    cmp_ = [b for b in blocks if b.comparison]
    lines.append(
        "| our best NDCG@10 >= 1.05x the best peer's, every data set and protocol | "
        + (
            "; ".join(
                f"{b.dataset}/{b.protocol} {b.comparison['ratio']:.3f}x "
                f"({'met' if b.comparison['met'] else 'missed'})"
                for b in cmp_
            )
            or "not measured"
        )
        + " |"
    )
    seq = [b for b in blocks if b.sequential]
    lines.append(
        "| our sequential model >= RecTools SASRec (leave-last-out) | "
        + (
            "; ".join(
                f"{b.dataset} {b.sequential['ratio']:.3f}x "  # type: ignore[index]
                f"({'met' if b.sequential['met'] else 'missed'})"  # type: ignore[index]
                for b in seq
            )
            or "not measured"
        )
        + " |"
    )
    lines.append(
        "| our ALS fit <= 1.2x implicit's direct call | "
        + (
            "; ".join(
                f"{d} {s['ratio']:.2f}x ({'met' if s['ratio'] <= 1.2 else 'missed'})"
                for d, s in speeds.items()
            )
            or "not measured"
        )
        + " |"
    )
    lines.append(
        "| evaluating one model over the whole Online Retail test set < 30 s | "
        + (
            "; ".join(
                f"{p}: {e['users']} users, {e['best_model']} "
                f"{e['best_model_seconds']:.1f} s, slowest of ours "
                f"{e['max_seconds']:.1f} s ({'met' if e['met'] else 'missed'})"
                for p, e in evals.items()
            )
            or "not measured"
        )
        + " |"
    )
    return lines


def write_outputs(
    out: Path,
    meta: dict[str, Any],
    sizes: dict[str, Any],
    blocks: list[Block],
    speeds: dict[str, Any],
    final: bool = True,
) -> None:
    evals = eval_times(blocks)
    md = [
        f"Command: `{meta['command']}`  ",
        f"Date: {meta['date']}, {meta['seconds']} s in all. "
        f"Machine: {meta['machine']['cores']} cores of {meta['machine']['cpu']}, "
        f"{meta['machine']['ram_gib']} GiB RAM. Load average at start "
        f"{meta['load_at_start'][0]:.1f}, at end {meta['load_at_end'][0]:.1f}.",
        "",
        "## Targets",
        "",
        *targets(blocks, speeds, evals),
        "",
        "## Our best vs the best peer",
        "",
        *comparison_table(blocks),
        "",
        "## Sequential: our sasrec vs RecTools SASRec",
        "",
        *sequential_table(blocks),
        "",
        "## ALS fit time: ours vs implicit called directly",
        "",
        *als_table(speeds),
        "",
    ]
    block_docs: list[dict[str, Any]] = [
        {
            "dataset": b.dataset,
            "protocol": b.protocol,
            "load": b.load,
            "comparison": b.comparison,
            "sequential": b.sequential,
            "runs": [r.summary() for r in b.runs],
        }
        for b in blocks
    ]
    payload = {
        "meta": meta,
        "datasets": sizes,
        "als_speed": speeds,
        "eval_time": evals,
        "blocks": block_docs,
    }
    md += [
        "## The default model: best across data sets, by validation",
        "",
        *default_table(block_docs),
        "",
    ]
    for b in blocks:
        md += [f"## {b.dataset} / {b.protocol}", "", *block_table(b), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    out.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    if not final:
        return
    print("\n".join(md))
    print(f"\nwrote {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    raise SystemExit(main())
