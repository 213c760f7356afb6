"""What a poller is, in pure parts: the requests it makes, what it reads from the answers, and the page of new items
it hands to the ingest core. No HTTP, no AWS, no clock but the one passed in.

A poller fetches a platform's listing (a *feed*: a Reddit inbox, a channel's messages, a video's comment threads),
picks out the items it has not handed over before (by the cursor, `services/ingest/polling.py`), and hands them to
the ingest core as a `Delivery` of type `application/vnd.hark.poll+json` whose body is a *polled page*:

    {"source": "<config source id>", "feed": "<feed name>", "kind": "<what the parser reads>",
     "context": {"account_id": ..., "brand_ids": [...], ...}, "url": "<what was fetched>",
     "items": [<each item as the platform sent it>]}

The ingest core trusts such a delivery as it trusts a replay from the archive (Hark fetched it with its own
credentials; no webhook can send that content type, since no connector accepts it) and parses it with the
platform's poll parser, a pure function like a connector's `parse`. The page carries what the parser needs
(`context`), so an archived page parses the same way later, whatever the config says by then.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

import orjson

from services.ingest.platforms.base import Delivery, Parsed, parse_json
from shared.errors import InvalidBody
from shared.events import Mention, PlatformId
from shared.observability import get_logger

if TYPE_CHECKING:
    from services.ingest.pollers.auth import Auth
    from shared.credentials import Credential

POLLED_TYPE = "application/vnd.hark.poll+json"
SERVICE = "ingest"


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


def get(base: str, path: str, params: Mapping[str, str | int | None] | None = None, **headers: str) -> Request:
    """A GET of `base + path` with the parameters that are set."""
    query = urlencode([(k, str(v)) for k, v in (params or {}).items() if v is not None and v != ""])
    return Request("GET", f"{base}{path}" + (f"?{query}" if query else ""), dict(headers))


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


@dataclass(frozen=True)
class Item:
    """One thing in a listing: the platform's id for it, a key that sorts it in time, and the item as sent."""

    id: str
    key: str
    raw: Any


@dataclass(frozen=True)
class Scan:
    """What a page of a listing holds, and the token of the next page in the walk's direction (None: the last)."""

    items: list[Item]
    next: str | None = None


@dataclass(frozen=True)
class Feed:
    """One listing of one source, polled with its own cursor (named `name` in the cursor table)."""

    name: str
    kind: str  # which listing it is, for the request and the parser
    params: Mapping[str, str] = field(default_factory=dict)
    # True: the listing answers newest first, older pages follow (a walk down to the cursor). False: it answers
    # what came after a given item, oldest first (Discord's `after`).
    newest_first: bool = True


@dataclass(frozen=True)
class Verdict:
    """How a platform answered a request: fine to read, or back off until a time and why."""

    ok: bool
    until: datetime | None = None  # for ok: pause after this page (the limit is spent); else: back off until
    reason: str = ""
    rate_limited: bool = False
    failure: bool = False  # counts towards the exponential back-off (a server error, a network failure)


class Poller(Protocol):
    """One platform's poller: which feeds a source has, how each is fetched and read, and its parser."""

    @property
    def platform(self) -> PlatformId: ...

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        """The feeds of `source`, with those another part asked to watch (`(name, params)`, e.g. new videos)."""

    def discover(self, source: Any, base: str, send: Callable[[Request], Response], now: datetime) -> list[Feed]:
        """Feeds only the platform can name (TikTok's newest videos): asked once a run; most pollers have none."""

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        """What the parser needs to know about the source (its account id, the brand's own ids)."""

    anonymous: bool
    """The platform's listings can be read without credentials (a WordPress site's published comments)."""

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        """How requests for `source` are signed with `credential` (fresh from the credentials port; None: none
        is configured and the poller is `anonymous`). Raises NotConfigured when it lacks what the platform needs."""

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        """The request for one page: `page` is the token of a page the last scan named; `after` the cursor's
        mark (oldest-first listings ask for what came after it); `backfill` walks down from the top, or from
        `after` for a listing that can start below it."""

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        """The items of a page and the next page's token; raises InvalidBody for an answer that is no listing."""

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        """A platform's own reading of an answer (a quota error in a 403, a rate limit in a 200), or None."""

    def parse(self, delivery: Delivery) -> Parsed:
        """The mentions of a polled page (the ingest core's parser)."""

    def since_key(self, moment: datetime) -> str:
        """The key items created at `moment` sort at (what `hark backfill --since` walks down to)."""

    def key_moment(self, key: str) -> datetime | None:
        """When an item with this key was created, as far as the key says."""


