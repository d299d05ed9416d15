"""Helpers shared by CLI commands: the store option, errors, progress."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from tailorwise.config import Settings
from tailorwise.errors import TailorwiseError
from tailorwise.store import DataStore, open_store

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL: a DuckDB file or postgresql://... [env: TAILORWISE_DB]"),
]


def store_url(db: str | None) -> str:
    return db or Settings().db


@contextmanager
def opened_store(db: str | None) -> Iterator[DataStore]:
    with user_errors(), open_store(store_url(db)) as store:
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


@contextmanager
def step_progress(label: str) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    with progress:
        yield progress
