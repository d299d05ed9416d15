"""Issue #3: the content-based recommender (TF-IDF and MiniLM item vectors)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError, MissingDataError
from tailorwise.features.text import MINILM_DIM, minilm_embed, tag_text, with_item_text
from tailorwise.ingest.job import ingest
from tailorwise.recommend.content import ContentRecommender
from tailorwise.recommend.popular import PopularRecommender
from tailorwise.store.duckdb import DuckDBStore
from tests.contracts.recommender_contract import RecommenderContract

SEQUEL = "sequel-of-a-liked-film"


class TestContentTfidf(RecommenderContract):
    # Titles and genres alone are a weak signal on MovieLens (random is ~0.006).
    min_ndcg = 0.012

    def make_model(self) -> ContentRecommender:
        return ContentRecommender(features="tfidf", half_life_days=7.0)


def with_cold_sequel(data: Interactions, user: int) -> tuple[Interactions, str]:
    """``data`` rebuilt with one new catalog item nobody has touched: a sequel of the
    film closest to ``user``'s taste. Returns the data and the original's title."""
    model = ContentRecommender().fit(data)
    liked = model.profile_weights_[user].indices
    fit = (model.item_vectors_[liked] @ model.user_profiles(np.array([user])).T).toarray()
    original = data.item_meta.iloc[liked[fit.argmax()]]
    sequel = original.copy()
    sequel[C.item], sequel[C.title] = SEQUEL, f"{original[C.title]} Part II"
    events = pd.DataFrame(
        {
            C.user: data.users.to_external(data.user_idx),
            C.item: data.items.to_external(data.item_idx),
            C.type: "rating",
            C.value: 5.0,
            C.timestamp: pd.to_datetime(data.timestamp, unit="s"),
        }
    )
    items = pd.concat([data.item_meta, sequel.to_frame().T], ignore_index=True)
    return Interactions.from_frames(events, items, seed=1), str(original[C.title])


def test_cold_item_that_matches_the_taste_is_recommended(ml_small: Interactions) -> None:
    data, original = with_cold_sequel(ml_small, user=0)
    assert data.matrix()[:, data.items.to_internal([SEQUEL])].nnz == 0, "the sequel must be cold"
    user = str(ml_small.users.external[0])
    recs = ContentRecommender().fit(data).recommend([user], k=10).for_user(user)
    assert SEQUEL in recs[C.item].tolist()
    reason = recs.loc[recs[C.item] == SEQUEL, "reason"].iloc[0]
    assert reason == f"similar to {original}, which you rated 5"  # the fixture's 5 stars
    popular = PopularRecommender().fit(data).recommend([user], k=10)
    assert SEQUEL not in popular.items_of(user), "a collaborative model cannot see the cold item"


def test_time_decay_follows_the_latest_taste(ml_small: Interactions) -> None:
    decayed = ContentRecommender(half_life_days=1.0).fit(ml_small)
    flat = ContentRecommender().fit(ml_small)
    rows = ml_small.user_idx == 0
    latest = ml_small.item_idx[rows][ml_small.timestamp[rows].argmax()]
    oldest = ml_small.item_idx[rows][ml_small.timestamp[rows].argmin()]
    w = decayed.profile_weights_[0].toarray().ravel()
    assert w[latest] == pytest.approx(1.0) and w[oldest] < w[latest]
    assert (flat.profile_weights_[0].data == 1.0).all()


def test_extra_item_text_reaches_the_vectors(ml_small: Interactions) -> None:
    item = str(ml_small.item_meta[C.item].iloc[0])
    data = with_item_text(ml_small, {item: "zyxwvut"})
    assert data.item_meta[C.text].iloc[0] == "zyxwvut"
    plain = ContentRecommender().fit(ml_small).item_vectors_
    tagged = ContentRecommender().fit(data).item_vectors_
    assert tagged.shape[1] == plain.shape[1] + 1


def test_tags_from_the_store_bring_items_together(
    shared_data: Callable[[str], Path], duck_store: DuckDBStore
) -> None:
    ingest(shared_data("movielens-latest-small"), "movielens", duck_store)
    tags = tag_text(duck_store)
    assert set(tags["1"].lower().split()) == {"pixar", "fun"}  # Toy Story
    data = Interactions.from_store(duck_store)
    toy_story, bugs_life = data.items.to_internal(["1", "2355"])

    def similarity(d: Interactions) -> float:
        v = ContentRecommender(category_weight=0.0).fit(d).item_vectors_
        return float((v[toy_story] @ v[bugs_life].T).toarray()[0, 0])

    assert similarity(with_item_text(data, tags)) > similarity(data) + 0.1


def test_bad_features_are_refused(ml_small: Interactions) -> None:
    with pytest.raises(ConfigError, match="features must be"):
        ContentRecommender(features="bert").fit(ml_small)  # type: ignore[arg-type]


def test_minilm_loads_offline_and_embeds_meaningfully() -> None:
    texts = [
        "A heartwarming romantic comedy about two people falling in love",
        "A feel-good romance film where a couple falls in love",
        "A documentary about volcanic eruptions and plate tectonics",
    ]
    emb = minilm_embed(texts)
    assert emb.shape == (3, MINILM_DIM)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2] + 0.3
    assert minilm_embed(texts) is emb, "embeddings are cached per list of texts"


@pytest.mark.parametrize("features", ["tfidf", "minilm"])
def test_a_catalog_without_text_is_a_clear_error(
    instruments_reviews: Interactions, features: Literal["tfidf", "minilm"]
) -> None:
    """Amazon's review files carry no item titles or categories: nothing to compare."""
    with pytest.raises(MissingDataError, match="no item in the catalog has a title, text or"):
        ContentRecommender(features=features).fit(instruments_reviews)
