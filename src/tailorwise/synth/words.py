"""Word pools for the synthetic shop: category names, product words, review phrases.

Item titles and texts are built from these so that content models have
words that actually carry the category and the style of an item.
"""

from __future__ import annotations

import numpy as np

# category -> (nouns, adjectives)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "electronics": (
        ("headphones", "speaker", "charger", "keyboard", "monitor", "camera"),
        ("wireless", "portable", "bluetooth", "compact", "smart", "digital"),
    ),
    "books": (
        ("novel", "cookbook", "biography", "atlas", "thriller", "anthology"),
        ("illustrated", "classic", "bestselling", "hardcover", "annotated", "gripping"),
    ),
    "fashion": (
        ("sweater", "jacket", "dress", "scarf", "sneakers", "jeans"),
        ("cozy", "slim", "woollen", "vintage", "casual", "elegant"),
    ),
    "home": (
        ("lamp", "cushion", "rug", "vase", "curtain", "blanket"),
        ("rustic", "modern", "handmade", "ceramic", "linen", "minimalist"),
    ),
    "kitchen": (
        ("kettle", "skillet", "blender", "knife", "teapot", "mug"),
        ("stainless", "nonstick", "enamel", "electric", "sturdy", "glazed"),
    ),
    "sports": (
        ("dumbbell", "yoga mat", "racket", "helmet", "bottle", "backpack"),
        ("lightweight", "durable", "ergonomic", "breathable", "padded", "foldable"),
    ),
    "beauty": (
        ("serum", "lipstick", "perfume", "moisturizer", "shampoo", "palette"),
        ("organic", "fragrant", "hydrating", "matte", "gentle", "vegan"),
    ),
    "toys": (
        ("puzzle", "robot", "doll", "blocks", "kite", "boardgame"),
        ("colorful", "educational", "wooden", "interactive", "plush", "magnetic"),
    ),
    "garden": (
        ("planter", "hose", "shovel", "seeds", "birdhouse", "lantern"),
        ("weatherproof", "solar", "galvanized", "terracotta", "hardy", "flowering"),
    ),
    "grocery": (
        ("coffee", "chocolate", "tea", "honey", "pasta", "olive oil"),
        ("roasted", "artisan", "fairtrade", "spicy", "creamy", "wholegrain"),
    ),
    "pets": (
        ("collar", "leash", "cat tree", "dog bed", "feeder", "chew toy"),
        ("reflective", "washable", "chewproof", "snug", "adjustable", "orthopedic"),
    ),
    "music": (
        ("guitar", "ukulele", "vinyl", "drumsticks", "microphone", "amplifier"),
        ("acoustic", "analog", "tuned", "studio", "retro", "electric"),
    ),
    "office": (
        ("notebook", "pen", "desk organizer", "stapler", "planner", "binder"),
        ("refillable", "recycled", "ruled", "premium", "slimline", "magnetic"),
    ),
    "baby": (
        ("stroller", "onesie", "rattle", "bottle", "carrier", "crib sheet"),
        ("soft", "hypoallergenic", "cotton", "safe", "gentle", "soothing"),
    ),
    "automotive": (
        ("dashcam", "floor mat", "car charger", "wiper", "seat cover", "jump starter"),
        ("rugged", "universal", "heavy-duty", "all-weather", "quick-fit", "led"),
    ),
    "travel": (
        ("suitcase", "passport holder", "neck pillow", "duffel", "adapter", "toiletry bag"),
        ("carry-on", "expandable", "waterproof", "packable", "hard-shell", "rfid"),
    ),
}
MAX_CATEGORIES = len(CATEGORIES)

BRANDS = (
    "nordwell",
    "acorn",
    "lumen",
    "brightpeak",
    "velvo",
    "kestrel",
    "orbis",
    "tidal",
    "marlow",
    "quill",
    "harbor",
    "zenith",
)

_PRAISE = (
    "love this",
    "excellent",
    "great value",
    "works perfectly",
    "highly recommend",
    "beautiful quality",
    "exceeded expectations",
)
_NEUTRAL = (
    "okay for the price",
    "does the job",
    "average quality",
    "as described",
    "nothing special",
)
_COMPLAINT = (
    "broke after a week",
    "poor quality",
    "not as described",
    "disappointed",
    "cheap material",
    "returned it",
    "would not buy again",
)


def item_words(
    rng: np.random.Generator, category_names: list[str], primary: np.ndarray
) -> tuple[list[str], list[str]]:
    """Titles and description texts of items whose first category is ``primary``."""
    titles, texts = [], []
    for cat_index in primary.tolist():
        name = category_names[cat_index]
        nouns, adjs = CATEGORIES[name]
        noun = nouns[rng.integers(len(nouns))]
        a1, a2 = (adjs[i] for i in rng.choice(len(adjs), size=2, replace=False))
        brand = BRANDS[rng.integers(len(BRANDS))]
        titles.append(f"{brand.title()} {a1} {noun}")
        texts.append(f"A {a1} and {a2} {noun} by {brand} for {name} lovers.")
    return titles, texts


def review_texts(rng: np.random.Generator, ratings: np.ndarray, nouns: list[str]) -> list[str]:
    """Review texts whose tone follows the rating (1-5)."""
    out = []
    for rating, noun in zip(ratings.tolist(), nouns, strict=True):
        pool = _PRAISE if rating >= 4 else _NEUTRAL if rating >= 3 else _COMPLAINT
        phrase = pool[rng.integers(len(pool))]
        out.append(f"{phrase}, the {noun} {'is' if rating >= 3 else 'was'} {_TONE[int(rating)]}.")
    return out


_TONE = {1: "awful", 2: "a letdown", 3: "fine", 4: "very good", 5: "perfect"}
