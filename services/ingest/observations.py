"""What ingest tells respond of each source's health (`source.observed` on the respond queue): deliveries verified
or refused, polls made, a platform's notice that a subscription or authorisation ended.

One event per delivery would double the respond queue's traffic at peak, so observations are summed per source,
activity and outcome and sent at most once a `INTERVAL` per function instance (the first at once), with the count
and the latest time: "last delivery" is known to the minute. Notices that end a subscription go at once. Sending
is best effort: a delivery is never refused because its observation could not be sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.errors import HarkError
from shared.events import Envelope, SourceObservation, SourceObserved, utcnow
from shared.observability import get_logger

INTERVAL = timedelta(minutes=1)
SERVICE = "ingest"
# Notices that mean the platform stopped delivering or stopped accepting Hark.
ENDING_NOTICES = frozenset({"app.revoked", "subscription.revoked", "subscription.denied", "subscription.ended"})


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]: ...


class Observer(Protocol):
    def observe(self, seen: SourceObservation) -> None: ...


class NoObserver:
    def observe(self, seen: SourceObservation) -> None:
        return None


@dataclass
class _Pending:
    sent_at: datetime | None
    count: int = 0
    latest: SourceObservation | None = None


class ThrottledObserver:
    def __init__(
        self, publisher: Publisher, clock: Callable[[], datetime] = utcnow, interval: timedelta = INTERVAL
    ) -> None:
        self._publisher = publisher
        self._clock = clock
        self._interval = interval
        self._pending: dict[tuple[str, str, bool, str | None], _Pending] = {}
        self._lock = threading.Lock()

    def observe(self, seen: SourceObservation) -> None:
        now = self._clock()
        urgent = seen.activity == "notice"
        due: list[SourceObservation] = []
        with self._lock:
            key = (seen.source, seen.activity, seen.ok, seen.code)
            pending = self._pending.setdefault(key, _Pending(sent_at=None))
            pending.count += seen.count
            if pending.latest is None or seen.at >= pending.latest.at:
                pending.latest = seen
            for each in self._pending.values():
                ready = urgent and each is pending
                if each.latest is not None and (ready or each.sent_at is None or now - each.sent_at >= self._interval):
                    due.append(each.latest.model_copy(update={"count": each.count}))
                    each.sent_at, each.count, each.latest = now, 0, None
        if due:
            self._send(due)

    def _send(self, observations: list[SourceObservation]) -> None:
        envelopes = [
            SourceObserved.wrap(o, correlation_id=f"source:{o.source}", producer=SERVICE, occurred_at=o.at)
            for o in observations
        ]
        try:
            failed = self._publisher.publish(envelopes)
        except HarkError as error:
            failed = [e.id for e in envelopes]
            get_logger(SERVICE).warning("source observations not sent", extra={"error": error.detail})
        if failed:
            get_logger(SERVICE).warning("source observations not sent", extra={"failed": len(failed)})
