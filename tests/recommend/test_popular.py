"""Issue #3: the popularity baselines pass the recommender contract."""

from __future__ import annotations

import numpy as np

from tailorwise.data.interactions import Interactions
from tailorwise.recommend.popular import PopularRecommender, TrendingRecommender
from tests.contracts.recommender_contract import RecommenderContract


class TestPopular(RecommenderContract):
    def make_model(self) -> PopularRecommender:
        return PopularRecommender()


class TestTrending(RecommenderContract):
    min_ndcg = 0.01

    def make_model(self) -> TrendingRecommender:
        return TrendingRecommender(half_life_days=30)


def test_popular_ranks_by_user_count(ml_small: Interactions) -> None:
    model = PopularRecommender().fit(ml_small)
    counts = np.bincount(ml_small.item_idx[ml_small.weight > 0], minlength=ml_small.n_items)
    user = str(ml_small.users.external[0])
    recs = model.recommend([user], k=5)
    items = ml_small.items.to_internal(recs.items_of(user))
    unseen = np.setdiff1d(np.arange(ml_small.n_items), ml_small.seen()[0].indices)
    assert counts[items].tolist() == sorted(counts[unseen], reverse=True)[:5]
