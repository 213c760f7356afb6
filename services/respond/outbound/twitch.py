"""Twitch: a chat message in the broadcaster's channel, as a reply to the chatter's message (`POST
/helix/chat/messages` with `reply_parent_message_id`), sent as the brand's account (`sender_id`: the credential's
`user_id`, else the broadcaster). User token with `user:write:chat` and the app's `Client-Id`; user tokens expire
and are refreshed (shared/tokens.py). 500 characters, plain text. Twitch may take the request and still drop the
message (`is_sent: false`, with a `drop_reason`: slow mode, followers-only, AutoMod)."""

from __future__ import annotations

from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import NotConfigured, PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://api.twitch.tv"
# Twitch's drop reasons (`msg_slowmode`, `msg_duplicate`, `msg_followersonly`, ...), read as Hark's codes.
DROPS = (
    (("slowmode", "ratelimit"), "rate_limited"),
    (("duplicate", "r9k"), "duplicate"),
    (("banned", "channel_blocked", "followersonly", "subsonly", "emoteonly", "verified", "suspended"), "forbidden"),
)


class TwitchSender(RulesOf):
    platform = "twitch"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        broadcaster = reply.account_id
        if not broadcaster:
            raise unknown_thread(self.platform, "no Twitch channel (broadcaster) to post in")
        if not credential.client_id:
            raise NotConfigured("the twitch credential names no client_id (the app's Client-Id)", platform="twitch")
        payload: dict[str, Any] = {
            "broadcaster_id": broadcaster,
            "sender_id": credential.get("user_id") or broadcaster,
            "message": reply.text,
        }
        if reply.reply_to:
            payload["reply_parent_message_id"] = reply.reply_to
        answer = call(
            "POST",
            f"{self._base}/helix/chat/messages",
            self.platform,
            json_body=payload,
            headers={"Authorization": f"Bearer {credential.access_token}", "Client-Id": credential.client_id},
        )
        data = answer.object().get("data")
        first: dict[str, Any] = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        if answer.ok and first.get("is_sent") and first.get("message_id"):
            return Delivered(str(first["message_id"]))
        if answer.ok and first:
            found = first.get("drop_reason")
            drop: dict[str, Any] = found if isinstance(found, dict) else {}
            code = str(drop.get("code") or "dropped")
            message = f"{code}: {drop.get('message') or 'Twitch dropped the message'}"
            kind = next((k for words, k in DROPS if any(w in code for w in words)), "refused")
            raise refused("twitch", kind, message, status=answer.status)
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    message = str(body.get("message") or body.get("error") or f"HTTP {answer.status}")
    if answer.status == 422:
        return refused("twitch", "too_long", message, status=422)
    if answer.status == 400 and "parent" in message.lower():
        return refused("twitch", "not_found", message, status=400)
    when = retry_at(answer.headers, utcnow(), reset="ratelimit-reset") if answer.status == 429 else None
    return by_status("twitch", answer, message, when)
