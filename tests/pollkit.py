"""What the poller tests share: an in-memory cursor store that behaves like the DynamoDB one (leases, revisions,
watched feeds), a publisher that keeps what the ingest core queued, a settable clock, and a config with sources."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.ingest.platforms import CONNECTORS
from services.ingest.pollers import POLLERS
from services.ingest.pollers.http import UrllibHttp
from services.ingest.polling import Cursor, Limits, PollService, SourceState
from services.ingest.service import IngestService
from shared.config import StaticConfig, validate
from shared.errors import Conflict, Unavailable
from shared.events import Envelope
from shared.secrets import EnvSecrets
from shared.settings import Settings

BASE_CONFIG: dict[str, Any] = {
    "queues": {"care": {"team": "care"}},
    "teams": {"care": {}},
    "default_queue": "care",
    "sla": {"default": {"targets": [{"first_response": "1h", "next_response": "1h", "resolution": "1d"}]}},
}


def config_with(sources: Mapping[str, Any]) -> StaticConfig:
    return StaticConfig(validate({**BASE_CONFIG, "sources": dict(sources)}, "test"))


class MemoryCursors:
    """The cursor store in memory, with the DynamoDB store's rules: a lease is taken only if free or expired, a
    cursor is saved only over the revision it was read at."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Cursor] = {}
        self.limits: dict[str, Limits] = {}
        self.leases: dict[str, datetime] = {}
        self.saves = 0
        self.fail_saves_after: int | None = None  # fail every save after this many (a table that went away)
        self._lock = threading.Lock()

    def load(self, source: str) -> SourceState:
        with self._lock:
            cursors = {feed: c for (s, feed), c in self.items.items() if s == source}
            return SourceState(cursors, self.limits.get(source, Limits()))

    def claim(self, source: str, now: datetime, until: datetime) -> bool:
        with self._lock:
            held = self.leases.get(source)
            if held is not None and held > now:
                return False
            self.leases[source] = until
            return True

    def finish(self, source: str, limits: Limits) -> None:
        with self._lock:
            self.limits[source] = limits
            self.leases.pop(source, None)

    def save(self, source: str, feed: str, cursor: Cursor) -> Cursor:
        with self._lock:
            if self.fail_saves_after is not None and self.saves >= self.fail_saves_after:
                raise Unavailable("save the poll cursor: ProvisionedThroughputExceededException")
            current = self.items.get((source, feed))
            if (current.version if current else 0) != cursor.version:
                raise Conflict("the cursor changed")
            saved = replace(cursor, version=cursor.version + 1, expires_at=current.expires_at if current else None)
            self.items[(source, feed)] = saved
            self.saves += 1
            return saved

    def watch(self, source: str, feed: str, params: Mapping[str, str], expires_at: datetime) -> None:
        with self._lock:
            current = self.items.get((source, feed)) or Cursor(params=dict(params))
            self.items[(source, feed)] = replace(current, expires_at=expires_at)

    def unwatch(self, source: str, feed: str) -> None:
        with self._lock:
            self.items.pop((source, feed), None)

    def cursor(self, source: str, feed: str) -> Cursor:
        return self.items[(source, feed)]


class Queued:
    """The classify queue as the ingest core's publisher sees it: every envelope kept, or refused when down."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope[Any]] = []
        self.down = False

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        if self.down:
            return [e.id for e in envelopes]
        self.envelopes.extend(envelopes)
        return []

    def mentions(self) -> list[Any]:
        return [e.data.mention for e in self.envelopes if e.event == "mention.received"]

    def native_ids(self) -> list[str]:
        return [m.native_id for m in self.mentions()]


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Rig:
    service: PollService
    cursors: MemoryCursors
    queued: Queued
    clock: Clock
    ingest: IngestService


def rig(sources: Mapping[str, Any], api_bases: Mapping[str, str], http: Any = None, clock: Clock | None = None) -> Rig:
    settings = Settings.from_env({"HARK_STAGE": "local"})
    secrets = EnvSecrets(settings)
    queued = Queued()
    ingest = IngestService(settings, secrets, queued, CONNECTORS, polled=POLLERS)
    cursors = MemoryCursors()
    clock = clock or Clock()
    service = PollService(
        dict(api_bases), config_with(sources), secrets, ingest, cursors, http or UrllibHttp(), POLLERS, clock
    )
    return Rig(service, cursors, queued, clock, ingest)


class InProcess:
    """The fake platforms' answers without a socket: what a poller gets over HTTP from `FakePlatforms`, for tests
    that need no network. Base URLs are `http://fake/<platform>`."""

    BASE = "http://fake"

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.sent: list[Any] = []

    def base(self, platform: str) -> str:
        return f"{self.BASE}/{platform}"

    def send(self, request: Any) -> Any:
        import orjson

        from services.ingest.pollers.base import Response

        self.sent.append(request)
        target = "/" + request.url.split("//", 1)[1].split("/", 1)[1]
        status, answer, headers = self.fake._polled(request.method, target, dict(request.headers), request.body or b"")
        return Response(status, {k.lower(): v for k, v in headers.items()}, orjson.dumps(answer))
