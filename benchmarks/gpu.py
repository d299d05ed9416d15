"""The PyTorch models on a GPU beside the CPU, on the same split (issue #3).

For each data set (leave-last-out, the benchmark's split and seed), each deep model and
each device: fit on train + validation with the model's defaults and ``--epochs``, time the
fit (CUDA synchronised), and score NDCG@10 / Recall@10 on test with tailorwise's own
evaluation. Per model, the GPU fit is compared with the CPU fit by a per-user paired
bootstrap (the two draw different random numbers, so they agree within noise, not to the
digit). Each GPU fit is saved, loaded back with ``device="cpu"``, and must give the same
scores: an artifact trained on a GPU serves on a machine without one.

    python benchmarks/gpu.py [--datasets ml-100k] [--models sasrec,gru4rec,two_tower]
        [--devices cuda,cpu] [--epochs 10] [--deadline-s 420] [--data-dir DIR]

Writes ``benchmarks/results/gpu.json`` (``--out``) after every fit, so a run cut short
keeps what it finished; fits that would start after ``--deadline-s`` are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see recommend.py
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from recsys_data import DATA, DATASETS, load  # noqa: E402
from tailorwise.data.split import Split, leave_last_out  # noqa: E402
from tailorwise.evaluate.runner import EvaluationResult, evaluate  # noqa: E402
from tailorwise.evaluate.tuning import build  # noqa: E402
from tailorwise.metrics.bootstrap import paired_bootstrap  # noqa: E402
from tailorwise.recommend.loading import load_model  # noqa: E402
from tailorwise.recommend.neural.base import TorchRecommender  # noqa: E402

MODELS = ("sasrec", "gru4rec", "two_tower")


@dataclass
class Fit:
    dataset: str
    model: str
    device: str
    status: str = "ok"
    message: str = ""
    fit_s: float = 0.0
    best_epoch: int = 0
    ndcg10: float = 0.0
    recall10: float = 0.0
    gpu_peak_mib: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def fit_one(
    dataset: str, name: str, device: str, split: Split, epochs: int
) -> tuple[Any, EvaluationResult, Fit]:
    """Fit ``name`` on train + validation on ``device``; evaluate it once on test."""
    model = build(name, {"epochs": epochs, "device": device, "verbose": False})
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    _sync(device)
    start = time.perf_counter()
    model.fit(split.train_validation())
    _sync(device)
    seconds = time.perf_counter() - start
    result = evaluate(model, split, "test", ks=(10,), fit_seconds=seconds)
    fit = Fit(dataset, name, device, fit_s=round(seconds, 2))
    fit.best_epoch = int(model.best_epoch_)
    fit.ndcg10, fit.recall10 = result.metrics["ndcg@10"], result.metrics["recall@10"]
    if device.startswith("cuda"):
        fit.gpu_peak_mib = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return model, result, fit


def artifact_round_trip(model: Any) -> dict[str, Any]:
    """Save a GPU-fitted model, load it with ``device="cpu"``: the scores must not move."""
    users = np.arange(min(200, model.data_.n_users))
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_model(model.save(Path(tmp) / "model"), device="cpu")
    a, b = model._scores(users), loaded._scores(users)
    same_top = np.mean(
        [
            np.array_equal(np.argsort(-x)[:10], np.argsort(-y)[:10])
            for x, y in zip(a, b, strict=True)
        ]
    )
    assert isinstance(loaded, TorchRecommender)
    return {
        "loaded_device": str(loaded.device_),
        "max_abs_score_diff": float(np.abs(a - b).max()),
        "same_top10_share": float(same_top),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "epochs": args.epochs, "fits": []}
    for dataset in args.datasets:
        split = leave_last_out(load(dataset, args.data_dir, seed=args.seed))
        for name in args.models:
            results: dict[str, EvaluationResult] = {}
            for device in args.devices:
                if time.perf_counter() - started > args.deadline_s:
                    fit = Fit(dataset, name, device, "skipped", "past --deadline-s")
                else:
                    fit = _guarded(dataset, name, device, split, args.epochs, results)
                report["fits"].append(asdict(fit))
                print(_line(fit), flush=True)
                _write(report, args.out)
            if "cuda" in results and "cpu" in results:
                diff = paired_bootstrap(results["cuda"], results["cpu"], "ndcg@10")
                report.setdefault("gpu_vs_cpu", []).append(
                    {"dataset": dataset, "model": name, **diff.as_dict()}
                )
                _write(report, args.out)
    report["seconds"] = round(time.perf_counter() - started, 1)
    _write(report, args.out)
    return report


def _guarded(
    dataset: str,
    name: str,
    device: str,
    split: Split,
    epochs: int,
    results: dict[str, EvaluationResult],
) -> Fit:
    try:
        model, result, fit = fit_one(dataset, name, device, split, epochs)
        results[device.split(":")[0]] = result
        if device.startswith("cuda"):
            fit.extra = artifact_round_trip(model)
        return fit
    except Exception as exc:  # report and go on: one failure must not hide the rest
        return Fit(dataset, name, device, "failed", f"{type(exc).__name__}: {exc}")


def machine() -> dict[str, Any]:
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "gpu": gpu,
        "python": platform.python_version(),
    }


def _line(fit: Fit) -> str:
    if fit.status != "ok":
        return f"{fit.dataset:16} {fit.model:10} {fit.device:5} {fit.status}: {fit.message}"
    return (
        f"{fit.dataset:16} {fit.model:10} {fit.device:5} fit {fit.fit_s:7.1f} s  "
        f"epochs {fit.best_epoch:2}  ndcg@10 {fit.ndcg10:.4f}  recall@10 {fit.recall10:.4f}  "
        f"gpu {fit.gpu_peak_mib:7.1f} MiB  {fit.extra or ''}"
    )


def _write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")


def markdown(report: dict[str, Any]) -> str:
    """The fits as a Markdown table, then the GPU-minus-CPU NDCG@10 differences."""
    rows = [
        "| data set | model | device | fit s | epochs | NDCG@10 | Recall@10 | GPU MiB |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in report["fits"]:
        if f["status"] != "ok":
            rows.append(f"| {f['dataset']} | {f['model']} | {f['device']} | {f['status']} |")
            continue
        rows.append(
            f"| {f['dataset']} | {f['model']} | {f['device']} | {f['fit_s']:.1f} | "
            f"{f['best_epoch']} | {f['ndcg10']:.4f} | {f['recall10']:.4f} | "
            f"{f['gpu_peak_mib']:.0f} |"
        )
    rows += ["", "| data set | model | GPU - CPU NDCG@10 | 95% CI |", "|---|---|---:|---|"]
    for d in report.get("gpu_vs_cpu", []):
        ci = f"[{d['ci_low']:+.4f}, {d['ci_high']:+.4f}]"
        rows.append(f"| {d['dataset']} | {d['model']} | {d['mean_diff']:+.4f} | {ci} |")
    return "\n".join(rows)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default="ml-100k", type=lambda s: s.split(","))
    p.add_argument("--models", default=",".join(MODELS), type=lambda s: s.split(","))
    p.add_argument("--devices", default="cuda,cpu", type=lambda s: s.split(","))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--deadline-s", type=float, default=float("inf"))
    p.add_argument("--data-dir", type=Path, default=DATA)
    p.add_argument("--out", type=Path, default=HERE / "results" / "gpu.json")
    args = p.parse_args(argv)
    for name in args.datasets:
        if name not in DATASETS:
            p.error(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")
    if any(d.startswith("cuda") for d in args.devices) and not torch.cuda.is_available():
        p.error("no CUDA GPU here: run on a GPU machine, or pass --devices cpu")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    report = run(args)
    print(markdown(report))
    args.out.with_suffix(".md").write_text(markdown(report) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
