"""Reports (pure): the numbers a brand is judged by, from conversation facts, the inbox and the safety cases.

Every report is a table (`columns` and `rows`, the same in JSON and CSV) with totals in `summary`. Times are
seconds of wall-clock time (the SLA report uses each clock's own due time, which counts business hours where the
policy does). Percentiles interpolate linearly between the closest ranks (what spreadsheets' PERCENTILE does).
Conversations count in the window their first customer message arrived in; mentions in the window they arrived
in; safety cases in the window of their day 0.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from services.respond.facts import ClockFact, ConversationFact
from services.respond.safety import report_due
from shared.api.governance import Report, ReportQuery, SafetyCase
from shared.events import Intent, SentimentLabel, StoredMention

PERCENTILES = (50, 90, 95, 99)
MAX_BUCKETS = 2_000
SENTIMENTS: tuple[str, ...] = get_args(SentimentLabel)
INTENTS: tuple[str, ...] = get_args(Intent)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile of `values` (linear between closest ranks); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _times(values: list[float]) -> dict[str, Any]:
    return {
        "mean_seconds": _round(sum(values) / len(values)) if values else None,
        **{f"p{p}_seconds": _round(percentile(values, p)) for p in PERCENTILES},
        "max_seconds": _round(max(values)) if values else None,
    }


TIME_COLUMNS = ["mean_seconds", *(f"p{p}_seconds" for p in PERCENTILES), "max_seconds"]


def _group(fact: ConversationFact, by: str) -> str:
    return "all" if by == "none" else str(getattr(fact, by))


def _grouped(facts: Iterable[ConversationFact], by: str) -> dict[str, list[ConversationFact]]:
    groups: dict[str, list[ConversationFact]] = defaultdict(list)
    for fact in facts:
        groups[_group(fact, by)].append(fact)
    return dict(sorted(groups.items()))


def _elapsed(clock: ClockFact | None) -> float | None:
    if clock is None or clock.stopped_at is None:
        return None
    return (clock.stopped_at - clock.started_at).total_seconds()


def _time_report(
    name: str, facts: list[ConversationFact], by: str, measure: Callable[[ConversationFact], float | None]
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    done_label = "answered" if name == "first-response" else "resolved"
    columns = ["group", "conversations", done_label, f"not_{done_label}", *TIME_COLUMNS]

    def row(group: str, members: list[ConversationFact]) -> dict[str, Any]:
        values = [v for f in members if (v := measure(f)) is not None]
        return {
            "group": group,
            "conversations": len(members),
            done_label: len(values),
            f"not_{done_label}": len(members) - len(values),
            **_times(values),
        }

    total = row("all", facts)
    rows = [total] + ([row(g, m) for g, m in _grouped(facts, by).items()] if by != "none" else [])
    return columns, rows, {k: v for k, v in total.items() if k != "group"}


def _first_response(fact: ConversationFact) -> float | None:
    # Closing without a reply stops the clock too; that is not a response.
    return _elapsed(fact.first_response) if fact.answered else None


def _resolution(fact: ConversationFact) -> float | None:
    if fact.closed_at is None or fact.resolution is None:
        return None
    return (fact.closed_at - fact.started_at).total_seconds()


def _clock_state(clock: ClockFact, now: datetime) -> str:
    if clock.breached_at is not None or (clock.stopped_at is not None and clock.stopped_at > clock.due_at):
        return "breached"
    if clock.stopped_at is not None:
        return "met"
    return "breached" if now > clock.due_at else "pending"


def _sla(
    facts: list[ConversationFact], by: str, now: datetime
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    columns = ["group", "clock", "met", "breached", "pending", "attainment_percent"]
    tally: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    overall: dict[str, Counter[str]] = defaultdict(Counter)
    for fact in facts:
        clocks = [("first_response", fact.first_response), ("resolution", fact.resolution)]
        clocks += [("next_response", c) for c in fact.next_responses]
        for name, clock in clocks:
            if clock is None:
                continue
            state = _clock_state(clock, now)
            tally[(_group(fact, by), name)][state] += 1
            overall[name][state] += 1

    def row(group: str, clock: str, counts: Counter[str]) -> dict[str, Any]:
        judged = counts["met"] + counts["breached"]
        return {
            "group": group,
            "clock": clock,
            "met": counts["met"],
            "breached": counts["breached"],
            "pending": counts["pending"],
            "attainment_percent": round(100 * counts["met"] / judged, 1) if judged else None,
        }

    order = ("first_response", "next_response", "resolution")
    rows = [row("all", c, overall[c]) for c in order if c in overall]
    if by != "none":
        rows += [
            row(g, c, counts) for (g, c), counts in sorted(tally.items(), key=lambda i: (i[0][0], order.index(i[0][1])))
        ]
    summary = {r["clock"]: r["attainment_percent"] for r in rows if r["group"] == "all"}
    return columns, rows, {"attainment_percent": summary}


def _volume(
    facts: list[ConversationFact], mentions: list[StoredMention], since: datetime, until: datetime
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    columns = ["dimension", "key", "mentions", "needing_response", "conversations", "replies"]
    heard = [m for m in mentions if not m.from_brand]
    by_platform = Counter(m.platform for m in heard)
    needing = Counter(m.platform for m in heard if m.classification and m.classification.needs_response)
    rows: list[dict[str, Any]] = [
        {"dimension": "platform", "key": p, "mentions": n, "needing_response": needing[p]}
        for p, n in sorted(by_platform.items())
    ]
    for name in ("platform", "queue"):
        for key, members in _grouped(facts, name).items():
            if name == "platform":
                found = next((r for r in rows if r["dimension"] == "platform" and r["key"] == key), None)
                if found is None:
                    found = {"dimension": "platform", "key": key, "mentions": 0, "needing_response": 0}
                    rows.append(found)
                found["conversations"] = len(members)
            else:
                rows.append({"dimension": "queue", "key": key, "conversations": len(members)})
    replies: Counter[str] = Counter()
    answered: dict[str, set[str]] = defaultdict(set)
    for fact in facts:
        for reply in fact.replies:
            if since <= reply.at < until:
                replies[reply.by] += 1
                answered[reply.by].add(fact.key)
    rows += [
        {"dimension": "agent", "key": agent, "conversations": len(answered[agent]), "replies": n}
        for agent, n in sorted(replies.items())
    ]
    rows.sort(key=lambda r: (("platform", "queue", "agent").index(r["dimension"]), r["key"]))
    summary = {
        "mentions": len(heard),
        "needing_response": sum(needing.values()),
        "conversations": len(facts),
        "replies": sum(replies.values()),
    }
    return columns, rows, summary


def bucket_start(moment: datetime, step: str) -> datetime:
    m = moment.astimezone(UTC)
    if step == "hour":
        return m.replace(minute=0, second=0, microsecond=0)
    day = m.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if step == "week" else day


STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def _over_time(
    mentions: list[StoredMention], since: datetime, until: datetime, step: str, labels: tuple[str, ...], attr: str
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    columns = ["bucket", *labels, "total"] + (["negative_share"] if attr == "sentiment" else [])
    counts: dict[datetime, Counter[str]] = defaultdict(Counter)
    for mention in mentions:
        if mention.from_brand or mention.classification is None:
            continue
        counts[bucket_start(mention.received_at, step)][getattr(mention.classification, attr)] += 1
    rows: list[dict[str, Any]] = []
    start = bucket_start(since, step)
    while start < until and len(rows) < MAX_BUCKETS:
        seen = counts.get(start, Counter())
        total = sum(seen.values())
        row: dict[str, Any] = {"bucket": start.isoformat(), **{label: seen[label] for label in labels}, "total": total}
        if attr == "sentiment":
            row["negative_share"] = round(seen["negative"] / total, 3) if total else None
        rows.append(row)
        start += STEPS[step]
    overall: Counter[str] = Counter()
    for seen in counts.values():
        overall.update(seen)
    summary: dict[str, Any] = {label: overall[label] for label in labels} | {"total": sum(overall.values())}
    return columns, rows, summary


def _safety(
    cases: list[SafetyCase], since: datetime, until: datetime, now: datetime
) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    columns = [
        "product",
        "opened",
        "valid",
        "open",
        "overdue",
        "reported",
        "reported_within_deadline",
        "reported_late",
        "not_a_case",
        "median_days_to_report",
        "within_deadline_percent",
    ]
    chosen = [c for c in cases if since <= c.day0 < until]

    def row(product: str, members: list[SafetyCase]) -> dict[str, Any]:
        initial = [r for c in members for r in c.reports[:1]]
        days = [(c.reports[0].at - c.day0).total_seconds() / 86400 for c in members if c.reports]
        within = sum(1 for r in initial if r.within_deadline)
        pending = [c for c in members if report_due(c) is not None]
        return {
            "product": product,
            "opened": len(members),
            "valid": sum(1 for c in members if c.valid),
            "open": sum(1 for c in members if c.status in ("open", "followed_up")),
            "overdue": sum(1 for c in pending if now > (report_due(c) or now)),
            "reported": len(initial),
            "reported_within_deadline": within,
            "reported_late": len(initial) - within,
            "not_a_case": sum(1 for c in members if c.status == "not_a_case"),
            "median_days_to_report": _round(percentile(days, 50)),
            "within_deadline_percent": round(100 * within / len(initial), 1) if initial else None,
        }

    by_product: dict[str, list[SafetyCase]] = defaultdict(list)
    for case in chosen:
        by_product[(case.product.drug or case.product.name) if case.product else "(no product)"].append(case)
    total = row("all", chosen)
    rows = [total] + [row(p, m) for p, m in sorted(by_product.items())]
    return columns, rows, {k: v for k, v in total.items() if k != "product"}


TITLES = {
    "first-response": "First response time",
    "resolution": "Resolution time",
    "sla": "SLA attainment",
    "volume": "Volume by platform, queue and agent",
    "sentiment": "Sentiment over time",
    "intent": "Intent over time",
    "safety": "Safety cases: opened, reported within the deadline",
}
DEFINITIONS = {
    "first-response": {
        "conversations": "Conversations whose first customer message arrived in the window.",
        "answered": "Those the brand replied to (from Hark or on the platform).",
        "p90_seconds": "90% of answered conversations got their first reply within this many seconds.",
    },
    "resolution": {
        "resolved": "Conversations closed.",
        "p90_seconds": "90% of resolved conversations were closed within this many seconds of their first message.",
    },
    "sla": {
        "met": "Clocks stopped by their due time (which counts business hours where the policy does).",
        "breached": "Clocks that ran past their due time.",
        "pending": "Clocks still running, not yet due.",
        "attainment_percent": "met / (met + breached).",
    },
    "volume": {
        "mentions": "Messages heard (not the brand's own) that arrived in the window.",
        "conversations": "Conversations that started in the window.",
        "replies": "Replies sent from Hark in the window, by the agent who sent them.",
    },
    "sentiment": {"bucket": "Start of the period (UTC).", "negative_share": "negative / total."},
    "intent": {"bucket": "Start of the period (UTC)."},
    "safety": {
        "opened": "Cases whose day 0 (first receipt) is in the window.",
        "valid": "Cases with all four minimum criteria.",
        "overdue": "Cases with a report due and past its deadline.",
        "reported_within_deadline": "Initial reports made within the reporting days of day 0.",
        "median_days_to_report": "Days from day 0 to the initial report.",
    },
}


def build(
    name: str,
    since: datetime,
    until: datetime,
    now: datetime,
    query: ReportQuery,
    *,
    facts: list[ConversationFact],
    mentions: list[StoredMention],
    cases: list[SafetyCase],
) -> Report:
    facts = [f for f in facts if since <= f.started_at < until]
    mentions = [m for m in mentions if since <= m.received_at < until]
    if name == "first-response":
        columns, rows, summary = _time_report(name, facts, query.group_by, _first_response)
    elif name == "resolution":
        columns, rows, summary = _time_report(name, facts, query.group_by, _resolution)
    elif name == "sla":
        columns, rows, summary = _sla(facts, query.group_by, now)
    elif name == "volume":
        columns, rows, summary = _volume(facts, mentions, since, until)
    elif name == "sentiment":
        columns, rows, summary = _over_time(mentions, since, until, query.bucket, SENTIMENTS, "sentiment")
    elif name == "intent":
        columns, rows, summary = _over_time(mentions, since, until, query.bucket, INTENTS, "intent")
    else:
        columns, rows, summary = _safety(cases, since, until, now)
    return Report(
        name=name,  # type: ignore[arg-type]
        title=TITLES[name],
        since=since,
        until=until,
        generated_at=now,
        columns=columns,
        rows=rows,
        summary=summary,
        definitions=DEFINITIONS[name],
    )
