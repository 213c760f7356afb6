"""What the poller tests share: an in-memory cursor store that behaves like the DynamoDB one (leases, revisions,
watched feeds), a publisher that keeps what the ingest core queued, a settable clock, and a config with sources."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from services.ingest.platforms import CONNECTORS
from services.ingest.pollers import POLLERS
from services.ingest.pollers.http import UrllibHttp
from services.ingest.polling import Cursor, Limits, PollService, SourceState
from services.ingest.service import IngestService
from shared.config import StaticConfig, validate
from shared.errors import Conflict, Unavailable
from shared.events import Envelope, SourceObservation
from shared.http import HttpAnswer, call
from shared.secrets import EnvSecrets
from shared.settings import Settings
from shared.tokens import Credentials, MemoryTokens

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
    credentials: Credentials
    observed: list[SourceObservation]


class Observations:
    """The observer of the ingest core: what source health would be told."""

    def __init__(self) -> None:
        self.seen: list[SourceObservation] = []

    def observe(self, seen: SourceObservation) -> None:
        self.seen.append(seen)


def rig(
    sources: Mapping[str, Any],
    api_bases: Mapping[str, str],
    http: Any = None,
    clock: Clock | None = None,
    tokens: Mapping[str, Any] | None = None,
    archive: Any = None,
) -> Rig:
    """The poll core over the ingest core, with the credentials port the senders use: `tokens` are more entries of
    the secret's `tokens` (HARK_TOKENS); an `InProcess` http also carries the port's token calls."""
    env = {"HARK_STAGE": "local"}
    if tokens:
        env["HARK_TOKENS"] = orjson.dumps(dict(tokens)).decode()
    settings = Settings.from_env(env)
    secrets = EnvSecrets(settings)
    queued = Queued()
    observations = Observations()
    ingest = IngestService(
        settings, secrets, queued, CONNECTORS, polled=POLLERS, observer=observations, archive=archive
    )
    cursors = MemoryCursors()
    clock = clock or Clock()
    port = Credentials(
        secrets,
        MemoryTokens(dict(secrets.get().credentials)),
        dict(api_bases),
        clock=clock,
        http=http.call if isinstance(http, InProcess) else call,
        sleep=lambda _s: None,
    )
    service = PollService(
        dict(api_bases), config_with(sources), port, ingest, cursors, http or UrllibHttp(), POLLERS, clock
    )
    return Rig(service, cursors, queued, clock, ingest, port, observations.seen)


class InProcess:
    """The fake platforms' answers without a socket: what a poller (and the credentials port) gets over HTTP from
    `FakePlatforms`, for tests that need no network. Base URLs are `http://fake/<platform>`."""

    BASE = "http://fake"

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.sent: list[Any] = []

    def base(self, platform: str) -> str:
        return f"{self.BASE}/{platform}"

    def send(self, request: Any) -> Any:
        from services.ingest.pollers.base import Response

        self.sent.append(request)
        status, answer, headers = self.fake.handle(
            request.method, _target(request.url), dict(request.headers), request.body or b""
        )
        return Response(
            status, {k.lower(): v for k, v in headers.items()}, b"" if answer is None else orjson.dumps(answer)
        )

    def call(
        self,
        method: str,
        url: str,
        platform: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> HttpAnswer:
        """`shared.http.call`, answered by the fake in process (the credentials port's token calls)."""
        from services.ingest.pollers.base import Request

        sent = dict(headers or {})
        if form is not None:
            body = urlencode(dict(form)).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            body = orjson.dumps(json_body) if json_body is not None else b""
            sent.setdefault("Content-Type", "application/json")
        self.sent.append(Request(method, url, sent, body))
        status, answer, got = self.fake.handle(method, _target(url), sent, body)
        return HttpAnswer(status, {k.lower(): v for k, v in got.items()}, answer)


def _target(url: str) -> str:
    return "/" + url.split("//", 1)[1].split("/", 1)[1]
