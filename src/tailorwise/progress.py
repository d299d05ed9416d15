"""Progress without a user interface.

The core calls :func:`report`; whoever runs it installs a callback with :func:`reporting`:
the CLI draws progress bars, a server or a notebook may log or ignore it. With no
callback installed, updates go to the ``tailorwise.progress`` logger at DEBUG level.
A context variable (not a global) holds the callback, so concurrent requests of a server
each report to their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

log = logging.getLogger("tailorwise.progress")


@dataclass(frozen=True)
class ProgressUpdate:
    """``done`` of ``total`` steps of ``task`` (``total`` None: a stage with no count)."""

    task: str
    done: int = 0
    total: int | None = None
    info: str = ""


ProgressCallback = Callable[[ProgressUpdate], None]

_callback: ContextVar[ProgressCallback | None] = ContextVar("tailorwise_progress", default=None)


@contextmanager
def reporting(callback: ProgressCallback | None) -> Iterator[None]:
    """Send the updates reported inside this block to ``callback`` (None: keep the current)."""
    if callback is None:
        yield
        return
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def report(task: str, done: int = 0, total: int | None = None, info: str = "") -> None:
    update = ProgressUpdate(task, done, total, info)
    callback = _callback.get()
    if callback is not None:
        callback(update)
    else:
        log.debug("%s %s/%s %s", task, done, total, info)


def stage(task: str) -> None:
    """A step with no count, such as "reading interactions"."""
    report(task)
