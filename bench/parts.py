"""The measurements behind `make bench` that need no local stack: ingest against its floor, cold starts against
theirs, package sizes. Each is bounded in count and time."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared.resources import BUCKETS, FUNCTIONS, QUEUES, TABLES, TOPICS, FunctionSpec

ROOT = Path(__file__).resolve().parents[1]
# The entry points a message goes through, as CDK deploys them.
HANDLERS = ("ingest-api", "classify", "respond", "respond-api")


def stubbed_env(stage: str = "bench") -> dict[str, str]:
    """Every resource named (nothing exists: the call counter answers every request), secrets from the env."""
    env = {
        "HARK_STAGE": stage,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # never reached: every call is answered before it is sent
        "HARK_ANALYZER": "local",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    from shared.settings import DEV_API_KEY, dev_platform_secret

    for platform in ("meta", "github", "x", "slack", "telegram"):
        env[f"HARK_SECRET_{platform.upper()}"] = dev_platform_secret(platform)
    env["HARK_API_KEY"] = DEV_API_KEY
    for table in TABLES:
        env[table.env_var] = table.physical_name(stage)
    for queue in QUEUES:
        env[queue.env_var] = f"https://sqs.us-east-1.amazonaws.com/000000000000/{queue.physical_name(stage)}"
        env[queue.dlq_env_var] = f"https://sqs.us-east-1.amazonaws.com/000000000000/{queue.dlq_name(stage)}"
    for bucket in BUCKETS:
        env[bucket.env_var] = bucket.physical_name(stage)
    for topic in TOPICS:
        env[topic.env_var] = f"arn:aws:sns:us-east-1:000000000000:{topic.physical_name(stage)}"
    return env


def _p50_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 1)


def _meta_delivery(size: int, tag: str) -> bytes:
    from devstack.signing import meta_body

    now_ms = int(time.time() * 1000)
    messaging = [
        {
            "sender": {"id": f"psid-{tag}-{n}"},
            "recipient": {"id": "1"},
            "timestamp": now_ms,
            "message": {"mid": f"mid.{tag}.{n}", "text": f"Where is my order {n}? It never arrived, I want a refund."},
        }
        for n in range(size)
    ]
    return meta_body({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": messaging}]})


def ingest(rounds: int = 300, batch_rounds: int = 30) -> dict[str, Any]:
    """The ingest Lambda's handler in process (API Gateway event in, response out; every AWS call answered by the
    call counter before it is sent), against the floor measured here on the same bodies: the signature check and a
    JSON parse. A single-message Meta delivery, and a 100-message Meta batch."""
    from werkzeug.test import EnvironBuilder

    from bench import calls
    from devstack.front import build_routes, to_event
    from devstack.lambda_runtime import Function, LambdaContext
    from devstack.signing import meta_headers
    from shared.resources import INGEST_API
    from shared.settings import dev_platform_secret

    counter = calls.install()
    os.environ.update(stubbed_env())  # noqa: TID251 - the benchmark is the edge that configures the function
    function = Function(INGEST_API, "bench")
    route = next(r for r in build_routes([function]) if r.template == "/webhooks/{platform}")
    secret = dev_platform_secret("meta")
    context = LambdaContext(function.name, INGEST_API.memory_mb, INGEST_API.timeout_s)

    def events(size: int, n: int) -> list[tuple[bytes, dict[str, Any]]]:
        out = []
        for i in range(n):
            body = _meta_delivery(size, f"b{size}-{i}-{time.time_ns()}")
            request = EnvironBuilder(
                path="/webhooks/meta", method="POST", data=body, headers=meta_headers(body, secret)
            ).get_request()
            out.append((body, to_event(request, route, {"platform": "meta"}, [])))
        return out

    def floor(body: bytes, signature: str) -> None:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise AssertionError("floor: signature")
        json.loads(body)

    result: dict[str, Any] = {}
    with calls.answering(counter, calls.success):
        for label, size, n in (("single", 1, rounds), ("batch_100", 100, batch_rounds)):
            prepared = events(size, n + 5)
            counter.reset()
            handler_s, floor_s = [], []
            for k, (body, event) in enumerate(prepared):
                t0 = time.perf_counter()
                answer = function.handler(event, context)
                elapsed = time.perf_counter() - t0
                if answer["statusCode"] != 200:
                    raise RuntimeError(f"ingest answered {answer['statusCode']}: {answer.get('body')}")
                signature = event["headers"]["X-Hub-Signature-256"]
                t0 = time.perf_counter()
                floor(body, signature)
                floor_elapsed = time.perf_counter() - t0
                if k >= 5:  # the first few warm the composition root and the clients
                    handler_s.append(elapsed)
                    floor_s.append(floor_elapsed)
            p50, floor_p50 = _p50_us(handler_s), _p50_us(floor_s)
            result[label] = {
                "messages_per_delivery": size,
                "deliveries": n,
                "body_bytes": len(prepared[0][0]),
                "p50_us": p50,
                "floor_p50_us": floor_p50,
                "ratio": round(p50 / floor_p50, 1),
                "per_message_us": round(p50 / size, 1),
                "aws_calls_per_delivery": {k: round(v / (n + 5), 2) for k, v in sorted(counter.functions.items())},
            }
    single = result["single"]
    return {"p50_us": single["p50_us"], "floor_p50_us": single["floor_p50_us"], "ratio": single["ratio"], **result}


def _clients_of(spec: FunctionSpec) -> list[str]:
    """The AWS clients a function's role lets it use: what its cold start's floor builds."""
    names = []
    if spec.reads or spec.writes:
        names.append("dynamodb")
    if spec.sends_to or spec.sqs_source:
        names.append("sqs")
    if spec.reads_buckets or spec.writes_buckets:
        names.append("s3")
    if spec.reads_secret:
        names.append("secretsmanager")
    if spec.reads_config:
        names.append("ssm")
    if spec.publishes_to:
        names.append("sns")
    if spec.uses_comprehend:
        names.append("comprehend")
    return names


FLOOR = r"""
import json, sys, time
t0 = time.perf_counter()
import boto3
session = boto3.session.Session()
for name in json.loads(sys.argv[1]):
    session.client(name, region_name="us-east-1")
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
"""

INIT = r"""
import importlib, json, sys, time
t0 = time.perf_counter()
module, _, attribute = sys.argv[2].rpartition(".")
getattr(importlib.import_module(module), attribute)
t1 = time.perf_counter()
service = sys.argv[3]
bootstrap = importlib.import_module(f"services.{service}.bootstrap")
root = bootstrap.root.get()
t2 = time.perf_counter()
import os
from shared.aws import client
from shared.settings import Settings
settings = Settings.from_env(os.environ)
for name in json.loads(sys.argv[1]):
    client(name, settings)
