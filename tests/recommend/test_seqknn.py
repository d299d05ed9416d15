"""Issue #3: sequential item-kNN passes the contract and scores what follows in time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split
from tailorwise.errors import ConfigError
from tailorwise.evaluate.runner import evaluate
from tailorwise.recommend.ease import EASERecommender
from tailorwise.recommend.seqknn import SequentialKNNRecommender, transition_matrix
from tests.contracts.recommender_contract import RecommenderContract


class TestSequentialKNN(RecommenderContract):
    min_ndcg = 0.03

    def make_model(self) -> SequentialKNNRecommender:
        return SequentialKNNRecommender()


def _frame(sequences: dict[str, list[str]]) -> Interactions:
    rows = [
        {
            "user_id": u,
            "item_id": item,
            "type": "purchase",
            "value": None,
            "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day),
        }
        for u, items in sequences.items()
        for day, item in enumerate(items)
    ]
    return Interactions.from_frames(pd.DataFrame(rows))


def test_transitions_follow_the_formula() -> None:
    users = np.array([0, 0, 0, 1, 1])
    items = np.array([0, 1, 2, 2, 0])
    t = transition_matrix(users, items, 3, window=2, decay=0.5, backward=0.25).toarray()
    expected = np.zeros((3, 3))
    for a, b, w in [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 0.5), (2, 0, 1.0)]:
        expected[a, b] += w
        expected[b, a] += 0.25 * w
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(t, expected)


def test_the_item_that_follows_the_latest_one_ranks_first() -> None:
    # Everyone who took up "c" took up "d" next; "a" is followed by "b".
    data = _frame(
        {
            "u1": ["a", "b", "c", "d"],
            "u2": ["c", "d", "a", "b"],
            "u3": ["a", "b", "x"],
            "u4": ["x", "c", "d"],
            "me": ["a", "c"],
        }
    )
    recs = SequentialKNNRecommender(window=1, backward=0.0, recency=0.5).fit(data)
    top = recs.recommend(["me"], k=2).for_user("me")
    assert top["item_id"].iloc[0] == "d"
    assert top["reason"].iloc[0] == "often taken up close in time to c, which you bought"


@pytest.mark.parametrize(
    ("param", "value"),
    [("window", 0), ("decay", 0.0), ("recency", 1.5), ("backward", -1.0), ("alpha", 2.0)],
)
def test_bad_parameters_are_refused(param: str, value: float, ml_small: Interactions) -> None:
    params: dict[str, Any] = {param: value}  # the parameter's name is only known at run time
    with pytest.raises(ConfigError, match=param):
        SequentialKNNRecommender(**params).fit(ml_small)


def test_beats_ease_on_next_item_prediction(ml_split: Split) -> None:
    """Leave-last-out on MovieLens: the order of a user's items predicts the next one."""
    ours = evaluate(SequentialKNNRecommender().fit(ml_split.train), ml_split, part="validation")
    ease = evaluate(EASERecommender(l2=200.0).fit(ml_split.train), ml_split, part="validation")
    assert ours["ndcg@10"] > 1.2 * ease["ndcg@10"]
