"""Issue #3: the sequential models (SASRec, GRU4Rec) pass the contract and read order."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TypedDict

import numpy as np
import pytest

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split
from tailorwise.errors import ConfigError
from tailorwise.recommend.neural.sequential import GRURecommender, SequentialRecommender
from tailorwise.recommend.neural.utils import user_sequences, user_windows
from tests.contracts.recommender_contract import RecommenderContract
from tests.torch_device import DEVICE


class FastParams(TypedDict):
    embedding_dim: int
    max_len: int
    epochs: int
    batch_size: int
    lr: float
    seed: int
    device: str


FAST: FastParams = {
    "embedding_dim": 32,
    "max_len": 50,
    "epochs": 2,
    "batch_size": 128,
    "lr": 5e-3,
    "seed": 1,
    "device": DEVICE,
}


class TestSASRec(RecommenderContract):
    # 2 short epochs on 300 users reach ~0.02 (popularity 0.033, random 0.006); the full-size
    # quality is measured on all of ML-100K, not in a timed test
    min_ndcg = 0.012

    def make_model(self) -> SequentialRecommender:
        return SequentialRecommender(**FAST)


class TestGRU4Rec(RecommenderContract):
    min_ndcg = 0.012

    def make_model(self) -> GRURecommender:
        return GRURecommender(**FAST)


def test_same_seed_same_scores(ml_small: Interactions) -> None:
    users = np.arange(10)
    a = SequentialRecommender(**(FAST | {"epochs": 1})).fit(ml_small)._scores(users)
    b = SequentialRecommender(**(FAST | {"epochs": 1})).fit(ml_small)._scores(users)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("model", [SequentialRecommender, GRURecommender])
def test_scores_depend_on_the_order_of_history(
    ml_small: Interactions, model: type[SequentialRecommender]
) -> None:
    fitted = model(**(FAST | {"epochs": 1})).fit(ml_small)
    counts = np.bincount(ml_small.user_idx)
    user = int(np.flatnonzero((counts >= 5) & (counts <= FAST["max_len"]))[0])  # whole history fits
    rows = np.flatnonzero(ml_small.user_idx == user)
    reversed_time = ml_small.timestamp.copy()
    reversed_time[rows] = ml_small.timestamp[rows].max() - ml_small.timestamp[rows]
    before = fitted._scores(np.array([user]))
    original = fitted.seqs_[user].copy()
    fitted.seqs_ = user_sequences(replace(ml_small, timestamp=reversed_time), FAST["max_len"])
    assert sorted(fitted.seqs_[user]) == sorted(original)  # same items, other order
    assert not np.allclose(before, fitted._scores(np.array([user])))


def test_reason_names_the_last_item(ml_small: Interactions) -> None:
    model = SequentialRecommender(**(FAST | {"epochs": 1})).fit(ml_small)
    user = str(ml_small.users.external[0])
    last = model.seqs_[0, -1] - 1
    title = str(ml_small.item_meta["title"].iloc[last])
    assert set(model.recommend([user], k=3).for_user(user)["reason"]) == {
        f"follows your recent {title}"
    }


def test_sampled_loss_and_early_stopping(ml_split: Split) -> None:
    model = SequentialRecommender(**(FAST | {"epochs": 3}), loss="sampled", n_negatives=64)
    model.fit_validated(ml_split.train, ml_split.validation, patience=1)
    assert 1 <= model.best_epoch_ <= 3
    assert np.isfinite(model._scores(np.arange(5))).all()


def test_bad_params_are_clear(ml_small: Interactions) -> None:
    with pytest.raises(ConfigError, match="divisible by n_heads"):
        SequentialRecommender(embedding_dim=30, n_heads=4).fit(ml_small)
    with pytest.raises(ConfigError, match="loss must be"):
        SequentialRecommender(loss="bpr").fit(ml_small)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="patience must be >= 1"):
        GRURecommender(patience=0).fit(ml_small)


def test_training_windows_cover_every_transition_once(ml_small: Interactions) -> None:
    """Long histories are cut into windows that share one item: no transition lost or doubled."""
    length = 8
    windows = user_windows(ml_small, length)
    assert windows.shape[1] == length and (windows[:, -1] > 0).all()  # right-aligned
    pairs = {(int(a), int(b)) for w in windows for a, b in itertools.pairwise(w) if a > 0}
    n_pairs = sum(int((w[:-1] > 0).sum()) for w in windows)
    seqs = user_sequences(ml_small, 10_000)
    expected = {(int(a), int(b)) for s in seqs for a, b in itertools.pairwise(s) if a > 0}
    assert n_pairs == int(((seqs > 0).sum(axis=1) - 1).clip(0).sum())
    assert pairs == expected
