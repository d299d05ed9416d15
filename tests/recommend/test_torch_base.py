"""Issue #3: what the PyTorch models share (recommend/torch_base.py): early stopping inside
``fit``, on each user's held-out last item, then a refit on all of the data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tailorwise.data.interactions import Interactions
from tailorwise.recommend.neural.base import TorchRecommender, stopping_split
from tailorwise.recommend.neural.sequential import GRURecommender, SequentialRecommender
from tailorwise.recommend.neural.two_tower import TwoTowerRecommender
from tailorwise.recommend.neural.utils import user_sequences
from tests.torch_device import DEVICE

BASE = {"embedding_dim": 32, "epochs": 12, "lr": 5e-3, "seed": 1, "device": DEVICE}
# Settings that overfit the 300-user slice within a few epochs, so that stopping is seen.
OVERFIT: list[tuple[Callable[..., TorchRecommender], dict[str, Any], str]] = [
    (SequentialRecommender, {"max_len": 50, "batch_size": 16, "lr": 2e-2}, "seqs_"),
    (GRURecommender, {"max_len": 50, "batch_size": 16, "lr": 2e-2}, "seqs_"),
    (TwoTowerRecommender, {"max_history": 10, "batch_size": 64, "lr": 3e-2}, "history_"),
]


@pytest.mark.parametrize(
    ("model", "params", "reads"), OVERFIT, ids=["sasrec", "gru4rec", "two_tower"]
)
def test_fit_stops_early_then_refits_on_everything(
    ml_small: Interactions,
    model: Callable[..., TorchRecommender],
    params: dict[str, Any],
    reads: str,
) -> None:
    """``fit`` finds the best epoch on the held-out last items, stops ``patience`` epochs
    later, and refits on all of the data for that many epochs: the scores are those of a
    plain fit for the epochs it chose, from the whole history (``reads``)."""
    params = BASE | params
    stopped = model(**params, early_stopping=True, patience=2).fit(ml_small)
    curve = stopped.validation_ndcg_
    assert stopped.best_epoch_ == int(np.argmax(curve)) + 1
    assert len(curve) == stopped.best_epoch_ + 2 < 12
    assert stopped.seen_.nnz == ml_small.seen().nnz  # scored against all of the data again
    fixed = model(**(params | {"epochs": stopped.best_epoch_}), early_stopping=False)
    fixed.fit(ml_small)
    users = np.arange(20)
    np.testing.assert_allclose(stopped._scores(users), fixed._scores(users))
    assert np.array_equal(getattr(stopped, reads), getattr(fixed, reads))
    assert getattr(stopped, reads).shape[0] == ml_small.n_users


def test_stopping_split_holds_out_each_users_last_positive_event(ml_small: Interactions) -> None:
    split = stopping_split(ml_small, seed=0)
    assert split is not None
    inner, held_out = split
    assert (held_out.weight > 0).all()
    assert len(inner) + len(held_out) <= len(ml_small)
    last = {int(u): int(i) for u, i in zip(held_out.user_idx, held_out.item_idx, strict=True)}
    assert len(last) == len(held_out)  # one item per user
    seqs = user_sequences(ml_small, 10_000)
    for user, item in list(last.items())[:50]:
        assert seqs[user][-1] - 1 == item  # the latest of the user's positive items
    capped = stopping_split(ml_small, seed=0, max_users=25)
    assert capped is not None and len(np.unique(capped[1].user_idx)) == 25
    assert len(capped[0]) == len(inner)  # every user's last event still leaves training
    tiny = ml_small.subset(np.isin(ml_small.user_idx, [0]) & (np.arange(len(ml_small)) < 2))
    assert stopping_split(tiny, seed=0) is None  # nobody has the three events it needs
