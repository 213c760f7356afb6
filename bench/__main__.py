"""`make bench`: speed and memory of the parts that have targets, measured on this machine.

    python -m bench [analyzer|analyzer_cold|cold|ingest|e2e ...]

- analyzer: the local analyzer per message on one core (target: at most 2 ms), its memory and model files (target:
  at most 20 MB);
- analyzer_cold: the local analyzer alone in fresh interpreters: import and model load (part of the Lambda's
  init), then the drug lexicon and the first message (loaded on first use);
- cold: a classify Lambda's cold start in fresh interpreters: importing the entry module, building the composition
  root (target: init at most 300 ms), and the first batch (which loads lingua's language models);
- ingest: signed webhook deliveries through the local API Gateway stand-in into the emulator (archived, queued):
  single GitHub deliveries one at a time, and 100- and 400-message Meta batches at handler level; then 400-message
  Meta batches over real HTTP on the whole local stack as `make run` starts it, with classify and respond working
  meanwhile (target: acknowledged within 3 s, Slack's and Discord's deadline; every message stored);
- e2e: from a partner submission over real HTTP to its task in the API, on the whole local stack;
- first_view: the command center's first view in Chromium (bench/first_view.py, which also compares two builds).
Each part is bounded in count and time. Results go to the terminal and to bench/results.json.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    json.loads(line)["text"]
    for name in ("train.jsonl", "checks.jsonl")
    for line in (ROOT / "ml" / "examples" / name).read_text(encoding="utf-8").splitlines()
    if line.strip()
]


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
    from services.classify.analyzers.base import Document
    from services.classify.analyzers.local import LocalAnalyzer

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    local = LocalAnalyzer()
    load_ms = (time.perf_counter() - started) * 1000
    local.analyze_one(Document("warm", "warm up the language detector"))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    samples = []
    for round_ in range(20):
        for n, text in enumerate(TEXTS):
            document = Document(f"{round_}-{n}", f"{text} #{round_}")
            t0 = time.perf_counter()
            local.analyze_one(document)
            samples.append((time.perf_counter() - t0) * 1000)
    models = ROOT / "services" / "classify" / "models"
    return {
        "per_message": summary(samples),
        "model_load_ms": round(load_ms, 1),
        "memory_mb_after_first_message": round((after - before) / 1024, 1),
        "model_files_mb": round(sum(p.stat().st_size for p in models.iterdir() if p.is_file()) / 1e6, 2),
        "target_ms": 2.0,
        "target_model_files_mb": 20,
    }


ANALYZER_COLD = r"""
import json, time
t0 = time.perf_counter()
from services.classify.analyzers.base import Document
from services.classify.analyzers.local import LocalAnalyzer
t1 = time.perf_counter()
local = LocalAnalyzer()
t2 = time.perf_counter()
local.drugs
t3 = time.perf_counter()
local.analyze_one(Document("first", "I had a seizure after taking your pill, call me on +1 415 555 0132"))
t4 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "models_ms": (t2 - t1) * 1000, "drug_lexicon_ms": (t3 - t2) * 1000,
                  "first_message_ms": (t4 - t3) * 1000}))
