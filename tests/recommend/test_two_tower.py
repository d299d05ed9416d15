"""Issue #3: the two-tower model passes the contract, scores cold items, serves anonymous and
cold users (from their attributes), and works with no item features at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd
import pytest

from tailorwise.columns import Columns as C
from tailorwise.data.idmap import UnknownIdError
from tailorwise.data.interactions import Interactions
from tailorwise.data.split import leave_last_out
from tailorwise.errors import InvalidRequestError
from tailorwise.metrics.ranking import accuracy_at, hit_matrix
from tailorwise.recommend.base import Filters
from tailorwise.recommend.hybrid.model import HybridRecommender
from tailorwise.recommend.loading import load_model
from tailorwise.recommend.neural.two_tower import ANONYMOUS, TwoTowerRecommender
from tests.contracts.recommender_contract import RecommenderContract
from tests.torch_device import DEVICE


class FastParams(TypedDict):
    embedding_dim: int
    epochs: int
    max_history: int
    batch_size: int
    lr: float
    seed: int
    device: str


FAST: FastParams = {
    "embedding_dim": 32,
    "epochs": 2,
    "max_history": 10,
    "batch_size": 1024,
    "lr": 5e-3,
    "seed": 1,
    "device": DEVICE,
}


# What learns the two small worlds below (space shows, cooking shows) in a few seconds.
WORLDS: dict[str, Any] = {
    "embedding_dim": 16,
    "epochs": 30,
    "batch_size": 64,
    "seed": 0,
    "device": DEVICE,
}


class TestTwoTower(RecommenderContract):
    min_ndcg = 0.03  # 2 epochs on 300 users reach ~0.065 (popularity 0.033, random 0.006)

    def make_model(self) -> TwoTowerRecommender:
        return TwoTowerRecommender(**FAST)


def test_same_seed_same_scores(ml_small: Interactions) -> None:
    a = TwoTowerRecommender(**(FAST | {"epochs": 1})).fit(ml_small)._scores(np.arange(10))
    b = TwoTowerRecommender(**(FAST | {"epochs": 1})).fit(ml_small)._scores(np.arange(10))
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
    planets = pd.DataFrame(  # space fans live on Mars, cooks on Earth; ages say nothing
        {
            C.user: [f"u{u}" for u in range(n_users)],
            C.attributes: [
                {"planet": "mars" if u % 2 == 0 else "earth", "age": int(rng.integers(18, 70))}
                for u in range(n_users)
            ],
        }
    )
    return Interactions.from_frames(pd.DataFrame(rows), items, users=planets)


def test_cold_item_gets_a_finite_score_and_is_ranked_by_its_features() -> None:
    data = _two_worlds()
    model = TwoTowerRecommender(**WORLDS).fit(data)
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
    model = TwoTowerRecommender(**WORLDS).fit(data)
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
    params = WORLDS | {"batch_size": 32, "use_item_ids": False}
    model = TwoTowerRecommender(**params, loss="in_batch").fit(data)
    items = model.recommend_for_history(["s1", "s2"], k=3).items_of(ANONYMOUS)
    assert all(i.startswith("s") for i in items)


def test_cold_user_is_served_from_their_attributes() -> None:
    data = _two_worlds()
    model = TwoTowerRecommender(**WORLDS).fit(data)
    attrs = {"martian": {"planet": "mars", "age": 30}, "earthling": {"planet": "earth", "age": 30}}
    recs = model.recommend(["earthling", "u1", "martian"], k=5, attributes=attrs)
    assert list(dict.fromkeys(recs.frame[C.user])) == ["earthling", "u1", "martian"]
    assert all(i.startswith("s") for i in recs.items_of("martian"))
    assert all(i.startswith("c") for i in recs.items_of("earthling"))
    assert recs.items_of("u1") == model.recommend(["u1"], k=5).items_of("u1")
    anonymous = model.recommend_for_history([], k=5, attributes=attrs["martian"])
    assert anonymous.items_of(ANONYMOUS) == recs.items_of("martian")
    with pytest.raises(UnknownIdError, match=r"unknown user.*'nobody'.*attributes"):
        model.recommend(["martian", "nobody"], k=5, attributes=attrs)


def test_cold_user_answers_depend_on_the_attributes_on_movielens(
    ml_small: Interactions, tmp_path: Path
) -> None:
    model = TwoTowerRecommender(**FAST).fit(ml_small)
    attrs = {
        "young": {"age": 19, "gender": "F", "occupation": "student"},
        "retired": {"age": 68, "gender": "M", "occupation": "retired"},
    }
    recs = model.recommend(["young", "retired"], k=10, attributes=attrs)
    young, retired = recs.items_of("young"), recs.items_of("retired")
    assert len(young) == len(retired) == 10 and young != retired
    loaded = load_model(model.save(tmp_path / "model"))
    assert isinstance(loaded, TwoTowerRecommender)
    again = loaded.recommend(["young", "retired"], k=10, attributes=attrs)
    assert again.items_of("young") == young and again.items_of("retired") == retired


def _without_item_features(data: Interactions) -> Interactions:
    meta = data.item_meta.copy()
    meta[[C.title, C.text, C.categories, C.price]] = None
    return replace(data, item_meta=meta)


def test_learns_from_ids_alone_when_items_have_no_features(ml_small: Interactions) -> None:
    split = leave_last_out(_without_item_features(ml_small))
    model = TwoTowerRecommender(**FAST).fit(split.train)
    assert model.features_.shape[1] == 1, "only the bias column is left"
    truth = split.test.matrix()
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    top, _ = model.top_k(users, 10, model.allowed_items(Filters()))
    ndcg = accuracy_at(hit_matrix(top, truth[users]), np.diff(truth.indptr)[users], 10)["ndcg"]
    assert ndcg.mean() > 0.03  # popularity ~0.033, random ~0.006


def test_fits_and_recommends_on_online_retail(retail: Interactions) -> None:
    """Online Retail items have descriptions but no categories: the benchmark crashed on it."""
    assert retail.item_meta[C.categories].isna().all()
    data = retail.subset(retail.user_idx < 300)
    model = TwoTowerRecommender(**(FAST | {"epochs": 1})).fit(data)
    user = str(data.users.external[0])
    assert len(model.recommend([user], k=10).items_of(user)) == 10
    france = model.recommend(["new"], k=10, attributes={"new": {"country": "France"}})
    assert len(france.items_of("new")) == 10


def test_hybrid_places_cold_items_by_the_two_tower() -> None:
    """With two_tower as its only cold-capable part, the hybrid ranks the untouched space
    item for a space fan among the top items, with the two-tower's reason."""
    data = _two_worlds()
    parts: list[dict[str, Any]] = [{"name": "popular"}, {"name": "two_tower", "params": WORLDS}]
    model = HybridRecommender(components=parts, weights=[0.5, 0.5], cold_factor=1.0).fit(data)
    assert model.cold_capable_.tolist() == [False, True]
    recs = model.recommend(["u0"], k=5).for_user("u0")
    assert "s9" in recs[C.item].tolist()
    reason = recs.loc[recs[C.item] == "s9", "reason"].iloc[0]
    assert not reason.startswith("popular"), reason
