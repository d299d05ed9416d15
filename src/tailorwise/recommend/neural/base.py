"""The training loop the PyTorch models share, with early stopping inside ``fit``.

How long to train depends on the data: at a fixed batch size, ten epochs
underfit MovieLens and overfit Amazon's small 5-core reviews (best at two).
So with ``early_stopping=True`` (sasrec's and gru4rec's default; two_tower's
is off) ``fit`` holds out each user's last positive item
(``stopping_split``: users with three events or more, at most
``MAX_STOP_USERS`` of them scored), trains on the rest for up to ``epochs``
epochs, stops when NDCG@10 on the held-out items has not improved for
``patience`` epochs, and then refits on all of the data for the best epoch
count (``best_epoch_``). With ``early_stopping=False`` it trains exactly
``epochs``. ``fit_validated(train, validation)`` stops on a
validation set of the caller's and keeps the best weights, without a refit.

A model supplies ``_prepare`` (what does not depend on which events train:
item features, attribute encoders), ``_trainer`` (the per-epoch step over
the events that train), ``_build`` (a fresh net) and, if scoring needs more
than ``net_.eval()``, ``_ready``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import torch
from torch import nn

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import leave_last_out
from tailorwise.progress import report
from tailorwise.recommend.base import BaseRecommender, Filters
from tailorwise.recommend.neural import utils as tu

Step = Callable[[torch.optim.Optimizer, np.random.Generator], float]  # one epoch -> mean loss
MAX_STOP_USERS = 10_000  # held-out users scored after each epoch when stopping early


class TorchRecommender(BaseRecommender):
    """Base of the PyTorch models: AdamW epochs, early stopping, ``fit_validated``."""

    # parameters every subclass takes
    epochs: int
    lr: float
    weight_decay: float
    early_stopping: bool
    patience: int
    device: str
    seed: int
    verbose: bool

    best_epoch_: int  # epochs trained, or chosen by early stopping
    validation_ndcg_: list[float]  # NDCG@10 after each epoch, when stopping early
    net_: nn.Module

    # --- what a model supplies ------------------------------------------
    def _prepare(self, data: Interactions) -> None:
        """Set up what every stage shares (called once per fit, on all of the data)."""

    @abstractmethod
    def _trainer(self, data: Interactions) -> Step:
        """Set the state that scoring reads from ``data`` and return the epoch step."""

    @abstractmethod
    def _build(self, n_items: int) -> nn.Module: ...

    def _ready(self) -> None:
        """Make the current weights ready to score."""
        self.net_.eval()

    # --- fitting --------------------------------------------------------
    def _fit(self, data: Interactions) -> None:
        self.device_ = tu.resolve_device(self.device)
        self._prepare(data)
        stopping = stopping_split(data, self.seed) if self.early_stopping else None
        if stopping is None:
            self._train(data, None, 0, self.epochs)
            return
        inner, held_out = stopping
        full = self.data_, self.seen_
        self.data_, self.seen_ = inner, inner.seen()  # the held-out items must stay rankable
        self._train(inner, held_out, self.patience, self.epochs, "finding the epochs")
        best = self.best_epoch_
        self.data_, self.seen_ = full
        self._train(data, None, 0, best, "refit")
        self.best_epoch_ = best

    def fit_validated(
        self, data: Interactions, validation: Interactions, patience: int = 3
    ) -> Self:
        """Fit with early stopping on NDCG@10 over ``validation`` (same id maps as ``data``)."""
        self._start_fit(data)
        self.device_ = tu.resolve_device(self.device)
        self._prepare(data)
        self._train(data, validation, patience, self.epochs)
        return self

    def _train(
        self,
        data: Interactions,
        validation: Interactions | None,
        patience: int,
        epochs: int,
        stage: str = "",
    ) -> None:
        """Train a fresh net for ``epochs``; with ``validation``, stop early and keep the best."""
        step = self._trainer(data)
        evaluate = self._validation_scorer(validation) if validation is not None else None
        with tu.seeded(self.seed):
            self.net_ = self._build(data.n_items).to(self.device_)
            opt = torch.optim.AdamW(
                self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay
            )
            rng = np.random.default_rng(self.seed)
            stopper = EarlyStopping(patience, epochs, best_state=tu.state_to_numpy(self.net_))
            label = f"{self.name}: {stage}" if stage else self.name
            for epoch in range(1, epochs + 1):
                self.net_.train()
                info = f"loss {step(opt, rng):.4f}"
                stop = evaluate is not None and stopper.update(epoch, evaluate(), self.net_)
                if evaluate is not None:
                    info += f"  val ndcg@10 {stopper.curve[-1]:.4f}"
                if self.verbose:
                    report(label, epoch, epochs, info)
                if stop:
                    break
            if evaluate is not None:
                self.net_.load_state_dict(tu.numpy_to_state(stopper.best_state))
                self.validation_ndcg_ = stopper.curve
            self.best_epoch_ = stopper.best_epoch
        self._ready()

    def _validation_scorer(self, validation: Interactions) -> Callable[[], float]:
        """NDCG@10 of the current weights on ``validation``, full ranking, seen items excluded."""
        from tailorwise.metrics.ranking import accuracy_at, hit_matrix

        truth = validation.matrix()
        users = np.flatnonzero(np.diff(truth.indptr) > 0)
        n_relevant = np.diff(truth.indptr)[users]
        allowed = self.allowed_items(Filters())

        def evaluate() -> float:
            self._ready()
            top, _ = self.top_k(users, 10, allowed)
            return float(accuracy_at(hit_matrix(top, truth[users]), n_relevant, 10)["ndcg"].mean())

        return evaluate


@dataclass
class EarlyStopping:
    """Tracks the best score over epochs; ``best_epoch`` stays ``epochs`` if never updated."""

    patience: int
    best_epoch: int
    best: float = -np.inf
    waited: int = 0
    best_state: dict[str, np.ndarray] = field(default_factory=dict)
    curve: list[float] = field(default_factory=list)

    def update(self, epoch: int, score: float, module: torch.nn.Module) -> bool:
        """Record ``score`` after ``epoch``; True when ``patience`` epochs brought no gain."""
        self.curve.append(score)
        if score > self.best:
            self.best, self.best_epoch, self.waited = score, epoch, 0
            self.best_state = tu.state_to_numpy(module)
        else:
            self.waited += 1
        return self.waited >= self.patience


def stopping_split(
    data: Interactions, seed: int, max_users: int = MAX_STOP_USERS
) -> tuple[Interactions, Interactions] | None:
    """For early stopping inside ``fit``: (``data`` without each user's last event, the
    positive ones among those events for at most ``max_users`` users), or None if no user
    has the three events or more that leave-last-out needs."""
    cut = leave_last_out(data)
    held_out = cut.test.subset(cut.test.weight > 0)
    users = np.unique(held_out.user_idx)
    if len(users) == 0:
        return None
    if len(users) > max_users:
        sample = np.random.default_rng(seed).choice(users, max_users, replace=False)
        held_out = held_out.subset(np.isin(held_out.user_idx, sample))
    return cut.train_validation(), held_out
