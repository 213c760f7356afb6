"""YouTube push notifications (WebSub, formerly PubSubHubbub): new and updated videos on the brand's channel.

Subscribing is a POST to Google's hub with `hub.callback=<Hark>/webhooks/youtube`, `hub.topic=https://www.youtube.com
/xml/feeds/videos.xml?channel_id=<channel>`, `hub.secret` (Hark's `youtube` secret) and `hub.lease_seconds`. The hub
then verifies the intent with `GET ?hub.mode=subscribe&hub.topic=...&hub.challenge=...&hub.lease_seconds=...`,
answered with the challenge as plain text; the lease (at most about 10 days) must be renewed before it ends, so the
answer carries a `subscription.verified` notice with the lease's end for whoever renews it. Unsubscribing is
verified the same way; a `denied` subscription becomes a notice too. A topic that is not a YouTube channel's feed
(or, when channels are configured, not one of them) is refused with 404, as WebSub asks.

Notifications are Atom XML signed with `X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, raw body)>` (the algorithm
WebSub allows is named by the prefix; Google's hub uses sha1). They say a video was published or its title or
description changed, or (`at:deleted-entry`) that it was removed. None of that is a message: comments are not
pushed. Each video becomes a `video.published`, `video.updated` or `video.deleted` notice for the comment poller,
and the delivery is acknowledged with no mention. The XML is read with defusedxml (no entities, no DTDs).
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Notice,
    Parsed,
    check_prefixed_hex,
    from_iso,
    hmac_hex,
)
from shared.errors import InvalidBody, InvalidQuery, InvalidSignature, NotFound
from shared.secrets import SecretValues

ATOM = "{http://www.w3.org/2005/Atom}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}"
FEED_HOST = "www.youtube.com"
FEED_PATH = "/xml/feeds/videos.xml"
ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# A notification this long after publication is an edit of the title or description, not a new video.
UPDATE_AFTER = timedelta(minutes=15)
MAX_LEASE_SECONDS = 365 * 24 * 3600  # Google's hub grants about 10 days; anything past a year is nonsense


def channel_of(topic: str) -> str | None:
    """The channel id of a YouTube channel feed URL, or None for any other topic."""
    parts = urlsplit(topic)
    if parts.scheme not in ("http", "https") or parts.netloc != FEED_HOST or parts.path != FEED_PATH:
        return None
    channel = parse_qs(parts.query).get("channel_id", [""])[0]
    return channel or None


class YouTube:
    platform: Literal["youtube"] = "youtube"
    content_types = frozenset({"application/atom+xml", "application/xml", "text/xml"})

    def __init__(self, channels: Set[str] | None = None) -> None:
        # The channels Hark subscribed to; None agrees to any YouTube channel feed (until sources are configured).
        self._channels = channels

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        query = handshake.query
        mode, topic = query.get("hub.mode"), query.get("hub.topic", "")
        if mode == "denied":
            notice = Notice(
                platform=self.platform,
                kind="subscription.denied",
                ref=topic,
                at=handshake.received_at,
                account_id=channel_of(topic),
                detail={"reason": query.get("hub.reason", "")[:200]},
            )
            return Answer("", notices=(notice,))
        if mode not in ("subscribe", "unsubscribe") or "hub.challenge" not in query or not topic:
            raise InvalidQuery("expected a WebSub verification: hub.mode, hub.topic and hub.challenge")
        channel = channel_of(topic)
        if channel is None or (self._channels is not None and channel not in self._channels):
            raise NotFound("Hark did not ask to follow this topic")
        at = handshake.received_at
        detail: dict[str, str] = {}
        if mode == "subscribe":
            lease = query.get("hub.lease_seconds", "")
            if not lease.isdigit() or not 0 < int(lease) <= MAX_LEASE_SECONDS:
                raise InvalidQuery("a subscription is verified with its hub.lease_seconds")
            detail = {"lease_seconds": lease, "expires_at": (at + timedelta(seconds=int(lease))).isoformat()}
        notice = Notice(
            platform=self.platform,
            kind="subscription.verified" if mode == "subscribe" else "subscription.ended",
            ref=topic,
            at=at,
            account_id=channel,
            detail=detail,
        )
        return Answer(query["hub.challenge"], notices=(notice,))

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        header = delivery.headers.get("x-hub-signature", "")
        if not header:
            raise InvalidSignature("the X-Hub-Signature header is missing")
        name, _, digest = header.partition("=")
        algorithm = name.strip().lower()
        if algorithm not in ALGORITHMS:
            raise InvalidSignature(f"the X-Hub-Signature algorithm is not one of {', '.join(ALGORITHMS)}")
        expected = hmac_hex(secrets.platform_secret(self.platform), delivery.body, algorithm)
        check_prefixed_hex(f"{algorithm}={digest}", f"{algorithm}=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        from defusedxml import ElementTree  # noqa: PLC0415 - only YouTube sends XML
        from defusedxml.common import DefusedXmlException  # noqa: PLC0415

        try:
            feed = ElementTree.fromstring(delivery.body)
        except (ElementTree.ParseError, DefusedXmlException) as exc:
            raise InvalidBody("the body is not an Atom feed Hark can read") from exc
        if feed.tag != f"{ATOM}feed":
            raise InvalidBody("a WebSub notification from YouTube is an Atom feed")
        notices: list[Notice] = []
        for entry in feed.findall(f"{ATOM}entry"):
            video = _text(entry, f"{YT}videoId")
            channel = _text(entry, f"{YT}channelId")
            if not video:
                raise InvalidBody("a feed entry names no yt:videoId")
            published = _time(_text(entry, f"{ATOM}published"), delivery)
            updated = _time(_text(entry, f"{ATOM}updated"), delivery)
            link = entry.find(f"{ATOM}link[@rel='alternate']")
            notices.append(
                Notice(
                    platform=self.platform,
                    kind="video.updated" if updated - published > UPDATE_AFTER else "video.published",
                    ref=video,
                    at=updated,
                    account_id=channel,
                    detail={
                        "title": (_text(entry, f"{ATOM}title") or "")[:200],
                        "url": (link.get("href", "") if link is not None else "")[:500],
                        "published": published.isoformat(),
                    },
                )
            )
        for tombstone in feed.findall(f"{TOMBSTONE}deleted-entry"):
            ref = tombstone.get("ref", "")
            if not ref:
                raise InvalidBody("a deleted entry names no ref")
            by = tombstone.find(f"{TOMBSTONE}by")
            uri = _text(by, f"{ATOM}uri") if by is not None else None
            notices.append(
                Notice(
                    platform=self.platform,
                    kind="video.deleted",
                    ref=ref.removeprefix("yt:video:"),
                    at=_time(tombstone.get("when"), delivery),
                    account_id=uri.rsplit("/", 1)[-1] if uri else None,
                )
            )
        return Parsed(ignored=len(notices), notices=notices)


def _text(element: object, path: str) -> str | None:
    found = element.find(path)  # type: ignore[attr-defined]
    text = found.text if found is not None else None
    return text.strip() if isinstance(text, str) and text.strip() else None


def _time(value: str | None, delivery: Delivery) -> datetime:
    if not value:
        return delivery.received_at
    try:
        # Atom times here carry nanoseconds (`2015-03-09T19:05:24.552394234+00:00`); Python reads microseconds.
        head, dot, rest = value.partition(".")
        if dot:
            digits = "".join(c for c in rest if c.isdigit())
            value = f"{head}.{digits[:6]}{rest[len(digits) :]}"
        return from_iso(value)
    except InvalidBody:
        return delivery.received_at
