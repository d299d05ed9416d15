"""The contract every recommender passes (issue #3).

Subclass ``RecommenderContract`` and implement ``make_model``; the data is a
slice of MovieLens 100K, ingested through the real loader and store.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split
from tailorwise.errors import InvalidRequestError, NotFittedError
from tailorwise.metrics.ranking import accuracy_at, hit_matrix
from tailorwise.recommend.base import Filters
from tailorwise.recommend.config import ModelConfig
from tailorwise.recommend.loading import load_model
from tailorwise.types import RESULT_COLUMNS


class RecommenderContract:
    # NDCG@10 on the leave-last-out slice that the model must beat; random is ~0.006.
    min_ndcg: ClassVar[float] = 0.02

    def make_model(self) -> Any:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, ml_small: Interactions) -> Any:
        return cls().make_model().fit(ml_small)

    def test_fit_returns_self(self, ml_small: Interactions) -> None:
        model = self.make_model()
        assert model.fit(ml_small) is model

    def test_unfitted_model_says_so(self) -> None:
        with pytest.raises(NotFittedError, match="not fitted"):
            self.make_model().recommend(["1"], k=5)

    def test_result_is_canonical(self, fitted: Any, ml_small: Interactions) -> None:
        users = [str(u) for u in ml_small.users.external[:5]]
        recs = fitted.recommend(users, k=7)
        assert list(recs.frame.columns) == RESULT_COLUMNS
        for user in users:
            mine = recs.for_user(user)
            assert list(mine["rank"]) == list(range(1, 8))
            assert (np.diff(mine["score"].to_numpy()) <= 1e-9).all(), "scores must not increase"
            assert mine["reason"].map(lambda r: isinstance(r, str) and len(r) > 3).all()
            assert mine[C.item].is_unique

    def test_seen_items_excluded_unless_asked(self, fitted: Any, ml_small: Interactions) -> None:
        user = str(ml_small.users.external[0])
        uidx = ml_small.users.to_internal([user])[0]
        seen = set(ml_small.items.to_external(ml_small.seen()[uidx].indices))
        assert not seen & set(fitted.recommend([user], k=20).items_of(user))
        with_seen = fitted.recommend([user], k=20, filters=Filters(exclude_seen=False))
        assert len(with_seen.items_of(user)) == 20

    def test_item_and_category_filters(self, fitted: Any, ml_small: Interactions) -> None:
        user = str(ml_small.users.external[1])
        first = fitted.recommend([user], k=5).items_of(user)
        dropped = fitted.recommend([user], k=5, filters=Filters(exclude_items=first[:2]))
        assert not set(first[:2]) & set(dropped.items_of(user))
        only = fitted.recommend([user], k=50, filters=Filters(include_items=[*first[2:4], "nope"]))
        assert set(only.items_of(user)) <= set(first[2:4])
        horror = fitted.recommend([user], k=10, filters=Filters(include_categories=["Horror"]))
        meta = ml_small.item_meta.set_index(C.item)
        assert all("Horror" in list(meta.loc[i, C.categories]) for i in horror.items_of(user))
        no_drama = fitted.recommend([user], k=10, filters=Filters(exclude_categories=["Drama"]))
        assert all("Drama" not in list(meta.loc[i, C.categories]) for i in no_drama.items_of(user))

    def test_hidden_items_never_recommended(self, ml_small: Interactions) -> None:
        model = self.make_model().fit(ml_small)
        user = str(ml_small.users.external[2])
        top = model.recommend([user], k=5).items_of(user)
        hidden = ml_small.item_meta[C.item].isin(top[:3]).to_numpy()
        meta = ml_small.item_meta.assign(**{C.hidden: hidden})
        model = self.make_model().fit(replace(ml_small, item_meta=meta))
        assert not set(top[:3]) & set(model.recommend([user], k=5).items_of(user))

    def test_bad_requests_are_clear(self, fitted: Any) -> None:
        with pytest.raises(KeyError, match="unknown user"):
            fitted.recommend(["no-such-user"], k=5)
        with pytest.raises(InvalidRequestError, match="k must be"):
            fitted.recommend(["1"], k=0)

    def test_save_and_load_give_the_same_answers(
        self, fitted: Any, ml_small: Interactions, tmp_path: Path
    ) -> None:
        users = [str(u) for u in ml_small.users.external[:20]]
        loaded = load_model(fitted.save(tmp_path / "model"))
        assert type(loaded) is type(fitted)
        a, b = fitted.recommend(users, k=10).frame, loaded.recommend(users, k=10).frame
        assert a[C.item].tolist() == b[C.item].tolist()
        np.testing.assert_allclose(a["score"], b["score"], rtol=1e-5, atol=1e-6)

    def test_config_round_trips(self, fitted: Any) -> None:
        config = ModelConfig(name=fitted.name, params=fitted.get_params())
        again = ModelConfig.model_validate_json(config.model_dump_json())
        assert again.build().get_params() == fitted.get_params()

    def test_learns_something(self, ml_split: Split) -> None:
        model = self.make_model().fit(ml_split.train)
        truth = ml_split.test.matrix()
        users = np.flatnonzero(np.diff(truth.indptr) > 0)
        allowed = model.allowed_items(Filters())
        top, _ = model.top_k(users, 10, allowed)
        ndcg = accuracy_at(hit_matrix(top, truth[users]), np.diff(truth.indptr)[users], 10)["ndcg"]
        assert ndcg.mean() > self.min_ndcg
