"""Issue #3: ALS and BPR pass the contract and match implicit called directly."""

from __future__ import annotations

import numpy as np
import pytest
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.implicit_mf import ALSRecommender, BPRRecommender
from tailorwise.recommend.itemknn import item_titles
from tests.contracts.recommender_contract import RecommenderContract
from tests.recommend.test_evidence import rating_of


class TestALS(RecommenderContract):
    min_ndcg = 0.03

    def make_model(self) -> ALSRecommender:
        return ALSRecommender(factors=32, iterations=8, verbose=False)


class TestBPR(RecommenderContract):
    min_ndcg = 0.02

    def make_model(self) -> BPRRecommender:
        return BPRRecommender(factors=32, iterations=40, verbose=False)


def test_als_equals_implicit_called_directly(ml_small: Interactions) -> None:
    ours = ALSRecommender(
        factors=16, regularization=0.1, alpha=2.0, iterations=5, seed=7, verbose=False
    ).fit(ml_small)
    with threadpool_limits(1, "blas"):
        ref = AlternatingLeastSquares(
            factors=16, regularization=0.1, alpha=2.0, iterations=5, random_state=7
        )
        ref.fit(ml_small.matrix(), show_progress=False)
    np.testing.assert_allclose(ours.user_factors_, ref.user_factors, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.item_factors_, ref.item_factors, rtol=1e-4, atol=1e-6)
    users = np.arange(10)
    np.testing.assert_allclose(
        ours._scores(users), ref.user_factors[users] @ ref.item_factors.T, rtol=1e-5, atol=1e-6
    )


def test_bpr_equals_implicit_called_directly(ml_small: Interactions) -> None:
    ours = BPRRecommender(factors=16, learning_rate=0.05, iterations=10, seed=3, verbose=False).fit(
        ml_small
    )
    ref = BayesianPersonalizedRanking(
        factors=16, learning_rate=0.05, iterations=10, num_threads=1, random_state=3
    )
    ref.fit(ml_small.matrix(), show_progress=False)
    np.testing.assert_array_equal(ours.item_factors_, ref.item_factors)
    np.testing.assert_array_equal(ours.user_factors_, ref.user_factors)


def test_seed_fixes_the_result(ml_small: Interactions) -> None:
    a = BPRRecommender(factors=8, iterations=5, seed=1, verbose=False).fit(ml_small)
    b = BPRRecommender(factors=8, iterations=5, seed=1, verbose=False).fit(ml_small)
    c = BPRRecommender(factors=8, iterations=5, seed=2, verbose=False).fit(ml_small)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    assert not np.array_equal(a.item_factors_, c.item_factors_)


def test_als_reason_is_implicits_explanation(ml_small: Interactions) -> None:
    model = ALSRecommender(factors=16, iterations=5, verbose=False).fit(ml_small)
    user = str(ml_small.users.external[4])
    recs = model.recommend([user], k=3)
    uidx = ml_small.users.to_internal([user])[0]
    liked = ml_small.matrix()[uidx].toarray().ravel()
    titles = item_titles(ml_small)
    # independent explanation: s_ij = y_i^T W_u y_j c_j with W_u = (Y^T C_u Y + reg I)^-1
    y = model.item_factors_.astype(np.float64)
    c = liked * model.alpha
    w = np.linalg.inv(y.T @ (y * (1 + c)[:, None]) + model.regularization * np.eye(16))
    for item, reason in zip(recs.items_of(user), recs.for_user(user)["reason"], strict=True):
        i = ml_small.items.to_internal([item])[0]
        contrib = (y @ (w @ y[i])) * c
        source = int(contrib.argmax())
        stars = rating_of(ml_small, uidx, source)
        assert reason == f"because you rated {stars:g} {titles[source]}"


@pytest.mark.parametrize(
    "params",
    [
        {"factors": 0},
        {"iterations": 1.5},
        {"regularization": -1},
        {"alpha": 0},
        {"seed": -1},
        {"num_threads": -2},
    ],
)
def test_bad_als_parameters_are_rejected(params: dict[str, object], ml_small: Interactions) -> None:
    with pytest.raises(ConfigError, match="als: "):
        ALSRecommender(verbose=False, **params).fit(ml_small)  # type: ignore[arg-type]


@pytest.mark.parametrize("params", [{"learning_rate": 0}, {"factors": "64"}])
def test_bad_bpr_parameters_are_rejected(params: dict[str, object], ml_small: Interactions) -> None:
    with pytest.raises(ConfigError, match="bpr: "):
        BPRRecommender(verbose=False, **params).fit(ml_small)  # type: ignore[arg-type]
