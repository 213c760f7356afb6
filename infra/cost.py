"""The monthly cost of a Hark deployment, as a model whose every number says where it comes from.

Prices are the us-east-1 list prices of /work/shared/reference/aws-costs-and-limits.md (cited by section; a test
checks each cited figure appears there), or, for the few services the reference does not cover, marked as AWS list
prices not verified here. Sizes come from the specs (`shared/resources.py`: memory, batch sizes, schedules, how many
alarms the stack builds); Comprehend's usage from the tiering plan measured over a brand-like stream
(docs/evaluation.json, `make eval`); durations and item sizes are the reference's worked example's assumptions (§8b).

`python -m infra.cost` prints the table that docs/deployment.md carries (a test holds the two together);
`--write PATH` updates it in place between the `cost:begin` / `cost:end` markers.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from shared.resources import CLASSIFY, FAILURE_QUEUES, FUNCTIONS, INGEST_API, QUEUES, RESPOND, FunctionSpec

ROOT = Path(__file__).resolve().parents[1]
EVALUATION = ROOT / "docs" / "evaluation.json"
REFERENCE = "aws-costs-and-limits.md"
DAYS = 30
BEGIN, END = "<!-- cost:begin -->", "<!-- cost:end -->"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    # The figure as the reference prints it (None: not in the reference).
    quoted: str | None = None


def _ref(section: str) -> str:
    return f"{REFERENCE} {section}"


UNVERIFIED = "AWS list price, not in the reference (unverified)"
PRICES: dict[str, Price] = {
    "apigw_rest": Price(3.50, "per million requests", _ref("§3"), "$3.50"),
    "lambda_request": Price(0.20, "per million requests", _ref("§2.1"), "$0.20 per 1M"),
    "lambda_arm_gb_s": Price(0.0000133334, "per GB-second (arm64)", _ref("§2.1"), "$0.0000133334/GB-s"),
    "comprehend_unit": Price(0.0001, "per 100-character unit, 3-unit minimum", _ref("§1.1"), "$0.0001 per unit"),
    "dynamodb_wru": Price(0.625, "per million write request units", _ref("§4"), "$0.625 per 1M WRU"),
    "dynamodb_rru": Price(0.125, "per million read request units", _ref("§4"), "$0.125 per 1M RRU"),
    "sqs_request": Price(0.40, "per million requests", _ref("§5"), "$0.40 per 1M requests"),
    "sqs_idle_queue": Price(0.26, "per queue-month of idle polling (upper bound)", _ref("§2.5"), "$0.10\u2013$0.26"),
    "alarm": Price(0.10, "per standard alarm-month", _ref("§5"), "$0.10 per alarm-month"),
    "metric": Price(0.30, "per custom metric-month", _ref("§5"), "$0.30 per metric-month"),
    "logs_gb": Price(0.50, "per GB ingested", _ref("§5"), "$0.50/GB"),
    "composite_alarm": Price(0.50, "per composite alarm-month", UNVERIFIED),
    "waf_acl": Price(5.00, "per web ACL-month", UNVERIFIED),
    "waf_rule": Price(1.00, "per rule-month", UNVERIFIED),
    "waf_request": Price(0.60, "per million requests", UNVERIFIED),
    "kms_key": Price(1.00, "per key-month", UNVERIFIED),
    "secret": Price(0.40, "per secret-month", UNVERIFIED),
}


@dataclass(frozen=True)
class Assumptions:
    """What the model assumes about the traffic and the functions; each says where it comes from."""

    # Seconds per invocation: a webhook delivery; a batch (classify, respond); a scheduled tick. Reference §8b.
    ingest_s: float = 0.2
    batch_s: float = 1.0
    tick_s: float = 1.0
    # DynamoDB: items of about 2 KB (2 WRU): the mention, its inbox copy; per message needing a human, the task and
    # an audit entry; the overview's counters are batched (about half a unit per message). Reads: a thread lookup.
    wru_per_message: float = 2 + 2 + 0.5
    wru_per_routed: float = 2 + 1
    rru_per_message: float = 1
    # Logs: about 0.5 KB a message (reference §8b: structured lines, no payloads).
    log_kb_per_message: float = 0.5
    # The EMF metrics the services emit (docs/operations.md lists them), one `service` dimension each.
    custom_metrics: int = 30
    waf_rules: int = 3


def _comprehend_rates() -> tuple[float, dict[str, float]]:
    """Measured tiering (docs/evaluation.json): the share routed to a human, and each API's calls per message.
    `custom` is left out: the custom classifier is an endpoint billed by the second, only if configured."""
    measured = json.loads(EVALUATION.read_text())["comprehend_cost_per_million"]
    calls = {api: n / 1_000_000 for api, n in measured["calls"]["tiered"].items() if api != "custom"}
    return float(measured["routed_to_humans"]), calls


LOW_ROUTED_SHARE = 0.2


def comprehend_per_message(routed_share: float) -> float:
    """Comprehend dollars per message if `routed_share` of them went to people: language and sentiment as measured
    per message, the enrichments (and toxicity) per routed message scaled to the new share."""
    measured_share, calls = _comprehend_rates()
    per_message = calls.get("language", 0) + calls.get("sentiment", 0)
    per_routed = sum(v for k, v in calls.items() if k not in ("language", "sentiment")) / measured_share
    return (per_message + routed_share * per_routed) * 3 * PRICES["comprehend_unit"].usd


def ticks_per_day(spec: FunctionSpec) -> float:
    match = re.match(r"^rate\((\d+) (minute|minutes|hour|hours)\)$", spec.schedule or "")
    if not match:
        return 0.0 if not spec.schedule else 24.0  # a cron: assume hourly at most
    every = int(match.group(1)) * (60 if match.group(2).startswith("hour") else 1)
    return 24 * 60 / every


def alarm_counts() -> tuple[int, int, int]:
    """(standard alarms, anomaly-detection alarms, composite alarms), as `infra/monitoring.py` builds them."""
    standard = 2 * len(FUNCTIONS) + len(QUEUES) * 2 + len(FAILURE_QUEUES) + 6
    return standard, 2, 1


@dataclass(frozen=True)
class Line:
    item: str
    usd: float
    how: str


def monthly(messages_per_day: float, assumptions: Assumptions | None = None) -> list[Line]:
    a = assumptions or Assumptions()
    p = {k: v.usd for k, v in PRICES.items()}
    n = messages_per_day * DAYS
    million = n / 1e6
    routed_share, calls = _comprehend_rates()
    routed = n * routed_share
    assert CLASSIFY.sqs_source is not None
    assert RESPOND.sqs_source is not None
    classify_batches = n / CLASSIFY.sqs_source.batch_size
    respond_batches = routed / RESPOND.sqs_source.batch_size
    ticks = sum(ticks_per_day(f) for f in FUNCTIONS) * DAYS
    gb_s = (
        n * a.ingest_s * INGEST_API.memory_mb / 1024
        + classify_batches * a.batch_s * CLASSIFY.memory_mb / 1024
        + respond_batches * a.batch_s * RESPOND.memory_mb / 1024
        + sum(ticks_per_day(f) * DAYS * a.tick_s * f.memory_mb / 1024 for f in FUNCTIONS)
    )
    invocations = n + classify_batches + respond_batches + ticks
    api_calls = sum(calls.values())
    units = n * api_calls * 3
    wru = n * a.wru_per_message + routed * a.wru_per_routed
    # SQS: a send per message; receive and delete per batch; the respond queue only for what needs a human.
    sqs = n + 2 * classify_batches + routed / RESPOND.sqs_source.batch_size + 2 * respond_batches
    standard, anomaly, composite = alarm_counts()
    logs_gb = n * a.log_kb_per_message / 1024 / 1024
    return [
        Line("API Gateway (REST)", million * p["apigw_rest"], f"{million:,.2f}M requests x $3.50/M"),
        Line(
            "Lambda (arm64)",
            invocations / 1e6 * p["lambda_request"] + gb_s * p["lambda_arm_gb_s"],
            f"{invocations / 1e6:,.2f}M invocations x $0.20/M + {gb_s:,.0f} GB-s x $0.0000133334 (ingest "
            f"{a.ingest_s} s x {INGEST_API.memory_mb} MB per delivery; classify {a.batch_s} s x {CLASSIFY.memory_mb}"
            f" MB per batch of {CLASSIFY.sqs_source.batch_size}; respond per batch of {RESPOND.sqs_source.batch_size}"
            f"; {ticks / DAYS:,.0f} scheduled ticks a day)",
        ),
        Line(
            "Comprehend (tiered)",
            units * p["comprehend_unit"],
            f"{api_calls:.2f} calls per message (measured, {routed_share:.0%} routed to people) x 3 units x $0.0001",
        ),
        Line(
            "DynamoDB (on demand)",
            wru / 1e6 * p["dynamodb_wru"] + n * a.rru_per_message / 1e6 * p["dynamodb_rru"],
            f"{a.wru_per_message:g} WRU per message + {a.wru_per_routed:g} per routed one x $0.625/M; "
            f"{a.rru_per_message:g} RRU x $0.125/M",
        ),
        Line(
            "SQS",
            sqs / 1e6 * p["sqs_request"] + len(QUEUES) * p["sqs_idle_queue"],
            f"{sqs / 1e6:,.2f}M requests x $0.40/M + idle polling of {len(QUEUES)} queues x $0.26",
        ),
        Line(
            "CloudWatch",
            (standard + 3 * anomaly) * p["alarm"]
            + composite * p["composite_alarm"]
            + a.custom_metrics * p["metric"]
            + logs_gb * p["logs_gb"],
            f"{standard} alarms + {anomaly} anomaly alarms (3 each) x $0.10, {composite} composite x $0.50*, "
            f"{a.custom_metrics} EMF metrics x $0.30, {logs_gb:,.2f} GB logs x $0.50",
        ),
        Line(
            "WAF*",
            p["waf_acl"] + a.waf_rules * p["waf_rule"] + million * p["waf_request"],
            f"$5 web ACL + {a.waf_rules} rules x $1 + {million:,.2f}M requests x $0.60/M",
        ),
        Line("KMS key, secret*", p["kms_key"] + p["secret"], "$1 topic key + $0.40 secret"),
    ]


def total(lines: list[Line]) -> float:
    return sum(line.usd for line in lines)


def markdown(volumes: tuple[int, int] = (10_000, 1_000_000)) -> str:
    tables = {v: monthly(v) for v in volumes}
    head = "| | " + " | ".join(f"{v:,} messages/day ({v * DAYS:,}/month)" for v in volumes) + " |"
    rows = [head, "|---|" + "---|" * len(volumes)]
    for i, line in enumerate(tables[volumes[0]]):
        cells = " | ".join(f"${tables[v][i].usd:,.2f}" for v in volumes)
        rows.append(f"| {line.item} | {cells} |")
    rows.append("| **Total** | " + " | ".join(f"**${total(tables[v]):,.0f}**" for v in volumes) + " |")
    without = " and ".join(f"${total(tables[v]) - tables[v][2].usd:,.0f}" for v in volumes)
    share = " and ".join(f"{tables[v][2].usd / total(tables[v]):.0%}" for v in volumes)
    how = [f"- {line.item}: {line.how}" for line in tables[volumes[-1]]]
    sources = [
        f"- `{name}`: {price.quoted or f'${price.usd:.2f}'} ({price.unit}) — {price.source}"
        for name, price in PRICES.items()
    ]
    low = comprehend_per_message(LOW_ROUTED_SHARE) * volumes[-1] * DAYS
    return "\n".join(
        [
            BEGIN,
            *rows,
            "",
            f"Comprehend is {share} of the bill; everything else comes to {without} a month, which is also the "
            "total with `HARK_ANALYZER=local`. Its spend follows the share of messages routed to people (their "
            "PII and toxicity calls), measured here on a stream where that share was high; the reference's volume "
            f"tiers beyond 10M units a month are unverified and not applied. With {LOW_ROUTED_SHARE:.0%} routed "
            f"instead, Comprehend would be ${low:,.0f} a month at {volumes[-1]:,} a day. * not in the reference.",
            "",
            f"How each line is computed (at {volumes[-1]:,} a day):",
            "",
            *how,
            "",
            "Prices:",
            "",
            *sources,
            END,
        ]
    )


def write_into(path: Path) -> None:
    """Replace the table between the markers in `path` (docs/deployment.md) with today's figures."""
    document = path.read_text()
    start = document.find(BEGIN)
    end = document.find(END, max(start, 0))
    if start < 0 or end < 0:
        raise ValueError(f"{path} has no {BEGIN} … {END} to put the cost table between")
    end += len(END)
    path.write_text(document[:start] + markdown() + document[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="replace the table between the markers in this file")
    args = parser.parse_args()
    if args.write:
        write_into(args.write)
    else:
        print(markdown())  # noqa: T201 - a command that prints the table
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
