"""One model on one split: tune on validation, fit on train + validation, test once.

Our models and the in-process peers go through ``tailorwise.evaluate.tuning.tune`` and
``evaluate``; RecTools peers through the same Optuna sampler, with their fits run in
``.venv-peers`` and their lists scored by ``evaluate`` too (see ``recsys_peers``).
"""

from __future__ import annotations

import statistics
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from implicit.als import AlternatingLeastSquares
from rss import PeakRSS
from threadpoolctl import threadpool_limits

from recsys_data import write_stopping
from recsys_peers import PEER_SPACES, PEERS_PYTHON, RECTOOLS, list_peer, run_rectools
from tailorwise.config.space import Param, choice, float_range
from tailorwise.data.split import Split
from tailorwise.evaluate.runner import EvaluationResult, evaluate
from tailorwise.evaluate.tuning import tune_and_test
from tailorwise.recommend.hybrid.model import DEFAULT_COMPONENTS
from tailorwise.recommend.registry import model_class

METRIC = "ndcg@10"
DEEP = {"sasrec", "gru4rec", "two_tower", "rectools_sasrec"}
EXTRA_SPACES: dict[str, dict[str, Param]] = {
    "two_tower": {
        "embedding_dim": choice(32, 64, 128),
        "dropout": float_range(0.0, 0.5),
        "lr": float_range(1e-4, 1e-2, log=True),
        "weight_decay": float_range(0.0, 0.1),  # from 0, the default: see sasrec's search_space
    },
    "hybrid": {},  # components come tuned (below); its blend weights tune themselves
}
# The benchmarked hybrid is the default one, with each part's tuned hyperparameters.
HYBRID_PARTS = tuple(str(c["name"]) for c in DEFAULT_COMPONENTS)


@dataclass
class BenchConfig:
    trials: int = 8  # Optuna trials per classic model, ours and peers alike
    # Deep models (our sasrec/gru4rec/two_tower, RecTools SASRec) cost minutes per fit on
    # 2 CPU cores, so by default they get one trial each: their own defaults, no search.
    deep_trials: int = 1
    epochs: int = 5  # epochs of every deep model, ours and peers alike
    # RecTools' SASRec chooses its epochs as ours do (issue #14: it trained exactly
    # `epochs` before): on each user's held-out last item of its training data, stopping
    # after `patience` epochs without a gain, then refitting for the best count.
    peer_early_stopping: bool = True
    # Epochs without a gain before every deep model (ours and the peer) stops: RecTools'
    # SASRec climbs slowly and noisily (held-out NDCG@10 on ML-100K: 0.041 at epoch 2,
    # 0.039 at 3, 0.070 at 12, 0.087 at 22), so 3 stopped it at 3 epochs.
    patience: int = 3
    max_len: int = 50  # sequence length of sasrec/gru4rec and RecTools SASRec alike
    seed: int = 0
    ks: tuple[int, ...] = (5, 10, 20)
    threads: int = 2
    peers_python: Path = PEERS_PYTHON
    verbose: bool = False


@dataclass
class ModelRun:
    model: str
    side: str  # "ours" or "peer"
    status: str = "ok"  # ok, skipped, failed
    message: str = ""
    best_params: dict[str, Any] = field(default_factory=dict)
    val_ndcg: float = float("nan")
    n_trials: int = 0
    tune_seconds: float = 0.0
    fit_seconds: float = float("nan")
    peak_mib: float = float("nan")
    best_epoch: int | None = None  # the epochs the final fit chose, for models that stop early
    result: EvaluationResult | None = None

    def summary(self) -> dict[str, Any]:
        r = self.result
        metrics = {} if r is None else {k: v for k, v in r.metrics.items()}
        return {
            "model": self.model,
            "side": self.side,
            "status": self.status,
            "message": self.message,
            "best_params": self.best_params,
            "validation_ndcg@10": self.val_ndcg,
            "trials": self.n_trials,
            "tune_seconds": round(self.tune_seconds, 2),
            "fit_seconds": self.fit_seconds,
            "peak_mib": self.peak_mib,
            "best_epoch": self.best_epoch,
            "eval_seconds": None if r is None else r.seconds,
            "users": None if r is None else r.n_users,
            "metrics": metrics,
        }


