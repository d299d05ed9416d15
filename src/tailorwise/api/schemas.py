"""The bodies the API takes and gives (its OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tailorwise.service.events import EventIn


class RecommendedItem(BaseModel):
    item_id: str
    score: float
    reason: str


class RecommendationsOut(BaseModel):
    user_id: str
    model: str = Field(description="the model that answered: the trained one, or a fallback")
    version: str = Field(description="the trained model's version")
    items: list[RecommendedItem]


class SimilarOut(BaseModel):
    item_id: str
    model: str
    version: str
    items: list[RecommendedItem]


class RankIn(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    items: list[str] = Field(min_length=1, description="the candidates to rank")


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(min_length=1)


class EventsOut(BaseModel):
    stored: int


class Health(BaseModel):
    status: str
    model: str | None = None
    version: str | None = None
    detail: str | None = None


class Problem(BaseModel):
    detail: str
