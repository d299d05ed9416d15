"""The size and shape of a synthetic shop, and the population shares it draws from."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tailorwise.synth.words import MAX_CATEGORIES

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


def start_seconds(cfg: SynthConfig) -> int:
    return int((cfg.start - date(1970, 1, 1)).days) * 86400
