"""Canonical column and table names shared by every layer.

Loaders map their source columns onto these names once, at the boundary;
nothing past the loaders sees a source's own column names.
"""

from __future__ import annotations

from enum import StrEnum


class Columns:
    """Column names of the canonical tables."""

    user = "user_id"
    item = "item_id"
    type = "type"
    timestamp = "timestamp"
    value = "value"
    quantity = "quantity"
    amount = "amount"
    text = "text"
    session = "session"
    channel = "channel"
    context = "context"
    attributes = "attributes"
    title = "title"
    categories = "categories"
    price = "price"
    created_at = "created_at"
    hidden = "hidden"
    campaign = "campaign_id"
    treatment = "treatment"
    exposed_at = "exposed_at"
    propensity = "propensity"
    visit = "visit"
    conversion = "conversion"
    revenue = "revenue"
    source = "source_id"
    source_row = "source_row"


class Table(StrEnum):
    """The tables of a tailorwise store."""

    users = "users"
    items = "items"
    events = "events"
    campaigns = "campaigns"
    exposures = "exposures"
    sources = "sources"


class EventType(StrEnum):
    """Known event types, roughly from weakest to strongest signal."""

    impression = "impression"
    view = "view"
    click = "click"
    search = "search"
    like = "like"
    dislike = "dislike"
    share = "share"
    wishlist = "wishlist"
    add_to_cart = "add_to_cart"
    remove_from_cart = "remove_from_cart"
    purchase = "purchase"
    rating = "rating"
    review = "review"
    tag = "tag"
    return_ = "return"


# Names other tools and shops use for our event types (matched after lower-casing and
# trimming): ``cart`` is stored as ``add_to_cart``.
EVENT_ALIASES: dict[str, str] = {
    "cart": EventType.add_to_cart.value,
    "add-to-cart": EventType.add_to_cart.value,
    "addtocart": EventType.add_to_cart.value,
    "add_cart": EventType.add_to_cart.value,
    "basket": EventType.add_to_cart.value,
    "page_view": EventType.view.value,
    "pageview": EventType.view.value,
    "detail_view": EventType.view.value,
    "buy": EventType.purchase.value,
    "order": EventType.purchase.value,
    "transaction": EventType.purchase.value,
    "favorite": EventType.wishlist.value,
    "favourite": EventType.wishlist.value,
    "rate": EventType.rating.value,
    "refund": EventType.return_.value,
}
