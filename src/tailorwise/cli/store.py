"""``tailorwise store``: upkeep of the store itself."""

from __future__ import annotations

import typer

from tailorwise.cli.common import DbOption, console, opened_store

store_app = typer.Typer(help="Upkeep of the store: compact.", no_args_is_help=True)


@store_app.command("compact")
def compact_command(db: DbOption = None) -> None:
    """Give back the disk space that replaced or deleted rows left (the data stays)."""
    with opened_store(db) as store:
        report = store.compact()
    console.print(
        f"compacted {report.url}: {report.before / 2**20:,.1f} MiB -> "
        f"{report.after / 2**20:,.1f} MiB",
        highlight=False,
        soft_wrap=True,
    )
