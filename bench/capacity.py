"""Where Hark's AWS quotas bind between 10 and 10,000 deliveries a second, and what the tiered policy buys.

    python -m bench.capacity [--routed-share 0.1] [--rates 10,100,1000,10000] [--json]

Each line is one quota (default values, us-east-1, from ../shared/reference/aws-costs-and-limits.md) and the
deliveries per second at which Hark's design reaches it, from the configuration in `shared.resources` (batch sizes,
the classify mapping's MaximumConcurrency), the key design in respond's tables (feed and overview shards, the task
status index), and per-message figures `make bench` measures (Comprehend calls, function durations). Single-message
deliveries; every quota but a partition's can be raised by asking AWS, which the `raise` column says.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, replace
from typing import Literal

from shared.resources import CLASSIFY, RESPOND

Policy = Literal["tiered", "naive"]


@dataclass(frozen=True)
class Inputs:
    routed_share: float = 0.10  # messages that need a human (the reference's assumption; a brand measures its own)
    unsure_share: float = 0.10  # messages whose language or sentiment the local tier is unsure of (tiered)
    # routed messages with a cue of personal data the local scan cannot rule out, which tiered asks DetectPiiEntities
    # of (services/classify/analyzers/pii.py `pii_cue`; 20 % of complaints-dev's customer tweets)
    pii_cue_share: float = 0.20
    ingest_s: float = 0.10  # one webhook's ingest invocation in AWS (verify, archive, queue)
    classify_batch_s: float = 1.0  # one classify batch of 25 with its Comprehend calls
    respond_batch_s: float = 0.5  # one respond batch of 10
    classify_batch: int = CLASSIFY.sqs_source.batch_size if CLASSIFY.sqs_source else 25
    classify_max_concurrency: int = (CLASSIFY.sqs_source.max_concurrency or 1000) if CLASSIFY.sqs_source else 10
    respond_batch: int = RESPOND.sqs_source.batch_size if RESPOND.sqs_source else 10
    stats_writes_per_delivery: float = 1.68  # overview counter writes, merged per respond batch (make bench)
    feed_shards: int = 4  # services/respond/store.py FEED_SHARDS
    stats_shards: int = 4  # services/respond/stats.py STATS_SHARDS


@dataclass(frozen=True)
class Quota:
    name: str
    limit: float
    unit: str
    raise_: str
    source: str


QUOTAS = {
    "api": Quota("API Gateway account throttle", 10_000, "requests/s", "on request", "reference §3"),
    "lambda": Quota("Lambda concurrency (account, region)", 1_000, "executions", "on request", "reference §2.4"),
    "classify_esm": Quota("classify mapping MaximumConcurrency", 0, "batches at once", "config", "shared/resources.py"),
    "partition": Quota("DynamoDB partition writes", 1_000, "WCU/s per partition key", "never", "reference §4"),
    "comprehend_sync": Quota("Comprehend sync API", 20, "requests/s per API", "on request", "reference §1.3"),
    "comprehend_batch": Quota("Comprehend Batch API", 10, "requests/s per API (250 docs/s)", "on request", "§1.3"),
}


@dataclass(frozen=True)
class Limit:
    resource: str
    deliveries_per_s: float  # where it binds
    quota: str
    note: str


def limits(inputs: Inputs, policy: Policy = "tiered") -> list[Limit]:
    """Every quota's binding rate (deliveries/s), lowest first."""
    i = inputs
    q = QUOTAS
    found: list[Limit] = []
    found.append(Limit("API Gateway", q["api"].limit, "10,000 requests/s", "one request per delivery"))
    # Concurrency = arrival rate x duration (Little's law), summed over the functions on the path.
    per_delivery = i.ingest_s + i.classify_batch_s / i.classify_batch + i.respond_batch_s / i.respond_batch
    if policy == "naive":
        per_delivery = 3 * 0.2  # three functions of 200 ms per message
    found.append(
        Limit(
            "Lambda concurrency",
            q["lambda"].limit / per_delivery,
            "1,000 executions",
            f"{per_delivery:.3f} s a delivery",
        )
    )
    if policy == "tiered":
        found.append(
            Limit(
                "classify event-source mapping",
                i.classify_max_concurrency * i.classify_batch / i.classify_batch_s,
                f"MaximumConcurrency {i.classify_max_concurrency}",
                f"{i.classify_batch} a batch, {i.classify_batch_s} s each: raise it with Comprehend's quotas",
            )
        )
        # Overview counters: a respond batch's merged writes land on one of `stats_shards` day partitions.
        writes_per_delivery = i.stats_writes_per_delivery
        found.append(
            Limit(
                "DynamoDB stats partitions",
                q["partition"].limit * i.stats_shards / writes_per_delivery,
                "1,000 WCU/s x 4 day shards",
                f"{writes_per_delivery:.2f} counter writes a delivery (merged per batch)",
            )
        )
        found.append(
            Limit(
                "DynamoDB inbox feed index",
                q["partition"].limit * i.feed_shards,
                "1,000 WCU/s x 4 feed shards",
                "every stored mention writes its feed shard",
            )
        )
        found.append(
            Limit(
                "DynamoDB task status index",
                q["partition"].limit / max(i.routed_share, 1e-9),
                "1,000 WCU/s on status=open",
                f"new tasks ({i.routed_share:.0%} routed) share one index partition",
            )
        )
    # Comprehend: the tightest. Tiered: PII per routed message with a cue of personal data (no Batch API);
    # language and sentiment for the unsure share in batches of 25 (entities and key phrases only where a brand's
    # policy asks for them).
    if policy == "tiered":
        pii = q["comprehend_sync"].limit / max(i.routed_share * i.pii_cue_share, 1e-9)
        # One Batch call per classify batch that holds an unsure message (the batch is the classify batch, not 25
        # unsure documents gathered across batches): a batch of 25 at 10 % unsure holds one 93 % of the time.
        holds_one = 1 - (1 - i.unsure_share) ** i.classify_batch
        batch = q["comprehend_batch"].limit * i.classify_batch / max(holds_one, 1e-9)
        found.append(
            Limit(
                "Comprehend DetectPiiEntities",
                pii,
                "20 requests/s",
                f"one call per routed message with a personal-data cue ({i.pii_cue_share:.0%} of them)",
            )
        )
        found.append(
            Limit("Comprehend Batch APIs", batch, "10 requests/s x 25 docs", "messages the local tier is unsure of")
        )
    else:
        found.append(
            Limit(
                "Comprehend (every API, one call each)", q["comprehend_sync"].limit, "20 requests/s", "6 APIs a message"
            )
        )
    return sorted(found, key=lambda limit: limit.deliveries_per_s)


