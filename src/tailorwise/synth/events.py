"""Simulated shopping sessions: item choice, the funnel, returns and reviews.

A user's item choice follows taste . item plus popularity: candidates are
drawn by (Zipf-like) popularity and the user picks the best by taste with
Gumbel noise. Every view may lead to a click, a cart, a purchase, and after
a purchase a rating, a review or a return. Session times follow weekly and
yearly seasonality and an evening-heavy hour of day.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailorwise.synth.config import SynthConfig, start_seconds
from tailorwise.synth.shop import Shop, draw
from tailorwise.synth.words import CATEGORIES, review_texts

TYPES = ("view", "click", "add_to_cart", "purchase", "rating", "review", "return")
CHANNELS = ("web", "app", "email")
CHANNEL_SHARE = (0.55, 0.38, 0.07)
# Monday .. Sunday; weekends are busier.
WEEKDAY = (0.9, 0.85, 0.9, 0.95, 1.1, 1.35, 1.25)
HOURS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 4, 4.5, 5, 4.5, 4, 4, 4.5, 5, 6, 7.5, 8, 7, 4.5, 2.5]
)
CANDIDATES = 12
SUB_BATCH = 100_000

EVENTS_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("item_id", pa.string()),
        ("type", pa.string()),
        ("timestamp", pa.timestamp("s")),
        ("value", pa.float64()),
        ("quantity", pa.float64()),
        ("amount", pa.float64()),
        ("text", pa.string()),
        ("session", pa.string()),
        ("channel", pa.string()),
    ]
)
_TYPES = pa.array(TYPES)
_CHANNELS = pa.array(CHANNELS)


def day_weights(cfg: SynthConfig) -> np.ndarray:
    """Relative traffic per day: weekday pattern, summer dip, November-December peak."""
    days = np.arange(cfg.days)
    dates = np.datetime64(cfg.start) + days
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    doy = (dates - dates.astype("datetime64[Y]")).astype(int)
    yearly = 1.0 + 0.15 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    peak = 1.0 + 0.8 * np.exp(-0.5 * ((doy - 330) / 12.0) ** 2)  # Black Friday .. Christmas
    growth = np.linspace(1.0, 1.2, cfg.days)
    weights: np.ndarray = np.array(WEEKDAY)[weekday] * yearly * peak * growth
    return weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass
class _Views:
    session: np.ndarray  # local session index per view
    user: np.ndarray
    item: np.ndarray
    time: np.ndarray  # epoch seconds
    affinity: np.ndarray


def choose_items(
    shop: Shop, rng: np.random.Generator, users: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Items picked by ``users`` and their taste affinity (about N(0, 1))."""
    items = np.empty(len(users), np.int64)
    affinity = np.empty(len(users), np.float64)
    scale = 1.0 / math.sqrt(shop.taste.shape[1] * 1.1)
    for lo in range(0, len(users), SUB_BATCH):
        u = users[lo : lo + SUB_BATCH]
        cands = draw(rng, shop.popularity_cdf, (len(u), CANDIDATES))
        aff = np.einsum("vd,vkd->vk", shop.taste[u], shop.item_vec[cands]) * scale
        pick = np.argmax(1.5 * aff + rng.gumbel(size=aff.shape), axis=1)
        rows = np.arange(len(u))
        items[lo : lo + len(u)] = cands[rows, pick]
        affinity[lo : lo + len(u)] = aff[rows, pick]
    return items, affinity


def _views(
    cfg: SynthConfig,
    shop: Shop,
    rng: np.random.Generator,
    n: int,
    day_cdf: np.ndarray,
    hour_cdf: np.ndarray,
) -> tuple[_Views, np.ndarray]:
    user = draw(rng, shop.activity_cdf, n)
    start = (
        start_seconds(cfg)
        + draw(rng, day_cdf, n) * 86400
        + draw(rng, hour_cdf, n) * 3600
        + rng.integers(0, 3600, n)
    )
    n_views = rng.geometric(1.0 / cfg.mean_views_per_session, n)
    channel = draw(rng, np.cumsum(CHANNEL_SHARE) / sum(CHANNEL_SHARE), n)
    session = np.repeat(np.arange(n), n_views)
    gaps = rng.exponential(60.0, len(session))
    elapsed = np.cumsum(gaps) - gaps
    first = np.concatenate([[0], np.cumsum(n_views)[:-1]])
    time = start[session] + (elapsed - elapsed[first][session]).astype(np.int64)
    item, affinity = choose_items(shop, rng, user[session])
    return _Views(session, user[session], item, time, affinity), channel


def _funnel(
    cfg: SynthConfig, shop: Shop, rng: np.random.Generator, v: _Views
) -> dict[int, np.ndarray]:
    """Boolean masks over views, one per event type code."""
    r = rng.random((6, len(v.item)))
    rel_price = np.log(shop.price[v.item] / np.median(shop.price))
    click = r[0] < _sigmoid(-1.8 + 0.8 * v.affinity)
    cart = click & (r[1] < _sigmoid(-1.2 + 0.5 * v.affinity - 0.4 * rel_price))
    buy = cart & (r[2] < 0.45 + 0.15 * _sigmoid(v.affinity))
    ret = buy & (r[3] < cfg.return_rate * np.where(v.affinity < 0, 1.8, 0.7))
    rating = buy & (r[4] < 0.15)
    review = buy & (r[5] < 0.05)
    return {0: np.ones(len(v.item), bool), 1: click, 2: cart, 3: buy, 4: rating, 5: review, 6: ret}


