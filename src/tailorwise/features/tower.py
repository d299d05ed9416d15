"""Sparse input features of the two-tower model: items from the catalog, users from attributes.

Items: the TF-IDF of title and description and of the categories that the
content model uses (``recommend/text.py``), a log-price bucket, and a bias
column, so that a catalog with no usable metadata still has one feature.
Users: one token per attribute value (``gender=F``), quantile buckets for
numeric attributes (``age``), prefixes of high-cardinality codes (a zip
code's region), and a bias token.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from tailorwise.columns import Columns as C
from tailorwise.features.text import category_tfidf, word_tfidf

PRICE_BUCKETS = 8
AGE_BUCKETS = 8  # quantile buckets of each numeric user attribute
MIN_COUNT = 2  # a user attribute value seen fewer times counts as "other"
PREFIXES = (1, 2, 3)  # prefix lengths of high-cardinality text attributes
SEP = "\x1f"  # between an attribute's name and its value in a token
BIAS, OTHER = "<bias>", "<other>"


def item_features(meta: pd.DataFrame, max_text_features: int) -> sp.csr_matrix:
    """items x features: text and category TF-IDF, log-price bucket, and a bias."""
    words = word_tfidf(meta)
    if words.shape[1] > max_text_features:  # keep the words found in the most items
        df = np.asarray((words > 0).sum(axis=0)).ravel()
        words = words[:, np.sort(np.argsort(-df, kind="stable")[:max_text_features])]
    blocks = [words, category_tfidf(meta), _price_buckets(meta[C.price])]
    blocks.append(sp.csr_matrix(np.ones((len(meta), 1), np.float32)))
    return sp.csr_matrix(sp.hstack(blocks, format="csr", dtype=np.float32))


def _price_buckets(prices: pd.Series) -> sp.csr_matrix:
    price = pd.to_numeric(prices, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    known = np.isfinite(price) & (price > 0)
    if not known.any():
        return sp.csr_matrix((len(price), 0), dtype=np.float32)
    logp = np.log(price[known])
    edges = np.quantile(logp, np.linspace(0, 1, PRICE_BUCKETS + 1)[1:-1])
    bucket = np.full(len(price), PRICE_BUCKETS)  # the last bucket: no price
    bucket[known] = np.searchsorted(edges, logp)
    ones = np.ones(len(price), np.float32)
    return sp.csr_matrix(
        (ones, (np.arange(len(price)), bucket)), shape=(len(price), PRICE_BUCKETS + 1)
    )


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not objects
class UserEncoder:
    """Turns user attribute frames into sparse token rows; learned on the training users."""

    tokens: tuple[str, ...]  # column j of the output is tokens[j]; tokens[0] is the bias
    numeric: dict[str, np.ndarray]  # numeric attribute -> bucket edges
    prefixed: tuple[str, ...]  # high-cardinality text attributes that also get prefixes

    @property
    def n_features(self) -> int:
        return len(self.tokens)

    @classmethod
    def fit(cls, frame: pd.DataFrame | None) -> UserEncoder:
        if frame is None:
            return cls((BIAS,), {}, ())
        attrs = frame.drop(columns=[C.user], errors="ignore")
        numeric, prefixed = {}, []
        for col in attrs.columns:
            values = attrs[col].dropna()
            if len(values) and _is_numeric(attrs[col]):
                qs = np.linspace(0, 1, AGE_BUCKETS + 1)[1:-1]
                numeric[str(col)] = np.unique(np.quantile(values.astype(float), qs))
            elif values.astype(str).nunique() > len(values) / 2:
                prefixed.append(str(col))
        probe = cls((BIAS,), numeric, tuple(prefixed))
        counts = Counter(t for row in probe._row_tokens(attrs) for t in row)
        kept = sorted(t for t, n in counts.items() if n >= MIN_COUNT)
        others = sorted({t.split(SEP, 1)[0] + SEP + OTHER for t in counts})
        return cls((BIAS, *kept, *others), numeric, tuple(prefixed))

    def transform(self, frame: pd.DataFrame | None, n_rows: int) -> sp.csr_matrix:
        """(n_rows, n_features), rows of unit length; no frame gives the bias alone."""
        index = {t: j for j, t in enumerate(self.tokens)}
        rows = (
            [[BIAS]] * n_rows
            if frame is None
            else self._row_tokens(frame.drop(columns=[C.user], errors="ignore"))
        )
        indptr, indices = [0], []
        for row in rows:
            cols = {index.get(t, index.get(t.split(SEP, 1)[0] + SEP + OTHER, -1)) for t in row}
            indices.extend(sorted(c for c in cols | {0} if c >= 0))
            indptr.append(len(indices))
        ones = np.ones(len(indices), np.float32)
        m = sp.csr_matrix((ones, indices, indptr), shape=(len(rows), self.n_features))
        return sp.csr_matrix(normalize(m), dtype=np.float32)

    def _row_tokens(self, attrs: pd.DataFrame) -> list[list[str]]:
        rows: list[list[str]] = [[] for _ in range(len(attrs))]
        for col in attrs.columns:
            name = str(col)
            for i, value in enumerate(attrs[col].to_numpy(dtype=object)):
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                rows[i].extend(self._value_tokens(name, value))
        return rows

    def _value_tokens(self, name: str, value: object) -> list[str]:
        if name in self.numeric:
            try:
                bucket = int(np.searchsorted(self.numeric[name], float(value)))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return [name + SEP + OTHER]
            return [f"{name}{SEP}#{bucket}"]
        text = str(value)
        out = [name + SEP + text]
        if name in self.prefixed:
            out += [f"{name}^{n}{SEP}{text[:n]}" for n in PREFIXES if len(text) > n]
        return out

    def state(self) -> dict[str, np.ndarray]:
        names = list(self.numeric)
        width = max((len(e) for e in self.numeric.values()), default=0)
        edges = np.full((len(names), width), np.nan)
        for r, n in enumerate(names):
            edges[r, : len(self.numeric[n])] = self.numeric[n]
        return {
            "tokens": np.array(self.tokens, dtype=str),
            "numeric": np.array(names, dtype=str),
            "edges": edges,
            "prefixed": np.array(self.prefixed, dtype=str),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> UserEncoder:
        numeric = {
            str(n): e[np.isfinite(e)] for n, e in zip(state["numeric"], state["edges"], strict=True)
        }
        return cls(
            tuple(str(t) for t in state["tokens"]),
            numeric,
            tuple(str(p) for p in state["prefixed"]),
        )


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))
