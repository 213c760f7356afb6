"""Sign deliveries exactly as the platforms do (used by the demo stream, the tests and anyone poking the stack)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any


def github_headers(body: bytes, secret: str, event: str, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/hark-demo",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def meta_headers(body: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
    }


def meta_body(payload: dict[str, Any]) -> bytes:
    # Meta signs the escaped-unicode form of its JSON, which is what it puts on the wire.
    return json.dumps(payload, ensure_ascii=True).encode()


def _hmac(secret: str | bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def x_headers(body: bytes, consumer_secret: str) -> dict[str, str]:
    """X (Account Activity and Activity API): base64 HMAC-SHA256 of the body with the app's consumer secret."""
    return {
        "Content-Type": "application/json",
        "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(_hmac(consumer_secret, body)).decode(),
    }


def slack_headers(body: bytes, signing_secret: str, timestamp: int | None = None, retry: int = 0) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = _hmac(signing_secret, b"v0:" + stamp.encode() + b":" + body).hex()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + signature,
    }
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


def twitch_headers(
    body: bytes,
    secret: str,
    message_type: str = "notification",
    message_id: str | None = None,
    timestamp: datetime | None = None,
    subscription: str = "channel.chat.message",
) -> dict[str, str]:
    mid = message_id or str(uuid.uuid4())
    stamp = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "Content-Type": "application/json",
        "Twitch-Eventsub-Message-Id": mid,
        "Twitch-Eventsub-Message-Retry": "0",
        "Twitch-Eventsub-Message-Type": message_type,
        "Twitch-Eventsub-Message-Timestamp": stamp,
        "Twitch-Eventsub-Message-Signature": "sha256=" + _hmac(secret, (mid + stamp).encode() + body).hex(),
        "Twitch-Eventsub-Subscription-Type": subscription,
        "Twitch-Eventsub-Subscription-Version": "1",
    }


def telegram_headers(secret_token: str) -> dict[str, str]:
    """Telegram signs nothing: it sends back the secret_token given to setWebhook."""
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret_token}
