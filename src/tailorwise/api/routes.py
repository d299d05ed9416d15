"""The endpoints: each one checks its request, calls the service layer and shapes the
answer. Errors become 4xx answers that say why (see ``app.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from tailorwise.api.auth import read_scope, write_scope
from tailorwise.api.schemas import (
    EventsOut,
    RankIn,
    RecommendationsOut,
    RecommendedItem,
    SimilarOut,
)
from tailorwise.api.state import ServerState
from tailorwise.errors import InvalidRequestError
from tailorwise.recommend.base import Filters
from tailorwise.service.events import parse_events, post_events
from tailorwise.service.live import Served, rank_live, recommend_live
from tailorwise.service.similar import similar_items

router = APIRouter()
K = Annotated[int, Query(ge=1, description="how many items (at most the server's max_k)")]
Categories = Annotated[list[str] | None, Query()]


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _check_k(state: ServerState, k: int) -> None:
    if k > state.settings.limits.max_k:
        raise InvalidRequestError(f"k must be at most {state.settings.limits.max_k}, got {k}")


def _items(served: Served) -> list[RecommendedItem]:
    frame = served.recommendations.frame
    return [
        RecommendedItem(item_id=str(i), score=float(s), reason=str(r))
        for i, s, r in zip(frame["item_id"], frame["score"], frame["reason"], strict=True)
    ]


@router.get(
    "/users/{user_id}/recommendations",
    dependencies=[Depends(read_scope)],
    tags=["recommendations"],
)
def recommendations(
    request: Request,
    user_id: str,
    k: K = 10,
    exclude_seen: bool = True,
    include_categories: Categories = None,
    exclude_categories: Categories = None,
) -> RecommendationsOut:
    """The top ``k`` items for the user, from their events in the store now."""
    state = _state(request)
    _check_k(state, k)
    filters = Filters(
        exclude_seen=exclude_seen,
        include_categories=include_categories,
        exclude_categories=exclude_categories or [],
    )
    live = state.live
    with state.locked_store() as store:
        served = recommend_live(store, live, user_id, k, filters)
    return RecommendationsOut(
        user_id=user_id, model=served.answered_by, version=live.version, items=_items(served)
    )


@router.post("/users/{user_id}/rank", dependencies=[Depends(read_scope)], tags=["recommendations"])
def rank(request: Request, user_id: str, body: RankIn) -> RecommendationsOut:
    """The caller's candidates, best first for this user (unknown items are left out)."""
    state = _state(request)
    if len(body.items) > state.settings.limits.max_batch:
        raise InvalidRequestError(
            f"at most {state.settings.limits.max_batch} items to rank, got {len(body.items)}"
        )
    live = state.live
    with state.locked_store() as store:
        served = rank_live(store, live, user_id, body.items)
    return RecommendationsOut(
        user_id=user_id, model=served.answered_by, version=live.version, items=_items(served)
    )


@router.get("/items/{item_id}/similar", dependencies=[Depends(read_scope)], tags=["items"])
def similar(request: Request, item_id: str, k: K = 10) -> SimilarOut:
    """Items for someone who has just viewed this one."""
    state = _state(request)
    _check_k(state, k)
    live = state.live
    served = similar_items(live, item_id, k)
    return SimilarOut(
        item_id=item_id, model=served.answered_by, version=live.version, items=_items(served)
    )


_EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/EventIn"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/EventIn"}},
                        {"$ref": "#/components/schemas/EventsIn"},
                    ]
                }
            }
        },
    }
}


@router.post(
    "/events",
    dependencies=[Depends(write_scope)],
    status_code=201,
    tags=["events"],
    openapi_extra=_EVENTS_BODY,
)
def events(request: Request, body: Annotated[Any, Body()]) -> EventsOut:
    """One event, a list, or ``{"events": [...]}``: stored durably before the answer; with
    one bad event nothing is stored, and the answer names each bad field."""
    state = _state(request)
    batch = parse_events(body, state.settings.limits.max_batch)
    with state.locked_store() as store:
        stored = post_events(store, batch)
    return EventsOut(stored=stored)
