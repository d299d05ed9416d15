"""A seeded synthetic shop: users, items, events and a campaign with known uplift.

``generate(config, out_dir)`` writes a folder that ``tailorwise ingest DIR
--format events`` reads as is. Events are simulated and written in chunks, so
memory stays bounded however many events are asked for. The same config and
seed give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from tailorwise.data.synth_words import CATEGORIES, MAX_CATEGORIES, item_words

# Called after each written chunk with (events written, events asked for).
SynthProgress = Callable[[int, int], None]

SEGMENTS = ("deal_seeker", "loyal", "casual", "premium", "newcomer")
SEGMENT_SHARE = (0.25, 0.15, 0.35, 0.1, 0.15)
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "NL", "PL", "SE")
COUNTRY_SHARE = (0.35, 0.15, 0.15, 0.1, 0.08, 0.07, 0.06, 0.04)
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_SHARE = (0.14, 0.26, 0.22, 0.17, 0.12, 0.09)
# How much more often a user of each segment shops (multiplies activity).
SEGMENT_ACTIVITY = (1.0, 2.5, 0.6, 1.2, 0.8)


class SynthConfig(BaseModel):
    """Size and shape of a synthetic shop."""

    model_config = ConfigDict(extra="forbid")

    n_users: int = Field(10_000, ge=10)
    n_items: int = Field(2_000, ge=10)
    n_events: int = Field(200_000, ge=1)
    n_categories: int = Field(12, ge=2, le=MAX_CATEGORIES)
    start: date = date(2023, 1, 1)
    days: int = Field(365, ge=7)
    seed: int = 0
    latent_dim: int = Field(8, ge=2)
    zipf_exponent: float = Field(1.0, gt=0)
    mean_views_per_session: float = Field(4.0, ge=1)
    return_rate: float = Field(0.06, ge=0, le=1)
    campaign_share: float = Field(0.5, gt=0, le=1, description="share of users in the campaign")
    arms: list[str] = Field(default_factory=lambda: ["email"], min_length=1)
    campaign_id: str = "spring_email"
    events_format: Literal["parquet", "csv"] = "parquet"
    chunk_events: int = Field(500_000, ge=1_000)


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


@dataclass(frozen=True)
class SynthReport:
    out_dir: Path
    users: int
    items: int
    events: int
    exposures: int
    files: list[str]


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
    signup = _start_seconds(cfg) - rng.integers(0, 3 * 365 * 86400, cfg.n_users)
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
    created = _start_seconds(cfg) - rng.integers(0, 2 * 365 * 86400, cfg.n_items)
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


def _start_seconds(cfg: SynthConfig) -> int:
    return int((cfg.start - date(1970, 1, 1)).days) * 86400


def generate(
    cfg: SynthConfig, out_dir: str | Path, progress: SynthProgress | None = None
) -> SynthReport:
    """Write users, items, events, campaigns and exposures of a synthetic shop."""
    from tailorwise.data.synth_campaign import campaigns_table, exposures_table

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    shop = build_shop(cfg, rng)
    pq.write_table(users_table(cfg, shop, rng), out / "users.parquet")
    pq.write_table(items_table(cfg, shop, rng), out / "items.parquet")
    exposures = exposures_table(cfg, shop, rng)
    pq.write_table(exposures, out / "exposures.parquet")
    pacsv.write_csv(campaigns_table(cfg), out / "campaigns.csv")
    events_file = out / f"events.{cfg.events_format}"
    for stale in (out / "events.parquet", out / "events.csv"):
        if stale != events_file:
            stale.unlink(missing_ok=True)
    written = _write_events(cfg, shop, rng, events_file, progress)
    return SynthReport(
        out,
        cfg.n_users,
        cfg.n_items,
        written,
        exposures.num_rows,
        ["users.parquet", "items.parquet", events_file.name, "campaigns.csv", "exposures.parquet"],
    )


def _write_events(
    cfg: SynthConfig,
    shop: Shop,
    rng: np.random.Generator,
    path: Path,
    progress: SynthProgress | None,
) -> int:
    from tailorwise.data.synth_events import EVENTS_SCHEMA, event_chunks

    written = 0
    writer: pq.ParquetWriter | pacsv.CSVWriter
    if cfg.events_format == "csv":
        writer = pacsv.CSVWriter(path, EVENTS_SCHEMA)
    else:
        writer = pq.ParquetWriter(path, EVENTS_SCHEMA, compression="zstd")
    with writer:
        for chunk in event_chunks(cfg, shop, rng):
            writer.write_table(chunk)
            written += chunk.num_rows
            if progress:
                progress(written, cfg.n_events)
    return written


# The name `tailorwise demo` uses.
write_shop = generate
