"""Trustpilot review webhooks: reviews of the brand's business unit, created, updated and deleted.

Trustpilot signs nothing. Hark authenticates the webhook by a secret in its URL, which Trustpilot sends back with
every delivery: Basic credentials (`https://hark:<secret>@host/webhooks/trustpilot`, any user name) or a `token`
query parameter (`https://host/webhooks/trustpilot?token=<secret>`), compared in constant time with Hark's
`trustpilot` secret. Anyone who learns the URL can post, so keep it as secret as a signing key and rotate it by
changing the webhook in Trustpilot's Business app (Integrations → Developers → Webhooks). There is no timestamp,
so no replay window; a review keeps its own id, so a repeated delivery adds nothing.

A delivery is `{"events": [...]}` (batched). `service-review-created` is a mention (the title and text, the stars),
`service-review-updated` the same mention with `edited_at`, `service-review-deleted` a deletion; other events
(product reviews' own events, invitations) are acknowledged and ignored.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Literal

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    from_iso,
    parse_json,
    same_secret,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature
from shared.events import Mention, MentionDeletion
from shared.secrets import SecretValues


def _basic_password(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, ValueError):
        return None
    return decoded.partition(":")[2]


class Trustpilot:
    platform: Literal["trustpilot"] = "trustpilot"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        secret = secrets.platform_secret(self.platform)
        given = _basic_password(delivery.headers.get("authorization")) or delivery.query.get("token")
        if not given:
            raise InvalidSignature("the webhook URL's secret is missing (Basic credentials or ?token=)")
        if not same_secret(given, secret):
            raise InvalidSignature("the webhook URL's secret does not match")

    def delivery_id(self, delivery: Delivery) -> str | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        payload = parse_json(delivery.body, "Trustpilot delivery")
        events = payload.get("events")
        if not isinstance(events, list):
            raise InvalidBody("a Trustpilot delivery carries its events")
        mentions: list[Mention] = []
        deletions: list[MentionDeletion] = []
        ignored = 0
        for raw in events:
            if not isinstance(raw, dict) or not isinstance(raw.get("eventData"), dict):
                raise InvalidBody("a Trustpilot event carries its eventData")
            name, data = raw.get("eventName"), raw["eventData"]
            if name == "service-review-deleted":
                at = _time(data.get("deletedAt") or data.get("updatedAt"), delivery)
                deletions.append(build_deletion(self.platform, sid(data.get("id")), at, delivery.received_at))
            elif name in ("service-review-created", "service-review-updated"):
                mentions.append(self._review(data, name == "service-review-updated", delivery))
            else:
                ignored += 1
        return Parsed(mentions=mentions, deletions=deletions, ignored=ignored)

    def _review(self, data: dict[str, Any], updated: bool, delivery: Delivery) -> Mention:
        review_id = sid(data.get("id"))
        raw_consumer = data.get("consumer")
        consumer: dict[str, Any] = raw_consumer if isinstance(raw_consumer, dict) else {}
        title, text = text_or_none(data.get("title")), text_or_none(data.get("text")) or ""
        stars = data.get("stars")
        created = _time(data.get("createdAt"), delivery)
        return build_mention(
            platform=self.platform,
            channel="trustpilot.review",
            kind="review",
            native_id=review_id,
            thread_id=review_id,
            account_id=text_or_none(data.get("businessUnitId")) or text_or_none(data.get("locationId")),
            author=Person(id=sid(consumer.get("id") or "unknown"), name=text_or_none(consumer.get("name"))),
            text=f"{title}\n\n{text}" if title and text else (title or text),
            url=f"https://www.trustpilot.com/reviews/{review_id}",
            lang=text_or_none(data.get("language")),
            rating=stars if isinstance(stars, int) and not isinstance(stars, bool) else None,
            created_at=created,
            received_at=delivery.received_at,
            edited_at=_time(data.get("updatedAt"), delivery) if updated else None,
        )


def _time(value: Any, delivery: Delivery) -> datetime:
    return from_iso(value) if isinstance(value, str) else delivery.received_at
