"""Ingest benchmark (issue #2): our validated ingest against DuckDB's plain read_csv.

Cases: the UCI Online Retail CSV (``--format online-retail``) and N synthetic
events from ``tailorwise synth`` as events.csv (``--format events``). Every
measured load runs in a fresh subprocess that reports its own wall time and
peak RSS; the baseline is ``CREATE TABLE t AS SELECT * FROM read_csv(FILE)``
into a fresh DuckDB file, on the same file, in the same run.

    .venv/bin/python benchmarks/ingest.py [--events 10000000] [--quick]
        [--skip-retail | --skip-events] [--on-error skip|fail] [--profile]

``--profile`` prints the seconds of each step of a load (the ingest's own
progress steps, plus opening and closing the store), medians over the runs;
the steps of every run are kept in the JSON either way.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RETAIL = REPO.parent / "shared" / "data" / "uci-online-retail" / "online_retail.csv.gz"
RATIO_TARGET = 2.0
RSS_TARGET_GIB = 4.0
LONG_RUN_S = 60.0  # above this, a case is timed once instead of --repeats times


# ---------------------------------------------------------------- child side
def _child(argv: list[str]) -> None:
    """Run one load in this process and print its time, rows, steps and peak RSS as JSON."""
    kind, path, db = argv[0], Path(argv[1]), Path(argv[2])
    # Imports happen before the clock starts: they are start-up, not load time.
    import duckdb

    from tailorwise.ingest.job import ingest
    from tailorwise.progress import ProgressUpdate
    from tailorwise.store.duckdb import DuckDBStore

    start = time.perf_counter()
    first = "CREATE TABLE t AS SELECT * FROM read_csv" if kind == "plain" else "open the store"
    marks: list[tuple[str, float]] = [(first, start)]
    one_pass = False
    if kind == "plain":
        con = duckdb.connect(str(db))
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        row = con.execute("SELECT count(*) FROM t").fetchone()
        rows = int(row[0]) if row else 0
        marks.append(("close (checkpoint)", time.perf_counter()))
        con.close()
    else:

        def mark(update: ProgressUpdate) -> None:
            marks.append((update.info, time.perf_counter()))

        with DuckDBStore(db) as store:
            marks.append(("load the input (format loader)", time.perf_counter()))
            report = ingest(
                path,
                argv[3],
                store,
                on_error=argv[4],
                rejects_path=db.with_suffix(".rejects.csv"),
                progress=mark,
            )
            marks.append(("close (checkpoint)", time.perf_counter()))
        rows = report.loaded + report.rejected + report.excluded
        one_pass = report.one_pass
    end = time.perf_counter()
    steps = [
        (label, t1 - t0)
        for (label, t0), (_, t1) in zip(marks, [*marks[1:], ("", end)], strict=True)
    ]
    print(
        json.dumps(
            {
                "seconds": end - start,
                "rows": rows,
                "peak_rss_mib": peak_rss_mib(),
                "one_pass": one_pass,
                "steps": steps,
            }
        )
    )


def peak_rss_mib() -> float:
    """Peak RSS of this process image. Unlike ``ru_maxrss``, VmHWM does not inherit
    the high-water mark of the parent that forked us (which generated the data)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------- parent side
@dataclass
class Runs:
    seconds: list[float] = field(default_factory=list)
    peak_rss_mib: list[float] = field(default_factory=list)
    rows: int = 0
    one_pass: list[bool] = field(default_factory=list)
    steps: list[list[tuple[str, float]]] = field(default_factory=list)  # per run

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    def summary(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "median_s": self.median_s,
            "rows_per_s": self.rows / self.median_s,
            "max_peak_rss_mib": max(self.peak_rss_mib),
        }


@dataclass
class Case:
    name: str
    path: Path  # what our ingest reads (a file or a folder)
    fmt: str
    csv: Path  # what the plain DuckDB baseline reads
    rows: int  # rows of the measured CSV
    ours: Runs = field(default_factory=Runs)
    plain: Runs = field(default_factory=Runs)
    generate: dict[str, float] = field(default_factory=dict)


def _measure(work: Path, runs: Runs, args: list[str]) -> float:
    db = work / "bench.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--child", args[0], args[1], str(db), *args[2:]]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=work)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    runs.seconds.append(result["seconds"])
    runs.peak_rss_mib.append(result["peak_rss_mib"])
    runs.rows = result["rows"]
    runs.one_pass.append(result["one_pass"])
    runs.steps.append([(str(label), float(sec)) for label, sec in result["steps"]])
    db.unlink(missing_ok=True)
    return float(result["seconds"])


def run_case(case: Case, work: Path, repeats: int, on_error: str) -> None:
    """Alternate ours and plain so that drift in machine load hits both alike."""
    print(f"== {case.name}", flush=True)
    n = repeats
    i = 0
    while i < n:
        ours = _measure(work, case.ours, ["ours", str(case.path), case.fmt, on_error])
        plain = _measure(work, case.plain, ["plain", str(case.csv)])
        path = "one pass" if case.ours.one_pass[-1] else "careful path"
        print(f"   run {i + 1}: ours {ours:.2f}s ({path}), plain {plain:.2f}s", flush=True)
        if i == 0 and ours > LONG_RUN_S:
            n = 1
        i += 1


