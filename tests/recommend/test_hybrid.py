"""Issue #3: the hybrid blends models, tunes its weights on validation, covers cold items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.data.split import Split, leave_last_out
from tailorwise.errors import ConfigError, MissingDataError
from tailorwise.recommend.base import Filters
from tailorwise.recommend.hybrid.blend import normalize_scores, place_cold, weighted_sum
from tailorwise.recommend.hybrid.model import DEFAULT_COMPONENTS, HybridRecommender
from tailorwise.recommend.loading import load_model
from tests.contracts.recommender_contract import RecommenderContract
from tests.recommend.test_content import SEQUEL, with_cold_sequel

POPULAR_CONTENT: list[dict[str, Any]] = [
    {"name": "popular"},
    {"name": "content", "params": {"half_life_days": 7.0}},
]


class TestHybrid(RecommenderContract):
    """Weights left to ``fit``: it tunes them on a split of its own training data."""

    def make_model(self) -> HybridRecommender:
        return HybridRecommender(components=POPULAR_CONTENT, n_trials=6)


def test_tuning_sees_only_train_and_validation(ml_split: Split) -> None:
    comps = [{"name": "ease", "params": {"l2": 200.0}}, *POPULAR_CONTENT]
    model = HybridRecommender(components=comps, n_trials=12, seed=3)
    result = model.tune(ml_split.train, ml_split.validation)
    # Components are fitted on train only; the test part is never passed in.
    assert model.data_ is ml_split.train
    assert all(c.data_ is ml_split.train for c in model.components_)
    assert model.weights == result.weights and sum(result.weights) == pytest.approx(1.0)
    assert result.value >= max(result.single.values()) - 1e-9
    again = HybridRecommender(components=comps, n_trials=12, seed=3)
    assert again.tune(ml_split.train, ml_split.validation).weights == result.weights


def test_hybrid_covers_cold_items(ml_small: Interactions, tmp_path: Path) -> None:
    data, original = with_cold_sequel(ml_small, user=0)
    user = str(ml_small.users.external[0])
    model = HybridRecommender(components=POPULAR_CONTENT, weights=[0.8, 0.2]).fit(data)
    recs = model.recommend([user], k=10).for_user(user)
    assert SEQUEL in recs[C.item].tolist(), "content takes over for the cold item"
    reason = recs.loc[recs[C.item] == SEQUEL, "reason"].iloc[0]
    assert reason == f"similar to {original}, which you rated 5"
    assert recs["reason"].str.startswith("popular").any(), "warm items keep popular's reason"
    loaded = load_model(model.save(tmp_path / "hybrid"))
    assert loaded.recommend([user], k=10).items_of(user) == recs[C.item].tolist()


def test_default_blend_leaves_content_out_without_a_catalog(
    instruments_reviews: Interactions, tmp_path: Path
) -> None:
    """A store of reviews only (Amazon): the default hybrid still trains, without content;
    content asked for by name is a clear error."""
    data = instruments_reviews
    with pytest.raises(MissingDataError, match="title, text or categories"):
        HybridRecommender(components=POPULAR_CONTENT, weights=[1.0, 1.0]).fit(data)
    split = leave_last_out(data)
    model = HybridRecommender(n_trials=4, folds=1)
    with pytest.warns(UserWarning, match="leaves out its content component"):
        model.tune(split.train, split.validation)
    names = [c["name"] for c in DEFAULT_COMPONENTS]
    assert [c.name for c in model.components_] == [n for n in names if n != "content"]
    # tuned weights are one per configured component, content's 0, so they refit as given
    assert len(model.weights or []) == len(names)
    assert (model.weights or [])[names.index("content")] == 0.0
    with pytest.warns(UserWarning):
        model.fit(data)
    assert len(model.weights_) == len(names) - 1
    users = [str(u) for u in data.users.external[:5]]
    recs = model.recommend(users, k=10)
    assert len(recs.frame) == 50
    loaded = load_model(model.save(tmp_path / "hybrid"))
    assert isinstance(loaded, HybridRecommender)
    assert [c.name for c in loaded.components_] == [c.name for c in model.components_]
    for user in users:
        assert loaded.recommend([user], k=10).items_of(user) == recs.items_of(user)


def test_normalisation_is_per_user_over_unseen_items(ml_small: Interactions) -> None:
    seen = ml_small.seen()[:3]
    raw = np.random.default_rng(0).normal(size=(3, ml_small.n_items)) * [[1], [10], [100]]
    unseen = np.ones(raw.shape, dtype=bool)
    unseen[np.repeat(np.arange(3), np.diff(seen.indptr)), seen.indices] = False
    z = normalize_scores(raw, seen, "zscore")
    for u in range(3):
        assert z[u, unseen[u]].mean() == pytest.approx(0.0, abs=1e-9)
        assert z[u, unseen[u]].std() == pytest.approx(1.0)
    mm = normalize_scores(raw, seen, "minmax")
    assert mm[unseen].min() == pytest.approx(0.0) and mm[unseen].max() == pytest.approx(1.0)
    assert (np.argsort(mm, axis=1) == np.argsort(raw, axis=1)).all()
    rank = normalize_scores(raw, seen, "rank")
    assert all(rank[u, ~unseen[u]].max() < rank[u, unseen[u]].min() for u in range(3))
    assert (rank.max(axis=1) == 1.0).all()
    model = HybridRecommender(components=POPULAR_CONTENT, weights=[1, 1], normalize="rank")
    assert len(model.fit(ml_small).recommend([str(ml_small.users.external[0])], k=5)) == 5


def test_zscore_ignores_seen_and_infinite_scores_and_keeps_precision() -> None:
    """Seen items far off the scale, an offset of 1e6 and -inf scores (items a model
    cannot score, placed at the row's minimum) leave the unseen items at mean 0, sd 1."""
    rng = np.random.default_rng(1)
    raw = 1e6 + rng.normal(size=(4, 300))
    seen_mask = rng.random(raw.shape) < 0.2
    raw[seen_mask] = 1e9
    raw[0, :5] = -np.inf
    seen = sp.csr_matrix(seen_mask)
    z = normalize_scores(raw, seen, "zscore")
    for u in range(4):
        unseen = ~seen_mask[u]
        expected = np.where(np.isfinite(raw[u]), raw[u], raw[u][np.isfinite(raw[u])].min())
        want = (expected[unseen] - expected[unseen].mean()) / expected[unseen].std()
        assert np.allclose(z[u, unseen], want, atol=1e-6)
    assert np.allclose(weighted_sum(np.array([0.25, 0.75]), np.stack([z, 2 * z])), 1.75 * z)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"weights": [1.0]}, "weights must be 2"),
        ({"weights": [-1.0, 2.0]}, "non-negative"),
        ({"components": []}, "components is empty"),
        ({"components": [{"name": "nope"}]}, "unknown model 'nope'"),
        ({"normalize": "softmax"}, "normalize must be"),
        ({"holdout": "first"}, "holdout must be"),
        ({"cold_factor": 0.5}, "cold_factor must be between 1 and 1000"),
        ({"folds": 0}, "folds >= 1"),
    ],
)
def test_bad_configs_are_refused(
    ml_small: Interactions, params: dict[str, object], message: str
) -> None:
    base: dict[str, object] = {"components": POPULAR_CONTENT}
    with pytest.raises(ConfigError, match=message):
        HybridRecommender(**{**base, **params}).fit(ml_small)  # type: ignore[arg-type]