"""


def analyzer_cold(runs: int = 5) -> dict[str, Any]:
    """The local analyzer alone in fresh interpreters: importing it, loading its models (part of the Lambda's init),
    then building the drug lexicon and the first message (lingua's and VADER's lazy loads) on the first batch."""
    rows = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", ANALYZER_COLD],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", "")},  # noqa: TID251 - the benchmark is an edge
            timeout=120,
            check=True,
        )
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    medians = {key: round(statistics.median(r[key] for r in rows), 1) for key in rows[0]}
    medians["init_ms"] = round(medians["import_ms"] + medians["models_ms"], 1)
    return {"runs": runs, **medians}


COLD = r"""
import json, os, sys, time
t0 = time.perf_counter()
import services.classify.app as entry
t1 = time.perf_counter()
from services.classify import bootstrap
root = bootstrap.root.get()
t2 = time.perf_counter()
from datetime import datetime, timezone
from shared.events import Author, Mention
now = datetime.now(timezone.utc)
batch = [Mention(id=f"m{i}", platform="generic", channel="bench", kind="comment", native_id=str(i), thread_id=str(i),
                 author=Author(id="a"), text=t, created_at=now, received_at=now) for i, t in enumerate(json.loads(sys.argv[1]))]
root.service.classifier.classify(batch, now)
t3 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "root_ms": (t2 - t1) * 1000, "first_batch_ms": (t3 - t2) * 1000}))
"""


def cold(runs: int = 5) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", ""),  # noqa: TID251 - the benchmark is an edge
        "HARK_STAGE": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing is called: building the root makes no request
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    batch = json.dumps(TEXTS[:10])
    rows = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", COLD, batch],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
            check=True,
        )
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    medians = {key: round(statistics.median(r[key] for r in rows), 1) for key in rows[0]}
    medians["init_ms"] = round(medians["import_ms"] + medians["root_ms"], 1)
    return {"runs": runs, **medians, "target_init_ms": 300}


def _drain(sqs: Any, url: str) -> None:
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


def _meta_batch(size: int, tag: str) -> bytes:
    from devstack.signing import meta_body

    now_ms = int(time.time() * 1000)
    messaging = [
        {
            "sender": {"id": f"psid-{tag}-{n}"},
            "recipient": {"id": "1"},
            "timestamp": now_ms,
            "message": {"mid": f"mid.{tag}.{n}", "text": f"Where is my order {n}? It never arrived."},
        }
        for n in range(size)
    ]
    return meta_body({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": messaging}]})


def ingest(deliveries: int = 300, batch_sizes: tuple[int, ...] = (100, 400), rounds: int = 5) -> dict[str, Any]:
    from moto.server import ThreadedMotoServer
    from werkzeug.test import Client

    from devstack.emulator import speed_up
    from devstack.front import Gateway
    from devstack.lambda_runtime import Function
    from devstack.provision import provision
    from devstack.signing import github_headers
    from shared.resources import INGEST_API, RESPOND_API
    from shared.secrets import EnvSecrets, to_document
    from shared.settings import Settings, dev_platform_secret

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    speed_up()  # as the local stack does
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
        "HARK_STAGE": "local",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)  # noqa: TID251 - the benchmark is the edge that configures the functions
    try:
        import boto3

        settings = Settings.from_env(env)
        clients = {
            name: boto3.session.Session().client(name, endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1")
            for name in ("dynamodb", "sqs", "secretsmanager", "s3")
        }
        provisioned = provision(clients, "local", to_document(EnvSecrets(settings).get()))
        os.environ.update(provisioned.env)  # noqa: TID251
        http = Client(Gateway([Function(INGEST_API), Function(RESPOND_API)]))
        template = json.loads((ROOT / "tests/fixtures/webhooks/github/issue_comment__created.payload.json").read_text())
        samples = []
        started = time.perf_counter()
        for n in range(deliveries):
            template["comment"]["id"] = 10_000 + n
            template["comment"]["node_id"] = f"IC_bench{n}"
            body = json.dumps(template).encode()
            headers = github_headers(body, dev_platform_secret("github"), "issue_comment")
            t0 = time.perf_counter()
            response = http.post("/webhooks/github", data=body, headers=headers)
            samples.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise RuntimeError(response.get_data(as_text=True))
            if n % 50 == 49:  # drain as a consumer would
                _drain(clients["sqs"], provisioned.queue_urls["classify"])
        elapsed = time.perf_counter() - started
        result: dict[str, Any] = {
            "per_delivery": summary(samples),
            "deliveries_per_s": round(deliveries / elapsed, 1),
        }
        for size in batch_sizes:
            queue_url = provisioned.queue_urls["classify"]
            result[f"meta_batch_{size}"] = _handler_batches(http, clients["sqs"], queue_url, size, rounds)
    finally:
        server.stop()
        _forget_services()
    result["meta_batch_400_http"] = ingest_http()
    return result


def _handler_batches(http: Any, sqs: Any, queue_url: str, size: int, rounds: int) -> dict[str, float]:
    """Meta batches through the gateway into the ingest function (archive and queue on the emulator)."""
    from devstack.signing import meta_headers
    from shared.settings import dev_platform_secret

    acks = []
    for round_ in range(rounds):
        body = _meta_batch(size, f"h{size}-{round_}")
        t0 = time.perf_counter()
        response = http.post("/webhooks/meta", data=body, headers=meta_headers(body, dev_platform_secret("meta")))
        acks.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200 or response.json["accepted"] != size:
            raise RuntimeError(response.get_data(as_text=True))
        _drain(sqs, queue_url)
    return summary(acks)


def ingest_http(size: int = 400, rounds: int = 3, settle_s: float = 240) -> dict[str, Any]:
    """`size`-message Meta batches over real HTTP on the local stack, classify and respond running: how long each
    took to acknowledge, and until every message of it was stored (all rounds bounded by `settle_s`)."""
    import socket
    import urllib.request

    from devstack.signing import meta_headers
    from devstack.stack import LocalStack, StackOptions
    from shared.settings import DEV_API_KEY, dev_platform_secret

    def free() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def found(mention_ids: list[str]) -> bool:
        for mention_id in mention_ids:
            request = urllib.request.Request(
                stack.url + f"/v1/mentions/{mention_id}", headers={"x-api-key": DEV_API_KEY}
            )
            try:
                with urllib.request.urlopen(request, timeout=10):
                    pass
            except urllib.error.HTTPError:
                return False
        return True

    def stored(mention_ids: set[str]) -> bool:
        # A sample first (asking for all 400 every second would load the stack being measured), then all of them.
        ordered = sorted(mention_ids)
        return found(ordered[:: max(1, len(ordered) // 20)]) and found(ordered)

    stack = LocalStack(StackOptions(port=free(), aws_port=free()))
    stack.start()
    acks, until_stored = [], []
    try:
        for round_ in range(rounds):
            body = _meta_batch(size, f"s{round_}-{time.time_ns()}")
            request = urllib.request.Request(
                stack.url + "/webhooks/meta", data=body, headers=meta_headers(body, dev_platform_secret("meta"))
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                receipt = json.loads(response.read())
            acks.append((time.perf_counter() - t0) * 1000)
            if receipt["accepted"] != size:
                raise RuntimeError(f"accepted {receipt['accepted']} of {size}")
            ids = set(receipt["mention_ids"])
            while not stored(ids):
                if time.perf_counter() - t0 > settle_s:
                    raise RuntimeError(f"not every mention was stored within {settle_s} s")
                time.sleep(1)
            until_stored.append(round(time.perf_counter() - t0, 1))
        return {"ack": summary(acks), "all_stored_s": until_stored, "target_ack_ms": 3000}
    finally:
        stack.stop()
        _forget_services()


def _forget_services() -> None:
    """Drop the services' composition roots and clients, which point at an emulator that is gone."""
    from services.classify import bootstrap as classify
    from services.ingest import bootstrap as ingest
    from services.respond import bootstrap as respond
    from shared.aws import reset_clients

    for root in (ingest.root, classify.root, respond.root):
        root.override(None)
    reset_clients()


