"""``tailorwise synth``: write a synthetic shop, optionally ingest it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from pydantic import ValidationError

from tailorwise.cli.common import DbOption, console, opened_store, user_errors
from tailorwise.cli.ingest import print_report
from tailorwise.cli.render import progress_bars
from tailorwise.errors import ConfigError

if TYPE_CHECKING:
    from tailorwise.synth import SynthConfig


def synth_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the files into.")],
    users: Annotated[int, typer.Option("--users", help="Number of users")] = 10_000,
    items: Annotated[int, typer.Option("--items", help="Number of items")] = 2_000,
    events: Annotated[int, typer.Option("--events", help="Number of events")] = 200_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    events_format: Annotated[
        str, typer.Option("--events-format", help="parquet or csv (events file only)")
    ] = "parquet",
    then_ingest: Annotated[
        bool,
        typer.Option("--ingest", help="Ingest the folder into the store afterwards", metavar=""),
    ] = False,
    db: DbOption = None,
) -> None:
    """Generate a seeded synthetic shop that `ingest --format events` reads as is."""
    from tailorwise.synth import generate

    with user_errors():
        cfg = _config(users, items, events, seed, events_format)
        with progress_bars() as progress:
            report = generate(cfg, out_dir, progress)
    console.print(
        f"wrote {report.users:,} users, {report.items:,} items, {report.events:,} events and "
        f"{report.exposures:,} exposures to {report.out_dir}",
        highlight=False,
    )
    if then_ingest:
        _ingest(out_dir, db)


def _config(users: int, items: int, events: int, seed: int, events_format: str) -> SynthConfig:
    from tailorwise.synth import SynthConfig

    fmt: Literal["parquet", "csv"]
    if events_format == "csv":
        fmt = "csv"
    elif events_format == "parquet":
        fmt = "parquet"
    else:
        raise ConfigError(f"--events-format must be parquet or csv, not '{events_format}'")
    try:
        return SynthConfig(
            n_users=users, n_items=items, n_events=events, seed=seed, events_format=fmt
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid synth settings: {problems}") from exc


def _ingest(out_dir: Path, db: str | None) -> None:
    from tailorwise.ingest.job import ingest

    with opened_store(db, create=True) as store, progress_bars() as progress:
        report = ingest(out_dir, "events", store, progress=progress)
    print_report(report)