@pytest.mark.parametrize("holdout", ["last", "random"])
def test_weights_are_tuned_on_the_holdout_asked_for(ml_small: Interactions, holdout: str) -> None:
    """Issue #3: the inner splits that tune the weights have the shape of the evaluation."""
    model = HybridRecommender(components=POPULAR_CONTENT, n_trials=3, holdout=holdout)  # type: ignore[arg-type]
    pairs = model._inner_splits(ml_small)
    assert len(pairs) == model.folds == 3
    sizes = np.bincount(ml_small.user_idx, minlength=ml_small.n_users)
    held: list[set[tuple[int, int]]] = []
    for n, (train, validation) in enumerate(pairs):
        per_user = np.bincount(validation.user_idx, minlength=ml_small.n_users)
        held.append(
            set(zip(validation.user_idx.tolist(), validation.item_idx.tolist(), strict=True))
        )
        if holdout == "last":
            assert per_user.max() == 1  # one item per user: the (n+1)-th latest
            # nothing trains that came after the held-out item
            latest = np.zeros(ml_small.n_users, dtype=np.int64)
            np.maximum.at(latest, train.user_idx, train.timestamp)
            assert (latest[validation.user_idx] <= validation.timestamp).all()
            assert len(train) + sum(len(v) for _, v in pairs[: n + 1]) == len(ml_small)
        else:
            assert per_user.max() > 1 and abs(per_user.sum() / sizes.sum() - 0.1) < 0.01
            assert len(train) + len(validation) == len(ml_small)
    assert len(held[0] & held[1]) < len(held[0]) / 2, "the folds hold out different items"
    assert model.fit(ml_small).weights_.sum() == pytest.approx(1.0)