def e2e(submissions: int = 20) -> dict[str, Any]:
    import socket
    import urllib.request

    from devstack.stack import LocalStack, StackOptions
    from shared.settings import DEV_API_KEY

    def free() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    stack = LocalStack(StackOptions(port=free(), aws_port=free()))
    stack.start()
    try:
        samples = []
        for n in range(submissions):
            payload = {
                "native_id": f"bench-{time.time_ns()}-{n}",
                "author": {"id": f"c{n}"},
                "text": "I was charged twice this month and nobody answers. I want my money back.",
            }
            request = urllib.request.Request(
                stack.url + "/v1/mentions",
                data=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json", "x-api-key": DEV_API_KEY},
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as response:
                mention_id = json.loads(response.read())["mentions"][0]["id"]
            while time.perf_counter() - t0 < 30:
                probe = urllib.request.Request(
                    stack.url + f"/v1/mentions/{mention_id}", headers={"x-api-key": DEV_API_KEY}
                )
                try:
                    with urllib.request.urlopen(probe, timeout=10) as response:
                        if json.loads(response.read()).get("task_id"):
                            break
                except urllib.error.HTTPError:
                    pass
                time.sleep(0.02)
            samples.append((time.perf_counter() - t0) * 1000)
        return {"submission_to_task": summary(samples)}
    finally:
        stack.stop()


PARTS: dict[str, Callable[[], dict[str, Any]]] = {
    "analyzer": analyzer,
    "analyzer_cold": analyzer_cold,
    "cold": cold,
    "ingest": ingest,
    "e2e": e2e,
    "first_view": lambda: __import__("bench.first_view", fromlist=["first_view"]).first_view(),
}


def main(argv: list[str]) -> int:
    chosen = argv or list(PARTS)
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    for name in chosen:
        started = time.perf_counter()
        results[name] = PARTS[name]()
        print(f"{name:9} ({time.perf_counter() - started:5.1f} s): {json.dumps(results[name])}", flush=True)
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
