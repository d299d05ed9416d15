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
    return _as_rectools(pd.concat([pd.read_parquet(split_dir / f"{p}.parquet") for p in parts]))


def _as_rectools(frame: pd.DataFrame) -> pd.DataFrame:
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


def _search_epochs(cfg: dict[str, Any], split_dir: Path, phase: str, threads: int) -> int:
    """The epoch count with the best NDCG@10 on the held-out last items that our models
    stop on (``PHASE_stop_*.parquet``, written by the harness), trained one epoch at a time;
    stops after ``patience`` epochs without a gain, as ours do."""
    from rectools.dataset import Dataset

    stop, seed = cfg["stop"], int(cfg.get("seed", 0))
    train = _as_rectools(pd.read_parquet(split_dir / f"{phase}_stop_train.parquet"))
    held = pd.read_parquet(split_dir / f"{phase}_stop_holdout.parquet")
    truth = dict(zip(held["user_id"].astype(str), held["item_id"].astype(str), strict=True))
    users = np.intersect1d(list(truth), train["user_id"].astype(str).unique())
    dataset = Dataset.construct(train)
    model = _model("sasrec", {**cfg["params"], "epochs": 1}, seed, threads)
    best, best_epoch, waited = -np.inf, int(stop["max_epochs"]), 0
    for epoch in range(1, int(stop["max_epochs"]) + 1):
        model.fit_partial(dataset, min_epochs=1, max_epochs=1)
        reco = model.recommend(users, dataset, k=10, filter_viewed=True)
        hits = reco[reco["item_id"].astype(str) == reco["user_id"].astype(str).map(truth)]
        ndcg = float((1.0 / np.log2(hits["rank"].to_numpy() + 1.0)).sum() / len(users))
        if ndcg > best:
            best, best_epoch, waited = ndcg, epoch, 0
        else:
            waited += 1
        print(f"rectools sasrec epoch {epoch}: held-out ndcg@10 {ndcg:.4f}", file=sys.stderr)
        if waited >= int(stop["patience"]):
            break
    return best_epoch


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
        params, best_epoch = dict(cfg["params"]), None
        start = time.perf_counter()
        with PeakRSS() as mem:
            if "stop" in cfg:  # choose the epochs first, as our fit does inside itself
                seed_everything(int(cfg.get("seed", 0)), workers=True)
                best_epoch = _search_epochs(cfg, split_dir, job["phase"], int(job["threads"]))
                params["epochs"] = best_epoch
            seed_everything(int(cfg.get("seed", 0)), workers=True)
            dataset = Dataset.construct(inter)
            model = _model(
                cfg["model"], params, int(cfg.get("seed", 0)), int(job.get("threads", 2))
            )
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
                **({"best_epoch": best_epoch} if best_epoch is not None else {}),
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