def utilisation(inputs: Inputs, rate: float, policy: Policy = "tiered") -> dict[str, float]:
    """Each quota's share used at `rate` deliveries/s (1.0 = binding)."""
    return {limit.resource: rate / limit.deliveries_per_s for limit in limits(inputs, policy)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--routed-share", type=float, default=Inputs.routed_share)
    parser.add_argument("--rates", default="10,100,1000,10000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    inputs = replace(Inputs(), routed_share=args.routed_share)
    rates = [float(r) for r in args.rates.split(",")]
    if args.json:
        document = {
            "inputs": asdict(inputs),
            "tiered": [asdict(limit) for limit in limits(inputs, "tiered")],
            "naive": [asdict(limit) for limit in limits(inputs, "naive")],
        }
        print(json.dumps(document, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for policy in ("tiered", "naive"):
        table = Table(title=f"{policy}: where each quota binds (routed {inputs.routed_share:.0%})")
        table.add_column("resource")
        table.add_column("binds at (deliveries/s)", justify="right")
        table.add_column("quota")
        for rate in rates:
            table.add_column(f"{rate:,.0f}/s", justify="right")
        for limit in limits(inputs, policy):  # type: ignore[arg-type]
            cells = []
            for rate in rates:
                used = rate / limit.deliveries_per_s
                cells.append(f"[red]{used:.0%}[/]" if used >= 1 else f"{used:.0%}")
            table.add_row(limit.resource, f"{math.floor(limit.deliveries_per_s + 1e-6):,}", limit.quota, *cells)
        console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