t3 = time.perf_counter()
import resource
print(json.dumps({"import_ms": (t1 - t0) * 1000, "root_ms": (t2 - t1) * 1000, "clients_ms": (t3 - t2) * 1000,
                  "init_ms": (t3 - t0) * 1000, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _fresh(script: str, *args: str, env: dict[str, str]) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},  # noqa: TID251 - the benchmark is an edge
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def cold_start(runs: int = 3) -> dict[str, Any]:
    """Each entry point in fresh interpreters (median of `runs`): import, composition root, its clients; against
    `import boto3` and the same clients, measured alternately in the same run."""
    specs = {f.key: f for f in FUNCTIONS}
    env = stubbed_env()
    out: dict[str, Any] = {}
    for key in HANDLERS:
        spec = specs[key]
        clients = json.dumps(_clients_of(spec))
        inits, floors = [], []
        for _ in range(runs):
            inits.append(_fresh(INIT, clients, spec.handler, spec.service, env=env))
            floors.append(_fresh(FLOOR, clients, env=env)["ms"])
        init_ms = statistics.median(r["init_ms"] for r in inits)
        floor_ms = statistics.median(floors)
        out[key] = {
            "init_ms": round(init_ms, 1),
            "floor_ms": round(floor_ms, 1),
            "ratio": round(init_ms / floor_ms, 2),
            "import_ms": round(statistics.median(r["import_ms"] for r in inits), 1),
            "root_ms": round(statistics.median(r["root_ms"] for r in inits), 1),
            "clients": json.loads(clients),
            "rss_after_init_mb": round(statistics.median(r["rss_mb"] for r in inits), 1),
            "runs": runs,
        }
    return out


def package_mb(build_timeout_s: int = 120) -> dict[str, Any]:
    """The Lambda packages `make package` builds (its cache under build/lambda), built here within a time bound if
    absent; zipped and unzipped sizes against Lambda's 50 MB (direct upload) and 250 MB (unzipped) limits."""
    from infra import package

    try:
        packages = package.Packages.load()
    except FileNotFoundError:
        uv = ROOT / ".tools" / "bin" / "uv"
        try:
            subprocess.run(
                [sys.executable, "-m", "infra.package", "--uv", str(uv)],
                cwd=ROOT,
                check=True,
                timeout=build_timeout_s,
                capture_output=True,
            )
            packages = package.Packages.load()
        except (subprocess.SubprocessError, FileNotFoundError, OSError) as error:
            return {"built": False, "reason": f"make package failed or timed out: {type(error).__name__}"}
    mb = 1024 * 1024
    layers, services = package.sizes(packages)
    out: dict[str, Any] = {
        "built": True,
        "architecture": packages.architecture,
        "limit_zipped": 50,
        "limit_unzipped": 250,
    }
    for name, row in layers.items():
        out[f"layer_{name}"] = {"zipped": round(row.zipped / mb, 1), "unzipped": round(row.unzipped / mb, 1)}
    for service, (row, total) in services.items():
        zipped = row.zipped + sum(layers[n].zipped for n in packages.layers_of(service))
        out[service] = {
            "code_zipped": round(row.zipped / mb, 2),
            "zipped_with_layers": round(zipped / mb, 1),
            "unzipped_with_layers": round(total / mb, 1),
        }
    return out


def comprehend(rounds: int = 3) -> dict[str, Any]:
    """What the default `tiered` policy spends on Comprehend per message, routed to a human or not, against every API
    on every message (`comprehend` mode without batching is the naive design's call count): the classifier in
    process over the stream's texts, Comprehend answered by canned responses (calls and units, not accuracy)."""
    from datetime import UTC, datetime

    import boto3

    from bench import calls, load
    from services.classify.analyzers.comprehend import ComprehendEnricher
    from services.classify.analyzers.local import LocalAnalyzer
    from services.classify.pipeline import Classifier
    from shared.events import Author, Mention

    counter = calls.install()
    client = boto3.session.Session().client(
        "comprehend",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="b",
        aws_secret_access_key="b",  # noqa: S106 - nothing is sent: the counter answers
    )
    local = LocalAnalyzer()
    now = datetime.now(UTC)
    pool = load.texts()
    mentions = [
        Mention(
            id=f"m{r}-{i}",
            platform="generic",
            channel="bench",
            kind="comment",
            native_id=f"{r}-{i}",
            thread_id=f"{r}-{i}",
            author=Author(id=f"a{i}"),
            text=f"{t} (#{i})",
            created_at=now,
            received_at=now,
        )
        for r in range(rounds)
        for i, t in enumerate(pool)
    ]
    out: dict[str, Any] = {"messages": len(mentions)}
    with calls.answering(counter, calls.comprehend):
        for mode in ("tiered", "comprehend"):
            counter.reset()
            classifier = Classifier(mode, local, ComprehendEnricher(client))  # type: ignore[arg-type]
            results = []
            for start in range(0, len(mentions), 25):  # classify's batch size
                results += classifier.classify(mentions[start : start + 25], now)
            done = [r for r in results if not isinstance(r, Exception)]
            routed = [r for r in done if r.needs_response]
            rest = [r for r in done if not r.needs_response]
            out[mode] = {
                "units_per_message": round(sum(r.comprehend_units for r in done) / len(done), 3),
                "calls_per_message": round(sum(counter.functions.values()) / len(done), 3),
                "units_routed": round(sum(r.comprehend_units for r in routed) / max(1, len(routed)), 3),
                "units_not_routed": round(sum(r.comprehend_units for r in rest) / max(1, len(rest)), 3),
                "routed_share": round(len(routed) / len(done), 3),
            }
    tiered = out["tiered"]
    return {
        **out,
        "units_routed": tiered["units_routed"],
        "units_not_routed": tiered["units_not_routed"],
        "routed_share": tiered["routed_share"],
    }