def space_for(name: str) -> dict[str, Param]:
    if name in PEER_SPACES:
        return PEER_SPACES[name]
    return EXTRA_SPACES.get(name, dict(model_class(name).search_space or {}))


def fixed_for(
    name: str, cfg: BenchConfig, done: dict[str, ModelRun], protocol: str = "leave-last-out"
) -> dict[str, Any]:
    """Settings that are not tuned: seeds, the shared epoch budget, hybrid components."""
    params = set(model_class(name)._param_names())
    fixed: dict[str, Any] = {}
    if "seed" in params:
        fixed["seed"] = cfg.seed
    if name in DEEP and "epochs" in params:
        fixed["epochs"] = cfg.epochs
    if name in DEEP and "max_len" in params:
        fixed["max_len"] = cfg.max_len
    if name in DEEP and "patience" in params:
        fixed["patience"] = cfg.patience
    if name == "hybrid":
        parts = [
            {"name": n, "params": _plain(done[n].best_params)}
            for n in HYBRID_PARTS
            if n in done and done[n].status == "ok"
        ]
        fixed["components"] = parts or None
        # its blend weights are tuned on a split of its training data shaped like the test
        fixed["holdout"] = "random" if protocol == "random" else "last"
    return fixed


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "verbose"}


def run_registered(
    name: str, side: str, split: Split, cfg: BenchConfig, done: dict[str, ModelRun]
) -> ModelRun:
    """Tune ``name`` (ours, or an in-process peer) on validation, then test it once."""
    run = ModelRun(name, side)
    try:
        model_class(name)
    except Exception as exc:  # a model still being written: say so and go on
        return ModelRun(name, side, "skipped", f"does not import: {type(exc).__name__}: {exc}")
    try:
        mem = PeakRSS()
        tested = tune_and_test(
            name,
            split,
            n_trials=cfg.deep_trials if name in DEEP else cfg.trials,
            space=space_for(name),
            fixed=fixed_for(name, cfg, done, split.protocol),
            seed=cfg.seed,
            ks=cfg.ks,
            metric=METRIC,
            around_fit=lambda: mem,
        )
        tuned = tested.tuning
        assert tuned is not None, "every benchmarked model is tuned (1 trial: its defaults)"
        run.best_params, run.val_ndcg = tuned.best_params, tuned.best_value
        run.n_trials, run.tune_seconds = len(tuned.trials), tuned.seconds
        run.fit_seconds, run.peak_mib = float(tested.result.fit_seconds or 0.0), mem.peak_mib
        if getattr(tested.model, "early_stopping", False):
            run.best_epoch = int(tested.model.best_epoch_)
        run.result = tested.result
    except Exception as exc:
        run.status, run.message = "failed", f"{type(exc).__name__}: {exc}"
        if cfg.verbose:
            traceback.print_exc()
    return run


def run_rectools_peer(
    name: str, split: Split, split_dir: Path, work: Path, cfg: BenchConfig
) -> ModelRun:
    """Same sampler and budget as ``tune``; fits in ``.venv-peers``, scored by ``evaluate``."""
    if not cfg.peers_python.exists():
        msg = f"{cfg.peers_python} not found; run `make peers` to install RecTools"
        return ModelRun(name, "peer", "skipped", msg)
    kind, space = RECTOOLS[name]
    n_trials = cfg.deep_trials if name in DEEP else cfg.trials
    space = {} if name in DEEP and n_trials <= 1 else space  # 1 trial: RecTools' defaults
    run = ModelRun(name, "peer", n_trials=n_trials if space else 1)
    job = {
        "split_dir": str(split_dir),
        "k": max(cfg.ks) + _max_unliked_seen(split),
        "threads": cfg.threads,
    }
    try:
        start = time.perf_counter()
        best = _tune_rectools(name, kind, space, run.n_trials, split, job, work, cfg)
        run.best_params, run.val_ndcg = best["params"], best["value"]
        run.tune_seconds = time.perf_counter() - start
        test_job = {**job, "phase": "test", "configs": [best["config"]]}
        stats = run_rectools(test_job, work / f"{name}-test", cfg.peers_python)[0]
        run.fit_seconds, run.peak_mib = stats["fit_seconds"], stats["peak_rss_mib"]
        chosen = stats.get("best_epoch")
        run.best_epoch = None if chosen is None else int(chosen)
        peer = list_peer(name)(str(work / f"{name}-test" / "lists_0.parquet"), run.best_params)
        run.result = evaluate(
            peer.fit(split.train_validation()),
            split,
            "test",
            ks=cfg.ks,
            fit_seconds=run.fit_seconds,
        )
    except Exception as exc:
        run.status, run.message = "failed", f"{type(exc).__name__}: {exc}"
    return run


