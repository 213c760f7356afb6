"""The overview's numbers (pure): hourly counts of what was heard and how the team answered, and the overview
built from them.

Counts are kept as they happen, not computed from the inbox on every look: each new customer mention adds one to
its hour's total, its network (Facebook, Instagram, Messenger, WhatsApp, GitHub...), sentiment and intent, and to
"needs a reply"; each SLA clock that stops (first response, next response, resolution) adds its duration to a
histogram and says whether it was in time. A slot is `HH#what`, kept per UTC day and shard, so a busy hour
spreads its writes over several items and the overview reads a day with one query per shard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.api.models import ClockStats, Overview, OverviewHour
from shared.events import ClassifiedMention, SlaClock, Task
from shared.ids import shard_of

STATS_SHARDS = 4
# Upper bounds (seconds) of the duration histogram's buckets: 1, 5, 15, 30 min, 1, 2, 4, 8, 24 h, 3 days, more.
DURATION_BOUNDS: tuple[float, ...] = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, float("inf"))
CLOCKS = ("first_response", "next_response", "resolution")
KEEP = timedelta(days=400)
DAY_SLOT = "day#all"
USUAL_DAYS = 7


@dataclass(frozen=True)
class Slot:
    """One counter: the UTC day and shard it is kept under, the hour and what it counts."""

    day: str  # "2026-12-01#2"
    slot: str  # "22#net:facebook"


def _day(moment: datetime, shard: int) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d}#{shard}"


def _slot(moment: datetime, what: str) -> str:
    return f"{moment.astimezone(UTC):%H}#{what}"


def network_of(platform: str, channel: str) -> str:
    """The network a message was heard on: Meta's channels say which of Facebook, Instagram, Messenger, WhatsApp."""
    head = channel.split(".", 1)[0] if channel else ""
    if platform == "meta" and head in ("facebook", "instagram", "messenger", "whatsapp"):
        return head
    return platform


def mention_counts(classified: ClassifiedMention, stored_at: datetime) -> dict[Slot, int]:
    """What one new customer mention adds, in the hour it was stored."""
    mention, classification = classified.mention, classified.classification
    shard = shard_of(mention.id, STATS_SHARDS)
    day = _day(stored_at, shard)
    whats = [
        "all",
        "day",
        f"net:{network_of(mention.platform, mention.channel)}",
        f"sent:{classification.sentiment}",
        f"intent:{classification.intent}",
    ]
    if classification.needs_response:
        whats.append("needs")
    counts = {Slot(day, _slot(stored_at, what)): 1 for what in whats if what != "day"}
    counts[Slot(day, DAY_SLOT)] = 1  # the day was counted at all (for the usual of an hour)
    return counts


@dataclass
class Pending:
    """Counts gathered over one queue batch, merged into as few counters as they can be: every slot goes to the
    batch's one shard (the first counted's), so the batch's mentions of one hour share an item per `what`. The
    overview sums a day's shards, so which shard holds a count never changes a number."""

    counts: dict[Slot, int] = field(default_factory=dict)
    now: datetime | None = None
    shard: str | None = None

    def add(self, counts: Mapping[Slot, int], now: datetime) -> None:
        for slot, n in counts.items():
            date, _, shard = slot.day.rpartition("#")
            if self.shard is None:
                self.shard = shard
            merged = Slot(f"{date}#{self.shard}", slot.slot)
            self.counts[merged] = self.counts.get(merged, 0) + n
        self.now = now if self.now is None else max(self.now, now)


def bucket_of(seconds: float) -> int:
    return next(i for i, bound in enumerate(DURATION_BOUNDS) if seconds <= bound)


def _key(clock: SlaClock) -> tuple[str, datetime]:
    return clock.name, clock.started_at


def clock_counts(before: Task | None, after: Task) -> dict[Slot, int]:
    """The SLA clocks this change stopped: each one's duration bucket, its count and whether it was in time, in
    the hour it stopped."""
    stopped_before = {_key(c) for c in (before.sla if before else ()) if c.stopped_at is not None}
    counts: dict[Slot, int] = {}
    shard = shard_of(after.id, STATS_SHARDS)
    for clock in after.sla:
        if clock.stopped_at is None or _key(clock) in stopped_before or clock.name not in CLOCKS:
            continue
        at = clock.stopped_at
        seconds = max(0.0, (at - clock.started_at).total_seconds())
        day = _day(at, shard)
        for what in (f"{clock.name}:n", f"{clock.name}:b{bucket_of(seconds)}"):
            counts[Slot(day, _slot(at, what))] = counts.get(Slot(day, _slot(at, what)), 0) + 1
        if at <= clock.due_at:
            counts[Slot(day, _slot(at, f"{clock.name}:ok"))] = 1
    return counts


def days_between(start: datetime, end: datetime) -> list[str]:
    """Every (UTC day, shard) partition the window [start, end] touches."""
    out: list[str] = []
    day = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        out += [_day(day, shard) for shard in range(STATS_SHARDS)]
        day += timedelta(days=1)
    return out


