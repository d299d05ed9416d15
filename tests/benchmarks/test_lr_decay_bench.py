"""Smoke test of benchmarks/lr_decay.py, the learning-rate decay trial behind BENCHMARKS.md."""

from __future__ import annotations

import sys
from pathlib import Path

from tailorwise.data.split import Split
from tailorwise.recommend.neural.two_tower import TwoTowerRecommender

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path[:0] = [str(BENCH)]

from lr_decay import SCHEDULES, with_schedule  # noqa: E402


def _curve(cls: type[TwoTowerRecommender], split: Split) -> list[float]:
    model = cls(embedding_dim=16, epochs=3, batch_size=256, seed=0, device="cpu")
    model.fit_validated(split.train, split.validation, patience=4)
    return list(model.validation_ndcg_)


def test_the_constant_schedule_is_the_plain_model_and_decay_changes_later_epochs(
    ml_split: Split,
) -> None:
    plain = _curve(TwoTowerRecommender, ml_split)
    assert _curve(with_schedule(TwoTowerRecommender, SCHEDULES["constant"]), ml_split) == plain
    linear = _curve(with_schedule(TwoTowerRecommender, SCHEDULES["linear"]), ml_split)
    assert linear[0] == plain[0]  # epoch 1 runs at the full rate
    assert linear[1:] != plain[1:]  # then at 2/3 and 1/3 of it
    assert [SCHEDULES["cosine"](e, 4) for e in (0, 2)] == [1.0, 0.5]
