"""The spike detector: a surge of negative mentions for a brand opens a crisis incident, and says why.

Every minute (a schedule) the watch reads what the inbox stored since its last run, adds it to per-brand minute and
day counts (`signals`), and asks the rules below. With enough history they compare with a baseline, otherwise a
fixed burst rule applies:

- `hour_baseline` (once 12 hours of history exist): negatives in the last hour against the 12 hours before it;
- `day_baseline` (once 14 days exist): negatives so far today against each of the 14 days before;
- `burst` (until there is a baseline): at least `burst_negatives` negative mentions in `burst_minutes`.

A baseline rule fires when the count reaches mean + `sigmas` * max(stdev, sqrt(mean), 1), and at least `min_negatives`:
Poisson noise on a quiet brand does not page anyone. Cooldowns live with the incident (`IncidentPolicy`). "Why it
spiked" is read from the mentions of the window: the words negative mentions share, the platforms and brand
accounts they came through, and the negative share against the baseline's.

CloudWatch anomaly detection watches the same two series (volume, negative share) in AWS, as a composite alarm
(`infra/monitoring.py`); this detector runs in both places and is the one that can say why.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from shared.api.models import SpikeExplanation, TermCount
from shared.events import StoredMention, utcnow
from shared.observability import count, get_logger

SERVICE = "respond"
DEFAULT_BRAND = "default"

# Words that say nothing about what a surge is about, in the languages the local analyzer reads.
STOPWORDS = frozenset(
    """
    the and for are but not you your with this that have has had was were will would can could cant can't dont don't
    its it's im i'm ive i've get got just all any our out about what when why how who from they them their there
    been being into than then too very much more most some such only also again still even ever now here one two
    please help thanks thank hey hello yes no why app via amp http https www com
    les des une est pas pour que qui dans sur avec mais vous nous ils elle
    los las una por que con para pero como del est muy
    der die das und ist nicht ich sie mit auf für ein eine aber
    che non per una sono con del della
    """.split()
)
_WORD = re.compile(r"[^\W\d_][\w'-]{2,}", re.UNICODE)


@dataclass(frozen=True)
class SpikeRules:
    burst_negatives: int = 20
    burst_minutes: int = 10
    hour_history_hours: int = 12
    day_history_days: int = 14
    sigmas: float = 3.0
    min_negatives: int = 10
    top_terms: int = 8


@dataclass(frozen=True)
class Counts:
    total: int = 0
    negative: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.total + other.total, self.negative + other.negative)


@dataclass(frozen=True)
class History:
    """One brand's counts: by minute (the last 13 hours) and by UTC day (the last 15), and since when it is counted."""

    since: datetime | None
    minutes: Mapping[datetime, Counts] = field(default_factory=dict)
    days: Mapping[date, Counts] = field(default_factory=dict)

    def between(self, start: datetime, end: datetime) -> Counts:
        total = Counts()
        for minute, counts in self.minutes.items():
            if start <= minute < end:
                total += counts
        return total


@dataclass(frozen=True)
class Firing:
    rule: str
    window: timedelta
    current: Counts
    baseline: float | None
    threshold: float
    baseline_share: float | None


def _threshold(samples: Sequence[int], rules: SpikeRules) -> tuple[float, float]:
    mean = sum(samples) / len(samples)
    stdev = math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples))
    return mean, max(float(rules.min_negatives), mean + rules.sigmas * max(stdev, math.sqrt(mean), 1.0))


def _share(counts: Iterable[Counts]) -> float | None:
    total = Counts()
    for c in counts:
        total += c
    return total.negative / total.total if total.total else None


def floor_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def evaluate(now: datetime, history: History, rules: SpikeRules) -> Firing | None:
    """The rule that fires for this brand now, if any."""
    if history.since is None:
        return None
    end = floor_minute(now) + timedelta(minutes=1)
    age = now - history.since
    if age >= timedelta(days=rules.day_history_days):
        today = now.astimezone(UTC).date()
        past = [history.days.get(today - timedelta(days=d), Counts()) for d in range(1, rules.day_history_days + 1)]
        current = history.days.get(today, Counts())
        mean, threshold = _threshold([c.negative for c in past], rules)
        if current.negative >= threshold:
            return Firing("day_baseline", timedelta(days=1), current, mean, threshold, _share(past))
    if age >= timedelta(hours=rules.hour_history_hours):
        current = history.between(end - timedelta(hours=1), end)
        past = [
            history.between(end - timedelta(hours=h + 1), end - timedelta(hours=h))
            for h in range(1, rules.hour_history_hours + 1)
        ]
        mean, threshold = _threshold([c.negative for c in past], rules)
        if current.negative >= threshold:
            return Firing("hour_baseline", timedelta(hours=1), current, mean, threshold, _share(past))
        return None
    window = timedelta(minutes=rules.burst_minutes)
    current = history.between(end - window, end)
    if current.negative >= rules.burst_negatives:
        return Firing("burst", window, current, None, float(rules.burst_negatives), None)
    return None


def is_negative(mention: StoredMention) -> bool:
    return mention.classification is not None and mention.classification.sentiment == "negative"


