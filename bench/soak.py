"""`make soak`: a bounded stream through the local stack exactly as `make run` starts it (`hark up`, its own process).

    python -m bench.soak [--count N] [--rate R] [--hark PATH]     (SOAK_COUNT, SOAK_RATE; default 10,000 at 5/s)

Mixed platforms, 5 % redeliveries, 1 % hostile deliveries (a bad signature, a malformed body: a 4xx, never a 5xx),
sent at a fixed rate by the driver `make bench` uses (bench/load.py). When the last answer is in, it waits until the
stack's queues are drained (asked of its emulator), then checks every accepted message through the partner API:
lost, duplicated, webhook-to-task latency (p50/p95/p99), throughput, the stack's peak memory (its VmHWM). It stops
the stack and itself; the numbers go to bench/results/soak.json and docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench import load

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "reliability.md"
START, END = "<!-- soak:start -->", "<!-- soak:end -->"


def _env() -> dict[str, str]:
    return dict(os.environ)  # noqa: TID251 - the soak is an edge


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _up(base: str, limit_s: float = 180) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"the stack did not answer /health within {limit_s} s")


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM), read from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(found.group(1)) / 1024, 1) if found else None


class Watch:
    """The stack's resident memory, sampled every second (VmHWM is the peak; the samples show the trend)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-watch", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if found:
                self.samples.append(int(found.group(1)) / 1024)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def soak(count: int, rate: float, hark: str, settle_s: float = 300) -> dict[str, Any]:
    port, aws_port = _free(), _free()
    env = _env() | {"HARK_PORT": str(port), "HARK_AWS_PORT": str(aws_port), "PYTHONUNBUFFERED": "1"}
    log = (RESULTS / "soak-stack.log").open("w")
    stack = subprocess.Popen([hark, "up", "--no-demo"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    watch = Watch(stack.pid)
    try:
        _up(base)
        watch.start()
        import boto3

        sqs = boto3.session.Session().client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{aws_port}",
            aws_access_key_id="hark-local",
            aws_secret_access_key="hark-local",  # noqa: S106 - the local stack's throwaway credentials
        )
        urls = [sqs.get_queue_url(QueueName=f"hark-local-{q}")["QueueUrl"] for q in ("classify", "respond")]
        secrets = load.dev_secrets()
        items = load.plan(count, secrets)
        started = time.monotonic()
        sent, elapsed = load.drive(base, items, rate)
        # No batch callback from another process: drained queues, asked again after the idle time, mean done.
        drained = load.queues_drained(sqs, urls)

        def quiet() -> bool:  # drained, and still drained a moment later (a batch in flight comes back)
            if not drained():
                return False
            time.sleep(3)
            return drained()

        waited = load.settle(None, drained=quiet, limit_s=settle_s)
        verdict = load.verify(base, secrets.api_key, sent)
        result = verdict.summary(elapsed + waited)
        result.update(
            {
                "rate_per_s": rate,
                "send_s": round(elapsed, 1),
                "drain_s": round(waited, 1),
                "wall_s": round(time.monotonic() - started, 1),
                "acks_p95_ms": load.percentile([s.ack_ms for s in sent], 0.95),
                "peak_rss_mb": peak_rss_mb(stack.pid),
                "rss_end_mb": round(watch.samples[-1], 1) if watch.samples else None,
                "lost_ids": verdict.lost[:20],
                "command": f"make soak SOAK_COUNT={count} SOAK_RATE={rate:g}",
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average_at_end": os.getloadavg()[0],
            }
        )
        return result
    finally:
        watch.stop()
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait(timeout=10)
        log.close()


def write_doc(result: dict[str, Any], doc: Path = DOC) -> None:
    """The last soak's numbers into docs/reliability.md, between its markers (added at the end the first time)."""
    acks = result.get("acks_p95_ms")
    block = "\n".join(
        [
            START,
            f"Last soak: `{result['command']}` at {result['at']} (2 cores shared; load average "
            f"{result['load_average_at_end']:.1f} at its end).",
            "",
            "| deliveries | messages | lost | duplicated | hostile: 4xx / 5xx / accepted | throughput | "
            "webhook→task p50 / p95 / p99 | ack p95 | peak memory |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {result['deliveries']} | {result['messages']} | {result['lost']} | {result['duplicates']} | "
            f"{result['statuses'].get('hostile', {}).get('4xx', 0)} / {result['hostile_5xx']} / "
            f"{result['hostile_accepted']} | {result['throughput_per_s']} messages/s | "
            f"{result['p50_ms']} / {result['p95_ms']} / {result['p99_ms']} ms | "
            f"{round(acks) if acks is not None else '-'} ms | {result['peak_rss_mb']} MB |",
            END,
        ]
    )
    text = doc.read_text(encoding="utf-8")
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n## Load: the last soak\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    env = _env()
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=int(env.get("SOAK_COUNT", "10000")))
    parser.add_argument("--rate", type=float, default=float(env.get("SOAK_RATE", "5")))
    parser.add_argument("--hark", default=env.get("SOAK_HARK") or str(Path(sys.executable).with_name("hark")))
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/reliability.md")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = soak(args.count, args.rate, args.hark, settle_s=max(300.0, args.count / max(args.rate, 1)))
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not args.no_doc:
        write_doc(result)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=result["command"])
    for key in (
        "deliveries",
        "messages",
        "lost",
        "duplicates",
        "throughput_per_s",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "acks_p95_ms",
        "hostile_5xx",
        "hostile_accepted",
        "peak_rss_mb",
        "wall_s",
    ):
        table.add_row(key, str(result[key]))
    table.add_row("statuses", json.dumps(result["statuses"]))
    table.add_row("genuine refused (4xx/5xx)", json.dumps(result.get("genuine_refused", {})))
    Console().print(table)
    # A genuine delivery answered 5xx or not at all is not "lost" (nothing was acknowledged, the platform retries)
    # but it is a failure of the receiver all the same: the soak fails on it too.
    refused = sum(
        result["statuses"].get(kind, {}).get(status, 0)
        for kind in ("message", "duplicate")
        for status in ("5xx", "error")
    )
    Console().print(f"genuine deliveries answered 5xx or not at all: {refused}")
    ok = result["lost"] == 0 and result["duplicates"] == 0 and result["hostile_5xx"] == 0 and refused == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
