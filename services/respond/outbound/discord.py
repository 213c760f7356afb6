"""Discord: a slash command or modal is answered with a follow-up on its interaction (`POST
/webhooks/{application_id}/{interaction_token}`, no bot token needed), which Discord allows for 15 minutes; after
that, or when Discord says the token is no longer valid, the person gets a direct message from the bot instead
(`POST /users/@me/channels`, then the channel's messages), never a public post about a private request. A channel
message (heard by the poller) is answered in its channel as a reply to it (`message_reference`), with the bot
token (`Authorization: Bot ...`). Limit 2,000 characters, Markdown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://discord.com/api/v10"
INTERACTION_LIFETIME = timedelta(minutes=15)
# A little early: a follow-up that leaves at 14:59 must not arrive at 15:01.
INTERACTION_MARGIN = timedelta(seconds=30)
EPHEMERAL = 1 << 6
INTERACTIONS = frozenset({"discord.command", "discord.modal"})
EXPIRED_TOKEN = frozenset({50027, 10015})  # Invalid Webhook Token, Unknown Webhook
CLOSED_DMS = 50007  # Cannot send messages to this user
CODES = {
    10003: "not_found",  # Unknown Channel
    10008: "not_found",  # Unknown Message
    50001: "forbidden",  # Missing Access
    50013: "forbidden",  # Missing Permissions
    50007: "window_closed",  # Cannot send messages to this user
    50083: "window_closed",  # Operation on an archived thread
    160005: "window_closed",  # Thread is locked
    40005: "too_long",  # Request entity too large
}


class DiscordSender(RulesOf):
    platform = "discord"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        token = context_value(reply, "interaction_token")
        application = context_value(reply, "application_id")
        if token and application and self._in_time(reply):
            payload: dict[str, Any] = {"content": reply.text, "allowed_mentions": {"parse": []}}
            if context_value(reply, "ephemeral") == "true":
                payload["flags"] = EPHEMERAL
            answer = call(
                "POST", f"{self._base}/webhooks/{application}/{token}?wait=true", self.platform, json_body=payload
            )
            if answer.ok and answer.object().get("id"):
                return Delivered(str(answer.object()["id"]))
            if _code(answer) not in EXPIRED_TOKEN:
                raise refusal(answer)
        if reply.channel in INTERACTIONS or token:
            return self._direct(reply, credential)
        return self._in_channel(reply, credential)

    def _in_time(self, reply: Outbound) -> bool:
        return reply.reply_to_at is None or utcnow() < reply.reply_to_at + INTERACTION_LIFETIME - INTERACTION_MARGIN

    def _bot(self, credential: Credential) -> dict[str, str]:
        return {"Authorization": f"Bot {credential.access_token}"}

    def _direct(self, reply: Outbound, credential: Credential) -> Delivered:
        if not reply.recipient or not reply.recipient.isdigit():
            raise unknown_thread(self.platform, "no Discord user to message")
        opened = call(
            "POST",
            f"{self._base}/users/@me/channels",
            self.platform,
            json_body={"recipient_id": reply.recipient},
            headers=self._bot(credential),
        )
        channel = str(opened.object().get("id") or "")
        if not opened.ok or not channel:
            raise refusal(opened)
        answer = call(
            "POST",
            f"{self._base}/channels/{channel}/messages",
            self.platform,
            json_body={"content": reply.text, "allowed_mentions": {"parse": []}},
            headers=self._bot(credential),
        )
        if answer.ok and answer.object().get("id"):
            return Delivered(str(answer.object()["id"]))
        if _code(answer) == CLOSED_DMS:
            raise refused(
                self.platform,
                "window_closed",
                str(answer.object().get("message") or ""),
                status=answer.status,
                reason="the 15 minutes Discord gives to answer a command have passed, and this person does not "
                "accept direct messages from the app",
            )
        raise refusal(answer)

    def _in_channel(self, reply: Outbound, credential: Credential) -> Delivered:
        channel = context_value(reply, "channel_id") or reply.thread_id.split(":", 1)[0]
        message = (reply.reply_to or "").rsplit(":", 1)[-1]
        if not channel.isdigit():
            raise unknown_thread(self.platform, f"{reply.thread_id} names no Discord channel")
        payload: dict[str, Any] = {"content": reply.text, "allowed_mentions": {"parse": [], "replied_user": True}}
        if message.isdigit():
            payload["message_reference"] = {"message_id": message, "fail_if_not_exists": False}
        answer = call(
            "POST",
            f"{self._base}/channels/{channel}/messages",
            self.platform,
            json_body=payload,
            headers=self._bot(credential),
        )
        if answer.ok and answer.object().get("id"):
            return Delivered(str(answer.object()["id"]))
        raise refusal(answer)


def _code(answer: HttpAnswer) -> int | None:
    code = answer.object().get("code")
    return code if isinstance(code, int) else None


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    message = str(body.get("message") or f"HTTP {answer.status}")
    if answer.status == 429:
        wait = body.get("retry_after")
        seconds = float(wait) if isinstance(wait, int | float) else None
        when = retry_at(answer.headers, utcnow(), seconds=seconds)
        return refused("discord", "rate_limited", message, status=429, retry_at=when)
    code = _code(answer)
    if code in CODES:
        return refused("discord", CODES[code], f"{message} (code {code})", status=answer.status)
    if code == 50035 and "length" in str(body.get("errors") or "").lower():
        return refused("discord", "too_long", message, status=answer.status)
    return by_status("discord", answer, message + (f" (code {code})" if code else ""))
