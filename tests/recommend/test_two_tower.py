"""Issue #3: the two-tower model passes the contract, scores cold items, serves anonymous users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.errors import InvalidRequestError
from tailorwise.recommend.two_tower import ANONYMOUS, TwoTowerRecommender
from tests.contracts.recommender_contract import RecommenderContract

FAST = {
    "embedding_dim": 32,
    "epochs": 2,
    "max_history": 10,
    "batch_size": 1024,
    "lr": 5e-3,
    "seed": 1,
    "device": "cpu",
}


class TestTwoTower(RecommenderContract):
    min_ndcg = 0.03  # 2 epochs on 300 users reach ~0.065 (popularity 0.033, random 0.006)

    def make_model(self) -> TwoTowerRecommender:
        return TwoTowerRecommender(**FAST)


def test_same_seed_same_scores(ml_small: Interactions) -> None:
    a = TwoTowerRecommender(**{**FAST, "epochs": 1}).fit(ml_small)._scores(np.arange(10))
    b = TwoTowerRecommender(**{**FAST, "epochs": 1}).fit(ml_small)._scores(np.arange(10))
    np.testing.assert_array_equal(a, b)


def _two_worlds(n_users: int = 60, seed: int = 0) -> Interactions:
    """Half the users watch only 'space' items, half only 'cooking' items; one space item is new."""
    rng = np.random.default_rng(seed)
    items = pd.DataFrame(
        {
            C.item: [f"s{i}" for i in range(10)] + [f"c{i}" for i in range(10)],
            C.title: [f"Space saga {i}" for i in range(10)]
            + [f"Cooking show {i}" for i in range(10)],
            C.categories: [["space"]] * 10 + [["cooking"]] * 10,
        }
    )
    rows = []
    for u in range(n_users):
        world = "s" if u % 2 == 0 else "c"
        for j, i in enumerate(rng.choice(9, size=5, replace=False)):  # s9 is never touched
            rows.append(
                {
                    C.user: f"u{u}",
                    C.item: f"{world}{i}",
                    C.type: "view",
                    C.value: None,
                    C.timestamp: pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=j),
                }
            )
    return Interactions.from_frames(pd.DataFrame(rows), items)


def test_cold_item_gets_a_finite_score_and_is_ranked_by_its_features() -> None:
    data = _two_worlds()
    model = TwoTowerRecommender(embedding_dim=16, epochs=30, batch_size=64, seed=0).fit(data)
    cold = data.items.to_internal(["s9"])[0]
    scores = model._scores(np.arange(data.n_users))
    assert np.isfinite(scores[:, cold]).all()
    space_fan = data.users.to_internal(["u0"])[0]
    cooking = data.items.to_internal([f"c{i}" for i in range(10)])
    assert scores[space_fan, cold] > scores[space_fan, cooking].max()
    top = model.recommend(["u0"], k=10).items_of("u0")
    assert "s9" in top[:5]


def test_recommend_for_history_serves_an_unknown_visitor() -> None:
    data = _two_worlds()
    model = TwoTowerRecommender(embedding_dim=16, epochs=30, batch_size=64, seed=0).fit(data)
    recs = model.recommend_for_history(["c1", "c2", "not-in-catalog"], k=4)
    assert set(recs.frame[C.user]) == {ANONYMOUS}
    items = recs.items_of(ANONYMOUS)
    assert len(items) == 4 and not {"c1", "c2"} & set(items)
    assert all(i.startswith("c") for i in items)
    assert recs.frame["reason"].str.contains("Cooking show|cooking").all()
    with pytest.raises(InvalidRequestError, match="k must be"):
        model.recommend_for_history(["c1"], k=0)


def test_in_batch_loss_without_item_ids_learns_the_two_worlds() -> None:
    data = _two_worlds()
    model = TwoTowerRecommender(
        embedding_dim=16, epochs=30, batch_size=32, seed=0, loss="in_batch", use_item_ids=False
    ).fit(data)
    items = model.recommend_for_history(["s1", "s2"], k=3).items_of(ANONYMOUS)
    assert all(i.startswith("s") for i in items)
