"""Peak resident memory of a block of code, from the standard library only.

Used on both sides of the benchmark (our models in the main venv, RecTools in
``.venv-peers``), so every model's memory is measured the same way: a thread
reads this process's RSS from /proc/self/statm every ``interval`` seconds while
the block runs, and ``peak_mib`` is the highest reading minus the reading at
the start.

Several models are fitted one after another in the same process, so memory freed
by one fit must go back to the system, or the next fit reuses it without RSS
growing and reads as ~0 MiB. ``steady_allocator()`` (called once at start) fixes
glibc's mmap threshold at 128 KiB, so every large array is its own mapping and is
unmapped when freed (by default glibc raises that threshold after the first large
free, and later large arrays then come from a heap that is never trimmed); and
each measurement starts with a ``gc.collect()`` and ``malloc_trim(0)``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import resource
import threading
import time
from pathlib import Path
from types import TracebackType

_STATM = Path("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "mallopt") else None


def steady_allocator(threshold: int = 128 * 1024) -> bool:
    """Serve every allocation >= ``threshold`` bytes by mmap (glibc); False elsewhere."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, threshold))


def release_freed() -> None:
    """Collect garbage and hand free heap memory back to the system (glibc)."""
    gc.collect()
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def rss_bytes() -> int:
    """Current resident set size of this process."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):  # not Linux: the lifetime peak is all we get
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakRSS:
    """``with PeakRSS() as m: fit()`` then ``m.peak_mib`` (growth of RSS over the start)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.start = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        release_freed()
        self.start = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def peak_mib(self) -> float:
        return (self.peak - self.start) / 2**20
