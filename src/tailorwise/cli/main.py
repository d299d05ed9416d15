"""The ``tailorwise`` command: each command lives in its own module."""

from __future__ import annotations

import typer

from tailorwise.cli.demo import demo_command
from tailorwise.cli.ingest import ingest_command, stats_command

app = typer.Typer(
    name="tailorwise",
    help="Personalized marketing engine: ingest events, profile users, recommend, target.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_command)
app.command("stats")(stats_command)
app.command("demo")(demo_command)


def main() -> None:
    app()
