"""Meta: Facebook comment replies, Instagram comment replies, the Messenger and Instagram Send API (RESPONSE within
24 hours of the customer's last message, the HUMAN_AGENT tag up to 7 days), and WhatsApp Cloud API text messages
(within the 24-hour customer-service window) and template messages (outside it). One Graph API base for all."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, post_json
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.http import retry_at as said_retry_at

DEFAULT_BASE = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"
# 4, 17, 32, 613: app, user, page and custom limits; 80001, 80002, 80006, 80007: Business Use Case limits (Pages,
# Instagram, Messenger, WhatsApp); 130429, 131056: WhatsApp throughput and pair rate.
RATE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80006, 80007, 130429, 131056})
WINDOW = {(10, 2018278), (10, 2018065), (100, 2018278)}
WINDOW_CODES = frozenset({131047, 131026})
TOKEN_CODES = frozenset({190, 102})


class MetaSender(RulesOf):
    platform = "meta"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/") + "/" + GRAPH_VERSION

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        token = credential.access_token
        headers = {"Authorization": f"Bearer {token}"}
        channel = reply.channel
        if channel.startswith("facebook."):
            answer = post_json(f"{self._base}/{reply.thread_id}/comments", {"message": reply.text}, headers, "meta")
            return _delivered(answer, lambda body: body.get("id"))
        if channel.startswith("instagram.") and channel != "instagram.dm":
            answer = post_json(f"{self._base}/{reply.thread_id}/replies", {"message": reply.text}, headers, "meta")
            return _delivered(answer, lambda body: body.get("id"))
        if channel in ("messenger", "instagram.dm"):
            payload: dict[str, Any] = {
                "recipient": {"id": reply.recipient},
                "messaging_type": "MESSAGE_TAG" if reply.tag else "RESPONSE",
                "message": {"text": reply.text},
            }
            if reply.tag:
                payload["tag"] = reply.tag
            answer = post_json(f"{self._base}/{reply.account_id}/messages", payload, headers, "meta")
            return _delivered(answer, lambda body: body.get("message_id"))
        if channel == "whatsapp":
            payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": reply.recipient}
            if reply.template:
                payload["type"] = "template"
                payload["template"] = {
                    "name": reply.template,
                    "language": {"code": reply.template_language},
                    "components": [
                        {"type": "body", "parameters": [{"type": "text", "text": p} for p in reply.template_parameters]}
                    ]
                    if reply.template_parameters
                    else [],
                }
            else:
                payload["type"] = "text"
                payload["text"] = {"body": reply.text, "preview_url": False}
                if reply.reply_to:
                    payload["context"] = {"message_id": reply.reply_to}
            answer = post_json(f"{self._base}/{reply.account_id}/messages", payload, headers, "meta")
            return _delivered(answer, lambda body: (body.get("messages") or [{}])[0].get("id"))
        raise PlatformRefused(
            f"Hark cannot reply on {channel} yet",
            platform="meta",
            code="unsupported_channel",
            message=channel,
            retryable=False,
            status=None,
        )


def _delivered(answer: HttpAnswer, pick: Any) -> Delivered:
    if 200 <= answer.status < 300 and isinstance(answer.body, dict):
        found = pick(answer.body)
        if found:
            return Delivered(str(found))
    raise refusal(answer)


def regain_at(headers: dict[str, str], now: datetime) -> datetime | None:
    """When Meta takes calls again. Page and Instagram tokens are under Business Use Case limits, whose usage header
    says how long until access is regained (`estimated_time_to_regain_access`, minutes, per business and use case);
    app-level limits (code 4) name no time, and a Retry-After is read where one comes."""
    minutes = 0.0
    try:
        usage = json.loads(headers.get("x-business-use-case-usage") or "{}")
        for entries in usage.values() if isinstance(usage, dict) else ():
            for entry in entries if isinstance(entries, list) else ():
                wait = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
                if isinstance(wait, int | float) and not isinstance(wait, bool):
                    minutes = max(minutes, float(wait))
    except ValueError:
        pass
    if minutes > 0:
        return said_retry_at({}, now, seconds=minutes * 60)
    return said_retry_at(headers, now)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.body if isinstance(answer.body, dict) else {}
    found = body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = str(error.get("message") or body.get("raw") or f"HTTP {answer.status}")[:500]
    if code in RATE_CODES or answer.status == 429:
        kind, retryable = "rate_limited", True
    elif (code, subcode) in WINDOW or code in WINDOW_CODES:
        kind, retryable = "window_closed", False
    elif code in TOKEN_CODES:
        kind, retryable = "bad_token", False
    elif code == 100 and subcode == 33:
        kind, retryable = "not_found", False
    elif answer.status >= 500 or code in (1, 2):
        kind, retryable = "platform_error", True
    else:
        kind, retryable = "refused", False
    where = f" (code {code}" + (f", subcode {subcode}" if subcode else "") + ")" if code is not None else ""
    at = regain_at(answer.headers, datetime.now(UTC)) if kind == "rate_limited" else None
    when = f"; it takes replies again from {at:%Y-%m-%d %H:%M:%S} UTC" if at else ""
    return PlatformRefused(
        f"Meta refused the reply: {message}{where}{when}",
        platform="meta",
        code=kind,
        message=message + where,
        retryable=retryable,
        status=answer.status,
        **({"retry_at": at.isoformat()} if at else {}),
    )
