"""Issue #3: item-kNN passes the contract and computes the similarity it promises."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError
from tailorwise.recommend.itemknn import ItemKNNRecommender, item_titles
from tests.contracts.recommender_contract import RecommenderContract
from tests.recommend.test_evidence import rating_of


class TestItemKNN(RecommenderContract):
    min_ndcg = 0.03

    def make_model(self) -> ItemKNNRecommender:
        return ItemKNNRecommender()


class TestItemKNNPlainCosine(RecommenderContract):
    min_ndcg = 0.03

    def make_model(self) -> ItemKNNRecommender:
        return ItemKNNRecommender(k_neighbors=None, shrink=0.0, weighting="none")


def test_plain_cosine_equals_sklearn(ml_small: Interactions) -> None:
    model = ItemKNNRecommender(k_neighbors=None, shrink=0.0, weighting="none").fit(ml_small)
    sim = model.similarity_.toarray()
    expected = cosine_similarity(ml_small.matrix().T.astype(np.float64))
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(sim, expected, atol=1e-6)


def test_shrinkage_and_pruning_follow_the_formula(ml_small: Interactions) -> None:
    x = ml_small.matrix().toarray().astype(np.float64)
    norms = np.linalg.norm(x, axis=0)
    expected = (x.T @ x) / (np.outer(norms, norms) + 25.0)
    np.fill_diagonal(expected, 0.0)
    sim = ItemKNNRecommender(k_neighbors=7, shrink=25.0, weighting="none").fit(ml_small).similarity_
    assert (np.diff(sim.indptr) <= 7).all()
    for item in [0, 1, 49, 180]:
        row = sim[item].toarray().ravel()
        kept = np.flatnonzero(row)
        np.testing.assert_allclose(row[kept], expected[item, kept], rtol=1e-5)
        kth = np.sort(expected[item])[-7]
        assert (expected[item, kept] >= kth - 1e-9).all()


def test_bm25_changes_the_neighbours(ml_small: Interactions) -> None:
    plain = ItemKNNRecommender(k_neighbors=20, weighting="none").fit(ml_small).similarity_
    bm25 = ItemKNNRecommender(k_neighbors=20, weighting="bm25").fit(ml_small).similarity_
    assert plain.shape == bm25.shape
    assert (plain != bm25).nnz > 0


def test_reason_names_the_liked_item_that_contributes_most(ml_small: Interactions) -> None:
    model = ItemKNNRecommender().fit(ml_small)
    user = str(ml_small.users.external[3])
    recs = model.recommend([user], k=5)
    uidx = ml_small.users.to_internal([user])[0]
    liked = ml_small.matrix()[uidx]
    sim = model.similarity_.toarray()
    titles = item_titles(ml_small)
    for item, reason in zip(recs.items_of(user), recs.for_user(user)["reason"], strict=True):
        i = ml_small.items.to_internal([item])[0]
        contrib = liked.data * sim[liked.indices, i]
        source = liked.indices[contrib.argmax()]
        stars = rating_of(ml_small, uidx, source)
        assert reason == f"because you rated {stars:g} {titles[source]}"


@pytest.mark.parametrize(
    "params",
    [
        {"k_neighbors": 0},
        {"k_neighbors": 2.5},
        {"shrink": -1},
        {"weighting": "idf"},
        {"bm25_b": 1.5},
        {"bm25_k1": -0.1},
    ],
)
def test_bad_parameters_are_rejected(params: dict[str, object], ml_small: Interactions) -> None:
    with pytest.raises(ConfigError, match="itemknn"):
        ItemKNNRecommender(**params).fit(ml_small)  # type: ignore[arg-type]
