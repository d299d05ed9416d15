"""What to do with a bad row, in a module of its own so that the CLI can offer it without
importing DuckDB."""

from __future__ import annotations

from enum import StrEnum


class OnError(StrEnum):
    fail = "fail"  # one bad row rejects the whole input; nothing is written
    skip = "skip"  # load the good rows, write the bad ones to the rejects file
