"""PostgreSQL beside DuckDB at scale (issue #14): ingest and `stats` on N synthetic events.

The same synthetic shop (``tailorwise synth``) is ingested into a fresh DuckDB file and into
a throwaway PostgreSQL 15 cluster (started as the tests start theirs, with fsync off), then
each store's summary (what `tailorwise stats` prints) is timed. Peak RSS is this process's.

    .venv/bin/python benchmarks/store_scale.py [--events 5000000] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.pgserver starts the throwaway cluster

from tailorwise.ingest.job import ingest  # noqa: E402
from tailorwise.store import open_store  # noqa: E402
from tailorwise.synth import SynthConfig, generate  # noqa: E402
from tests.pgserver import start_server  # noqa: E402


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, folder: Path) -> dict[str, Any]:
    with open_store(url) as store:
        start = time.perf_counter()
        report = ingest(folder, "events", store)
        ingest_s = time.perf_counter() - start
        start = time.perf_counter()
        summary = store.summary()
        stats_s = time.perf_counter() - start
    return {
        "rows_loaded": report.loaded,
        "events": summary.counts["events"],
        "ingest_s": round(ingest_s, 2),
        "stats_s": round(stats_s, 2),
        "pairs_sparsity": summary.sparsity,
        "peak_rss_mib_so_far": round(peak_rss_mib()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/store-scale.json")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tw-scale-"))
    cfg = SynthConfig(n_users=200_000, n_items=50_000, n_events=args.events, seed=0)
    start = time.perf_counter()
    generate(cfg, folder)
    print(f"synth: {args.events:,} events in {time.perf_counter() - start:.1f}s", flush=True)
    results = {"duckdb": measure(str(folder / "store.duckdb"), folder)}
    print("duckdb", results["duckdb"], flush=True)
    server = start_server()
    try:
        results["postgresql"] = measure(server.create_database(), folder)
    finally:
        server.stop()
    print("postgresql", results["postgresql"], flush=True)
    out = {
        "events_asked": args.events,
        "results": results,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