# Rate-limit headers, as the platforms send them.
RETRY_AFTER = "retry-after"
REMAINING = ("x-ratelimit-remaining", "ratelimit-remaining")
RESET = ("x-ratelimit-reset", "ratelimit-reset")
RESET_AFTER = ("x-ratelimit-reset-after",)  # Discord: seconds, fractional
EPOCH_FLOOR = 1_000_000_000.0  # a reset value larger than this is a Unix time, smaller a number of seconds

# Back-off: a server error or an unreachable platform waits twice as long each time, from a minute up to an hour; a
# rate limit without a time waits a minute; a refusal (credentials, a listing that is gone) waits fifteen minutes.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
REFUSED_WAIT = timedelta(minutes=15)
RATE_LIMIT_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(days=1)  # a platform that names a later time is believed for a day at most


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None  # NaN, infinities and negatives are nonsense


def retry_at(headers: Mapping[str, str], now: datetime, body: Any = None) -> datetime | None:
    """When the platform says to try again: `Retry-After` (seconds or an HTTP date), a body's `retry_after`
    (Discord), or the reset of an exhausted limit."""
    raw = headers.get(RETRY_AFTER)
    if raw:
        seconds = _number(raw)
        if seconds is not None:
            return _bounded(now + timedelta(seconds=seconds), now)
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            aware: datetime = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            return _bounded(aware, now)
    if isinstance(body, dict):
        seconds = _number(str(body.get("retry_after"))) if body.get("retry_after") is not None else None
        if seconds is not None:
            return _bounded(now + timedelta(seconds=seconds), now)
    return reset_at(headers, now)


