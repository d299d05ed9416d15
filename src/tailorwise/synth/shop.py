"""The latent shop the simulation draws from: users, items, their vectors and tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tailorwise.synth.config import (
    AGE_BANDS,
    AGE_SHARE,
    COUNTRIES,
    COUNTRY_SHARE,
    SEGMENT_ACTIVITY,
    SEGMENT_SHARE,
    SEGMENTS,
    SynthConfig,
    start_seconds,
)
from tailorwise.synth.words import CATEGORIES, item_words


@dataclass
class Shop:
    """The latent state the simulation draws from (never written as is)."""

    user_ids: pa.Array
    segment: np.ndarray  # segment index per user
    age: np.ndarray  # age band index per user
    activity_cdf: np.ndarray
    taste: np.ndarray  # (n_users, dim) float32
    item_ids: pa.Array
    item_vec: np.ndarray  # (n_items, dim) float32
    item_category: np.ndarray  # primary category index per item
    price: np.ndarray
    popularity_cdf: np.ndarray
    category_names: list[str]


def _ids(prefix: str, n: int) -> pa.Array:
    width = len(str(n - 1))
    return pa.array([f"{prefix}{i:0{width}d}" for i in range(n)], pa.string())


def _cdf(weights: np.ndarray) -> np.ndarray:
    cdf: np.ndarray = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    return cdf


def draw(rng: np.random.Generator, cdf: np.ndarray, size: int | tuple[int, ...]) -> np.ndarray:
    """Indices drawn with the probabilities whose cumulative sum is ``cdf``."""
    idx = np.searchsorted(cdf, rng.random(size), side="right")
    out: np.ndarray = np.minimum(idx, len(cdf) - 1)
    return out


def build_shop(cfg: SynthConfig, rng: np.random.Generator) -> Shop:
    """Draw users, items and their latent vectors."""
    names = list(CATEGORIES)[: cfg.n_categories]
    centers = rng.normal(0.0, 1.0, (cfg.n_categories, cfg.latent_dim)).astype(np.float32)
    segment = draw(rng, _cdf(np.array(SEGMENT_SHARE)), cfg.n_users)
    age = draw(rng, _cdf(np.array(AGE_SHARE)), cfg.n_users)
    favourite = rng.integers(cfg.n_categories, size=(cfg.n_users, 2))
    taste: np.ndarray = 0.6 * centers[favourite[:, 0]] + 0.4 * centers[favourite[:, 1]]
    taste += rng.normal(0.0, 0.5, taste.shape).astype(np.float32)
    activity = rng.lognormal(0.0, 1.0, cfg.n_users) * np.array(SEGMENT_ACTIVITY)[segment]
    # Items: a primary category, a vector near its centre, Zipf-like popularity.
    cat_weights = rng.dirichlet(np.full(cfg.n_categories, 3.0))
    category = draw(rng, _cdf(cat_weights), cfg.n_items)
    item_vec = centers[category] + rng.normal(0.0, 0.6, (cfg.n_items, cfg.latent_dim))
    ranks = rng.permutation(cfg.n_items) + 1
    popularity = ranks.astype(np.float64) ** -cfg.zipf_exponent
    base_price = np.exp(rng.normal(3.0, 0.6, cfg.n_categories))
    price = np.round(base_price[category] * rng.lognormal(0.0, 0.5, cfg.n_items), 2)
    return Shop(
        user_ids=_ids("u", cfg.n_users),
        segment=segment,
        age=age,
        activity_cdf=_cdf(activity),
        taste=taste.astype(np.float32),
        item_ids=_ids("i", cfg.n_items),
        item_vec=item_vec.astype(np.float32),
        item_category=category,
        price=np.maximum(price, 0.99),
        popularity_cdf=_cdf(popularity),
        category_names=names,
    )


def users_table(cfg: SynthConfig, shop: Shop, rng: np.random.Generator) -> pa.Table:
    country = draw(rng, _cdf(np.array(COUNTRY_SHARE)), cfg.n_users)
    signup = start_seconds(cfg) - rng.integers(0, 3 * 365 * 86400, cfg.n_users)
    return pa.table(
        {
            "user_id": shop.user_ids,
            "segment": pa.array(SEGMENTS).take(pa.array(shop.segment)),
            "country": pa.array(COUNTRIES).take(pa.array(country)),
            "age_band": pa.array(AGE_BANDS).take(pa.array(shop.age)),
            "signup_at": pa.array(signup, pa.timestamp("s")),
        }
    )


def items_table(cfg: SynthConfig, shop: Shop, rng: np.random.Generator) -> pa.Table:
    titles, texts = item_words(rng, shop.category_names, shop.item_category)
    second = rng.integers(cfg.n_categories, size=cfg.n_items)
    has_second = (rng.random(cfg.n_items) < 0.3) & (second != shop.item_category)
    cats = [
        shop.category_names[a] + (f"|{shop.category_names[b]}" if two else "")
        for a, b, two in zip(
            shop.item_category.tolist(), second.tolist(), has_second.tolist(), strict=True
        )
    ]
    created = start_seconds(cfg) - rng.integers(0, 2 * 365 * 86400, cfg.n_items)
    return pa.table(
        {
            "item_id": shop.item_ids,
            "title": pa.array(titles),
            "text": pa.array(texts),
            "categories": pa.array(cats),
            "price": pa.array(shop.price),
            "created_at": pa.array(created, pa.timestamp("s")),
        }
    )
