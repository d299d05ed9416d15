"""Issue #2: the command line, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXE = [sys.executable, "-m", "tailorwise.cli"]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*EXE, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300
    )


def test_ingest_then_stats_json(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(
        "user_id,item_id,type,timestamp,value\nu1,i1,rating,2024-01-01,4\nu2,i1,view,2024-02-01,\n",
        encoding="utf-8",
    )
    ingest = run("ingest", "e.csv", "--format", "events", cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert (tmp_path / "tailorwise.duckdb").exists(), "the default store is ./tailorwise.duckdb"
    stats = run("stats", "--json", cwd=tmp_path)
    summary = json.loads(stats.stdout)
    assert summary["counts"]["events"] == 2
    assert summary["first_event"].startswith("2024-01-01")
    assert sorted(t["type"] for t in summary["event_types"]) == ["rating", "view"]
    assert summary["top_items"][0] == {"item_id": "i1", "title": None, "events": 2, "users": 2}


def test_db_from_environment(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(
        "user_id,item_id,type,timestamp\nu1,i1,view,2024-01-01\n", encoding="utf-8"
    )
    env = {"TAILORWISE_DB": str(tmp_path / "other.duckdb")}
    assert run("ingest", "e.csv", "-f", "events", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "other.duckdb").exists()
    assert not (tmp_path / "tailorwise.duckdb").exists()


def test_bad_file_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(
        "user_id,item_id,type,timestamp\nu1,i1,view,2024-01-01\nu2,i2,view,not-a-date\n",
        encoding="utf-8",
    )
    result = run("ingest", "bad.csv", "-f", "events", "--db", "s.duckdb", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.csv, row 3, column 'timestamp'" in result.stderr
    assert "Traceback" not in result.stderr
    skip = run(
        "ingest",
        "bad.csv",
        "-f",
        "events",
        "--db",
        "s.duckdb",
        "--on-error",
        "skip",
        "--json",
        cwd=tmp_path,
    )
    assert skip.returncode == 0, skip.stderr
    report = json.loads(skip.stdout)
    assert report["files"][0]["loaded"] == 1 and report["files"][0]["rejected"] == 1
    lines = Path(report["rejects_path"]).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith("bad.csv,3,timestamp,")


def test_unknown_format_and_store_scheme(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("x\n1\n", encoding="utf-8")
    fmt = run("ingest", "e.csv", "-f", "nope", cwd=tmp_path)
    assert fmt.returncode == 1 and "unknown format 'nope'" in fmt.stderr
    url = run("stats", "--db", "mysql://x/y", cwd=tmp_path)
    assert url.returncode == 1 and "unknown store URL scheme" in url.stderr


def test_read_only_commands_do_not_create_a_store(tmp_path: Path) -> None:
    """Issue #14: `stats --db typo.duckdb` made an empty file and exited 0."""
    for command in ("stats", "train", "evaluate"):
        result = run(command, "--db", "typo.duckdb", cwd=tmp_path)
        assert result.returncode == 1, (command, result.stdout)
        assert "no store at 'typo.duckdb': run `tailorwise ingest` first" in result.stderr
    assert not (tmp_path / "typo.duckdb").exists()


def test_version() -> None:
    result = run("--version", cwd=Path.cwd())
    assert result.returncode == 0 and result.stdout.strip() == "tailorwise 0.1.0"


def test_store_compact(tmp_path: Path) -> None:
    rows = [f"u{i % 300},i{i % 500},view,2024-01-01" for i in range(50_000)]
    (tmp_path / "e.csv").write_text(
        "user_id,item_id,type,timestamp\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    for _ in range(3):
        assert run("ingest", "e.csv", "--format", "events", cwd=tmp_path).returncode == 0
    result = run("store", "compact", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("compacted ./tailorwise.duckdb: ") and "MiB ->" in result.stdout
    stats = json.loads(run("stats", "--json", cwd=tmp_path).stdout)
    assert stats["counts"]["events"] == 50_000
