"""Error classes. Every message says what was wrong, where, and what to do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TailorwiseError(Exception):
    """Base class for errors meant to be shown to a user."""


class ConfigError(TailorwiseError):
    """A setting or option is invalid."""


class StoreError(TailorwiseError):
    """A store could not be opened or written."""


@dataclass(frozen=True)
class RowIssue:
    """One problem with one row of an input file.

    ``row`` is the 1-based physical line of the file for text formats (the
    header is line 1) and the 1-based record number for binary formats.
    ``fatal`` is False for rows a loader excludes on purpose (for example
    Online Retail rows without a customer id): they are reported, never fatal.
    """

    file: str
    row: int
    column: str | None
    reason: str
    raw: str = ""
    fatal: bool = True

    def describe(self) -> str:
        where = f"{self.file}, row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


class IngestError(TailorwiseError):
    """An input could not be ingested; nothing was written."""

    def __init__(self, message: str, issues: Sequence[RowIssue] = (), total: int = 0) -> None:
        self.issues = list(issues)
        self.total = max(total, len(self.issues))
        super().__init__(message)


class ArtifactError(TailorwiseError):
    """A model artifact is missing, damaged or from an incompatible version."""


class NotFittedError(TailorwiseError):
    """A model was used before ``fit``."""


class InvalidRequestError(TailorwiseError, ValueError):
    """A request's arguments are invalid (k <= 0, unknown filter, ...)."""


class MissingDataError(TailorwiseError, ValueError):
    """The data lacks what a request needs (e.g. a content model on a catalog without text)."""
