"""A randomised campaign with heterogeneous, known treatment effects.

Each user in the campaign is assigned uniformly to ``control`` or one of the
arms. ``true_uplift`` is the per-user effect of the first arm on the
probability of conversion: clearly positive for deal seekers and casual
shoppers, about zero for loyal and premium customers (who buy anyway), and
negative for a few "sleeping dogs" (premium customers aged 55 and over). It
depends only on user features, so uplift models can learn it; it lands in
``exposures.attributes``. Further arms have weaker effects, written as
``true_uplift_<arm>``.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from tailorwise.synth.config import AGE_BANDS, COUNTRIES, SEGMENTS, SynthConfig, start_seconds
from tailorwise.synth.shop import Shop

# Effect of the first arm by segment, and the baseline conversion rate.
SEGMENT_UPLIFT = {
    "deal_seeker": 0.10,
    "loyal": 0.0,
    "casual": 0.05,
    "premium": 0.0,
    "newcomer": 0.03,
}
SEGMENT_BASE = {
    "deal_seeker": 0.05,
    "loyal": 0.12,
    "casual": 0.03,
    "premium": 0.08,
    "newcomer": 0.04,
}
CAMPAIGN_LENGTH_DAYS = 14


def true_uplift(shop: Shop, rng: np.random.Generator) -> np.ndarray:
    """Per-user effect of the first arm on conversion probability."""
    seg = np.array([SEGMENT_UPLIFT[s] for s in SEGMENTS])[shop.segment]
    young = shop.age <= AGE_BANDS.index("25-34")
    older = shop.age >= AGE_BANDS.index("55-64")
    seg = seg + 0.03 * (young & (shop.segment == SEGMENTS.index("deal_seeker")))
    sleeping = older & (shop.segment == SEGMENTS.index("premium"))
    seg = np.where(sleeping, -0.04, seg)
    noise = rng.normal(0.0, 0.005, len(seg)) * (seg != 0)
    uplift: np.ndarray = np.round(seg + noise, 4)
    return uplift


def exposures_table(cfg: SynthConfig, shop: Shop, rng: np.random.Generator) -> pa.Table:
    uplift = true_uplift(shop, rng)
    members = np.flatnonzero(rng.random(cfg.n_users) < cfg.campaign_share)
    arms = ["control", *cfg.arms]
    arm = rng.integers(len(arms), size=len(members))
    scale = np.array([0.0] + [1.0 / (1.0 + 0.5 * j) for j in range(len(cfg.arms))])
    effect = uplift[members] * scale[arm]
    base = np.array([SEGMENT_BASE[s] for s in SEGMENTS])[shop.segment[members]]
    base = base * rng.lognormal(0.0, 0.2, len(members))
    p_convert = np.clip(base + effect, 0.0, 1.0)
    conversion = rng.random(len(members)) < p_convert
    visit = conversion | (rng.random(len(members)) < np.clip(3 * base + 2 * effect, 0, 1))
    revenue = np.where(conversion, np.round(rng.lognormal(3.5, 0.5, len(members)), 2), 0.0)
    exposed = _campaign_start(cfg) + rng.integers(0, 6 * 3600, len(members))
    columns: dict[str, pa.Array] = {
        "campaign_id": pa.array([cfg.campaign_id] * len(members)),
        "user_id": shop.user_ids.take(pa.array(members)),
        "treatment": pa.array(arms).take(pa.array(arm)),
        "exposed_at": pa.array(exposed, pa.timestamp("s")),
        "propensity": pa.array(np.full(len(members), 1.0 / len(arms))),
        "visit": pa.array(visit),
        "conversion": pa.array(conversion),
        "revenue": pa.array(revenue),
        "true_uplift": pa.array(uplift[members]),
    }
    for j, name in enumerate(cfg.arms[1:], start=2):
        columns[f"true_uplift_{name}"] = pa.array(np.round(uplift[members] * scale[j], 4))
    return pa.table(columns)


def _campaign_start(cfg: SynthConfig) -> int:
    return start_seconds(cfg) + (cfg.days // 2) * 86400


def campaigns_table(cfg: SynthConfig) -> pa.Table:
    start = cfg.start + timedelta(days=cfg.days // 2)
    end = start + timedelta(days=CAMPAIGN_LENGTH_DAYS)
    return pa.table(
        {
            "campaign_id": [cfg.campaign_id],
            "name": ["Spring email"],
            "description": [f"Randomised test of {', '.join(cfg.arms)} against a control group"],
            "channel": ["email"],
            "started_at": pa.array([start.isoformat()]),
            "ended_at": pa.array([end.isoformat()]),
            "countries": ["|".join(COUNTRIES)],
        }
    )
