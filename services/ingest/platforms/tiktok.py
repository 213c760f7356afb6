"""TikTok for Developers webhooks: what TikTok tells an app about the brand's account.

Signature: `TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(client secret, t + "." + raw body)>`; a
timestamp more than 5 minutes from arrival is refused (TikTok leaves the window to the receiver). TikTok retries
with exponential backoff for up to 72 hours and sends no event id, so a delivery is named by its event, account
and time.

TikTok pushes no comments or mentions (those come from the comment poller where TikTok's API allows), so nothing
here is a message. The events are notices for the parts that act on them: `authorization.removed` (the brand
revoked Hark's access: `app.revoked`), `video.publish.completed` (a new video whose comments the poller should
fetch: `video.published`), `video.upload.failed`, `portability.download.ready` (`tiktok.<event>`). The body's
`content` is a JSON string, decoded a second time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import orjson

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Notice,
    Parsed,
    check_prefixed_hex,
    check_window,
    from_unix,
    hmac_hex,
    parse_json,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature
from shared.secrets import SecretValues

REPLAY_WINDOW = timedelta(minutes=5)
KINDS = {"authorization.removed": "app.revoked", "video.publish.completed": "video.published"}


def tiktok_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac_hex(secret, timestamp.encode() + b"." + body)


class TikTok:
    platform: Literal["tiktok"] = "tiktok"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        header = delivery.headers.get("tiktok-signature", "")
        parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
        stamp, given = parts.get("t", ""), parts.get("s")
        if not stamp.isdigit() or not given:
            raise InvalidSignature("the TikTok-Signature header is missing or not t=<time>,s=<signature>")
        check_window(from_unix(stamp), delivery.received_at, REPLAY_WINDOW)
        expected = tiktok_signature(secrets.platform_secret(self.platform), stamp, delivery.body)
        check_prefixed_hex(given, "", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        try:
            event = parse_json(delivery.body)
        except InvalidBody:
            return None
        parts = [str(event.get(k) or "") for k in ("event", "user_openid", "create_time")]
        return ":".join(parts) if all(parts) else None

    def parse(self, delivery: Delivery) -> Parsed:
        event = parse_json(delivery.body, "TikTok event")
        name = event.get("event")
        if not isinstance(name, str) or not name:
            raise InvalidBody("a TikTok event names its event")
        content: Any = event.get("content")
        if isinstance(content, str):
            try:
                content = orjson.loads(content) if content.strip() else {}
            except orjson.JSONDecodeError as exc:
                raise InvalidBody("the event's content is not JSON") from exc
        detail = {k: str(v)[:200] for k, v in content.items()} if isinstance(content, dict) else {}
        account = text_or_none(event.get("user_openid"))
        notice = Notice(
            platform=self.platform,
            kind=KINDS.get(name, f"tiktok.{name}"),
            ref=detail.get("publish_id") or detail.get("video_id") or account or name,
            at=from_unix(event.get("create_time") or delivery.received_at.timestamp()),
            account_id=account,
            detail=detail,
        )
        return Parsed(ignored=1, notices=[notice])
