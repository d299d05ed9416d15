"""Helpers shared by CLI commands: the store option, errors, progress."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from tailorwise.errors import TailorwiseError

if TYPE_CHECKING:
    from tailorwise.store import DataStore

console = Console()
err_console = Console(stderr=True)

# metavar="": a flag takes no value, so --help shows none (typer would print <bool>)
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables", metavar="")
]
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL: a DuckDB file or postgresql://... [env: TAILORWISE_DB]"),
]


def store_url(db: str | None) -> str:
    from tailorwise.config import Settings  # pydantic-settings: 0.2 s, not for --help

    return db or Settings().db


@contextmanager
def opened_store(db: str | None, create: bool = False) -> Iterator[DataStore]:
    """The store at ``--db``; a command that only reads (``create=False``) does not make an
    empty one where there is none."""
    from tailorwise.store import open_store

    with user_errors(), open_store(store_url(db), create=create) as store:
        yield store


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a TailorwiseError as a clear message and exit 1, without a traceback; show a
    warning as one line, without the file and line that raised it."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            yield
        except TailorwiseError as exc:
            err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
            raise typer.Exit(1) from exc


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    err_console.print(Text.assemble(("warning: ", "bold yellow"), str(message)), soft_wrap=True)