def terms(text: str) -> set[str]:
    words = {w.lower().strip("'-") for w in _WORD.findall(text)}
    return {w for w in words if len(w) >= 3 and w not in STOPWORDS}


def explain(firing: Firing, mentions: Sequence[StoredMention], rules: SpikeRules) -> SpikeExplanation:
    """Why it spiked, from the mentions of the firing window."""
    negatives = [m for m in mentions if is_negative(m)]
    words: Counter[str] = Counter()
    for mention in negatives:
        words.update(terms(mention.text))  # a word counts once per mention: twenty people, not one long rant
    # Ties in alphabetical order: Counter breaks them by insertion, which follows set order and so the hash seed.
    ranked = sorted(words.items(), key=lambda item: (-item[1], item[0]))[: rules.top_terms]
    top = [TermCount(term=t, count=c) for t, c in ranked if c >= 2]
    platforms = Counter(m.platform for m in negatives)
    accounts = Counter(m.account_id or "(none)" for m in negatives)
    share = firing.current.negative / firing.current.total if firing.current.total else 0.0
    minutes = int(firing.window.total_seconds() // 60)
    span = {"hour_baseline": "the last hour", "day_baseline": "today"}.get(firing.rule, f"{minutes} minutes")
    about = f" about {', '.join(t.term for t in top[:3])}" if top else ""
    expected = f" (expected about {firing.baseline:.0f})" if firing.baseline is not None else ""
    summary = f"{firing.current.negative} negative mentions in {span}{expected}{about}"
    newest = sorted(negatives, key=lambda m: m.received_at, reverse=True)
    return SpikeExplanation(
        rule=firing.rule,
        summary=summary,
        window_minutes=minutes,
        mentions=firing.current.total,
        negative=firing.current.negative,
        baseline=firing.baseline,
        threshold=round(firing.threshold, 2),
        negative_share=round(share, 3),
        baseline_negative_share=round(firing.baseline_share, 3) if firing.baseline_share is not None else None,
        top_terms=top,
        platforms=dict(platforms.most_common(10)),
        accounts=dict(accounts.most_common(10)),
        sample_mention_ids=[m.id for m in newest[:10]],
    )


class Signals(Protocol):
    def add(self, brand: str, minute: datetime, counts: Counts) -> None: ...
    def history(self, brand: str, now: datetime, rules: SpikeRules) -> History: ...
    def watermark(self) -> datetime | None: ...
    def set_watermark(self, moment: datetime) -> None: ...


class StoredWindow(Protocol):
    def stored_between(self, start: datetime, end: datetime, limit: int) -> list[tuple[datetime, StoredMention]]:
        """Mentions the inbox stored in [start, end), oldest first, at most `limit` (the newest are kept)."""
        ...


class Raiser(Protocol):
    def raise_spike(self, brand: str, why: SpikeExplanation) -> object: ...


@dataclass(frozen=True)
class WatchResult:
    counted: int
    raised: list[str]


# The inbox's feed index is updated asynchronously: what was stored in the last few seconds may not be readable
# yet, so each run stops that far short of now and the next run starts there.
INDEX_LAG = timedelta(seconds=5)
FIRST_LOOK_BACK = timedelta(minutes=10)
MAX_READ = 20_000
MAX_EXPLAIN = 2_000


class SpikeWatch:
    def __init__(
        self,
        signals: Signals,
        inbox: StoredWindow,
        incidents: Raiser,
        rules: SpikeRules | None = None,
        brand_of: Callable[[StoredMention], str] = lambda _m: DEFAULT_BRAND,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._signals = signals
        self._inbox = inbox
        self._incidents = incidents
        self.rules = rules or SpikeRules()
        self._brand_of = brand_of
        self._clock = clock

    def run(self) -> WatchResult:
        now = self._clock()
        end = now - INDEX_LAG
        start = self._signals.watermark() or end - FIRST_LOOK_BACK
        if start >= end:
            return WatchResult(0, [])
        stored = self._inbox.stored_between(start, end, MAX_READ)
        buckets: dict[tuple[str, datetime], Counts] = {}
        for stored_at, mention in stored:
            if mention.from_brand or mention.deleted_at is not None:
                continue  # the brand's own replies and deleted messages are not the public's mood
            key = (self._brand_of(mention), floor_minute(stored_at))
            buckets[key] = buckets.get(key, Counts()) + Counts(1, 1 if is_negative(mention) else 0)
        for (brand, minute), counts in buckets.items():
            self._signals.add(brand, minute, counts)
        self._signals.set_watermark(end)
        raised = []
        for brand in sorted({brand for brand, _ in buckets}):
            firing = evaluate(now, self._signals.history(brand, now, self.rules), self.rules)
            if firing is None:
                continue
            window = [
                m
                for _, m in self._inbox.stored_between(now - firing.window, now, MAX_EXPLAIN)
                if self._brand_of(m) == brand and not m.from_brand
            ]
            why = explain(firing, window, self.rules)
            self._incidents.raise_spike(brand, why)
            count(SERVICE, "SpikesDetected")
            get_logger(SERVICE).warning("spike detected", extra={"brand": brand, "rule": firing.rule})
            raised.append(brand)
        return WatchResult(len(stored), raised)
