"""One explicit, lazy name -> class registry: no scanning of paths, no ``eval``.

A module is imported only when one of its names is asked for, so ``tailorwise --help``
and the ALS or EASE paths never import torch.
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

from tailorwise.errors import ConfigError

T = TypeVar("T")


class LazyRegistry(Generic[T]):
    """Names of one ``kind`` of component, each mapped to ``(module, class name)``."""

    def __init__(
        self,
        kind: str,
        entries: dict[str, tuple[str, str]],
        extras: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.entries = dict(entries)
        self.extras = dict(extras or {})  # name -> the optional dependency group it needs

    def names(self) -> list[str]:
        return list(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``; an unknown name lists the known ones."""
        if name not in self.entries:
            raise ConfigError(
                f"unknown {self.kind} '{name}'; choose one of: {', '.join(self.entries)}"
            )
        module, cls = self.entries[name]
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if name not in self.extras:
                raise
            raise ConfigError(
                f"{self.kind} '{name}' needs {exc.name}, which is not installed: "
                f"pip install 'tailorwise[{self.extras[name]}]'"
            ) from exc
        found: type[T] = getattr(loaded, cls)
        return found
