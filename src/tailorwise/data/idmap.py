"""Map external ids to dense integers once, at the boundary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from tailorwise.errors import TailorwiseError


class UnknownIdError(TailorwiseError, KeyError):
    """An external id the model has never seen."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class IdMap:
    """A bijection between external ids (text) and dense indices ``0..n-1``."""

    def __init__(self, external: Sequence[str] | np.ndarray) -> None:
        self._index = pd.Index(np.asarray(external, dtype=object))
        if not self._index.is_unique:
            raise ValueError("IdMap needs unique external ids")

    @classmethod
    def from_values(cls, values: Iterable[str]) -> IdMap:
        """Ids in order of first appearance."""
        return cls(
            pd.unique(
                np.asarray(
                    list(values) if not isinstance(values, np.ndarray) else values, dtype=object
                )
            )
        )

    def __len__(self) -> int:
        return len(self._index)

    @property
    def external(self) -> np.ndarray:
        return self._index.to_numpy()

    def to_internal(
        self, ids: Sequence[str] | np.ndarray, *, kind: str = "id", strict: bool = True
    ) -> np.ndarray:
        """Dense indices of ``ids``; unknown ids raise (``strict``) or map to -1. Ids are text:
        an id given as a number (``1``) is matched as its text (``"1"``)."""
        text = _as_text(ids)
        idx = self._index.get_indexer(text)
        if strict and (idx < 0).any():
            unknown = text[idx < 0]
            shown = ", ".join(repr(str(u)) for u in unknown[:5])
            raise UnknownIdError(
                f"unknown {kind}(s): {shown}" + (" ..." if len(unknown) > 5 else "")
            )
        return idx.astype(np.int64)

    def to_external(self, idx: np.ndarray | Sequence[int]) -> np.ndarray:
        return self._index.to_numpy()[np.asarray(idx, dtype=np.int64)]

    def __contains__(self, ext: object) -> bool:
        return str(ext) in self._index


def _as_text(ids: Sequence[object] | np.ndarray) -> np.ndarray:
    """``ids`` as an object array of str; the common all-text case costs one C-level scan."""
    arr = np.asarray(ids, dtype=object)
    if len(arr) == 0 or pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr
    return np.asarray([str(i) for i in arr], dtype=object)