def _tune_rectools(
    name: str,
    kind: str,
    space: dict[str, Param],
    n_trials: int,
    split: Split,
    job: dict[str, Any],
    work: Path,
    cfg: BenchConfig,
) -> dict[str, Any]:
    """Fit every trial on train in one subprocess, score its lists on validation."""
    fixed: dict[str, Any] = (
        {"epochs": cfg.epochs, "session_max_len": cfg.max_len} if kind == "sasrec" else {}
    )
    stop = kind == "sasrec" and cfg.peer_early_stopping
    if stop:
        write_stopping(split, Path(job["split_dir"]), cfg.seed)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg.seed)
    )
    # Asked up front so one subprocess fits them all. With at most 10 trials this is
    # what tune() does too: TPE samples its first 10 trials at random either way.
    trials = [study.ask() for _ in range(n_trials)]
    configs: list[dict[str, Any]] = [
        {
            "model": kind,
            "seed": cfg.seed,
            "params": {**fixed, **{p: s.suggest(t, p) for p, s in space.items()}},
            **({"stop": {"max_epochs": cfg.epochs, "patience": cfg.patience}} if stop else {}),
        }
        for t in trials
    ]
    folder = work / f"{name}-validation"
    run_rectools({**job, "phase": "validation", "configs": configs}, folder, cfg.peers_python)
    for i, t in enumerate(trials):
        peer = list_peer(name)(str(folder / f"lists_{i}.parquet"), configs[i]["params"])
        study.tell(t, evaluate(peer.fit(split.train), split, "validation", ks=(10,))[METRIC])
    config = configs[study.best_trial.number]
    return {"config": config, "params": config["params"], "value": float(study.best_value)}


def _max_unliked_seen(split: Split) -> int:
    """Most seen-but-not-liked items of one user: RecTools cannot drop them, so it is
    asked for that many more items and ``evaluate`` drops them from its lists."""
    data = split.train_validation()
    unliked = data.user_idx[data.weight <= 0]
    return int(np.bincount(unliked).max()) if unliked.size else 0


def als_speed(split: Split, params: dict[str, Any], repeats: int = 3) -> dict[str, Any]:
    """Our ALS fit against implicit's direct call, same matrix, same params, alternated."""
    from tailorwise.recommend.implicit_mf import ALSRecommender

    data = split.train_validation()
    matrix = data.matrix()
    p = {k: params[k] for k in ("factors", "regularization", "alpha", "iterations") if k in params}
    ours, direct = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        ALSRecommender(**p, seed=0, verbose=False).fit(data)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        with threadpool_limits(1, "blas"):
            AlternatingLeastSquares(**p, random_state=0, use_gpu=False).fit(
                matrix, show_progress=False
            )
        direct.append(time.perf_counter() - start)
    med_ours, med_direct = statistics.median(ours), statistics.median(direct)
    return {
        "params": p,
        "repeats": repeats,
        "ours_seconds": ours,
        "implicit_seconds": direct,
        "ours_median": med_ours,
        "implicit_median": med_direct,
        "ratio": med_ours / med_direct if med_direct else float("nan"),
    }
