"""A learning rate that decays over the epochs, against the constant one (session 8, issue #3).

A trial, not a feature: the PyTorch models train at a constant rate. This script patches a
per-epoch factor into each model's epoch step (cosine or linear to 0 over ``--epochs``) and
records validation NDCG@10 after every epoch (leave-last-out, the benchmark's split; no
early stopping), so that the figures in docs/BENCHMARKS.md can be reproduced.

    .venv/bin/python benchmarks/lr_decay.py [--models sasrec,gru4rec,two_tower]
        [--datasets ml-100k,amazon-mi,ml-latest-small,online-retail] [--epochs 10]

Writes ``benchmarks/results/lr-decay.json`` (``--out``) after each model and data set.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see recommend.py
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from recsys_data import DATA, load  # noqa: E402
from tailorwise.data.split import make_split  # noqa: E402
from tailorwise.recommend.registry import model_class  # noqa: E402

SCHEDULES: dict[str, Callable[[int, int], float]] = {
    "constant": lambda epoch, epochs: 1.0,
    "cosine": lambda epoch, epochs: 0.5 * (1 + math.cos(math.pi * epoch / epochs)),
    "linear": lambda epoch, epochs: 1 - epoch / epochs,
}


def with_schedule(cls: Any, schedule: Callable[[int, int], float]) -> Any:
    """A subclass of ``cls`` whose epoch step first sets the rate of epoch e (0-based)."""

    class Scheduled(cls):  # type: ignore[misc]
        def _trainer(self, data: Any) -> Any:
            step, done = super()._trainer(data), [0]

            def scheduled(opt: Any, rng: Any) -> Any:
                for group in opt.param_groups:
                    group["lr"] = self.lr * schedule(done[0], self.epochs)
                done[0] += 1
                return step(opt, rng)

            return scheduled

    return Scheduled


def curves(name: str, dataset: str, epochs: int, data_dir: Path) -> dict[str, Any]:
    split = make_split(load(dataset, data_dir, seed=0), "leave-last-out", seed=0)
    out: dict[str, Any] = {"model": name, "dataset": dataset}
    for label, schedule in SCHEDULES.items():
        start = time.perf_counter()
        model = with_schedule(model_class(name), schedule)(epochs=epochs, seed=0, verbose=False)
        model.fit_validated(split.train, split.validation, patience=epochs + 1)
        out[label] = [round(x, 4) for x in model.validation_ndcg_]
        out[f"{label}_s"] = round(time.perf_counter() - start, 1)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="sasrec,gru4rec,two_tower")
    p.add_argument("--datasets", default="ml-100k,amazon-mi,ml-latest-small,online-retail")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--data-dir", type=Path, default=DATA)
    p.add_argument("--out", type=Path, default=HERE / "results" / "lr-decay.json")
    args = p.parse_args(argv)
    rows: list[dict[str, Any]] = []
    print("| model | data set | " + " | ".join(SCHEDULES) + " |  (validation NDCG@10, last epoch)")
    for name in args.models.split(","):
        for dataset in args.datasets.split(","):
            rows.append(curves(name, dataset, args.epochs, args.data_dir))
            last = " | ".join(f"{rows[-1][s][-1]:.4f}" for s in SCHEDULES)
            print(f"| {name} | {dataset} | {last} |", flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