def test_cold_factor_moves_content_picks_down_the_blend() -> None:
    """A cold item that content ranks first among 100 warm ones takes the blend's
    place 1 with factor 1, place 10 with factor 10 and the bottom with a large one."""
    blend = np.arange(101, dtype=np.float64)[::-1][None, :]  # item 0 best ... item 100 worst
    content = np.zeros_like(blend)
    content[0, 100] = 5.0  # item 100 is cold and content's first choice
    cold = np.zeros(101, dtype=bool)
    cold[100] = True
    unseen = np.ones_like(cold)[None, :]
    for factor, place in [(1.0, 1), (10.0, 10), (1000.0, 100)]:
        out = place_cold(blend, content, cold, unseen, factor)
        warm_above = int((out[0, :100] > out[0, 100]).sum())
        assert warm_above == place - 1, (factor, warm_above)


def test_recommend_ranks_as_top_k_and_explains_by_each_cells_winning_part(
    ml_small: Interactions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``recommend`` scores each batch once for both the ranking and the reasons, and asks
    each part to explain only the cells it won: the result must be what ranking with
    ``top_k`` and asking every part to explain every cell give (batches of 16 here)."""
    parts = [{"name": "popular"}, {"name": "ease"}, {"name": "itemknn"}]
    model = HybridRecommender(components=parts, weights=[0.3, 0.4, 0.3]).fit(ml_small)
    monkeypatch.setattr("tailorwise.recommend.base.BATCH", 16)
    monkeypatch.setattr("tailorwise.recommend.hybrid.model.BATCH", 16)
    users = ml_small.users.external[:40].tolist()
    frame = model.recommend(users, k=10, filters=Filters(exclude_items=["50"])).frame
    idx = ml_small.users.to_internal(users)
    items, scores = model.top_k(idx, 10, model.allowed_items(Filters(exclude_items=["50"])))
    assert frame[C.item].tolist() == ml_small.items.to_external(items.ravel()).tolist()
    np.testing.assert_allclose(frame["score"], scores.ravel())
    at_items = np.take_along_axis(model._parts(idx), items[None].repeat(3, 0), axis=2)
    winner = (model.weights_[:, None, None] * at_items).argmax(axis=0)
    every = np.stack([c._reasons(idx, items) for c in model.components_])
    expected = np.take_along_axis(every, winner[None], axis=0)[0]
    assert frame["reason"].tolist() == expected.ravel().tolist()
    assert len(set(winner.ravel())) == 3, "every part wins some cells"
