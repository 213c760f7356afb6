"""Reddit: a comment in reply to a post, comment or message (`POST /api/comment`, form `thing_id=<fullname>`), with
an OAuth bearer token (`submit`, refreshed daily: shared/tokens.py) and the descriptive User-Agent Reddit requires.
Reddit refuses inside a 200 (`json.errors`: RATELIMIT with its wait, DELETED_COMMENT, THREAD_LOCKED, TOO_OLD) as
often as with a status. The mention's `native_id` is the fullname of what it answers (`t1_…`, `t3_…`, `t4_…`)."""

from __future__ import annotations

import re
from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://oauth.reddit.com"
DEFAULT_AGENT = "hark/1.0 (community command center)"
FULLNAME = re.compile(r"^t[134]_[a-z0-9]+$")
ERRORS = {
    "RATELIMIT": "rate_limited",
    "DELETED_COMMENT": "not_found",
    "DELETED_LINK": "not_found",
    "NO_THING_ID": "not_found",
    "THREAD_LOCKED": "window_closed",
    "TOO_OLD": "window_closed",
    "USER_BLOCKED": "window_closed",
    "TOO_LONG": "too_long",
    "SUBREDDIT_NOTALLOWED": "forbidden",
    "BANNED_FROM_SUBREDDIT": "forbidden",
    "USER_REQUIRED": "bad_credentials",
}
REASONS = {
    "THREAD_LOCKED": "the Reddit thread was locked by its moderators; it takes no more comments",
    "TOO_OLD": "the Reddit post is archived (older than six months); it takes no more comments",
    "USER_BLOCKED": "this person blocked the brand's Reddit account",
}
MINUTES = re.compile(r"(\d+)\s*(minute|second)")


class RedditSender(RulesOf):
    platform = "reddit"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        thing = context_value(reply, "fullname") or reply.reply_to or reply.thread_id
        if not FULLNAME.match(thing):
            raise unknown_thread(self.platform, f"{thing} is not a Reddit fullname (t1_, t3_ or t4_)")
        answer = call(
            "POST",
            f"{self._base}/api/comment",
            self.platform,
            form={"api_type": "json", "thing_id": thing, "text": reply.text},
            headers={
                "Authorization": f"Bearer {credential.access_token}",
                "User-Agent": credential.get("user_agent") or DEFAULT_AGENT,
            },
        )
        document = answer.object().get("json")
        body: dict[str, Any] = document if isinstance(document, dict) else {}
        things = ((body.get("data") or {}).get("things")) or []
        made = things[0].get("data", {}) if things and isinstance(things[0], dict) else {}
        if answer.ok and not body.get("errors") and made.get("name"):
            permalink = made.get("permalink")
            return Delivered(str(made["name"]), f"https://www.reddit.com{permalink}" if permalink else None)
        raise refusal(answer, body)


def refusal(answer: HttpAnswer, body: dict[str, Any]) -> PlatformRefused:
    now = utcnow()
    errors = body.get("errors") or []
    if answer.ok and errors and isinstance(errors[0], list) and errors[0]:
        name = str(errors[0][0])
        message = str(errors[0][1]) if len(errors[0]) > 1 else name
        code = ERRORS.get(name, "refused")
        when = None
        if code == "rate_limited":
            wait = body.get("ratelimit")
            found = MINUTES.search(message)
            seconds = float(wait) if isinstance(wait, int | float) else None
            if seconds is None and found:
                seconds = float(found[1]) * (60 if found[2] == "minute" else 1)
            when = retry_at({}, now, seconds=seconds)
        return refused(
            "reddit", code, f"{name}: {message}", status=answer.status, retry_at=when, reason=REASONS.get(name)
        )
    if answer.ok:
        return refused("reddit", "platform_error", "Reddit did not return the comment", status=answer.status)
    message = str(answer.object().get("message") or answer.object().get("reason") or f"HTTP {answer.status}")
    when = (
        retry_at(answer.headers, now, reset="x-ratelimit-reset", reset_kind="seconds") if answer.status == 429 else None
    )
    return by_status("reddit", answer, message, when)
