"""Issue #3: EASE passes the contract and solves Steck's closed form."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.ease import EASERecommender, ease_weights
from tests.contracts.recommender_contract import RecommenderContract


class TestEASE(RecommenderContract):
    min_ndcg = 0.03

    def make_model(self) -> EASERecommender:
        return EASERecommender(l2=200.0)


def _closed_form(x: np.ndarray, l2: float) -> np.ndarray:
    p = np.linalg.inv(x.T @ x + l2 * np.eye(x.shape[1]))
    return np.eye(x.shape[1]) - p / np.diag(p)


def test_weights_solve_the_closed_form_on_a_small_matrix() -> None:
    x = np.array(
        [
            [1, 1, 0, 0, 1],
            [0, 1, 1, 0, 0],
            [1, 0, 1, 1, 0],
            [0, 0, 0, 1, 1],
            [1, 1, 1, 0, 0],
            [0, 2, 0, 1, 0],
        ],
        dtype=np.float64,
    )
    b = ease_weights(sp.csr_matrix(x, dtype=np.float32), 0.5)
    expected = _closed_form(x, 0.5)
    np.testing.assert_allclose(b, expected, atol=1e-5)
    assert np.all(np.diag(b) == 0)
    # Steck's stationarity condition: (X^T X + l2 I) B = X^T X - diag(mu), mu the multipliers.
    lhs = (x.T @ x + 0.5 * np.eye(5)) @ b
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(lhs[off], (x.T @ x)[off], atol=1e-4)


def test_weights_match_float64_on_real_data(ml_small: Interactions) -> None:
    x = ml_small.matrix()
    keep = np.flatnonzero(np.diff(x.tocsc().indptr) >= 5)[:400]  # a dense enough corner
    sub = x[:, keep]
    b = ease_weights(sub, 100.0)
    np.testing.assert_allclose(b, _closed_form(sub.toarray().astype(np.float64), 100.0), atol=2e-5)


def test_scores_are_user_rows_times_weights(ml_small: Interactions) -> None:
    model = EASERecommender(l2=300.0).fit(ml_small)
    users = np.array([0, 5, 17])
    expected = ml_small.matrix()[users].toarray() @ model.weights_
    np.testing.assert_allclose(model._scores(users), expected, rtol=1e-4, atol=1e-6)
    reasons = model.recommend([str(u) for u in ml_small.users.external[:3]], k=3).frame
    assert reasons["reason"].str.match(r"because you rated [1-5] ").all()  # ML-100K: ratings


@pytest.mark.parametrize("l2", [0, -5.0, "big", True])
def test_bad_l2_is_rejected(l2: object, ml_small: Interactions) -> None:
    with pytest.raises(ConfigError, match="ease: l2"):
        EASERecommender(l2=l2).fit(ml_small)  # type: ignore[arg-type]
