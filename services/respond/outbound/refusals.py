"""Platform refusals in words a person understands, the same few codes on every platform:

| code | retry? | meaning |
|---|---|---|
| `rate_limited` | yes, at `retry_at` when the platform said | the platform is limiting how fast Hark may post |
| `window_closed` | no | no reply is taken here any more (window passed, ticket closed, thread locked, blocked) |
| `not_found` | no | the message answered (or its conversation) was deleted or is no longer visible |
| `bad_credentials` | no | the platform refused Hark's token (after a refresh, where one is possible) |
| `forbidden` | no | Hark's account may not reply there (permissions, bans, settings) |
| `too_long` | no | over the platform's limit |
| `duplicate` | no | the platform refused the same text twice |
| `platform_error` | yes | a fault on the platform's side |
| `unreachable` | yes | the platform could not be reached |
| `unknown_thread` | no | the conversation does not say where on the platform to reply |
| `refused` | no | anything else, with the platform's own words |
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from shared.errors import PlatformRefused
from shared.http import HttpAnswer

NAMES: Mapping[str, str] = {
    "x": "X",
    "slack": "Slack",
    "discord": "Discord",
    "youtube": "YouTube",
    "reddit": "Reddit",
    "telegram": "Telegram",
    "twitch": "Twitch",
    "zendesk": "Zendesk",
    "mastodon": "Mastodon",
    "wordpress": "WordPress",
    "bluesky": "Bluesky",
    "trustpilot": "Trustpilot",
    "google": "Google Business Profile",
    "tiktok": "TikTok",
    "github": "GitHub",
    "meta": "Meta",
}
RETRYABLE = frozenset({"rate_limited", "platform_error", "unreachable"})


def name(platform: str) -> str:
    return NAMES.get(platform, platform)


def sentence(platform: str, code: str, message: str, retry_at: datetime | None = None) -> str:
    who = name(platform)
    said = f" ({message})" if message else ""
    if code == "rate_limited":
        when = f"; it takes replies again from {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else "; try again shortly"
        return f"{who} is limiting how fast Hark may reply{when}"
    return {
        "window_closed": f"{who} no longer accepts a reply here{said}",
        "not_found": f"the message being answered was deleted or is no longer visible on {who}{said}",
        "bad_credentials": f"{who} refused Hark's token{said}; an admin must connect the account again",
        "forbidden": f"{who} does not let the brand's account reply here{said}",
        "too_long": f"{who} refused the reply as too long{said}",
        "duplicate": f"{who} refused the reply as a repeat of one already posted{said}",
        "platform_error": f"{who} failed to take the reply (a fault on its side){said}; try again",
        "unknown_thread": f"Hark cannot tell where on {who} to reply{said}",
    }.get(code, f"{who} refused the reply{said}")


def refused(
    platform: str,
    code: str,
    message: str,
    *,
    status: int | None,
    retry_at: datetime | None = None,
    retryable: bool | None = None,
    reason: str | None = None,
) -> PlatformRefused:
    """The refusal, with the platform's own `message` and a `reason` sentence (the problem's detail)."""
    message = message[:500]
    extra: dict[str, object] = {
        "platform": platform,
        "code": code,
        "message": message,
        "retryable": code in RETRYABLE if retryable is None else retryable,
        "status": status,
    }
    if retry_at is not None:
        extra["retry_at"] = retry_at.isoformat()
    return PlatformRefused(reason or sentence(platform, code, message, retry_at), **extra)


def unknown_thread(platform: str, what: str) -> PlatformRefused:
    return refused(platform, "unknown_thread", what[:200], status=None)


def by_status(platform: str, answer: HttpAnswer, message: str, retry_at: datetime | None = None) -> PlatformRefused:
    """The usual reading of an HTTP status, for what a platform says no more precisely."""
    status = answer.status
    if status == 429:
        code = "rate_limited"
    elif status == 401:
        code = "bad_credentials"
    elif status == 403:
        code = "forbidden"
    elif status in (404, 410):
        code = "not_found"
    elif status == 413:
        code = "too_long"
    elif status >= 500:
        code = "platform_error"
    else:
        code = "refused"
    return refused(platform, code, message or f"HTTP {status}", status=status, retry_at=retry_at)
