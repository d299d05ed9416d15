"""A seeded synthetic shop: users, items, events and a campaign with known uplift.

``generate(config, out_dir)`` writes a folder that ``tailorwise ingest DIR
--format events`` reads as is. Events are simulated and written in chunks, so
memory stays bounded however many events are asked for. The same config and
seed give byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tailorwise.progress import ProgressCallback, ProgressUpdate
from tailorwise.synth.campaign import campaigns_table, exposures_table
from tailorwise.synth.config import SynthConfig
from tailorwise.synth.events import EVENTS_SCHEMA, event_chunks
from tailorwise.synth.shop import Shop, build_shop, items_table, users_table


@dataclass(frozen=True)
class SynthReport:
    out_dir: Path
    users: int
    items: int
    events: int
    exposures: int
    files: list[str]


def generate(
    cfg: SynthConfig, out_dir: str | Path, progress: ProgressCallback | None = None
) -> SynthReport:
    """Write users, items, events, campaigns and exposures of a synthetic shop."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(cfg.seed)
    shop = build_shop(cfg, rng)
    pq.write_table(users_table(cfg, shop, rng), out / "users.parquet")
    pq.write_table(items_table(cfg, shop, rng), out / "items.parquet")
    exposures = exposures_table(cfg, shop, rng)
    pq.write_table(exposures, out / "exposures.parquet")
    pacsv.write_csv(campaigns_table(cfg), out / "campaigns.csv")
    events_file = out / f"events.{cfg.events_format}"
    for stale in (out / "events.parquet", out / "events.csv"):
        if stale != events_file:
            stale.unlink(missing_ok=True)
    written = _write_events(cfg, shop, rng, events_file, progress)
    return SynthReport(
        out,
        cfg.n_users,
        cfg.n_items,
        written,
        exposures.num_rows,
        ["users.parquet", "items.parquet", events_file.name, "campaigns.csv", "exposures.parquet"],
    )


def _write_events(
    cfg: SynthConfig,
    shop: Shop,
    rng: np.random.Generator,
    path: Path,
    progress: ProgressCallback | None,
) -> int:
    written = 0
    writer: pq.ParquetWriter | pacsv.CSVWriter
    if cfg.events_format == "csv":
        writer = pacsv.CSVWriter(path, EVENTS_SCHEMA)
    else:
        writer = pq.ParquetWriter(path, EVENTS_SCHEMA, compression="zstd")
    with writer:
        for chunk in event_chunks(cfg, shop, rng):
            writer.write_table(chunk)
            written += chunk.num_rows
            if progress:
                progress(ProgressUpdate("writing events", written, cfg.n_events))
    return written
