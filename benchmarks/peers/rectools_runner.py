"""Fit RecTools models on the split files of benchmarks/recommend.py and write their top-k lists.

Runs inside ``.venv-peers`` (``make peers``), as a subprocess of the harness:

    .venv-peers/bin/python benchmarks/peers/rectools_runner.py JOB.json

JOB.json: ``{"split_dir", "phase": "validation"|"test", "k", "threads", "out_dir",
"configs": [{"model": "sasrec"|"ease", "params": {...}, "seed": 0}, ...]}``. For
``phase=validation`` each model is fitted on ``train.parquet``; for ``test`` on
``train.parquet`` + ``validation.parquet``. Only positive pairs (weight > 0) train
the model; the harness later drops every seen item (and hidden ones) from the lists
and scores them with tailorwise's own metric code. For config ``i`` the runner
writes ``lists_i.parquet`` (user_id, item_id, rank) and appends its fit time and
peak memory to ``stats.json``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rss import PeakRSS, steady_allocator


def _interactions(split_dir: Path, phase: str) -> pd.DataFrame:
    parts = ["train"] if phase == "validation" else ["train", "validation"]
    frame = pd.concat([pd.read_parquet(split_dir / f"{p}.parquet") for p in parts])
    frame = frame[frame["weight"] > 0].sort_values(["timestamp", "tiebreak"], kind="stable")
    # RecTools orders a user's events by datetime; our order is (time, random tie-break),
    # so the datetime given is the row's rank in that order: identical sequences.
    return pd.DataFrame(
        {
            "user_id": frame["user_id"].to_numpy(),
            "item_id": frame["item_id"].to_numpy(),
            "weight": frame["weight"].to_numpy(dtype=np.float64),
            "datetime": pd.to_datetime(np.arange(len(frame)), unit="s"),
        }
    )


def _model(name: str, params: dict[str, Any], seed: int, threads: int) -> Any:
    if name == "ease":
        from rectools.models import EASEModel

        return EASEModel(num_threads=threads, **params)
    if name == "sasrec":
        from rectools.models import SASRecModel
        from rectools.models.nn.item_net import IdEmbeddingsItemNet

        return SASRecModel(
            item_net_block_types=(IdEmbeddingsItemNet,),
            deterministic=True,
            recommend_torch_device="cpu",
            **params,
        )
    raise SystemExit(f"unknown RecTools model '{name}'; known: ease, sasrec")


def run(job: dict[str, Any]) -> list[dict[str, float]]:
    import torch
    from pytorch_lightning import seed_everything
    from rectools.dataset import Dataset

    torch.set_num_threads(int(job.get("threads", 2)))
    split_dir, out_dir = Path(job["split_dir"]), Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    inter = _interactions(split_dir, job["phase"])
    target = pd.read_parquet(split_dir / f"{job['phase']}.parquet")
    users = np.intersect1d(
        target.loc[target["weight"] > 0, "user_id"].unique(), inter["user_id"].unique()
    )
    stats = []
    for i, cfg in enumerate(job["configs"]):
        seed_everything(int(cfg.get("seed", 0)), workers=True)
        dataset = Dataset.construct(inter)
        model = _model(
            cfg["model"], dict(cfg["params"]), int(cfg.get("seed", 0)), int(job.get("threads", 2))
        )
        start = time.perf_counter()
        with PeakRSS() as mem:
            model.fit(dataset)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        reco = model.recommend(
            users, dataset, k=int(job["k"]), filter_viewed=True, on_unsupported_targets="ignore"
        )
        rec_seconds = time.perf_counter() - start
        reco[["user_id", "item_id", "rank"]].astype({"user_id": str, "item_id": str}).to_parquet(
            out_dir / f"lists_{i}.parquet", index=False
        )
        stats.append(
            {
                "fit_seconds": fit_seconds,
                "peak_rss_mib": mem.peak_mib,
                "recommend_seconds": rec_seconds,
            }
        )
        print(
            f"rectools {cfg['model']} {i + 1}/{len(job['configs'])}: fit {fit_seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    (out_dir / "stats.json").write_text(json.dumps(stats))
    return stats


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    warnings.filterwarnings("ignore")
    steady_allocator()
    run(json.loads(Path(sys.argv[1]).read_text()))
