"""The ``tailorwise`` command: each command lives in its own module."""

from __future__ import annotations

import typer

from tailorwise.cli.benchmark import benchmark_command
from tailorwise.cli.demo import demo_command
from tailorwise.cli.ingest import ingest_command, stats_command
from tailorwise.cli.recommend import evaluate_command, recommend_command, train_command
from tailorwise.cli.synth import synth_command

app = typer.Typer(
    name="tailorwise",
    help="Personalized marketing engine: ingest events, profile users, recommend, target.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_command)
app.command("stats")(stats_command)
app.command("synth")(synth_command)
app.command("demo")(demo_command)
app.command("train")(train_command)
app.command("evaluate")(evaluate_command)
app.command("benchmark")(benchmark_command)
app.command("recommend")(recommend_command)


def main() -> None:
    app()
