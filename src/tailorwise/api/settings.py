"""What the server is started with: the store, the models, the keys, the limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tailorwise.errors import ConfigError
from tailorwise.store.models import DEFAULT_MODEL_DIR

KEYS_ENV = "TAILORWISE_API_KEYS"
ANONYMOUS_ENV = "TAILORWISE_ALLOW_ANONYMOUS"


class Scope(StrEnum):
    read = "read"
    write = "write"


@dataclass(frozen=True)
class Limits:
    max_k: int = 200
    max_batch: int = 1000  # events per POST /events, candidates per rank request
    max_body_bytes: int = 1 << 20


@dataclass(frozen=True)
class ServeSettings:
    db: str
    model_dir: Path = DEFAULT_MODEL_DIR
    keys: dict[str, frozenset[Scope]] = field(default_factory=dict)
    allow_anonymous: bool = False  # anonymous reads; writes always need a key
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(
        cls, db: str, model_dir: Path = DEFAULT_MODEL_DIR, allow_anonymous: bool = False
    ) -> ServeSettings:
        """Keys from ``TAILORWISE_API_KEYS`` (``key1:read,key2:read+write``); anonymous
        reads with ``allow_anonymous`` or ``TAILORWISE_ALLOW_ANONYMOUS=1``."""
        anonymous = allow_anonymous or os.environ.get(ANONYMOUS_ENV, "") in ("1", "true")
        return cls(db, model_dir, parse_keys(os.environ.get(KEYS_ENV, "")), anonymous)


def parse_keys(text: str) -> dict[str, frozenset[Scope]]:
    """``key1:read,key2:read+write`` -> {key: scopes}; a bad entry is an error naming it."""
    keys: dict[str, frozenset[Scope]] = {}
    for n, entry in enumerate(filter(None, (e.strip() for e in text.split(","))), start=1):
        key, sep, scopes = entry.partition(":")
        names = [s.strip() for s in scopes.split("+")] if sep else []
        bad = [s for s in names if s not in Scope.__members__]
        if not key.strip() or not names or bad:
            raise ConfigError(
                f"{KEYS_ENV}: entry {n} must be KEY:read or KEY:read+write, got {entry!r}"
            )
        keys[key.strip()] = frozenset(Scope(s) for s in names)
    return keys
