"""``tailorwise ingest`` and ``tailorwise stats``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from tailorwise.cli.common import DbOption, JsonOption, console, opened_store
from tailorwise.cli.render import progress_bars
from tailorwise.errors import ConfigError
from tailorwise.ingest.formats import loader_names
from tailorwise.ingest.options import OnError

if TYPE_CHECKING:
    from tailorwise.ingest.job import IngestReport
    from tailorwise.store.summary import StoreSummary

DATES = ["%Y-%m-%d"]


def _column_map(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(
                f"--map expects CANONICAL=SOURCE, got '{pair}' (e.g. user_id=customer)"
            )
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def ingest_command(
    path: Annotated[Path, typer.Argument(help="A file, or a data set's folder.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(loader_names())}")
    ],
    db: DbOption = None,
    on_error: Annotated[
        OnError,
        typer.Option(
            help="fail: reject the whole input on a bad row; "
            "skip: load good rows, write bad ones to --rejects"
        ),
    ] = OnError.fail,
    rejects: Annotated[
        Path | None, typer.Option(help="Rejects file (default ./rejects/NAME.rejects.csv)")
    ] = None,
    column_map: Annotated[
        list[str] | None, typer.Option("--map", help="CANONICAL=SOURCE column")
    ] = None,
    rating_min: Annotated[float | None, typer.Option(help="Lowest valid rating")] = None,
    rating_max: Annotated[float | None, typer.Option(help="Highest valid rating")] = None,
    min_date: Annotated[
        datetime | None,
        typer.Option(help="Earliest plausible event date [default: 1970-01-01]", formats=DATES),
    ] = None,
    max_date: Annotated[
        datetime | None,
        typer.Option(help="Event dates must be before this [default: 2100-01-01]", formats=DATES),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate and load a file or folder into the store, atomically."""
    from tailorwise.ingest.formats.base import IngestOptions
    from tailorwise.ingest.job import default_rejects_path, ingest

    with opened_store(db, create=True) as store:
        dates = {
            name: value.date()
            for name, value in (("min_date", min_date), ("max_date", max_date))
            if value is not None
        }
        options = IngestOptions(
            column_map=_column_map(column_map or []),
            rating_min=rating_min,
            rating_max=rating_max,
            **dates,
        )
        with progress_bars() as progress:
            report = ingest(
                path,
                fmt,
                store,
                on_error=on_error,
                rejects_path=rejects or default_rejects_path(path),
                options=options,
                progress=progress,
            )
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        print_report(report)


def print_report(report: IngestReport) -> None:
    table = RichTable(title=f"ingested {report.path} ({report.format}) in {report.seconds:.1f}s")
    for col in ("file", "table", "loaded", "rejected", "excluded"):
        table.add_column(col, justify="right" if col not in ("file", "table") else "left")
    for f in report.files:
        table.add_row(f.file, f.table, f"{f.loaded:,}", f"{f.rejected:,}", f"{f.excluded:,}")
    console.print(table)
    if report.rejects_path:
        console.print(
            f"{report.rejected:,} bad row(s) skipped and {report.excluded:,} row(s) excluded by "
            f"the format; reasons in {report.rejects_path}",
            highlight=False,
        )
        for line in report.issues_shown[:5]:
            console.print("  " + line, highlight=False, markup=False)


def stats_command(
    db: DbOption = None,
    as_json: JsonOption = False,
    top: Annotated[int, typer.Option(help="How many top items")] = 10,
) -> None:
    """Counts, date ranges, sparsity, event-type mix and top items."""
    with opened_store(db) as store:
        summary = store.summary(top=top)
    if as_json:
        print(json.dumps(summary.model_dump(mode="json"), indent=2))
    else:
        print_summary(summary)


def print_summary(s: StoreSummary) -> None:
    counts = RichTable(title=f"store {s.url}")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, n in s.counts.items():
        counts.add_row(name, f"{n:,}")
    console.print(counts)
    span = (
        f"{s.first_event:%Y-%m-%d} to {s.last_event:%Y-%m-%d}"
        if s.first_event and s.last_event
        else "no events"
    )
    sparsity = f"{s.sparsity:.4%}" if s.sparsity is not None else "n/a"
    console.print(
        f"events: {span}; {s.active_users:,} active users x {s.active_items:,} items; "
        f"sparsity {sparsity}; {s.sources} source file(s)",
        highlight=False,
    )
    if s.event_types:
        mix = RichTable(title="event types")
        for col in ("type", "events", "share"):
            mix.add_column(col, justify="left" if col == "type" else "right")
        for t in s.event_types:
            mix.add_row(t.type, f"{t.events:,}", f"{t.share:.1%}")
        console.print(mix)
    if s.top_items:
        top = RichTable(title="top items")
        for col in ("item", "title", "events", "users"):
            top.add_column(col, justify="right" if col in ("events", "users") else "left")
        for i in s.top_items:
            top.add_row(i.item_id, (i.title or "")[:50], f"{i.events:,}", f"{i.users:,}")
        console.print(top)
    if s.campaigns:
        arms = RichTable(title="campaigns")
        for col in ("campaign", "treatment", "users", "conversion", "revenue/user"):
            arms.add_column(col, justify="left" if col in ("campaign", "treatment") else "right")
        for a in s.campaigns:
            conv = f"{a.conversion_rate:.2%}" if a.conversion_rate is not None else ""
            rev = f"{a.revenue_per_user:.3f}" if a.revenue_per_user is not None else ""
            arms.add_row(a.campaign_id, a.treatment, f"{a.users:,}", conv, rev)
        console.print(arms)
