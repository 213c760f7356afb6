"""What a platform connector is: a handshake, a signature check on the raw bytes, and a parser that turns one
delivery into zero or more normalised mentions. Pure functions of the delivery: no AWS, no HTTP objects, no clock
beyond the delivery's arrival time.

A `Delivery` is what a platform sent, whichever way it reached Hark: a webhook request (the edge builds it from
the HTTP request), a poller's fetch, or a replay from the raw archive."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from shared.errors import InvalidBody, InvalidSignature, StaleDelivery
from shared.events import (
    MAX_ATTACHMENTS,
    MAX_FOLLOWERS,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_REPLY_CONTEXT,
    MAX_URL_CHARS,
    Attachment,
    Author,
    Mention,
    MentionDeletion,
    MentionKind,
    PlatformId,
    fit_text,
    utcnow,
)
from shared.ids import PLATFORM_SOURCE, mention_id
from shared.secrets import SecretValues


@dataclass(frozen=True)
class Delivery:
    """What a platform sent: header names lower-cased, the body as the exact bytes (what signatures cover)."""

    platform: str
    body: bytes
    received_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    # The id the transport gave this request (API Gateway's request id), when the platform names none.
    request_id: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Handshake:
    """A subscription check (a GET with query parameters: Meta's hub.challenge, X's CRC, WebSub's verification)."""

    platform: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = field(default_factory=dict)
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Notice:
    """Something a platform said that is not a message but that another part of Hark must act on: a new video whose
    comments the pollers should fetch, a subscription verified (with its lease) or revoked, an app deauthorised.
    The ingest core hands notices to its `Notices` port; they are never stored as mentions."""

    platform: PlatformId
    kind: str  # e.g. `video.published`, `subscription.verified`, `subscription.revoked`
    ref: str  # what it is about: a video id, a topic URL, a subscription id
    at: datetime
    account_id: str | None = None  # the brand's channel, page, broadcaster
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What the platform's protocol expects back instead of a receipt: a challenge echoed, a PONG, a ping's ok."""

    body: str
    content_type: str = "text/plain; charset=utf-8"
    notices: tuple[Notice, ...] = ()  # what the handshake told Hark (a WebSub lease)


@dataclass(frozen=True)
class Parsed:
    mentions: list[Mention] = field(default_factory=list)
    ignored: int = 0
    # The protocol's answer (GitHub's ping, Slack's url_verification, Discord's PONG or its reply to a command);
    # sent back instead of a receipt, after whatever the delivery also carried was kept.
    answer: Answer | None = None
    deletions: list[MentionDeletion] = field(default_factory=list)  # messages deleted on the platform
    notices: list[Notice] = field(default_factory=list)  # non-message events another part must act on


class Connector(Protocol):
    @property
    def platform(self) -> PlatformId: ...

    @property
    def content_types(self) -> frozenset[str]: ...

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        """Answer a subscription handshake, or None when the platform has none."""

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        """Raise InvalidSignature unless the delivery is signed by the platform."""

    def parse(self, delivery: Delivery) -> Parsed:
        """Raise InvalidBody when the body is not a delivery of this platform."""

    def delivery_id(self, delivery: Delivery) -> str | None:
        """The platform's id of this delivery, when it sends one."""


def hmac_hex(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()


def check_prefixed_hex(header: str | None, prefix: str, expected_hex: str) -> None:
    """Compare a `<prefix><hex>` signature header in constant time."""
    if not header:
        raise InvalidSignature("the signature header is missing")
    if not header.startswith(prefix):
        raise InvalidSignature(f"the signature header does not start with {prefix!r}")
    if not hmac.compare_digest(header[len(prefix) :].strip().lower().encode(), expected_hex.encode()):
        raise InvalidSignature("the signature does not match the body")


def check_base64(header: str | None, prefix: str, expected: bytes, what: str = "signature") -> None:
    """Compare a `<prefix><base64>` signature header with the expected digest in constant time."""
    if not header:
        raise InvalidSignature(f"the {what} header is missing")
    if not header.startswith(prefix):
        raise InvalidSignature(f"the {what} header does not start with {prefix!r}")
    try:
        given = base64.b64decode(header[len(prefix) :].strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSignature(f"the {what} is not base64") from exc
    if not hmac.compare_digest(given, expected):
        raise InvalidSignature("the signature does not match the body")


def hmac_digest(secret: str | bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def same_secret(given: str | None, expected: str) -> bool:
    """A shared secret sent as is (Telegram's header, a token in a URL), compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def check_window(sent_at: datetime, received_at: datetime, window: timedelta, what: str = "delivery") -> None:
    """Refuse a delivery signed further from its arrival than the platform's replay window (either way: a clock
    far ahead is as suspect as a replay)."""
    if abs(received_at - sent_at) > window:
        raise StaleDelivery(
            f"the {what} was signed at {sent_at.isoformat()}, outside the {int(window.total_seconds())} s replay "
            "window",
            window_seconds=int(window.total_seconds()),
        )


def parse_json(body: bytes, what: str = "delivery") -> dict[str, Any]:
    """The body as a JSON object, or InvalidBody."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidBody(f"a {what} is a JSON object")
    return payload


def from_unix(value: Any) -> datetime:
    """Unix seconds or milliseconds (Meta mixes both), as int, float or string."""
    try:
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        return datetime.fromtimestamp(number, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise InvalidBody(f"not a timestamp: {str(value)[:40]!r}") from exc


def text_or_none(value: Any) -> str | None:
    """An optional string field: anything but a string is treated as absent."""
    return value if isinstance(value, str) else None


def from_iso(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidBody(f"not a timestamp: {str(value)[:40]!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidBody(f"not a timestamp: {value[:40]!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sid(value: Any) -> str:
    """Ids as strings: snowflake and Graph ids exceed 2^53, and some payloads send them as numbers."""
    if value is None or isinstance(value, bool | dict | list):
        raise InvalidBody(f"not an id: {str(value)[:40]!r}")
    return str(value)


@dataclass(frozen=True)
class Person:
    """An author as a connector read it, before it is fitted to the contract (names cut, numbers checked)."""

    id: str
    handle: str | None = None
    name: str | None = None
    followers: int | None = None


@dataclass(frozen=True)
class Media:
    """An attachment as a connector read it."""

    type: str
    url: str | None = None


def build_mention(
    *,
    platform: PlatformId,
    channel: str,
    kind: MentionKind,
    native_id: str,
    thread_id: str,
    author: Person,
    text: str,
    created_at: datetime,
    received_at: datetime,
    parent_id: str | None = None,
    account_id: str | None = None,
    from_brand: bool = False,
    addressed: bool | None = True,
    url: str | None = None,
    lang: str | None = None,
    attachments: tuple[Media, ...] = (),
    rating: int | None = None,
    edited_at: datetime | None = None,
    source: str = PLATFORM_SOURCE,
    reply_context: Mapping[str, str] | None = None,
) -> Mention:
    """A mention from what a connector read, fitted to the contract's bounds so that whatever is acknowledged can be
    stored. Identity is never cut: an id too long to store refuses the delivery. Text, names and URLs are cut (or
    dropped), and the mention says so (`truncated`); numbers out of any real range are dropped."""
    ids = {"native id": native_id, "thread id": thread_id, "parent id": parent_id, "account id": account_id}
    for label, value in {**ids, "author id": author.id}.items():
        if value is not None and not 0 < len(value) <= MAX_ID_CHARS:
            raise InvalidBody(f"the {label} is empty or longer than {MAX_ID_CHARS} characters")
    text, cut_text = fit_text(text)
    handle, cut_handle = _cut(author.handle, MAX_NAME_CHARS)
    name, cut_name = _cut(author.name, MAX_NAME_CHARS)
    followers = author.followers if author.followers is not None and 0 <= author.followers <= MAX_FOLLOWERS else None
    fitted_url, cut_url = (None, True) if url is not None and len(url) > MAX_URL_CHARS else (url, False)
    media = [
        Attachment(type=m.type[:64], url=m.url if m.url is None or len(m.url) <= MAX_URL_CHARS else None)
        for m in attachments[:MAX_ATTACHMENTS]
    ]
    cut_media = len(attachments) > MAX_ATTACHMENTS or any(
        a.type != m.type or a.url != m.url for a, m in zip(media, attachments, strict=False)
    )
    # What a reply needs besides the ids (an interaction token, a CID, a visibility): never cut, dropped whole.
    context = {
        k[:64]: v for k, v in list((reply_context or {}).items())[:MAX_REPLY_CONTEXT] if v and len(v) <= MAX_URL_CHARS
    }
    return Mention(
        id=mention_id(platform, native_id, source),
        platform=platform,
        channel=channel,
        kind=kind,
        native_id=native_id,
        thread_id=thread_id,
        parent_id=parent_id,
        account_id=account_id,
        author=Author(id=author.id, handle=handle, name=name, followers=followers),
        from_brand=from_brand,
        addressed=addressed,
        text=text,
        truncated=cut_text or cut_handle or cut_name or cut_url or cut_media,
        url=fitted_url,
        lang=lang if lang is None or len(lang) <= 16 else None,
        attachments=tuple(media),
        rating=rating if rating is None or 1 <= rating <= 5 else None,
        created_at=plausible(created_at, received_at),
        received_at=received_at,
        edited_at=None if edited_at is None else plausible(edited_at, received_at),
        source=source,
        reply_context=context,
    )


def build_deletion(
    platform: PlatformId,
    native_id: str,
    deleted_at: datetime,
    received_at: datetime,
    source: str = PLATFORM_SOURCE,
) -> MentionDeletion:
    """The deletion of the platform message `native_id`, under the same mention id its mention has."""
    if not 0 < len(native_id) <= MAX_ID_CHARS:
        raise InvalidBody(f"the deleted message's id is empty or longer than {MAX_ID_CHARS} characters")
    return MentionDeletion(
        id=mention_id(platform, native_id, source),
        platform=platform,
        native_id=native_id,
        deleted_at=plausible(deleted_at, received_at),
    )


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)


def plausible(moment: datetime, received_at: datetime) -> datetime:
    """A platform's timestamp, in UTC, if it could be true (after 2000, not later than a day after arrival); the
    arrival time otherwise. A message is never refused for its clock, and no year-9999 date reaches a sort key."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return received_at
    return utc if EARLIEST <= utc <= received_at + CLOCK_SKEW else received_at


def _cut(value: str | None, limit: int) -> tuple[str | None, bool]:
    if value is None or len(value) <= limit:
        return value, False
    return value[:limit], True
