"""Telegram Bot API: `sendMessage` to the chat, as a reply to the customer's message (`reply_parameters`), in its
forum topic (`message_thread_id`) and, for a Telegram Business chat, through the business connection
(`business_connection_id`). The bot token is part of the URL, never logged. Plain text (no `parse_mode`), 4,096
characters. Telegram says why in `description`; a flood limit carries `parameters.retry_after`."""

from __future__ import annotations

from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://api.telegram.org"
# Telegram's descriptions, read as Hark's codes (first match wins).
DESCRIPTIONS = (
    ("blocked by the user", "window_closed", "this person blocked the brand's Telegram bot"),
    ("user is deactivated", "window_closed", "this person's Telegram account was deleted"),
    ("kicked", "forbidden", "the bot was removed from this Telegram chat"),
    ("not enough rights", "forbidden", None),
    ("topic_closed", "window_closed", "the forum topic was closed"),
    ("message to be replied not found", "not_found", None),
    ("chat not found", "not_found", None),
    ("message is too long", "too_long", None),
)


class TelegramSender(RulesOf):
    platform = "telegram"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        chat, _, message = (reply.reply_to or "").partition(":")
        thread_chat, _, topic = reply.thread_id.partition(":")
        chat = chat or thread_chat
        if not chat.lstrip("-").isdigit():
            raise unknown_thread(self.platform, f"{reply.thread_id} names no Telegram chat")
        payload: dict[str, Any] = {"chat_id": int(chat), "text": reply.text}
        if message.isdigit():
            payload["reply_parameters"] = {"message_id": int(message)}
        if topic.isdigit():
            payload["message_thread_id"] = int(topic)
        if reply.account_id and reply.account_id != chat:
            payload["business_connection_id"] = reply.account_id
        answer = call(
            "POST", f"{self._base}/bot{credential.access_token}/sendMessage", self.platform, json_body=payload
        )
        result = answer.object().get("result")
        sent: dict[str, Any] = result if isinstance(result, dict) else {}
        if answer.ok and answer.object().get("ok") is True and sent.get("message_id") is not None:
            chat_id = (sent.get("chat") or {}).get("id", chat)
            return Delivered(f"{chat_id}:{sent['message_id']}")
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    description = str(body.get("description") or f"HTTP {answer.status}")
    status = int(body.get("error_code") or answer.status)
    if status == 429:
        wait = (body.get("parameters") or {}).get("retry_after")
        seconds = float(wait) if isinstance(wait, int | float) else None
        return refused(
            "telegram",
            "rate_limited",
            description,
            status=status,
            retry_at=retry_at(answer.headers, utcnow(), seconds=seconds),
        )
    low = description.lower()
    for words, code, reason in DESCRIPTIONS:
        if words in low:
            return refused("telegram", code, description, status=status, reason=reason)
    if status == 401:
        return refused("telegram", "bad_credentials", description, status=status)
    return refused("telegram", "platform_error" if status >= 500 else "refused", description, status=status)
