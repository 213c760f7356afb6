"""Twitch EventSub over the webhook transport: chat messages in the brand's channel.

Every message is signed: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256(secret, Message-Id +
Message-Timestamp + raw body)>`; one whose timestamp is more than 10 minutes from arrival is refused (Twitch's
replay window). `Twitch-Eventsub-Message-Type` says what it is:
- `webhook_callback_verification`: the subscription's challenge, answered as plain text with the challenge itself;
- `revocation`: Twitch ended a subscription (authorisation revoked, user removed, too many failed deliveries); a
  `subscription.revoked` notice, so someone resubscribes;
- `notification`: `channel.chat.message` is a mention, `channel.chat.message_delete` a deletion; every other
  subscription type (follows, raids, cheers, clears) is acknowledged and ignored.
Twitch retries deliveries that fail; the same Message-Id comes back, and the chat message keeps its own id.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Notice,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    check_prefixed_hex,
    check_window,
    from_iso,
    hmac_hex,
    parse_json,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidHeader, InvalidSignature
from shared.events import Mention
from shared.secrets import SecretValues

REPLAY_WINDOW = timedelta(minutes=10)
_FRACTION = re.compile(r"(\.\d{6})\d+")


def eventsub_time(value: str) -> datetime:
    """RFC 3339 with up to nanoseconds (`2021-02-19T23:47:00.8091512Z`); Python reads microseconds."""
    return from_iso(_FRACTION.sub(r"\1", value))


class Twitch:
    platform: Literal["twitch"] = "twitch"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None  # Twitch verifies a subscription with a signed POST (webhook_callback_verification)

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        message_id = delivery.headers.get("twitch-eventsub-message-id", "")
        stamp = delivery.headers.get("twitch-eventsub-message-timestamp", "")
        if not message_id or not stamp:
            raise InvalidSignature("the Twitch-Eventsub-Message-Id or -Timestamp header is missing")
        try:
            sent_at = eventsub_time(stamp)
        except InvalidBody as exc:
            raise InvalidSignature("the Twitch-Eventsub-Message-Timestamp header is not a time") from exc
        check_window(sent_at, delivery.received_at, REPLAY_WINDOW)
        expected = hmac_hex(secrets.platform_secret(self.platform), (message_id + stamp).encode() + delivery.body)
        check_prefixed_hex(delivery.headers.get("twitch-eventsub-message-signature"), "sha256=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        return delivery.headers.get("twitch-eventsub-message-id")

    def parse(self, delivery: Delivery) -> Parsed:
        kind = delivery.headers.get("twitch-eventsub-message-type")
        if not kind:
            raise InvalidHeader("the Twitch-Eventsub-Message-Type header is missing")
        payload = parse_json(delivery.body, "Twitch EventSub message")
        subscription = payload.get("subscription")
        if not isinstance(subscription, dict):
            raise InvalidBody("an EventSub message carries its subscription")
        if kind == "webhook_callback_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                raise InvalidBody("a webhook_callback_verification carries its challenge")
            return Parsed(answer=Answer(challenge))
        condition = _object(subscription.get("condition"))
        if kind == "revocation":
            notice = Notice(
                platform=self.platform,
                kind="subscription.revoked",
                ref=sid(subscription.get("id")),
                at=delivery.received_at,
                account_id=text_or_none(condition.get("broadcaster_user_id")),
                detail={"type": str(subscription.get("type")), "status": str(subscription.get("status"))},
            )
            return Parsed(ignored=1, notices=[notice])
        if kind != "notification":
            return Parsed(ignored=1)
        event = payload.get("event")
        if not isinstance(event, dict):
            raise InvalidBody("an EventSub notification carries its event")
        sent_at = _sent_at(delivery)
        topic = subscription.get("type")
        if topic == "channel.chat.message_delete":
            deletion = build_deletion(self.platform, sid(event.get("message_id")), sent_at, delivery.received_at)
            return Parsed(deletions=[deletion])
        if topic != "channel.chat.message":
            return Parsed(ignored=1)
        return Parsed(mentions=[self._chat(event, sent_at, delivery)])

    def _chat(self, event: dict[str, Any], sent_at: datetime, delivery: Delivery) -> Mention:
        message = _object(event.get("message"))
        reply = _object(event.get("reply"))
        native_id = sid(event.get("message_id"))
        broadcaster = sid(event.get("broadcaster_user_id"))
        chatter = sid(event.get("chatter_user_id"))
        parent = text_or_none(reply.get("parent_message_id"))
        return build_mention(
            platform=self.platform,
            channel="twitch.chat",
            kind="message",
            native_id=native_id,
            # Chat is one stream; a reply joins the thread it answers, anything else stands alone.
            thread_id=text_or_none(reply.get("thread_message_id")) or parent or native_id,
            parent_id=parent,
            account_id=broadcaster,
            author=Person(
                id=chatter,
                handle=text_or_none(event.get("chatter_user_login")),
                name=text_or_none(event.get("chatter_user_name")),
            ),
            from_brand=chatter == broadcaster,
            text=str(message.get("text") or ""),
            url=None,
            created_at=sent_at,
            received_at=delivery.received_at,
        )


def _sent_at(delivery: Delivery) -> datetime:
    stamp = delivery.headers.get("twitch-eventsub-message-timestamp")
    try:
        return eventsub_time(stamp) if stamp else delivery.received_at
    except InvalidBody:
        return delivery.received_at


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
