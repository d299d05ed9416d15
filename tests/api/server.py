"""A real server process for the API tests: ``tailorwise serve`` on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

READ, WRITE = "reader-key", "writer-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``tailorwise serve`` over ``db`` and ``models`` until ``stop``/``kill``."""

    def __init__(self, db: Path, models: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TAILORWISE_API_KEYS": f"{READ}:read,{WRITE}:read+write"}
        self.log = db.with_suffix(f".{self.port}.log")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tailorwise.cli",
                "serve",
                "--db",
                str(db),
                "--model-dir",
                str(models),
                "--port",
                str(self.port),
                *extra,
            ],
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_up()

    def _wait_up(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"server not up after {seconds} s: {self.log.read_text()}")

    def client(self, key: str | None = READ) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)
