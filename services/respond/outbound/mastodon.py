"""Mastodon: a status in reply (`POST /api/v1/statuses` with `in_reply_to_id`) on the brand's instance, with the
conversation's visibility kept (a reply to a followers-only or direct status is never public; when the visibility
is not known the reply is direct), mentioning the customer so they are notified, and an `Idempotency-Key` (Mastodon
drops a repeated one for an hour). User token with `write:statuses`. 500 characters by default (the instance may
allow more), plain text."""

from __future__ import annotations

import re
from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

VISIBILITIES = ("public", "unlisted", "private", "direct")
SAFE_VISIBILITY = "direct"


class MastodonSender(RulesOf):
    platform = "mastodon"

    def __init__(self, base: str | None = None) -> None:
        self._base = base.rstrip("/") if base else None

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        host, _, status = (reply.reply_to or reply.thread_id).rpartition(":")
        if not host or not status:
            raise unknown_thread(self.platform, f"{reply.reply_to or reply.thread_id} is not host:status")
        visibility = context_value(reply, "visibility")
        payload: dict[str, Any] = {
            "status": _mentioning(reply.text, reply.recipient_handle),
            "in_reply_to_id": status,
            "visibility": visibility if visibility in VISIBILITIES else SAFE_VISIBILITY,
        }
        if language := context_value(reply, "language"):
            payload["language"] = language
        headers = {"Authorization": f"Bearer {credential.access_token}"}
        if reply.key:
            headers["Idempotency-Key"] = reply.key
        answer = call(
            "POST",
            f"{self._base or 'https://' + host}/api/v1/statuses",
            self.platform,
            json_body=payload,
            headers=headers,
        )
        made = answer.object()
        if answer.ok and made.get("id"):
            return Delivered(f"{host}:{made['id']}", str(made.get("url") or made.get("uri") or "") or None)
        raise refusal(answer)


def _mentioning(text: str, handle: str | None) -> str:
    """The reply, opening with the customer's @handle unless it already names them."""
    if not handle:
        return text
    acct = handle.lstrip("@")
    if re.search(rf"(?<![\w@])@{re.escape(acct.split('@')[0])}(?:@[\w.-]+)?(?!\w)", text, re.I):
        return text
    return f"@{acct} {text}"


def refusal(answer: HttpAnswer) -> PlatformRefused:
    message = str(answer.object().get("error") or f"HTTP {answer.status}")
    if answer.status == 422 and "character limit" in message.lower():
        return refused("mastodon", "too_long", message, status=422)
    if answer.status == 404:
        return refused("mastodon", "not_found", message, status=404)
    when = (
        retry_at(answer.headers, utcnow(), reset="x-ratelimit-reset", reset_kind="iso")
        if answer.status == 429
        else None
    )
    return by_status("mastodon", answer, message, when)