@dataclass
class Hour:
    start: datetime
    mentions: int = 0
    needs_response: int = 0
    by_network: dict[str, int] = field(default_factory=dict)
    by_sentiment: dict[str, int] = field(default_factory=dict)
    by_intent: dict[str, int] = field(default_factory=dict)
    clocks: dict[str, int] = field(default_factory=dict)  # "first_response:n", ":ok", ":b3"


def hours_from(rows: Iterable[tuple[str, str, int]]) -> dict[datetime, Hour]:
    """(day partition, slot, count) rows, shards added up, by hour."""
    hours: dict[datetime, Hour] = {}
    for day, slot, n in rows:
        date_part = day.split("#", 1)[0]
        hh, _, what = slot.partition("#")
        try:
            start = datetime.strptime(f"{date_part}T{hh}", "%Y-%m-%dT%H").replace(tzinfo=UTC)
        except ValueError:
            continue  # a row this version does not know how to read
        hour = hours.setdefault(start, Hour(start))
        kind, _, value = what.partition(":")
        if what == "all":
            hour.mentions += n
        elif what == "needs":
            hour.needs_response += n
        elif kind == "net":
            hour.by_network[value] = hour.by_network.get(value, 0) + n
        elif kind == "sent":
            hour.by_sentiment[value] = hour.by_sentiment.get(value, 0) + n
        elif kind == "intent":
            hour.by_intent[value] = hour.by_intent.get(value, 0) + n
        elif kind in CLOCKS:
            hour.clocks[what] = hour.clocks.get(what, 0) + n
    return hours


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile of durations counted in buckets, interpolated within its bucket (as Prometheus does); the
    open last bucket answers with its lower bound."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, bound in enumerate(DURATION_BOUNDS):
        n = histogram.get(index, 0)
        if n and seen + n >= rank:
            lower = DURATION_BOUNDS[index - 1] if index else 0.0
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * ((rank - seen) / n)
        seen += n
    return DURATION_BOUNDS[-2]


@dataclass(frozen=True)
class ClockSummary:
    count: int
    within_sla: int
    median_s: float | None
    p90_s: float | None


def clock_summary(hours: Iterable[Hour], name: str) -> ClockSummary:
    histogram: dict[int, int] = {}
    count = within = 0
    for hour in hours:
        count += hour.clocks.get(f"{name}:n", 0)
        within += hour.clocks.get(f"{name}:ok", 0)
        for index in range(len(DURATION_BOUNDS)):
            n = hour.clocks.get(f"{name}:b{index}", 0)
            if n:
                histogram[index] = histogram.get(index, 0) + n
    return ClockSummary(count, within, quantile(histogram, 0.5), quantile(histogram, 0.9))


def usual_keys(this_hour: datetime, days: int = USUAL_DAYS) -> list[Slot]:
    """The counters the usual of this hour is made of: the same hour and the whole day, on each previous day."""
    keys: list[Slot] = []
    for d in range(1, days + 1):
        hour = this_hour - timedelta(days=d)
        for shard in range(STATS_SHARDS):
            keys += [Slot(_day(hour, shard), _slot(hour, "all")), Slot(_day(hour, shard), DAY_SLOT)]
    return keys


def usual(counts: Mapping[Slot, int], this_hour: datetime, days: int = USUAL_DAYS) -> float | None:
    """The mean of the same hour over the previous `days` days on which Hark counted anything (a quiet hour on such
    a day counts as zero); None without any such day."""
    seen: list[int] = []
    for d in range(1, days + 1):
        hour = this_hour - timedelta(days=d)
        shards = range(STATS_SHARDS)
        if any(counts.get(Slot(_day(hour, s), DAY_SLOT), 0) for s in shards):
            seen.append(sum(counts.get(Slot(_day(hour, s), _slot(hour, "all")), 0) for s in shards))
    return sum(seen) / len(seen) if seen else None


def top_of_hour(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def overview(rows: Iterable[tuple[str, str, int]], previous: Mapping[Slot, int], now: datetime, hours: int) -> Overview:
    """The overview of the `hours` up to now, every hour present (a quiet one as zeros); `previous` holds the
    counters of `usual_keys`."""
    by_hour = hours_from(rows)
    top = top_of_hour(now)
    period = [top - timedelta(hours=n) for n in range(hours - 1, -1, -1)]
    shown = [by_hour.get(start, Hour(start)) for start in period]

    def clock(name: str) -> ClockStats:
        summary = clock_summary(shown, name)
        return ClockStats(
            stopped=summary.count, within_sla=summary.within_sla, median_s=summary.median_s, p90_s=summary.p90_s
        )

    return Overview(
        generated_at=now,
        hours=hours,
        buckets=[
            OverviewHour(
                start=h.start,
                mentions=h.mentions,
                needs_response=h.needs_response,
                by_network=h.by_network,
                by_sentiment=h.by_sentiment,
                by_intent=h.by_intent,
            )
            for h in shown
        ],
        this_hour=by_hour[top].mentions if top in by_hour else 0,
        usual_this_hour=usual(previous, top),
        first_response=clock("first_response"),
        next_response=clock("next_response"),
        resolution=clock("resolution"),
    )
