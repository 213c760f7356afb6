"""What a platform connector is: a handshake, a signature check on the raw bytes, and a parser that turns one
delivery into zero or more normalised mentions. Pure functions of the request: no AWS, no clock beyond the
request's arrival time."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.errors import BadRequest, InvalidSignature
from shared.events import Attachment, Author, Mention, MentionKind, PlatformId, fit_text
from shared.http import HttpRequest, Reply
from shared.ids import mention_id
from shared.secrets import SecretValues

WEEK = 7 * 24 * 3600


@dataclass(frozen=True)
class Candidate:
    """A parsed mention and the key under which a redelivery of it is recognised."""

    mention: Mention
    dedupe_key: str

    @classmethod
    def new_message(cls, mention: Mention) -> Candidate:
        """A newly posted message is recognised by the platform's id for it, whichever delivery carried it. The
        mention id is a fixed-size hash of (platform, native id): safe as a key whatever the platform sends."""
        return cls(mention, mention.id)


@dataclass(frozen=True)
class Parsed:
    candidates: list[Candidate] = field(default_factory=list)
    ignored: int = 0
    reply: Reply | None = None  # a protocol answer (e.g. GitHub's ping) instead of mentions


class Connector(Protocol):
    @property
    def platform(self) -> PlatformId: ...

    @property
    def content_types(self) -> frozenset[str]: ...

    @property
    def dedupe_ttl_s(self) -> int:
        """How long a delivery id is remembered: at least the platform's retry window."""

    def handshake(self, request: HttpRequest, secrets: SecretValues) -> Reply | None:
        """Answer a subscription handshake (a GET), or None when this request is not one."""

    def verify(self, request: HttpRequest, secrets: SecretValues) -> None:
        """Raise InvalidSignature unless the request is signed by the platform."""

    def parse(self, request: HttpRequest) -> Parsed:
        """Raise BadRequest when the body is not a delivery of this platform."""

    def correlation_id(self, request: HttpRequest) -> str | None:
        """The platform's delivery id when it sends one."""


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


def from_unix(value: Any) -> datetime:
    """Unix seconds or milliseconds (Meta mixes both), as int, float or string."""
    try:
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        return datetime.fromtimestamp(number, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise BadRequest(f"not a timestamp: {str(value)[:40]!r}") from exc


def text_or_none(value: Any) -> str | None:
    """An optional string field: anything but a string is treated as absent."""
    return value if isinstance(value, str) else None


def from_iso(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadRequest(f"not a timestamp: {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"not a timestamp: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sid(value: Any) -> str:
    """Ids as strings: snowflake and Graph ids exceed 2^53, and some payloads send them as numbers."""
    if value is None or isinstance(value, bool | dict | list):
        raise BadRequest(f"not an id: {value!r}")
    return str(value)


def build_mention(
    *,
    platform: PlatformId,
    channel: str,
    kind: MentionKind,
    native_id: str,
    thread_id: str,
    author: Author,
    text: str,
    created_at: datetime,
    received_at: datetime,
    parent_id: str | None = None,
    account_id: str | None = None,
    from_brand: bool = False,
    addressed: bool | None = True,
    url: str | None = None,
    lang: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    rating: int | None = None,
) -> Mention:
    text, truncated = fit_text(text)
    return Mention(
        id=mention_id(platform, native_id),
        platform=platform,
        channel=channel,
        kind=kind,
        native_id=native_id,
        thread_id=thread_id,
        parent_id=parent_id,
        account_id=account_id,
        author=author,
        from_brand=from_brand,
        addressed=addressed,
        text=text,
        truncated=truncated,
        url=url,
        lang=lang,
        attachments=attachments,
        rating=rating,
        created_at=created_at,
        received_at=received_at,
    )
