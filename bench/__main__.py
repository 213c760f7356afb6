"""`make bench`: Hark against the physical floor where it runs code, and against the naive design where it spends.

    python -m bench [ingest cold_start e2e package analyzer ...]   (default: all but first_view)

- ingest: the ingest Lambda's handler in process, AWS answered before any request leaves, against verify + parse
  of the same bodies measured in the same run; a single-message and a 100-message Meta delivery;
- cold_start: each entry point in fresh interpreters (import, composition root, its clients) against
  `import boto3` and the same clients;
- e2e: a mixed stream (bench/load.py, the driver `make soak` uses) over real HTTP through the local stack as
  `make run` starts it, with the default `tiered` analyzer (Comprehend answered by canned responses, so its calls
  and units are counted, not its accuracy); throughput, webhook-to-task latency, lost, duplicated; AWS requests per
  message by service, counted with botocore event hooks; from those counts the cost per million messages
  (devstack/cost.py) for Hark and the naive design;
- comprehend: the default `tiered` policy's Comprehend units per message, routed to a human or not, against every
  API on every message (in process, canned answers);
- package: the Lambda packages (`make package`) against the 50/250 MB limits;
- analyzer, analyzer_cold: the local analyzer per message and in fresh interpreters;
- first_view: the command center's first view in Chromium (bench/first_view.py; not in the default set).

Results: a table on the terminal and bench/results/latest.json. Every part is bounded in count and time
(BENCH_MESSAGES, BENCH_RATE override the end-to-end stream).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _env() -> dict[str, str]:
    return dict(os.environ)  # noqa: TID251 - the benchmark is an edge


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "max_ms": round(ordered[-1], 3),
    }


def analyzer() -> dict[str, Any]:
    from bench.load import texts
    from services.classify.analyzers.base import Document
    from services.classify.analyzers.local import LocalAnalyzer

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    local = LocalAnalyzer()
    load_ms = (time.perf_counter() - started) * 1000
    local.analyze_one(Document("warm", "warm up the language detector"))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    samples = []
    pool = texts()
    for round_ in range(10):
        for n, text in enumerate(pool):
            t0 = time.perf_counter()
            local.analyze_one(Document(f"{round_}-{n}", f"{text} #{round_}"))
            samples.append((time.perf_counter() - t0) * 1000)
    models = ROOT / "services" / "classify" / "models"
    return {
        "per_message": summary(samples),
        "model_load_ms": round(load_ms, 1),
        "memory_mb_after_first_message": round((after - before) / 1024, 1),
        "model_files_mb": round(sum(p.stat().st_size for p in models.iterdir() if p.is_file()) / 1e6, 2),
        "target_ms": 2.0,
    }


ANALYZER_COLD = r"""
import json, time
t0 = time.perf_counter()
from services.classify.analyzers.base import Document
from services.classify.analyzers.local import LocalAnalyzer
t1 = time.perf_counter()
local = LocalAnalyzer()
t2 = time.perf_counter()
local.analyze_one(Document("first", "I had a seizure after taking your pill, call me on +1 415 555 0132"))
t3 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "models_ms": (t2 - t1) * 1000, "first_message_ms": (t3 - t2) * 1000}))
"""


def analyzer_cold(runs: int = 3) -> dict[str, Any]:
    rows = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", ANALYZER_COLD],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PATH": _env().get("PATH", "")},
            timeout=120,
            check=True,
        )
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {"runs": runs, **{key: round(statistics.median(r[key] for r in rows), 1) for key in rows[0]}}


class _Timings:
    """Invocations and their durations per function (wrapping the local Lambda runtime's invoke)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.invocations: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.memory_mb: dict[str, int] = {}
        self.enabled = True

    def install(self) -> None:
        from devstack.lambda_runtime import Function

        original = Function.invoke
        timings = self

        def invoke(function: Any, event: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(function, event)
            finally:
                if timings.enabled and not threading.current_thread().name.startswith("schedule-"):
                    with timings.lock:
                        timings.invocations[function.spec.key] += 1
                        timings.seconds[function.spec.key] += time.perf_counter() - t0
                        timings.memory_mb[function.spec.key] = function.spec.memory_mb

        Function.invoke = invoke  # type: ignore[method-assign]

    def gb_s(self) -> float:
        return sum(self.seconds[k] * self.memory_mb[k] / 1024 for k in self.seconds)


# What a deployed function logs per message at the default INFO level: about two structured lines of ~500 bytes in
# each of ingest, classify and respond (an assumption, not measured: the local stack logs at WARNING).
LOG_BYTES_PER_MESSAGE = 3 * 2 * 500


def e2e(messages: int | None = None, rate: float | None = None) -> dict[str, Any]:
    """The mixed stream through the local stack in this process, AWS calls counted while it flows."""
    import socket

    from bench import calls, load
    from devstack import cost

    count = messages or int(_env().get("BENCH_MESSAGES", "400"))
    per_s = rate or float(_env().get("BENCH_RATE", "8"))
    counter = calls.install()
    timings = _Timings()
    timings.install()
    os.environ["HARK_ANALYZER"] = "tiered"  # noqa: TID251 - the default in AWS; Comprehend answered by the counter

    from devstack.stack import LocalStack, StackOptions
    from shared.aws import client
    from shared.settings import Settings

    def free() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    quiet = load.Quiet()
    stack = LocalStack(StackOptions(port=free(), aws_port=free()), on_batch=quiet.on_batch)
    stack.start()
    try:
        assert stack.provisioned is not None
        secrets = load.dev_secrets()
        items = load.plan(count, secrets)
        drained = load.queues_drained(client("sqs", Settings.from_env(_env())), stack.provisioned.queue_urls.values())
        with calls.answering(counter, calls.comprehend):
            # Warm every function (cold starts are measured apart) before counting.
            warmup = load.plan(16, secrets, duplicate_share=0, hostile_share=0, run=str(int(time.time()) - 100_000))
            load.drive(stack.url, warmup, 8)
            load.settle(quiet, drained=drained)
            counter.reset()
            timings.invocations.clear()
            timings.seconds.clear()
            sent, elapsed = load.drive(stack.url, items, per_s)
            waited = load.settle(quiet, drained=drained)
        counter.enabled = timings.enabled = False
        verdict = load.verify(stack.url, secrets.api_key, sent)
    finally:
        stack.stop()
    result = verdict.summary(elapsed + waited)
    result.update({"rate_per_s": per_s, "send_s": round(elapsed, 1), "drain_s": round(waited, 1)})
    n = max(1, verdict.messages)
    functions = dict(counter.functions)
    by_service = counter.by_service()
    mapping = counter.by_service(counter.mapping)
    texts = [len(t) for t in load.texts()]
    hark = cost.Usage(
        api_requests=len(sent) / n,
        lambda_invocations=sum(timings.invocations[k] for k in ("ingest-api", "classify", "respond")) / n,
        lambda_gb_s=timings.gb_s() / n,
        comprehend_units=counter.units["comprehend_units"] / n,
        dynamodb_wru=counter.units["dynamodb_wru"] / n,
        dynamodb_rru=counter.units["dynamodb_rru"] / n,
        sqs_requests=(by_service.get("sqs", 0) + mapping.get("sqs", 0)) / n,
        s3_puts=functions.get("s3.PutObject", 0) / n,
        sns_publishes=functions.get("sns.Publish", 0) / n,
        secretsmanager_calls=functions.get("secretsmanager.GetSecretValue", 0) / n,
        log_bytes=LOG_BYTES_PER_MESSAGE,
        note="measured by make bench (local stack, tiered analyzer, Comprehend answered)",
    )
    naive = cost.naive(texts, len(sent) / n)
    outside = {k: v for k, v in by_service.items() if k != "comprehend"}
    return {
        "e2e": result,
        "aws_calls_per_message": {
            **{k: round(v / n, 3) for k, v in by_service.items()},
            "total_outside_comprehend": round(sum(outside.values()) / n, 2),
            "event_source_mapping": {k: round(v / n, 3) for k, v in mapping.items()},
            "by_operation": {k: round(v / n, 3) for k, v in sorted(counter.resources.items())},
        },
        "usage_per_message": {"hark": _rounded(hark), "naive": _rounded(naive)},
        "lambda": {
            k: {
                "invocations_per_message": round(timings.invocations[k] / n, 3),
                "mean_ms": round(1000 * timings.seconds[k] / max(1, timings.invocations[k]), 1),
            }
            for k in sorted(timings.invocations)
        },
        "cost_per_million_usd": {
            "hark": hark.per_million()["total"],
            "naive": naive.per_million()["total"],
            "hark_lines": hark.per_million(),
            "naive_lines": naive.per_million(),
        },
    }


def _rounded(usage: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(usage).items()}


def _part(name: str) -> Callable[[], dict[str, Any]]:
    from bench import parts

    return {
        "ingest": parts.ingest,
        "cold_start": parts.cold_start,
        "package": parts.package_mb,
        "comprehend": parts.comprehend,
        "analyzer": analyzer,
        "analyzer_cold": analyzer_cold,
        "first_view": lambda: __import__("bench.first_view", fromlist=["first_view"]).first_view(),
    }[name]


DEFAULT = ("ingest", "cold_start", "comprehend", "e2e", "package", "analyzer")


def peak_rss() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"bench_process": round(own, 1), "largest_child": round(children, 1)}


def run(chosen: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average_at_start": os.getloadavg()[0],
        }
    }
    results["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    timing: dict[str, float] = {}
    # The cheap, in-process parts first; e2e (which starts the stack) after them.
    for name in [c for c in chosen if c != "e2e"] + [c for c in chosen if c == "e2e"]:
        started = time.perf_counter()
        if name == "e2e":
            results.update(e2e())
        elif name == "package":
            results["package_mb"] = _part(name)()
        else:
            results[name] = _part(name)()
        timing[name] = round(time.perf_counter() - started, 1)
        print(f"{name}: done in {timing[name]} s", flush=True)
    results["seconds"] = timing
    _at_reference_mix(results)
    peaks = {k: v["rss_after_init_mb"] for k, v in results.get("cold_start", {}).items()}
    results["peak_rss_mb"] = {**peaks, **peak_rss()}
    return results


def _at_reference_mix(results: dict[str, Any]) -> None:
    """Hark's cost per million had the stream had the reference's share of messages that need a human (the
    end-to-end usage with the tiered units per routed and per other message from the comprehend part)."""
    from devstack import cost

    money, usages, units = results.get("cost_per_million_usd"), cost.usage_from(results), cost.tiered_from(results)
    if money is None or usages is None or units is None:
        return
    at = cost.with_routed_share(usages[0], units, cost.REFERENCE_ROUTED_SHARE)
    money["routed_share_measured"] = units.routed_share
    money["hark_at_reference_routed_share"] = at.per_million()["total"]
    money["reference_routed_share"] = cost.REFERENCE_ROUTED_SHARE


def table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Table(title="make bench", show_lines=False)
    for column in ("measure", "Hark", "floor / naive", "ratio", "target"):
        out.add_column(column)
    ingest = results.get("ingest")
    if ingest:
        for label in ("single", "batch_100"):
            row = ingest[label]
            out.add_row(
                f"ingest handler, {label} (µs)",
                f"{row['p50_us']:.0f}",
                f"{row['floor_p50_us']:.0f}",
                f"{row['ratio']}x",
                "≤ 25x",
            )
    for key, row in (results.get("cold_start") or {}).items():
        out.add_row(f"init {key} (ms)", f"{row['init_ms']:.0f}", f"{row['floor_ms']:.0f}", f"{row['ratio']}x", "≤ 1.3x")
    e2e = results.get("e2e")
    if e2e:
        out.add_row("e2e throughput (messages/s)", str(e2e["throughput_per_s"]), "", "", "≥ 100")
        out.add_row("e2e webhook→task p50 / p95 (ms)", f"{e2e['p50_ms']} / {e2e['p95_ms']}", "", "", "p95 ≤ 2000")
        out.add_row("e2e lost / duplicated", f"{e2e['lost']} / {e2e['duplicates']}", "", "", "0 / 0")
    calls = results.get("aws_calls_per_message")
    if calls:
        shown = ", ".join(
            f"{k} {v}" for k, v in calls.items() if isinstance(v, float | int) and k != "total_outside_comprehend"
        )
        out.add_row(
            "AWS requests per message", str(calls["total_outside_comprehend"]), shown, "", "≤ 4 (not Comprehend)"
        )
    tiered = results.get("comprehend")
    if tiered:
        out.add_row(
            "Comprehend units / message (tiered)",
            f"{tiered['tiered']['units_per_message']} (routed {tiered['units_routed']}, rest {tiered['units_not_routed']})",
            f"{tiered['comprehend']['units_per_message']} (every API)",
            f"routed {tiered['routed_share']:.0%}",
            "",
        )
    money = results.get("cost_per_million_usd")
    if money:
        out.add_row(
            "cost per million messages ($)",
            f"{money['hark']:.2f}"
            + (
                f" ({money['hark_at_reference_routed_share']:.2f} at {money['reference_routed_share']:.0%} routed)"
                if "hark_at_reference_routed_share" in money
                else ""
            ),
            f"{money['naive']:.2f}",
            f"{money['hark'] / money['naive']:.3f}",
            "≤ 100 vs ≈ 1,800",
        )
    for name, row in (results.get("package_mb") or {}).items():
        if isinstance(row, dict) and "unzipped_with_layers" in row:
            out.add_row(
                f"package {name} (MB)",
                f"{row['zipped_with_layers']} zip / {row['unzipped_with_layers']}",
                "50 / 250",
                "",
                "under the limits",
            )
    Console().print(out)


def main(argv: list[str]) -> int:
    chosen = argv or list(DEFAULT)
    results = run(chosen)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table(results)
    print(f"wrote {(RESULTS / 'latest.json').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
