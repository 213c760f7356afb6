"""The poll core: for each configured source of a platform, fetch what is new in each of its feeds, hand it to the
ingest core, and move the feed's cursor past it, never further. Also `backfill`: the same walk down to a date.

One run of a platform's scheduled function polls its sources in turn, each under a lease (two runs never poll the
same source at once), skipping a source that is backing off or not due (its `every`). For each feed:

- *Newest-first listings* (Reddit, WordPress, YouTube, Bluesky, TikTok) are walked from the top down until the
  walk reaches the cursor's *mark* (the newest key handed before; ids at that key are kept in `seen`, since several
  items can share one). A walk longer than one run allows is saved half way (`pending`: the next page; `top`: the
  newest key it handed; `walked`: the ids it handed, since pages shift as items arrive), and the next run resumes
  it; what arrived on top meanwhile waits for the walk after. Only when a walk is done does the mark move to its
  top. Keys need not be in order within a page (a YouTube thread's new reply sits with its old thread).
- *Oldest-first listings* (Discord's `after=<id>`) move the mark after every page.
- A source never polled before takes one page (the newest) and starts from there; older history is what
  `hark backfill` is for, which walks down from the top to a date and hands only what lies below the *floor*
  (the oldest key the poller ever handed), then lowers the floor.

A page's new items go to the ingest core as one polled delivery (`pollers/base.py`); the cursor is saved after the
core has queued them and only then, so a poll that fails half way (the platform, the queue or the cursor table)
leaves the cursor at the last page that was handed and loses nothing; its next run starts from there, and the
owners downstream drop the one page that may come twice (a crash between handing and saving), by id.

Rate limits: an answer that says stop (429, an exhausted 403, a platform's own code) backs the whole source off
until the time the platform names (`Retry-After`, `X-RateLimit-Reset`, `RateLimit-Reset`, Discord's
`retry_after`); a spent limit on a good answer pauses after that page. Server errors and unreachable platforms
back off exponentially (1 minute doubling to an hour), other refusals (credentials, a listing that is gone) for
fifteen minutes. The back-off is kept with the source, so the next runs skip it without a request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.ingest.platforms.base import Delivery
from services.ingest.pollers.auth import Auth
from services.ingest.pollers.base import (
    REFUSED_WAIT,
    Feed,
    Item,
    Poller,
    Request,
    Response,
    Scan,
    Verdict,
    backoff,
    judge,
    polled_delivery,
)
from services.ingest.pollers.http import Http
from shared.config import ConfigSource
from shared.credentials import Credential
from shared.errors import CredentialRevoked, HarkError, NotConfigured, Unavailable
from shared.events import SourceActivity, utcnow
from shared.observability import count, get_logger
from shared.sources import CredentialPort, account_of, api_base, credential_of

SERVICE = "ingest"
MAX_PAGES = 10  # per feed and run; a longer walk is resumed by the next run
SEEN = 200  # ids kept at the mark (several items can share one key)
# Ids a walk remembers (a walk longer than this is cut short: its mark moves to its top, and what lies between the
# last page and the old mark is left to `hark backfill`; three runs of ten pages of a hundred items come first).
# Kept small enough for the cursor to stay far below DynamoDB's 400 KB item.
WALKED = 3_000
RECENT = 2_000  # ids a source remembers across its feeds
RESERVE_S = 10.0  # no request is started with less time left in the invocation
DUE_SLACK = timedelta(seconds=10)  # a schedule fires a little early or late
LEASE = timedelta(minutes=2)  # a poll holds its source this long at most (the function's timeout is 60 s)
LONGEST_BACKFILL_WAIT = timedelta(minutes=15)  # a backfill waits out a rate limit this long at most, each time
BACKFILL_RETRIES = 3  # server errors a backfill retries (after the back-off) before it gives up


@dataclass(frozen=True)
class Cursor:
    """Where a feed stands: everything with a key above `mark` (or at it, not in `seen`) is still to be handed."""

    mark: str | None = None
    seen: tuple[str, ...] = ()
    floor: str | None = None  # the oldest key handed since polling began; backfill hands below it
    pending: str | None = None  # the next page of a walk not finished yet
    top: str | None = None  # the newest key that walk handed (the mark it will set)
    top_ids: tuple[str, ...] = ()
    walked: tuple[str, ...] = ()  # the ids that walk handed (pages shift as items arrive; nothing goes twice)
    taken: int = 0  # items handed, ever
    polled_at: datetime | None = None
    params: Mapping[str, str] = field(default_factory=dict)  # a watched feed's own parameters (a video id)
    expires_at: datetime | None = None  # a watched feed stops being polled then
    version: int = 0  # the store's optimistic lock


@dataclass(frozen=True)
class Limits:
    """A source's back-off, its last poll, and the ids it handed lately from any feed (a Reddit reply to the brand
    in a watched subreddit is in the inbox and in the subreddit's comments: it is handed once)."""

    until: datetime | None = None
    failures: int = 0
    reason: str = ""
    polled_at: datetime | None = None
    recent: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceState:
    cursors: Mapping[str, Cursor] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)