def reset_at(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When the current rate-limit window resets (Unix time or seconds from now, whichever the platform sends)."""
    for name in RESET_AFTER:
        seconds = _number(headers.get(name))
        if seconds is not None:
            return _bounded(now + timedelta(seconds=seconds), now)
    for name in RESET:
        value = _number(headers.get(name))
        if value is not None:
            moment = datetime.fromtimestamp(value, UTC) if value > EPOCH_FLOOR else now + timedelta(seconds=value)
            return _bounded(moment, now)
    return None


def remaining(headers: Mapping[str, str]) -> float | None:
    for name in REMAINING:
        value = _number(headers.get(name))
        if value is not None:
            return value
    return None


def _bounded(moment: datetime, now: datetime) -> datetime:
    latest: datetime = now + LONGEST_WAIT
    if moment > latest:
        return latest
    return moment if moment > now else now


def backoff(failures: int, now: datetime) -> datetime:
    """The exponential back-off after `failures` failures in a row (1, 2, 4 ... minutes, at most an hour)."""
    step = BACKOFF_BASE * (1 << max(0, min(failures - 1, 12)))
    return now + min(step, BACKOFF_CAP)


def judge(response: Response, now: datetime) -> Verdict:
    """What any platform's answer means for the poll: read it (pausing after it when the limit is spent), or back
    off (429 and exhausted 403s until the time the platform names; server errors exponentially; other refusals
    for fifteen minutes)."""
    status, headers = response.status, response.headers
    left = remaining(headers)
    if 200 <= status < 300:
        pause = (reset_at(headers, now) or now + RATE_LIMIT_WAIT) if left is not None and left < 1 else None
        return Verdict(ok=True, until=pause, reason="rate limit spent" if pause else "", rate_limited=pause is not None)
    if status == 429 or (status == 403 and left is not None and left < 1):
        until = retry_at(headers, now, response.json()) or now + RATE_LIMIT_WAIT
        return Verdict(ok=False, until=until, reason=f"rate limited ({status})", rate_limited=True)
    if status >= 500 or status == 408:
        return Verdict(ok=False, reason=f"the platform answered {status}", failure=True)
    return Verdict(ok=False, until=now + REFUSED_WAIT, reason=f"the platform refused the request ({status})")


# Keys sort items in time as plain strings.
def time_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def number_key(value: int) -> str:
    """An increasing integer id (a snowflake, a base-36 id) as a fixed-width key."""
    return f"{value:020d}"


def key_time(key: str) -> datetime | None:
    try:
        return datetime.strptime(key, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


class TimeKeyed:
    """For pollers whose items sort by their creation time and whose feeds are all in the config."""

    anonymous = False

    def discover(self, source: Any, base: str, send: Callable[[Request], Response], now: datetime) -> list[Feed]:
        return []

    def since_key(self, moment: datetime) -> str:
        return time_key(moment)

    def key_moment(self, key: str) -> datetime | None:
        return key_time(key)


# The polled page: what the poller hands to the ingest core.
@dataclass(frozen=True)
class PolledPage:
    source: str
    feed: str
    kind: str
    context: Mapping[str, Any]
    items: list[Any]
    url: str = ""


def polled_delivery(
    platform: str,
    source: str,
    feed: Feed,
    context: Mapping[str, Any],
    items: Sequence[Item],
    fetched_at: datetime,
    url: str,
) -> Delivery:
    """A page of new items as the ingest core takes it. Its id is a hash of the source, the feed and the items, so
    the same page handed twice (a retry after a failure to save the cursor) is the same delivery."""
    document = {
        "source": source,
        "feed": feed.name,
        "kind": feed.kind,
        "context": dict(context),
        "url": url,
        "items": [item.raw for item in items],
    }
    digest = hashlib.sha256("\x1f".join([platform, source, feed.name, *(i.id for i in items)]).encode()).hexdigest()
    return Delivery(
        platform=platform,
        body=orjson.dumps(document),
        received_at=fetched_at,
        headers={"content-type": POLLED_TYPE, "x-hark-source": source[:64], "x-hark-feed": feed.name[:128]},
        request_id=f"poll-{digest[:32]}",
    )


def read_page(delivery: Delivery) -> PolledPage:
    document = parse_json(delivery.body, "polled page")
    items, context = document.get("items"), document.get("context")
    if not isinstance(items, list) or not isinstance(context, dict):
        raise InvalidBody("a polled page carries its items and context")
    return PolledPage(
        source=str(document.get("source") or ""),
        feed=str(document.get("feed") or ""),
        kind=str(document.get("kind") or ""),
        context=context,
        items=items,
        url=str(document.get("url") or ""),
    )


def parse_items(delivery: Delivery, page: PolledPage, read: Callable[[Any], Mention | None], platform: str) -> Parsed:
    """Each item read on its own: one a parser cannot read is counted as ignored and logged, never the whole page
    refused (a page refused would be fetched and refused again on every poll)."""
    mentions: list[Mention] = []
    ignored = 0
    for raw in page.items:
        try:
            mention = read(raw)
        except (InvalidBody, ValueError, TypeError, KeyError, AttributeError) as exc:
            get_logger(SERVICE).warning(
                "unreadable polled item",
                extra={"platform": platform, "feed": page.feed, "error": type(exc).__name__},
            )
            mention = None
        if mention is None:
            ignored += 1
        else:
            mentions.append(mention)
    return Parsed(mentions=mentions, ignored=ignored)


class _Text(HTMLParser):
    BREAKS = frozenset({"p", "br", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS and self.parts:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of an HTML fragment (a WordPress comment's `content.rendered`): tags dropped, entities decoded,
    paragraphs and line breaks kept as new lines."""
    reader = _Text()
    reader.feed(html)
    reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).splitlines()]
    return "\n".join(line for line in lines if line).strip()


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (an optional nested object)."""
    return value if isinstance(value, dict) else {}


def json_list(response: Response, what: str) -> list[Any]:
    document = response.json()
    if not isinstance(document, list):
        raise InvalidBody(f"{what} is a JSON array")
    return document


def json_object(response: Response, what: str) -> dict[str, Any]:
    document = response.json()
    if not isinstance(document, dict):
        raise InvalidBody(f"{what} is a JSON object")
    return document
