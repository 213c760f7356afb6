"""X (API v2): a reply post (`POST /2/tweets` with `reply.in_reply_to_tweet_id`) or a direct message
(`POST /2/dm_conversations/with/{participant_id}/messages`). OAuth 2.0 user-context token (`tweet.write`,
`dm.write`), refreshed every two hours (shared/tokens.py). A DM's id is `dm:<event id>`, as the connector names the
brand's own DM when X echoes it."""

from __future__ import annotations

from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://api.x.com"


class XSender(RulesOf):
    platform = "x"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        headers = {"Authorization": f"Bearer {credential.access_token}"}
        if reply.channel == "x.dm":
            person = _participant(reply)
            answer = call(
                "POST",
                f"{self._base}/2/dm_conversations/with/{person}/messages",
                self.platform,
                json_body={"text": reply.text},
                headers=headers,
            )
            event = str(_data(answer).get("dm_event_id") or "")
            if answer.status == 201 and event:
                return Delivered(f"dm:{event}")
            raise refusal(answer, direct=True)
        target = reply.reply_to or reply.thread_id
        if not target.isdigit():
            raise unknown_thread(self.platform, f"{target} is not an X post id")
        answer = call(
            "POST",
            f"{self._base}/2/tweets",
            self.platform,
            json_body={"text": reply.text, "reply": {"in_reply_to_tweet_id": target}},
            headers=headers,
        )
        post = str(_data(answer).get("id") or "")
        if answer.status == 201 and post:
            return Delivered(post, f"https://x.com/i/status/{post}")
        raise refusal(answer, direct=False)


def _participant(reply: Outbound) -> str:
    # The connector's DM thread is `dm:<brand>:<person>`.
    parts = reply.thread_id.split(":")
    person = parts[2] if len(parts) == 3 and parts[0] == "dm" else reply.recipient
    if not person or not person.isdigit():
        raise unknown_thread("x", f"no X user to message in {reply.thread_id}")
    return person


def _data(answer: HttpAnswer) -> dict[str, Any]:
    data = answer.object().get("data")
    return data if isinstance(data, dict) else {}


def refusal(answer: HttpAnswer, *, direct: bool) -> PlatformRefused:
    body = answer.object()
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    first: dict[str, Any] = errors[0] if errors and isinstance(errors[0], dict) else {}
    message = str(body.get("detail") or first.get("message") or body.get("title") or f"HTTP {answer.status}")
    low = message.lower()
    status = answer.status
    if status == 429:
        when = retry_at(answer.headers, utcnow(), reset="x-rate-limit-reset")
        return refused("x", "rate_limited", message, status=status, retry_at=when)
    if status == 403 and ("deleted" in low or "not visible" in low):
        return refused("x", "not_found", message, status=status)
    if status == 403 and "duplicate" in low:
        return refused("x", "duplicate", message, status=status)
    if status == 403 and "not allowed" in low and "mentioned" in low:
        return refused(
            "x",
            "forbidden",
            message,
            status=status,
            reason="X lets the brand reply to this conversation only if its author mentioned or engaged the brand",
        )
    if direct and status == 403:
        return refused(
            "x",
            "window_closed",
            message,
            status=status,
            reason="X refused the direct message: this person does not accept messages from the brand",
        )
    if status == 400 and ("too long" in low or "length" in low):
        return refused("x", "too_long", message, status=status)
    return by_status("x", answer, message)
