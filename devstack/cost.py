"""What a million messages cost on AWS: Hark's measured usage against the naive design, priced line by line.

Every price carries its source and the date it was read (us-east-1 list prices, free tiers ignored), from
`../shared/reference/aws-costs-and-limits.md` (compiled 2026-11-26) unless it says otherwise. Usage per message is
what `make bench` counted during its end-to-end replay (`bench/results/latest.json`, `usage_per_message`); the
figures below are that run's, so `hark cost` works without a benchmark. `hark cost --messages-per-day N` prints the
same model for a user's volume.

The naive design is the straightforward one: every Comprehend API (language, sentiment, entities, key phrases, PII,
toxicity) on every delivered message, one call per document (no Batch APIs), no pre-filter (redeliveries are paid
again), three Lambdas at 512 MB x86 of 200 ms each per message, one SQS message per hop, a REST API, the raw payload
and every result in one 4 KB DynamoDB item, the payload logged (the reference's §8 (a)).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

REFERENCE = "../shared/reference/aws-costs-and-limits.md"
READ_ON = "2026-11-26"


@dataclass(frozen=True)
class Price:
    usd: float  # per `per` units
    per: float
    unit: str
    source: str
    dated: str = READ_ON

    @property
    def each(self) -> float:
        return self.usd / self.per


PRICES: dict[str, Price] = {
    "api_rest": Price(3.50, 1e6, "request", f"{REFERENCE} §3 (amnic.com, apigatewaycost.com): REST, first 333M"),
    "lambda_request": Price(0.20, 1e6, "invocation", f"{REFERENCE} §2.1 (AWS Lambda pricing via lambda-13-cost.md)"),
    "lambda_gb_s_arm64": Price(0.0000133334, 1, "GB-second", f"{REFERENCE} §2.1: arm64, first 7.5B GB-s"),
    "lambda_gb_s_x86": Price(0.0000166667, 1, "GB-second", f"{REFERENCE} §2.1: x86_64, first 6B GB-s"),
    "comprehend_unit": Price(0.0001, 1, "unit (100 chars, 3 minimum)", f"{REFERENCE} §1.1 (pricing page, cloudzero)"),
    "dynamodb_wru": Price(0.625, 1e6, "write request unit", f"{REFERENCE} §4: on-demand after the 2024-11-01 cut"),
    "dynamodb_rru": Price(0.125, 1e6, "read request unit", f"{REFERENCE} §4: on-demand"),
    "sqs_request": Price(0.40, 1e6, "request (64 KB chunk)", f"{REFERENCE} §5: standard queue"),
    "sns_publish": Price(0.50, 1e6, "publish", f"{REFERENCE} §5 (factualminds.com)"),
    "logs_gb": Price(0.50, 1, "GB ingested", f"{REFERENCE} §5: CloudWatch Logs [mem-unverified there]"),
    # Not in the reference: S3's list prices as AWS publishes them (aws.amazon.com/s3/pricing), not re-checked here.
    "s3_put": Price(0.005, 1000, "PUT request", "aws.amazon.com/s3/pricing, S3 Standard PUT [not re-checked]"),
    "secretsmanager_call": Price(0.05, 10_000, "API call", "aws.amazon.com/secrets-manager/pricing [not re-checked]"),
}


@dataclass(frozen=True)
class Usage:
    """What one message costs in billable units (averages over a run)."""

    api_requests: float = 1.0  # deliveries reaching the API per message (single-message deliveries: 1)
    lambda_invocations: float = 0.0
    lambda_gb_s: float = 0.0
    arm64: bool = True
    comprehend_units: float = 0.0
    dynamodb_wru: float = 0.0
    dynamodb_rru: float = 0.0
    sqs_requests: float = 0.0
    s3_puts: float = 0.0
    sns_publishes: float = 0.0
    secretsmanager_calls: float = 0.0
    log_bytes: float = 0.0
    note: str = ""

    def per_million(self) -> dict[str, float]:
        """Dollars per million messages, line by line (and `total`)."""
        m = 1e6
        gb_s = PRICES["lambda_gb_s_arm64" if self.arm64 else "lambda_gb_s_x86"]
        lines = {
            "api_gateway": self.api_requests * m * PRICES["api_rest"].each,
            "lambda_requests": self.lambda_invocations * m * PRICES["lambda_request"].each,
            "lambda_duration": self.lambda_gb_s * m * gb_s.each,
            "comprehend": self.comprehend_units * m * PRICES["comprehend_unit"].each,
            "dynamodb": self.dynamodb_wru * m * PRICES["dynamodb_wru"].each
            + self.dynamodb_rru * m * PRICES["dynamodb_rru"].each,
            "sqs": self.sqs_requests * m * PRICES["sqs_request"].each,
            "s3": self.s3_puts * m * PRICES["s3_put"].each,
            "sns": self.sns_publishes * m * PRICES["sns_publish"].each,
            "secrets_manager": self.secretsmanager_calls * m * PRICES["secretsmanager_call"].each,
            "logs": self.log_bytes * m / 1e9 * PRICES["logs_gb"].each,
        }
        lines["total"] = sum(lines.values())
        return {k: round(v, 2) for k, v in lines.items()}


def comprehend_units(length: int) -> int:
    """Billed units of one document for one API: 100 characters a unit, at least 3."""
    return max(3, math.ceil(length / 100))


NAIVE_APIS = 6  # language, sentiment, entities, key phrases, PII, toxicity


def naive(text_lengths: list[int], deliveries_per_message: float = 1.0) -> Usage:
    """The naive design for a stream of texts of these lengths; every delivery (redeliveries too) paid in full."""
    per_text = sum(NAIVE_APIS * comprehend_units(n) for n in text_lengths) / max(1, len(text_lengths))
    d = deliveries_per_message
    return Usage(
        api_requests=d,
        lambda_invocations=3 * d,
        lambda_gb_s=3 * d * 0.2 * 0.5,
        arm64=False,
        comprehend_units=per_text * d,
        dynamodb_wru=4 * d,
        sqs_requests=3 * d,
        log_bytes=3 * 2500 * d,
        note="every Comprehend API per message, one call each, no pre-filter, 3 x 512 MB x86 x 200 ms, REST API",
    )


# Hark's default (`tiered`) usage per message, as `make bench` last measured it (bench/results/latest.json,
# usage_per_message.hark). Replaced by the benchmark's own figures when it has run.
HARK_MEASURED = Usage(
    api_requests=1.0811,
    lambda_invocations=1.8243,
    lambda_gb_s=0.0522,
    comprehend_units=1.8892,
    dynamodb_wru=18.4865,
    dynamodb_rru=2.4473,
    sqs_requests=9.5405,
    s3_puts=0.9243,
    log_bytes=3000,
    note="make bench on a fresh clone, 2026-12-02 15:03: 400 deliveries, 74% routed; Lambda GB-s from local durations",
)

# Costs that do not grow with messages, per month (the reference's §8 "fixed monthly costs").
FIXED_MONTHLY = {
    "alarms": (8 * 0.10, f"{REFERENCE} §8: about 8 standard alarms at $0.10"),
    "custom_metrics": (10 * 0.30, f"{REFERENCE} §5: about 10 EMF metrics at $0.30 per metric-month"),
    "idle_queue_polling": (2 * 0.26, f"{REFERENCE} §2.5: up to $0.26 per queue (2 queues)"),
    "secret": (0.40, "aws.amazon.com/secrets-manager/pricing: $0.40 per secret-month [not re-checked]"),
}


@dataclass(frozen=True)
class Estimate:
    messages_per_day: int
    hark: dict[str, float]
    naive: dict[str, float]
    fixed_monthly: float
    hark_monthly: float
    naive_monthly: float
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class TieredUnits:
    """Comprehend units the default `tiered` policy spent per message, apart for messages routed to a human (who get
    entities, key phrases and PII for the agent's view) and the rest (only what the local tier was unsure of)."""

    routed: float
    not_routed: float
    routed_share: float  # in the measured stream

    def per_message(self, routed_share: float | None = None) -> float:
        share = self.routed_share if routed_share is None else routed_share
        if not 0 <= share <= 1:
            raise ValueError("the routed share is between 0 and 1")
        return share * self.routed + (1 - share) * self.not_routed


def with_routed_share(usage: Usage, units: TieredUnits, routed_share: float) -> Usage:
    """Hark's usage for a stream where `routed_share` of the messages need a human."""
    return replace(usage, comprehend_units=units.per_message(routed_share))


def estimate(messages_per_day: int, hark: Usage = HARK_MEASURED, naive_usage: Usage | None = None) -> Estimate:
    """The model for a volume: per million messages and per 30-day month, Hark against the naive design."""
    if messages_per_day < 0:
        raise ValueError("messages per day cannot be negative")
    naive_usage = naive_usage or naive([200])
    per_hark, per_naive = hark.per_million(), naive_usage.per_million()
    monthly_messages = messages_per_day * 30
    fixed = sum(v for v, _ in FIXED_MONTHLY.values())
    return Estimate(
        messages_per_day=messages_per_day,
        hark=per_hark,
        naive=per_naive,
        fixed_monthly=round(fixed, 2),
        hark_monthly=round(per_hark["total"] * monthly_messages / 1e6 + fixed, 2),
        naive_monthly=round(per_naive["total"] * monthly_messages / 1e6, 2),
        prices={k: asdict(p) for k, p in PRICES.items()},
    )


# The share of messages that need a human in the reference's worked example (§8: "PII only on the 10% routed to
# humans"). The benchmark's stream is Hark's worked examples, mostly complaints and questions (about 74% routed), so
# its cost is reported at both shares; a brand's own share is what `hark cost --routed-share` takes.
REFERENCE_ROUTED_SHARE = 0.10

# The tiered policy's units as `make bench` last measured them (bench/results/latest.json, comprehend).
TIERED_MEASURED = TieredUnits(routed=2.388, not_routed=0.5, routed_share=0.741)  # make bench, 2026-12-02 15:03


def tiered_from(results: Mapping[str, Any]) -> TieredUnits | None:
    found = results.get("comprehend")
    if not isinstance(found, Mapping):
        return None
    try:
        return TieredUnits(float(found["units_routed"]), float(found["units_not_routed"]), float(found["routed_share"]))
    except (KeyError, TypeError, ValueError):
        return None


def usage_from(results: Mapping[str, Any]) -> tuple[Usage, Usage] | None:
    """Hark's and the naive design's usage from a benchmark's results (its `usage_per_message`), if there."""
    found = results.get("usage_per_message")
    if not isinstance(found, Mapping) or "hark" not in found or "naive" not in found:
        return None
    fields = set(Usage.__dataclass_fields__)
    return (
        replace(Usage(), **{k: v for k, v in found["hark"].items() if k in fields}),
        replace(Usage(), **{k: v for k, v in found["naive"].items() if k in fields}),
    )


def load_results(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


DEFAULT_RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "latest.json"


def run(
    out: TextIO,
    messages_per_day: int,
    *,
    routed_share: float | None = None,
    results: str | None = None,
    as_json: bool = False,
) -> int:
    """`hark cost`: the model for a volume, from the last benchmark's figures when there are any."""
    measured = load_results(Path(results) if results else DEFAULT_RESULTS)
    if results and not measured:
        print(f"cannot read {results}", file=out)
        return 2
    usages = usage_from(measured)
    hark, naive_usage = usages if usages else (HARK_MEASURED, naive([200]))
    units = tiered_from(measured) or TIERED_MEASURED
    if routed_share is not None:
        hark = with_routed_share(hark, units, routed_share)
    result = estimate(messages_per_day, hark, naive_usage)
    share = units.routed_share if routed_share is None else routed_share
    origin = "bench/results/latest.json" if usages else "the figures built into devstack/cost.py"
    if as_json:
        document = asdict(result) | {"routed_share": share, "usage_from": origin}
        print(json.dumps(document, indent=2), file=out)
        return 0
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=f"{messages_per_day:,} messages a day ({messages_per_day * 30:,} a month)")
    table.add_column("line")
    table.add_column("Hark $/1M", justify="right")
    table.add_column("naive $/1M", justify="right")
    for line in result.hark:
        table.add_row(line, f"{result.hark[line]:,.2f}", f"{result.naive[line]:,.2f}")
    table.add_row("per month", f"{result.hark_monthly:,.2f}", f"{result.naive_monthly:,.2f}")
    console = Console(file=out, width=100)
    console.print(table)
    console.print(
        f"Hark: default tiered policy, {share:.0%} of messages routed to a human; usage from {origin}. Per month "
        f"includes ${result.fixed_monthly:.2f} fixed (alarms, metrics, idle queue polling, the secret). Prices: "
        "us-east-1 list, free tiers ignored, each with its source in devstack/cost.py."
    )
    return 0
