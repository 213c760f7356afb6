"""SLA maths (pure): which target applies, business time, the clocks of a task, the platform's reply window, and
what a sweep finds.

Three clocks per conversation cycle: `first_response` starts when the first customer message is received and
stops at the brand's first reply; `next_response` starts at a customer message that arrives after a reply and
stops at the next reply; `resolution` starts with the cycle and stops when the task closes. A target counts only
the team's working hours (time zone, weekly intervals, holidays) unless it says `business_hours: false`.

The platform's reply window is a hard deadline: Messenger and Instagram DMs may be answered for 24 hours after
the customer's last message (7 days with the HUMAN_AGENT tag), WhatsApp for 24 hours (then approved templates
only). `due_at` is the running response clock's due time, never later than the window; with no response owed it is
the resolution due time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.config import Calendar, HarkConfig, SlaPolicy, SlaTarget, working_intervals
from shared.events import ReplyWindow, SlaClock, Task

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
TAGGED_CHANNELS = frozenset({"messenger", "instagram.dm"})
TEMPLATE_CHANNELS = frozenset({"whatsapp"})
# A calendar whose every day is a holiday would loop forever: look this many days ahead at most.
MAX_DAYS_AHEAD = 800
RESPONSE_CLOCKS = ("first_response", "next_response")


def target_for(policy: SlaPolicy, priority: int, channel: str) -> SlaTarget:
    for target in policy.targets:
        if priority >= target.priority_at_least and (target.channels is None or channel in target.channels):
            return target
    return policy.targets[-1]


def add_business_time(start: datetime, duration: timedelta, calendar: Calendar | None) -> datetime:
    """`start` plus `duration` of working time on `calendar` (None: wall-clock time)."""
    start = start.astimezone(UTC)
    if calendar is None or (calendar.hours is None and not calendar.holidays):
        return start + duration
    remaining = duration
    day = start.astimezone(calendar.zone).date()
    for _ in range(MAX_DAYS_AHEAD):
        for opens, closes in working_intervals(calendar, day):
            begin, end = max(opens.astimezone(UTC), start), closes.astimezone(UTC)
            if end <= begin:
                continue
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        day += timedelta(days=1)
    return start + duration


@dataclass(frozen=True)
class Clocks:
    """What a task's queue and priority make of its clocks."""

    target: SlaTarget
    calendar: Calendar | None
    policy: SlaPolicy

    def due(self, start: datetime, duration: timedelta) -> datetime:
        return add_business_time(start, duration, self.calendar)


def clocks_for(config: HarkConfig, queue: str, priority: int, channel: str) -> Clocks:
    policy = config.sla.get(config.queue(queue).sla) or next(iter(config.sla.values()))
    target = target_for(policy, priority, channel)
    calendar = config.team_of(queue).calendar if target.business_hours else None
    return Clocks(target, calendar, policy)


def start_clock(name: str, start: datetime, clocks: Clocks) -> SlaClock:
    duration = {
        "first_response": clocks.target.first_response,
        "next_response": clocks.target.next_response,
        "resolution": clocks.target.resolution,
    }[name]
    return SlaClock(name=name, started_at=start, due_at=clocks.due(start, duration))  # type: ignore[arg-type]


def running(clocks: Iterable[SlaClock], names: Iterable[str] = RESPONSE_CLOCKS) -> SlaClock | None:
    wanted = set(names)
    return next((c for c in clocks if c.name in wanted and c.stopped_at is None), None)


def stop(clocks: tuple[SlaClock, ...], at: datetime, names: Iterable[str] = RESPONSE_CLOCKS) -> tuple[SlaClock, ...]:
    wanted = set(names)
    return tuple(
        c.model_copy(update={"stopped_at": max(at, c.started_at)}) if c.name in wanted and c.stopped_at is None else c
        for c in clocks
    )


def window_for(channel: str, last_customer_at: datetime | None) -> ReplyWindow | None:
    if last_customer_at is None:
        return None
    if channel in TAGGED_CHANNELS:
        return ReplyWindow(
            channel=channel,
            closes_at=last_customer_at + STANDARD_WINDOW,
            tag_closes_at=last_customer_at + HUMAN_AGENT_WINDOW,
            after="tag",
        )
    if channel in TEMPLATE_CHANNELS:
        return ReplyWindow(channel=channel, closes_at=last_customer_at + STANDARD_WINDOW, after="template")
    return None


def due_at(clocks: tuple[SlaClock, ...], window: ReplyWindow | None, fallback: datetime) -> datetime:
    response = running(clocks)
    if response is not None:
        due = response.due_at
        if window is not None:
            due = min(due, window.closes_at)
        return due
    resolution = running(clocks, ("resolution",))
    return resolution.due_at if resolution is not None else fallback


def with_times(task: Task) -> Task:
    """The task with `due_at`, `window` and `window_closes_at` recomputed from its clocks."""
    window = window_for(task.channel, task.last_customer_at)
    return task.model_copy(
        update={
            "window": window,
            "window_closes_at": window.closes_at if window else None,
            "due_at": due_at(task.sla, window, task.due_at),
        }
    )


def state(clocks: Iterable[SlaClock]) -> str:
    listed = list(clocks)
    if any(c.breached_at is not None for c in listed):
        return "breached"
    if any(c.near_breach_at is not None and c.stopped_at is None for c in listed):
        return "near_breach"
    return "ok"


@dataclass(frozen=True)
class SweepFinding:
    near_breach: tuple[str, ...] = ()
    breached: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.near_breach or self.breached)


def sweep_clocks(task: Task, now: datetime, near_share: float) -> tuple[tuple[SlaClock, ...], SweepFinding]:
    """Mark each running clock near breach or breached as of `now`; what changed."""
    near: list[str] = []
    breached: list[str] = []
    out: list[SlaClock] = []
    window = window_for(task.channel, task.last_customer_at)
    for clock in task.sla:
        if clock.stopped_at is not None or clock.breached_at is not None:
            out.append(clock)
            continue
        due = clock.due_at
        if clock.name in RESPONSE_CLOCKS and window is not None:
            due = min(due, window.closes_at)
        if now >= due:
            out.append(clock.model_copy(update={"breached_at": now}))
            breached.append(clock.name)
        elif clock.near_breach_at is None and now >= clock.started_at + (due - clock.started_at) * near_share:
            out.append(clock.model_copy(update={"near_breach_at": now}))
            near.append(clock.name)
        else:
            out.append(clock)
    return tuple(out), SweepFinding(tuple(near), tuple(breached))
