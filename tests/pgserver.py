"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, start, stop, remove.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user (through ``runuser``); as any other user it runs as that user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Durability is useless for a throwaway cluster; these make it several times faster.
_FAST = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=50 -c shared_buffers=32MB"
)
_PG_USER = "postgres"


def _as_server_user() -> list[str]:
    runuser = shutil.which("runuser")
    return [runuser, "-u", _PG_USER, "--"] if os.geteuid() == 0 and runuser else []


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    missing = [b for b in ("initdb", "pg_ctl") if shutil.which(b) is None]
    if missing:
        return f"PostgreSQL is not installed ({', '.join(missing)} not on PATH)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root and 'runuser' is missing (PostgreSQL will not run as root)"
        try:
            pwd.getpwnam(_PG_USER)
        except KeyError:
            return f"running as root and there is no '{_PG_USER}' user to run PostgreSQL as"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_as_server_user(), *args], capture_output=True, text=True, timeout=120, check=False
    )


@dataclass
class PgServer:
    """A running cluster on 127.0.0.1 with trust authentication."""

    root: Path
    port: int
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_PG_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"tw_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        _run([_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


def _bin(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not on PATH")
    return path


def start_server(attempts: int = 3) -> PgServer:
    """initdb a cluster in a new temp dir and start it on a free port."""
    root = Path(tempfile.mkdtemp(prefix="tailorwise-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if _as_server_user():
        user = pwd.getpwnam(_PG_USER)
        for path in (root, sock):
            os.chown(path, user.pw_uid, user.pw_gid)
    init = _run(
        [
            _bin("initdb"),
            "-D",
            str(data),
            "-U",
            _PG_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    log = root / "server.log"
    for _ in range(attempts):  # another process may grab the port between pick and bind
        port = _free_port()
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 {_FAST}"
        ctl = _run(
            [_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", opts, "start"]
        )
        if ctl.returncode == 0:
            return PgServer(root, port)
    text = log.read_text(errors="replace")[-2000:] if log.exists() else ctl.stderr
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"pg_ctl start failed:\n{ctl.stdout}\n{ctl.stderr}\n{text}")