WATCHED = "video:"  # feeds another part asked to watch (YouTube's new videos) are named with this prefix


class CursorStore(Protocol):
    def load(self, source: str) -> SourceState: ...

    def claim(self, source: str, now: datetime, until: datetime) -> bool:
        """Take the source's lease unless another poll holds it."""

    def finish(self, source: str, limits: Limits) -> None:
        """Record the source's back-off and last poll, and release its lease."""

    def save(self, source: str, feed: str, cursor: Cursor) -> Cursor:
        """Write the cursor if nobody changed it since it was read (else `Conflict`); it with its new version."""

    def watch(self, source: str, feed: str, params: Mapping[str, str], expires_at: datetime) -> None:
        """Poll this feed too until `expires_at` (created with an empty cursor, or kept and extended)."""

    def unwatch(self, source: str, feed: str) -> None: ...


class Taker(Protocol):
    """The ingest core."""

    def take(self, delivery: Delivery) -> Any:
        """Archive a polled page and queue its mentions; its receipt has `mentions`."""

    def observe(
        self,
        platform: str,
        activity: SourceActivity,
        at: datetime,
        *,
        ok: bool = True,
        code: str | None = None,
        message: str | None = None,
        count: int = 1,
        source: str | None = None,
        account_id: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Tell source health what was seen (never raises)."""


@dataclass
class FeedReport:
    feed: str
    pages: int = 0
    items: int = 0  # new items handed to the ingest core
    mentions: int = 0  # of which were messages (the rest were ignored: likes, follows, the brand's bots...)

    def as_dict(self) -> dict[str, Any]:
        return {"feed": self.feed, "pages": self.pages, "items": self.items, "mentions": self.mentions}


@dataclass
class SourceReport:
    source: str
    outcome: str  # polled, paused, rate_limited, failed, refused, not_configured, backing_off, not_due, busy
    detail: str = ""
    until: datetime | None = None
    feeds: list[FeedReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "outcome": self.outcome,
            "detail": self.detail,
            "until": self.until.isoformat() if self.until else None,
            "feeds": [f.as_dict() for f in self.feeds],
        }


@dataclass
class PollReport:
    platform: str
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(f.items for s in self.sources for f in s.feeds)

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "items": self.items, "sources": [s.as_dict() for s in self.sources]}


@dataclass
class BackfillProgress:
    """What a backfill reports after each page: how far down it has walked (`reached`, a key), what it handed."""

    source: str
    feed: str
    reached: str | None
    items: int
    done: bool = False
    waiting_until: datetime | None = None


class _Stop(HarkError):
    """A feed's walk ends the source's poll: back off (a rate limit, a failure, a refusal)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


@dataclass
class _Session:
    """One source's requests in one run, signed with the credential the credentials port gives (refreshed before
    it expires), and retried once with a refreshed one when the platform refused the token. A credential the
    platform will not refresh raises `CredentialRevoked`: the source is unhealthy until a new one is stored."""

    http: Http
    port: Credentials
    poller: Poller
    source_id: str
    source: Any
    requests: int = 0
    credential: Credential | None = None
    auth: Auth = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self.credential = credential_of(self.port, self.source_id, self.source)
        except CredentialRevoked:
            raise
        except NotConfigured:
            # A listing anyone can read needs no credential, unless the source names one that is missing.
            if not self.poller.anonymous or getattr(self.source, "credentials", None):
                raise
        self.auth = self.poller.authenticator(self.source, self.credential)

    def send(self, request: Request) -> Response:
        response = self._send(request)
        if _token_refused(response) and self.credential is not None:
            # Refreshed once and tried again, or CredentialRevoked when it cannot be (as a sender does after a 401).
            self.credential = self.port.refresh(self.credential.platform, self.credential)
            self.auth = self.poller.authenticator(self.source, self.credential)
            response = self._send(request)
        return response

    def _send(self, request: Request) -> Response:
        self.requests += 1
        return self.http.send(self.auth.sign(request))


def _token_refused(response: Response) -> bool:
    if response.status == 401:
        return True
    if response.status == 400:  # XRPC says ExpiredToken with a 400
        body = response.json()
        return isinstance(body, dict) and body.get("error") in ("ExpiredToken", "InvalidToken")
    return False


class Credentials(CredentialPort, Protocol):
    def refresh(self, platform: str, stale: Credential) -> Credential: ...


class PollService:
    def __init__(
        self,
        api_bases: Mapping[str, str],
        config: ConfigSource,
        credentials: Credentials,
        ingest: Taker,
        cursors: CursorStore,
        http: Http,
        pollers: Mapping[str, Poller],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._api_bases = api_bases
        self._config = config
        self._credentials = credentials
        self._ingest = ingest
        self._cursors = cursors
        self._http = http
        self._pollers = pollers
        self._clock = clock

    def poller(self, platform: str) -> Poller:
        poller = self._pollers.get(platform)
        if poller is None:
            raise NotConfigured(f"Hark has no poller for {platform}; it polls {', '.join(sorted(self._pollers))}")
        return poller

    # Which sources
    def sources(self, platform: str, only: str | None = None) -> list[tuple[str, Any]]:
        self.poller(platform)
        sources = [
            (sid, s)
            for sid, s in self._config.get().config.sources.items()
            if s.platform == platform and s.enabled and (only is None or sid == only)
        ]
        if only is not None and not sources:
            raise NotConfigured(f"no enabled {platform} source {only!r} in the config")
        return sources

    # The scheduled poll
    def poll(self, platform: str, time_left: Callable[[], float] = lambda: math.inf) -> PollReport:
        report = PollReport(platform)
        for source_id, source in self.sources(platform):
            if time_left() < RESERVE_S:
                report.sources.append(SourceReport(source_id, "skipped", "no time left in this run"))
                continue
            report.sources.append(self._poll_source(platform, source_id, source, time_left))
        polled = [s for s in report.sources if s.feeds]
        if polled:
            count(SERVICE, "PolledItems", report.items)
        for outcome in ("rate_limited", "failed", "refused", "not_configured"):
            hits = sum(1 for s in report.sources if s.outcome == outcome)
            if hits:
                count(SERVICE, {"rate_limited": "PollsRateLimited"}.get(outcome, "PollFailures"), hits)
        return report

    def _poll_source(self, platform: str, source_id: str, source: Any, time_left: Callable[[], float]) -> SourceReport:
        now = self._clock()
        state = self._cursors.load(source_id)
        limits = state.limits
        if limits.until is not None and limits.until > now:
            return SourceReport(source_id, "backing_off", limits.reason, limits.until)
        if limits.polled_at is not None and now - limits.polled_at < source.every - DUE_SLACK:
            return SourceReport(source_id, "not_due")
        if not self._cursors.claim(source_id, now, now + LEASE):
            return SourceReport(source_id, "busy", "another poll holds this source")
        poller = self._pollers[platform]
        report = SourceReport(source_id, "polled")
        recent = _Recent(limits.recent)
        outcome = Limits(polled_at=now)
        failure: HarkError | None = None
        try:
            session, base = self._session(platform, source_id, source, poller)
            context = poller.context(source_id, source)
            for feed in self._feeds(poller, source, state, now, session, base):
                if time_left() < RESERVE_S:
                    report.detail = "ran out of time; the rest waits for the next run"
                    break
                cursor = state.cursors.get(feed.name, Cursor())
                feed_report = FeedReport(feed.name)
                report.feeds.append(feed_report)
                try:
                    pause = self._walk(
                        session, poller, source_id, source, base, context, feed, cursor, feed_report, time_left, recent
                    )
                except _Stop as stop:
                    if feed.name.startswith(WATCHED) and not (stop.verdict.rate_limited or stop.verdict.failure):
                        self._cursors.unwatch(source_id, feed.name)  # the video is gone or takes no comments
                        feed_report.feed += f" (stopped watching: {stop.verdict.reason})"
                        continue
                    raise
                if pause is not None:
                    report.outcome, report.detail, report.until = "paused", pause.reason, pause.until
                    outcome = replace(outcome, until=pause.until, reason=pause.reason)
                    break
        except HarkError as error:
            outcome = _backing_off(error, limits, now, report)
            failure = error
        finally:
            self._finish(source_id, replace(outcome, recent=recent.ids()), report)
        self._observe(platform, source_id, source, report, now, failure)
        return report

    def _observe(
        self, platform: str, source_id: str, source: Any, report: SourceReport, at: datetime, error: HarkError | None
    ) -> None:
        """Tell source health how the poll went (`GET /v1/sources`): a credential the platform will not refresh
        makes the source unhealthy until another is stored (its fingerprint names the refused one)."""
        ok = report.outcome in ("polled", "paused")
        code = None if ok else report.outcome
        fingerprint = None
        if isinstance(error, CredentialRevoked):
            code = str(error.extra.get("reason") or "token_revoked")
            fingerprint = error.extra.get("fingerprint")
        self._ingest.observe(
            platform,
            "poll",
            at,
            ok=ok,
            code=code,
            message=None if ok else report.detail,
            source=source_id,
            account_id=account_of(source),
            fingerprint=str(fingerprint) if fingerprint else None,
        )

    def _finish(self, source_id: str, limits: Limits, report: SourceReport) -> None:
        level = "info" if report.outcome in ("polled", "paused") else "warning"
        getattr(get_logger(SERVICE), level)(
            "poll",
            extra={
                "source": source_id,
                "outcome": report.outcome,
                "detail": report.detail[:300],
                "until": report.until.isoformat() if report.until else None,
                "items": sum(f.items for f in report.feeds),
                "feeds": len(report.feeds),
            },
        )
        try:
            self._cursors.finish(source_id, limits)
        except HarkError as error:  # the lease expires on its own; the cursors are already saved
            get_logger(SERVICE).warning("poll not recorded", extra={"source": source_id, "error": error.detail})

    def _feeds(
        self, poller: Poller, source: Any, state: SourceState, now: datetime, session: _Session, base: str
    ) -> list[Feed]:
        watched = [
            (name, cursor.params)
            for name, cursor in sorted(state.cursors.items())
            if name.startswith(WATCHED) and (cursor.expires_at is None or cursor.expires_at > now)
        ]
        feeds = {f.name: f for f in poller.feeds(source, watched)}

        def send(request: Request) -> Response:  # the platform's limits hold for discovery too
            response = session.send(request)
            verdict = poller.judge(response, self._clock()) or judge(response, self._clock())
            if not verdict.ok:
                raise _Stop(verdict)
            return response

        for feed in poller.discover(source, base, send, now):
            feeds.setdefault(feed.name, feed)
        return list(feeds.values())

    def _session(self, platform: str, source_id: str, source: Any, poller: Poller) -> tuple[_Session, str]:
        base = api_base(platform, self._api_bases, source)
        return _Session(self._http, self._credentials, poller, source_id, source), base

    def _walk(
        self,
        session: _Session,
        poller: Poller,
        source_id: str,
        source: Any,
        base: str,
        context: Mapping[str, Any],
        feed: Feed,
        cursor: Cursor,
        report: FeedReport,
        time_left: Callable[[], float],
        recent: _Recent,
    ) -> Verdict | None:
        """Poll one feed; the verdict to pause on when a good answer spent the rate limit."""
        page = cursor.pending if feed.newest_first else None
        while report.pages < MAX_PAGES and time_left() >= RESERVE_S:
            after = None if feed.newest_first else cursor.mark
            request = poller.request(source, feed, base, page, after, False)
            response = session.send(request)
            now = self._clock()
            verdict = poller.judge(response, now) or judge(response, now)
            if not verdict.ok:
                raise _Stop(verdict)
            scan = poller.scan(feed, response, False)
            if feed.newest_first:
                fresh, reached = select_newest(scan.items, cursor)
            else:
                fresh, reached = select_after(scan.items, cursor), False
            give = recent.new(fresh)  # not already handed by another feed of the source
            if give:
                receipt = self._ingest.take(
                    polled_delivery(poller.platform, source_id, feed, context, give, now, _shown(request.url))
                )
                recent.add(give)
                report.items += len(give)
                report.mentions += len(getattr(receipt, "mentions", ()))
            report.pages += 1
            cursor, done = advance(cursor, feed, fresh, scan, reached, now)
            cursor = self._cursors.save(source_id, feed.name, cursor)
            if verdict.until is not None:
                return verdict
            if done:
                return None
            page = scan.next
        return None

    # Backfill
    def backfill(
        self,
        platform: str,
        since: datetime,
        *,
        source: str | None = None,
        limit: int | None = None,
        on_progress: Callable[[BackfillProgress], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> list[BackfillProgress]:
        """Walk every feed of the platform's sources (or one) down to `since`, handing what lies below each
        feed's floor: what polling has not handed. Waits out rate limits (up to 15 minutes each time)."""
        poller = self.poller(platform)
        results = []
        for source_id, config in self.sources(platform, source):
            session, base = self._session(platform, source_id, config, poller)
            context = poller.context(source_id, config)
            state = self._cursors.load(source_id)
            for feed in self._feeds(poller, config, state, self._clock(), session, base):
                cursor = state.cursors.get(feed.name, Cursor())
                progress = BackfillProgress(source_id, feed.name, None, 0)
                self._backfill_feed(
                    session,
                    poller,
                    source_id,
                    config,
                    base,
                    context,
                    feed,
                    cursor,
                    poller.since_key(since),
                    limit,
                    progress,
                    on_progress,
                    sleep,
                )
                progress.done = True
                if on_progress is not None:
                    on_progress(progress)
                results.append(progress)
        return results

    def _backfill_feed(
        self,
        session: _Session,
        poller: Poller,
        source_id: str,
        source: Any,
        base: str,
        context: Mapping[str, Any],
        feed: Feed,
        cursor: Cursor,
        since: str,
        limit: int | None,
        progress: BackfillProgress,
        on_progress: Callable[[BackfillProgress], None] | None,
        sleep: Callable[[float], None],
    ) -> None:
        page: str | None = None
        handed: set[str] = set()
        failures = 0
        while limit is None or progress.items < limit:
            request = poller.request(source, feed, base, page, cursor.floor, True)
            response = session.send(request)
            now = self._clock()
            verdict = poller.judge(response, now) or judge(response, now)
            if not verdict.ok:
                if verdict.rate_limited or (verdict.failure and failures < BACKFILL_RETRIES):
                    failures += 0 if verdict.rate_limited else 1
                    until = verdict.until or backoff(failures, now)
                    wait = min((until - now).total_seconds(), LONGEST_BACKFILL_WAIT.total_seconds())
                    progress.waiting_until = now + timedelta(seconds=wait)
                    if on_progress is not None:
                        on_progress(progress)
                    sleep(max(wait, 0.0))
                    progress.waiting_until = None
                    continue
                raise _as_error(verdict)
            failures = 0
            scan = poller.scan(feed, response, True)
            fresh = [
                i
                for i in scan.items
                if i.key >= since and (cursor.floor is None or i.key < cursor.floor) and i.id not in handed
            ]
            fresh = _unique(fresh)[: None if limit is None else limit - progress.items]
            bottom = scan.next is None or any(i.key < since for i in scan.items)
            if fresh:
                self._ingest.take(
                    polled_delivery(poller.platform, source_id, feed, context, fresh, now, _shown(request.url))
                )
                handed.update(i.id for i in fresh)
                progress.items += len(fresh)
                cursor = lowered(cursor, fresh, now)
                cursor = self._cursors.save(source_id, feed.name, cursor)
            if scan.items:
                reached = min(i.key for i in scan.items)
                progress.reached = reached if progress.reached is None else min(progress.reached, reached)
            if on_progress is not None:
                on_progress(progress)
            if bottom:
                break
            if verdict.until is not None:  # a good answer that spent the limit: a backfill waits for the reset
                sleep(max(0.0, min((verdict.until - now).total_seconds(), LONGEST_BACKFILL_WAIT.total_seconds())))
            page = scan.next


def _backing_off(error: HarkError, limits: Limits, now: datetime, report: SourceReport) -> Limits:
    """The back-off a failed poll leaves on its source, and the report's account of it."""
    if isinstance(error, _Stop):
        verdict = error.verdict
        failures = limits.failures + 1 if verdict.failure else limits.failures
        until = verdict.until or backoff(failures, now)
        kind = "rate_limited" if verdict.rate_limited else "failed" if verdict.failure else "refused"
        reason = verdict.reason
    elif isinstance(error, NotConfigured):  # credentials missing or refused: an operator must act
        failures, until, kind, reason = limits.failures, now + REFUSED_WAIT, "not_configured", error.detail
    else:
        # The platform could not be reached, the queue or the cursor table failed (Unavailable, Conflict), or an
        # answer was no listing (InvalidBody): exponentially longer each time.
        failures = limits.failures + 1
        until, kind, reason = backoff(failures, now), "failed", error.detail
    report.outcome, report.detail, report.until = kind, reason, until
    return Limits(until=until, failures=failures, reason=reason, polled_at=now)


class _Recent:
    """The ids a source handed lately, in order (the newest last), bounded."""

    def __init__(self, ids: Sequence[str]) -> None:
        self._ids = dict.fromkeys(ids)

    def new(self, items: Sequence[Item]) -> list[Item]:
        return [i for i in items if i.id not in self._ids]

    def add(self, items: Sequence[Item]) -> None:
        for item in items:
            self._ids.pop(item.id, None)
            self._ids[item.id] = None

    def ids(self) -> tuple[str, ...]:
        return tuple(self._ids)[-RECENT:]


def _as_error(verdict: Verdict) -> HarkError:
    if verdict.failure or verdict.rate_limited:
        return Unavailable(verdict.reason)
    return NotConfigured(verdict.reason)


def _shown(url: str) -> str:
    """The URL fetched, without its query (where an API key can be)."""
    return url.split("?", 1)[0]


def _unique(items: Iterable[Item]) -> list[Item]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            out.append(item)
    return out


def _at(items: Sequence[Item], key: str | None) -> tuple[str, ...]:
    return tuple(i.id for i in items if i.key == key)


def select_newest(items: Sequence[Item], cursor: Cursor) -> tuple[list[Item], bool]:
    """The items of a newest-first page still to hand, and whether the page reached the cursor's mark."""
    fresh, reached = [], False
    walked = set(cursor.walked)
    for item in items:
        if cursor.top is not None and item.key > cursor.top:
            continue  # arrived after this walk began: the next walk's
        if item.id in walked:
            continue  # handed earlier in this walk (pages shift as items arrive)
        if cursor.mark is not None and (item.key < cursor.mark or (item.key == cursor.mark and item.id in cursor.seen)):
            reached = True
            continue
        fresh.append(item)
    return _unique(fresh), reached


def select_after(items: Sequence[Item], cursor: Cursor) -> list[Item]:
    """The items of an oldest-first page that came after the mark."""
    if cursor.mark is None:
        return _unique(items)
    mark, seen = cursor.mark, set(cursor.seen)
    return _unique(i for i in items if i.key > mark or (i.key == mark and i.id not in seen))


def advance(
    cursor: Cursor, feed: Feed, fresh: Sequence[Item], scan: Scan, reached: bool, now: datetime
) -> tuple[Cursor, bool]:
    """The cursor after a page was handed, and whether the feed's poll is done for this run."""
    first_ever = cursor.mark is None and cursor.floor is None and cursor.top is None
    keys = [i.key for i in fresh]
    taken = cursor.taken + len(fresh)
    if not feed.newest_first:
        mark = max([*keys, *([cursor.mark] if cursor.mark else [])]) if keys or cursor.mark else None
        seen = _at(fresh, mark) + (cursor.seen if mark == cursor.mark else ())
        floor = cursor.floor or (min(keys) if keys else None)
        done = first_ever or scan.next is None
        return replace(cursor, mark=mark, seen=seen[:SEEN], floor=floor, taken=taken, polled_at=now), done
    top: str | None
    if cursor.top is not None:
        top, top_ids = cursor.top, cursor.top_ids
    else:  # the walk's first page: its newest items are where the mark will be
        top = max(keys) if keys else None
        top_ids = _at(fresh, top)
    walked = cursor.walked + tuple(i.id for i in fresh)
    done = reached or scan.next is None or first_ever or len(walked) > WALKED
    if not done:
        return replace(
            cursor, pending=scan.next, top=top, top_ids=top_ids[:SEEN], walked=walked, taken=taken, polled_at=now
        ), False
    marks = [m for m in (cursor.mark, top) if m is not None]
    mark = max(marks) if marks else None
    seen = (cursor.seen if mark == cursor.mark else ()) + (top_ids if top == mark else ())
    floor = cursor.floor if cursor.floor is not None else (min(keys) if keys else None)
    return replace(
        cursor,
        mark=mark,
        seen=tuple(dict.fromkeys(seen))[:SEEN],
        floor=floor,
        pending=None,
        top=None,
        top_ids=(),
        walked=(),
        taken=taken,
        polled_at=now,
    ), True


def lowered(cursor: Cursor, fresh: Sequence[Item], now: datetime) -> Cursor:
    """The cursor after a backfill handed `fresh` (all below the floor): the floor follows it down; a feed never
    polled gets its mark too, so polling starts above what was backfilled."""
    low = min(i.key for i in fresh)
    floor = low if cursor.floor is None else min(cursor.floor, low)
    mark, seen = cursor.mark, cursor.seen
    if mark is None and cursor.top is None:
        mark = max(i.key for i in fresh)
        seen = _at(fresh, mark)
    return replace(cursor, floor=floor, mark=mark, seen=seen, taken=cursor.taken + len(fresh), polled_at=now)


__all__ = [
    "BackfillProgress",
    "Cursor",
    "CursorStore",
    "Limits",
    "PollReport",
    "PollService",
    "SourceReport",
    "SourceState",
    "advance",
    "select_after",
    "select_newest",
]