# Delay after the view, in seconds (low, high), per event type code.
_DELAY = {
    0: (0, 1),
    1: (2, 20),
    2: (10, 120),
    3: (60, 900),
    4: (2 * 86400, 14 * 86400),
    5: (2 * 86400, 14 * 86400),
    6: (5 * 86400, 30 * 86400),
}


def session_batch(
    cfg: SynthConfig,
    shop: Shop,
    rng: np.random.Generator,
    n: int,
    first_session: int,
    day_cdf: np.ndarray,
    hour_cdf: np.ndarray,
) -> pa.Table:
    """Events of ``n`` sessions, ordered by session then time."""
    v, channel = _views(cfg, shop, rng, n, day_cdf, hour_cdf)
    masks = _funnel(cfg, shop, rng, v)
    view = np.concatenate([np.flatnonzero(m) for m in masks.values()])
    code = np.concatenate([np.full(int(m.sum()), k) for k, m in masks.items()])
    low = np.array([_DELAY[k][0] for k in range(len(TYPES))])[code]
    high = np.array([_DELAY[k][1] for k in range(len(TYPES))])[code]
    time = v.time[view] + rng.integers(low, high)
    order = np.lexsort((time, v.session[view]))
    view, code, time = view[order], code[order], time[order]
    return _to_arrow(cfg, shop, rng, v, view, code, time, channel, first_session)


def _values(
    rng: np.random.Generator, v: _Views, view: np.ndarray, code: np.ndarray, returned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ratings (for rating/review events) and quantities (cart, purchase, return)."""
    raw = 3.3 + 1.1 * v.affinity[view] - 1.5 * returned[view] + rng.normal(0, 0.8, len(view))
    value = np.where((code == 4) | (code == 5), np.clip(np.round(raw), 1, 5), np.nan)
    qty_per_view = 1 + (rng.random(len(v.item)) < 0.15) * rng.geometric(0.6, len(v.item))
    quantity = np.where((code >= 2) & (code != 4) & (code != 5), qty_per_view[view], np.nan)
    return value, quantity.astype(np.float64)


def _to_arrow(
    cfg: SynthConfig,
    shop: Shop,
    rng: np.random.Generator,
    v: _Views,
    view: np.ndarray,
    code: np.ndarray,
    time: np.ndarray,
    channel: np.ndarray,
    first_session: int,
) -> pa.Table:
    returned = np.zeros(len(v.item), bool)
    returned[view[code == 6]] = True
    value, quantity = _values(rng, v, view, code, returned)
    sign = np.select([code == 3, code == 6], [1.0, -1.0], np.nan)
    amount = np.round(sign * shop.price[v.item[view]] * quantity, 2)
    reviewed = np.flatnonzero(code == 5)
    cats = shop.item_category[v.item[view[reviewed]]]
    nouns = [CATEGORIES[shop.category_names[c]][0][0] for c in cats]
    text: list[str | None] = [None] * len(code)
    reviews = review_texts(rng, value[reviewed], nouns)
    for pos, words in zip(reviewed.tolist(), reviews, strict=True):
        text[pos] = words
    sessions = pc.binary_join_element_wise(
        "s", pc.cast(pa.array(first_session + v.session[view]), pa.string()), ""
    )
    in_session = pa.array(code <= 3)
    return pa.table(
        {
            "user_id": shop.user_ids.take(pa.array(v.user[view])),
            "item_id": shop.item_ids.take(pa.array(v.item[view])),
            "type": _TYPES.take(pa.array(code)),
            "timestamp": pa.array(time, pa.timestamp("s")),
            "value": pa.array(value, from_pandas=True),
            "quantity": pa.array(quantity, from_pandas=True),
            "amount": pa.array(amount, from_pandas=True),
            "text": pa.array(text, pa.string()),
            "session": pc.if_else(in_session, sessions, pa.scalar(None, pa.string())),
            "channel": _CHANNELS.take(pa.array(channel[v.session[view]])),
        },
        schema=EVENTS_SCHEMA,
    )


def event_chunks(cfg: SynthConfig, shop: Shop, rng: np.random.Generator) -> Iterator[pa.Table]:
    """Exactly ``cfg.n_events`` events, in tables of ``cfg.chunk_events`` rows."""
    day_cdf = np.cumsum(day_weights(cfg))
    day_cdf /= day_cdf[-1]
    hour_cdf = np.cumsum(HOURS) / HOURS.sum()
    per_session = cfg.mean_views_per_session * 1.3
    buffer: list[pa.Table] = []
    buffered = sessions = emitted = 0
    while emitted < cfg.n_events:
        want = min(cfg.chunk_events, cfg.n_events - emitted)
        while buffered < want:
            n = max(1, math.ceil((want - buffered) / per_session))
            batch = session_batch(cfg, shop, rng, n, sessions, day_cdf, hour_cdf)
            per_session = max(1.0, batch.num_rows / n)
            sessions += n
            buffer.append(batch)
            buffered += batch.num_rows
        table = pa.concat_tables(buffer)
        yield table.slice(0, want)
        buffer, buffered = [table.slice(want)], table.num_rows - want
        emitted += want
