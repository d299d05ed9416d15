"""The names of the split protocols, in a module of their own so that the CLI can offer
them without importing numpy."""

from __future__ import annotations

from enum import StrEnum


class Protocol(StrEnum):
    leave_last_out = "leave-last-out"
    temporal = "temporal"
    random = "random"
