"""EventBridge schedules, locally: each function with a `schedule` in `shared.resources` is invoked with the
`Scheduled Event` EventBridge sends, on the same clock (`rate(...)` and `cron(...)` expressions, UTC).

Supported: `rate(N minute|minutes|hour|hours|day|days)` and six-field `cron(min hour day-of-month month
day-of-week year)` with `*`, `?`, numbers, lists, ranges and `/` steps (not EventBridge's `L`, `W` and `#`).
"""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.lambda_runtime import ACCOUNT, REGION, Function

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}


def rate_seconds(expression: str) -> int | None:
    match = _RATE.match(expression.strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2).rstrip("s")
    if amount < 1 or (amount == 1) != (not match.group(2).endswith("s")):
        raise ValueError(f"{expression}: EventBridge wants `rate(1 minute)` or `rate(N minutes)`")
    return amount * _UNITS[unit]


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The values a cron field allows (None: any)."""
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        body, stepped, step_text = part.partition("/")
        step = int(step_text) if stepped else 1
        if body in ("*", ""):
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(body, names)
            end = high if stepped else start
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)


def cron_matches(expression: str, moment: datetime) -> bool:
    match = _CRON.match(expression.strip())
    if not match:
        raise ValueError(f"not a rate() or cron() expression: {expression}")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"{expression}: EventBridge cron has six fields")
    minute, hour, dom, month, dow, year = fields
    m = moment.astimezone(UTC)
    checks = [
        (_field(minute, 0, 59), m.minute),
        (_field(hour, 0, 23), m.hour),
        (_field(dom, 1, 31), m.day),
        (_field(month, 1, 12, _MONTHS), m.month),
        (_field(dow, 1, 7, _DAY_NAMES), m.isoweekday() % 7 + 1),  # EventBridge: 1 = Sunday
        (_field(year, 1970, 2199), m.year),
    ]
    return all(allowed is None or value in allowed for allowed, value in checks)


def scheduled_event(rule: str, now: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


class Schedule:
    """Invokes one function on its schedule, in a thread, until stopped."""

    def __init__(
        self,
        function: Function,
        on_run: Callable[[str, bool], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_failure: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        expression = function.spec.schedule
        if not expression:
            raise ValueError(f"{function.spec.key} has no schedule")
        self.function = function
        self.expression = expression
        self._rate = rate_seconds(expression)
        if self._rate is None:
            cron_matches(expression, datetime.now(UTC))  # refuse a malformed expression now, not at 3 a.m.
        self._on_run = on_run
        self._on_failure = on_failure
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"schedule-{function.spec.key}", daemon=True)

    def due(self, last: datetime | None, now: datetime) -> bool:
        if self._rate is not None:
            return last is None or (now - last) >= timedelta(seconds=self._rate)
        minute = now.replace(second=0, microsecond=0)
        return (last is None or last < minute) and cron_matches(self.expression, minute)

    def run_once(self) -> bool:
        """One tick, invoked asynchronously as EventBridge does: retried, then the destination record goes to the
        failure queue. True when it succeeded."""
        ok = self.function.invoke_async(scheduled_event(self.function.name, self._clock()), self._on_failure)
        if self._on_run:
            self._on_run(self.function.spec.key, ok)
        return ok

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.function.spec.timeout_s + 5)

    def _loop(self) -> None:
        # A rate schedule first fires one period after it is created, as in EventBridge.
        last: datetime | None = self._clock() if self._rate is not None else None
        while not self._stop.wait(1.0):
            now = self._clock()
            if not self.due(last, now):
                continue
            last = now if self._rate is not None else now.replace(second=0, microsecond=0)
            # A failure is logged by the function and parked in the failure queue; the next tick runs regardless.
            with contextlib.suppress(Exception):
                self.run_once()
