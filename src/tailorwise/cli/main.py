"""The ``tailorwise`` command: each command lives in its own module."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tailorwise.cli.benchmark import benchmark_command
from tailorwise.cli.demo import demo_command
from tailorwise.cli.ingest import ingest_command, stats_command
from tailorwise.cli.recommend import evaluate_command, recommend_command, train_command
from tailorwise.cli.serve import serve_command
from tailorwise.cli.store import store_app
from tailorwise.cli.synth import synth_command

app = typer.Typer(
    name="tailorwise",
    help="Personalized marketing engine: ingest events, profile users, recommend, target.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(show: bool) -> None:
    if show:
        from tailorwise.version import __version__

        print(f"tailorwise {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit",
            callback=_version,
            is_eager=True,
            metavar="",
        ),
    ] = False,
) -> None:
    """Personalized marketing engine: ingest events, profile users, recommend, target."""


app.command("ingest")(ingest_command)
app.command("stats")(stats_command)
app.command("synth")(synth_command)
app.command("demo")(demo_command)
app.command("train")(train_command)
app.command("evaluate")(evaluate_command)
app.command("benchmark")(benchmark_command)
app.command("recommend")(recommend_command)
app.command("serve")(serve_command)
app.add_typer(store_app, name="store")


def main() -> None:
    # The command owns its process, so it (not the library) sets this: OpenMP worker
    # threads that spin while they wait make torch several times slower on a busy machine
    # with few cores. ``setdefault`` keeps whatever the user set.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()
