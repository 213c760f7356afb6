"""Zendesk event webhooks: comments added to tickets.

Signature: `X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256(signing secret, X-Zendesk-Webhook-Signature-Timestamp +
raw body)>`. Zendesk lets the receiver choose its replay window; Hark refuses a timestamp more than an hour from
arrival (Zendesk retries a 409, 429 or 503 up to three times and honours Retry-After, so a retry may come minutes
later). The body is Zendesk's event schema `{type, account_id, id, time, subject, detail, event}`; `id` names the
event, so a retry carries the same id.

`zen:event-type:ticket.comment_added` with a public comment is a mention: the comment is the message, the ticket
the conversation, an agent (`is_staff`) the brand. Internal notes are the agents' own and are not heard; every
other event (status, assignment, tags, users, organisations) is acknowledged and ignored. Trigger webhooks with a
custom template are not read here: their body is whatever the template says (see docs/platforms/zendesk.md).
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any, Literal

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Parsed,
    Person,
    build_mention,
    check_base64,
    check_window,
    from_iso,
    hmac_digest,
    parse_json,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature
from shared.secrets import SecretValues

REPLAY_WINDOW = timedelta(hours=1)
COMMENT_ADDED = "zen:event-type:ticket.comment_added"


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    return base64.b64encode(hmac_digest(secret, timestamp.encode() + body)).decode()


class Zendesk:
    platform: Literal["zendesk"] = "zendesk"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        stamp = delivery.headers.get("x-zendesk-webhook-signature-timestamp", "")
        if not stamp:
            raise InvalidSignature("the X-Zendesk-Webhook-Signature-Timestamp header is missing")
        try:
            sent_at = from_iso(stamp)
        except InvalidBody as exc:
            raise InvalidSignature("the signature timestamp is not a time") from exc
        check_window(sent_at, delivery.received_at, REPLAY_WINDOW)
        expected = hmac_digest(secrets.platform_secret(self.platform), stamp.encode() + delivery.body)
        check_base64(delivery.headers.get("x-zendesk-webhook-signature"), "", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        try:
            event_id = text_or_none(parse_json(delivery.body).get("id"))
        except InvalidBody:
            event_id = None
        return event_id or delivery.headers.get("x-zendesk-webhook-invocation-id")

    def parse(self, delivery: Delivery) -> Parsed:
        payload = parse_json(delivery.body, "Zendesk event")
        kind = payload.get("type")
        if not isinstance(kind, str):
            raise InvalidBody("a Zendesk event names its type")
        if kind != COMMENT_ADDED:
            return Parsed(ignored=1)
        event, ticket = _object(payload.get("event")), _object(payload.get("detail"))
        comment = _object(event.get("comment"))
        if not comment:
            raise InvalidBody("a comment_added event carries its comment")
        if comment.get("is_public") is False:
            return Parsed(ignored=1)  # an internal note
        account = sid(payload.get("account_id"))
        ticket_id = sid(ticket.get("id") or str(payload.get("subject", "")).rsplit(":", 1)[-1] or None)
        author = _object(comment.get("author"))
        return Parsed(
            mentions=[
                build_mention(
                    platform=self.platform,
                    channel="zendesk.ticket_comment",
                    kind="comment",
                    native_id=f"{account}/comment/{sid(comment.get('id'))}",
                    thread_id=f"{account}/ticket/{ticket_id}",
                    account_id=account,
                    author=Person(id=sid(author.get("id")), name=text_or_none(author.get("name"))),
                    from_brand=author.get("is_staff") is True,
                    text=str(comment.get("body") or ""),
                    created_at=from_iso(payload["time"]) if payload.get("time") else delivery.received_at,
                    received_at=delivery.received_at,
                )
            ]
        )


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidBody("a Zendesk event field is not an object")
    return value