# ------------------------------------------------------------------ the data
def synthetic_case(work: Path, events: int) -> Case:
    from tailorwise.synth import SynthConfig, generate

    cfg = SynthConfig(
        n_users=max(10, events // 100),
        n_items=max(10, events // 500),
        n_events=events,
        seed=0,
        events_format="csv",
        chunk_events=500_000,
    )
    folder = work / f"synth-{events}"
    marker = folder / "synth-config.json"
    gen: dict[str, float] = {}  # stays empty when the data of an earlier run is reused
    if not marker.exists() or marker.read_text() != cfg.model_dump_json():
        print(f"generating {events:,} synthetic events in {folder} ...", flush=True)
        start = time.perf_counter()
        generate(cfg, folder)
        marker.write_text(cfg.model_dump_json())
        gen = {"seconds": time.perf_counter() - start, "peak_rss_mib": peak_rss_mib()}
        print(
            f"   generated in {gen['seconds']:.1f}s, peak RSS {gen['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    ingest_dir = work / f"ingest-{events}"  # events.csv plus the small users/items files
    ingest_dir.mkdir(exist_ok=True)
    for name in ("users.parquet", "items.parquet", "events.csv"):
        link = ingest_dir / name
        if not link.exists():
            link.symlink_to(folder / name)
    case = Case(
        f"synthetic {events:,} events (events.csv)",
        ingest_dir,
        "events",
        folder / "events.csv",
        events,
    )
    case.generate = gen
    return case


def retail_case() -> Case | None:
    if importlib.util.find_spec("tailorwise.ingest.formats.online_retail") is None:
        print("skipping UCI Online Retail: the online-retail loader is not there yet", flush=True)
        return None
    if not RETAIL.exists():
        print(f"skipping UCI Online Retail: {RETAIL} not found", flush=True)
        return None
    return Case(
        "UCI Online Retail (online_retail.csv.gz)", RETAIL, "online-retail", RETAIL, 541_909
    )


# --------------------------------------------------------------- the report
def print_profile(case: Case) -> None:
    """Seconds per step of our load and of the plain one, medians over the runs."""
    for who, runs in (("ours", case.ours), ("plain", case.plain)):
        print(f"-- {case.name}, {who}: seconds per step (median of {len(runs.steps)} runs)")
        for n, (label, _) in enumerate(runs.steps[0]):
            times = [run[n][1] for run in runs.steps if len(run) > n and run[n][0] == label]
            print(f"   {statistics.median(times):7.3f}  {label}")
        print(f"   {runs.median_s:7.3f}  total")


def machine() -> dict[str, Any]:
    import duckdb

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def result_of(case: Case) -> dict[str, Any]:
    ratio = case.ours.median_s / case.plain.median_s
    paired = statistics.median(
        o / p for o, p in zip(case.ours.seconds, case.plain.seconds, strict=True)
    )
    rss_gib = max(case.ours.peak_rss_mib) / 1024
    return {
        "case": case.name,
        "format": case.fmt,
        "rows": case.rows,
        "ours": case.ours.summary(),
        "plain_duckdb": case.plain.summary(),
        "ratio": ratio,
        "paired_ratio_median": paired,
        "generate": case.generate,
        "ratio_target": RATIO_TARGET,
        "ratio_met": ratio <= RATIO_TARGET,
        "peak_rss_gib": rss_gib,
        "rss_target_gib": RSS_TARGET_GIB,
        "rss_met": rss_gib <= RSS_TARGET_GIB,
    }


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| case | rows | runs | ours (s) | ours rows/s | ours peak RSS | "
        "DuckDB read_csv (s) | DuckDB peak RSS | ratio ours/plain | paired ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        o, p = r["ours"], r["plain_duckdb"]
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {len(o['seconds'])} | {o['median_s']:.2f} | "
            f"{o['rows_per_s']:,.0f} | {o['max_peak_rss_mib']:,.0f} MiB | {p['median_s']:.2f} | "
            f"{p['max_peak_rss_mib']:,.0f} MiB | {r['ratio']:.2f}x | "
            f"{r['paired_ratio_median']:.2f}x |"
        )
    return "\n".join(lines)


def print_table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ingest: ours vs DuckDB read_csv (median of runs)")
    for col in (
        "case",
        "rows",
        "ours s",
        "rows/s",
        "ours RSS MiB",
        "plain s",
        "plain RSS MiB",
        "ratio",
        "targets",
    ):
        table.add_column(col, justify="left" if col in ("case", "targets") else "right")
    for r in results:
        o, p = r["ours"], r["plain_duckdb"]
        met = (
            ("ratio ok" if r["ratio_met"] else "ratio MISSED")
            + ", "
            + ("rss ok" if r["rss_met"] else "rss MISSED")
        )
        table.add_row(
            r["case"],
            f"{r['rows']:,}",
            f"{o['median_s']:.2f}",
            f"{o['rows_per_s']:,.0f}",
            f"{o['max_peak_rss_mib']:,.0f}",
            f"{p['median_s']:.2f}",
            f"{p['max_peak_rss_mib']:,.0f}",
            f"{r['ratio']:.2f}x",
            met,
        )
    Console(width=150).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1M events, one run each")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-retail", action="store_true")
    parser.add_argument("--skip-events", action="store_true", help="no synthetic events case")
    parser.add_argument(
        "--on-error", choices=("skip", "fail"), default="skip", help="our ingest's mode"
    )
    parser.add_argument("--profile", action="store_true", help="print seconds per step")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/tailorwise-bench"),
        help="scratch folder for generated data and stores",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/ingest.json")
    args = parser.parse_args()
    events, repeats = (1_000_000, 1) if args.quick else (args.events, args.repeats)
    args.work.mkdir(parents=True, exist_ok=True)
    cases = [] if args.skip_retail else [c for c in [retail_case()] if c]
    if not args.skip_events:
        cases.append(synthetic_case(args.work, events))
    for case in cases:
        run_case(case, args.work, repeats, args.on_error)
    if args.profile:
        for case in cases:
            print_profile(case)
    results = [result_of(c) | {"on_error": args.on_error} for c in cases]
    print_table(results)
    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "ingest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "results": results,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    else:
        main()
