"""Peers of the recommendation benchmark, behind our ``BaseRecommender`` so that every
peer is ranked, filtered (seen and hidden items) and scored by the same code as ours.

* implicit's ALS and BPR, called directly on the same CSR our models get;
* the reference EASE of ``peers/ease_reference.py`` (Steck 2019, Algorithm 1);
* RecTools models (SASRec, EASE), run as subprocesses in ``.venv-peers`` on the split
  files; their top-k lists come back as a ``ListPeer`` whose scores are the list ranks.

The in-process peers are added to the model registry of *this process only*
(``register_peers``), so that ``tailorwise.evaluate.tuning.tune`` tunes them exactly as
it tunes our models: same sampler, seed, trial budget and validation metric.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from tailorwise.config.space import Param, choice, float_range, int_range
from tailorwise.data.interactions import Interactions
from tailorwise.evaluate.tuning import default_space
from tailorwise.recommend.base import BaseRecommender
from tailorwise.recommend.registry import MODELS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))
from ease_reference import ease_fit, ease_scores  # noqa: E402

RUNNER = HERE / "peers" / "rectools_runner.py"
PEERS_PYTHON = HERE.parent / ".venv-peers" / "bin" / "python"


class ImplicitALSPeer(BaseRecommender):
    """``implicit.als.AlternatingLeastSquares`` as its documentation calls it."""

    name = "implicit_als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed

    def _fit(self, data: Interactions) -> None:
        with threadpool_limits(1, "blas"):  # implicit warns to do this; ours does it too
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                use_gpu=False,
            )
            model.fit(data.matrix(), show_progress=False)
        self.user_factors_, self.item_factors_ = model.user_factors, model.item_factors

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return self.user_factors_[user_idx] @ self.item_factors_.T


class ImplicitBPRPeer(ImplicitALSPeer):
    """``implicit.bpr.BayesianPersonalizedRanking``, one thread (deterministic for a seed)."""

    name = "implicit_bpr"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed

    def _fit(self, data: Interactions) -> None:
        with threadpool_limits(1, "blas"):
            model = BayesianPersonalizedRanking(
                factors=self.factors,
                learning_rate=self.learning_rate,
                regularization=self.regularization,
                iterations=self.iterations,
                num_threads=1,
                random_state=self.seed,
                use_gpu=False,
            )
            model.fit(data.matrix(), show_progress=False)
        self.user_factors_, self.item_factors_ = model.user_factors, model.item_factors


class EASEReferencePeer(BaseRecommender):
    """Steck's EASE, the literal numpy of the paper (``peers/ease_reference.py``)."""

    name = "ease_reference"

    def __init__(self, l2: float = 100.0) -> None:
        self.l2 = l2

    def _fit(self, data: Interactions) -> None:
        self.liked_ = data.matrix()
        self.weights_ = ease_fit(self.liked_, float(self.l2))

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        return ease_scores(self.liked_[user_idx], self.weights_)


class ListPeer(BaseRecommender):
    """A peer's ranked lists (external ids, from a file) as scores: rank 1 scores highest,
    unlisted items -inf. ``evaluate`` then drops seen and hidden items and cuts at k."""

    name: ClassVar[str] = "list"

    def __init__(self, lists_path: str = "", params: dict[str, Any] | None = None) -> None:
        self.lists_path = lists_path
        self.params = params

    def _fit(self, data: Interactions) -> None:
        lists = pd.read_parquet(self.lists_path)
        users = data.users.to_internal(lists["user_id"].astype(str).to_numpy(), strict=False)
        items = data.items.to_internal(lists["item_id"].astype(str).to_numpy(), strict=False)
        ok = (users >= 0) & (items >= 0)
        rank = lists["rank"].to_numpy(dtype=np.float64)
        value = rank.max(initial=0.0) + 1.0 - rank  # > 0, so 0 in the sparse matrix = unlisted
        self.ranks_ = sp.csr_matrix(
            (value[ok], (users[ok], items[ok])), shape=(data.n_users, data.n_items)
        )

    def _scores(self, user_idx: np.ndarray) -> np.ndarray:
        s = self.ranks_[user_idx].toarray()
        return np.where(s > 0, s, -np.inf)


def list_peer(name: str) -> type[ListPeer]:
    """A ``ListPeer`` class whose results carry the peer's name."""
    return type(f"ListPeer_{name}", (ListPeer,), {"name": name})


PEERS: dict[str, str] = {
    "implicit_als": "ImplicitALSPeer",
    "implicit_bpr": "ImplicitBPRPeer",
    "ease_reference": "EASEReferencePeer",
}
# The same spaces as our counterparts, so both sides search the same ground.
PEER_SPACES: dict[str, dict[str, Param]] = {
    "implicit_als": default_space("als"),
    "implicit_bpr": default_space("bpr"),
    "ease_reference": default_space("ease"),
}
# RecTools peers: name in the benchmark -> (RecTools model, search space). SASRec's
# space mirrors ours (width, depth, dropout, learning rate); the rest stays at
# RecTools' published defaults (4 heads, softmax loss, batch 128).
RECTOOLS: dict[str, tuple[str, dict[str, Param]]] = {
    "rectools_sasrec": (
        "sasrec",
        {
            "n_factors": choice(32, 64, 128),
            "n_blocks": int_range(1, 3),
            "dropout_rate": float_range(0.0, 0.5),
            "lr": float_range(1e-4, 1e-2, log=True),
        },
    ),
    "rectools_ease": ("ease", {"regularization": float_range(10.0, 10_000.0, log=True)}),
}


def register_peers() -> None:
    """Make the in-process peers known to ``tune``/``build`` in this process only."""
    for name, cls in PEERS.items():
        MODELS.entries.setdefault(name, ("recsys_peers", cls))


def run_rectools(
    job: dict[str, Any], work: Path, python: Path = PEERS_PYTHON, timeout: float = 3600
) -> list[dict[str, float]]:
    """Run one RecTools job in ``.venv-peers``; returns each config's fit time and memory."""
    work.mkdir(parents=True, exist_ok=True)
    job_path = work / "job.json"
    job_path.write_text(json.dumps({**job, "out_dir": str(work)}))
    done = subprocess.run(
        [str(python), str(RUNNER), str(job_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"RecTools runner failed ({done.returncode}):\n{done.stderr[-3000:]}")
    stats: list[dict[str, float]] = json.loads((work / "stats.json").read_text())
    return stats
