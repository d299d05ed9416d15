"""What a running server holds: one store connection (behind a lock: a DuckDB connection
serves one thread at a time), the model it serves, and that model's version."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tailorwise.api.settings import ServeSettings
from tailorwise.errors import ArtifactError
from tailorwise.service.live import LiveModel, load_live
from tailorwise.store.base import DataStore
from tailorwise.store.models import LATEST
from tailorwise.store.url import open_store

CHECK_SECONDS = 1.0


class NoModelError(LookupError):
    """The server has no trained model to answer with."""


class ServerState:
    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.store: DataStore = open_store(settings.db, create=True)
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self._live: LiveModel | None = None
        self.load_error: str | None = None
        self._seen_pointer: tuple[int, int] | None = None
        self._checked = 0.0
        self.reload()

    def reload(self) -> LiveModel | None:
        """Load the latest model under the models folder; the one served so far stays when
        there is none (the swap is one assignment: a request sees the old or the new)."""
        self._seen_pointer = self._pointer()
        try:
            self._live = load_live(self.settings.model_dir)
            self.load_error = None
        except ArtifactError as exc:
            self.load_error = str(exc)
        return self._live

    def _pointer(self) -> tuple[int, int] | None:
        """When and how big the models folder's ``latest`` pointer is (None: there is none)."""
        try:
            st = (self.settings.model_dir / LATEST).stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def follow_latest(self) -> None:
        """Switch to the newest trained model when ``tailorwise train`` has published one
        (looked at once a second at most)."""
        now = time.monotonic()
        if now - self._checked < CHECK_SECONDS:
            return
        self._checked = now
        pointer = self._pointer()
        if pointer == self._seen_pointer or not self._loading.acquire(blocking=False):
            return
        try:
            self._seen_pointer = pointer
            self.reload()
        finally:
            self._loading.release()

    @property
    def live(self) -> LiveModel:
        self.follow_latest()
        live = self._live
        if live is None:
            raise NoModelError(self.load_error or "no trained model")
        return live

    @property
    def ready(self) -> bool:
        return self._live is not None

    @contextmanager
    def locked_store(self) -> Iterator[DataStore]:
        with self._lock:
            yield self.store

    def close(self) -> None:
        with self._lock:
            self.store.close()
