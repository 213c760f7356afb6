"""`hark up` in its own process for the tests that need the whole local stack: free ports on 127.0.0.1, a clean
environment, its output in a log file, ready once /health answers, stopped by its own pid.

The output goes to a file, not a pipe: a pipe nobody reads fills at 64 KiB, and then the stack blocks on its next
log line and every request to it hangs (a long browser or e2e module printed that much)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    url: str
    process: subprocess.Popen[bytes]
    aws_port: int
    log: Path | None  # None: the caller asked for a pipe, and reads (or closes) it
    owns_log: bool = False  # a temporary file of ours, removed at the stop

    def output(self, last: int | None = 6000) -> str:
        """What the stack printed (its last `last` characters)."""
        text = self.log.read_text(errors="replace") if self.log else ""
        return text[-last:] if last else text


def start(
    env: Mapping[str, str] | None = None,
    options: Sequence[str] = (),
    *,
    demo: bool = False,
    log: Path | None = None,
    pipe: bool = False,
    keep: Sequence[str] = (),
    ready_within: float = 90,
) -> Running:
    """The stack, answering. `env` is added to the caller's environment without its HARK_, AWS_ and POWERTOOLS_
    settings (but those named in `keep`), so a developer's shell never changes what a test sees."""
    port, aws_port = free_port(), free_port()
    clean = {k: v for k, v in os.environ.items() if k in keep or not k.startswith(("HARK_", "AWS_", "POWERTOOLS_"))}
    command = [sys.executable, "-m", "devstack", "up", "--port", str(port), "--aws-port", str(aws_port), *options]
    if not demo:
        command.append("--no-demo")
    owns_log = log is None and not pipe
    if owns_log:
        handle, name = tempfile.mkstemp(prefix="hark-stack-", suffix=".log")
        os.close(handle)
        log = Path(name)
    with log.open("wb") if log else open(os.devnull, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**clean, "COLUMNS": "200", **(env or {})},
            stdout=subprocess.PIPE if pipe else out,
            stderr=subprocess.STDOUT,
        )
    running = Running(f"http://127.0.0.1:{port}", process, aws_port, log, owns_log)
    deadline = time.monotonic() + ready_within
    while True:
        try:
            if requests.get(running.url + "/health", timeout=2).status_code == 200:
                return running
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = running.output()
            stop(running)
            raise RuntimeError(f"the local stack did not come up:\n{output}")
        time.sleep(0.2)


def stop(running: Running, grace: float = 20) -> None:
    """Terminate (the stack stops its workers and emulator on SIGTERM), then kill what is still there."""
    process = running.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if running.owns_log and running.log:
        running.log.unlink(missing_ok=True)
