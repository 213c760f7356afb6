"""Sending replies back: the sender port, one adapter per platform, and the once-only guard every send goes through.

An adapter takes an `Outbound` (what to say, to whom, where in the thread) and the platform's `Credential`, and
returns the platform's id of the reply (`Delivered`), or raises `PlatformRefused` with the platform's own code and
message, a sentence a person understands, whether a retry may work and, when the platform said, when
(`retry_at`). Credentials come from the secret's `tokens` (`HARK_TOKEN_<PLATFORM>` locally; shared/credentials.py),
refreshed when they expire (shared/tokens.py); base URLs from `HARK_API_BASE_<PLATFORM>`, so tests point senders at
a local fake. What each channel accepts (length, formatting) is in `text.py`; the voice check reads the same.

Reply ids are the ids the platform's own echo of the reply will carry in its connector (Slack `channel:ts`,
Telegram `chat:message`, Zendesk `account/comment/id`, Mastodon `host:id`, ...), so the echo is a repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from services.respond.outbound.text import TextRules
from shared.credentials import Credential


@dataclass(frozen=True)
class Outbound:
    platform: str
    channel: str
    kind: str | None
    thread_id: str
    account_id: str | None
    recipient: str | None  # the customer's id on the platform (Messenger PSID, WhatsApp number, X user id)
    reply_to: str | None  # the platform's id of the message answered
    text: str
    tag: str | None = None
    template: str | None = None  # a WhatsApp template name, when only a template may be sent
    template_language: str = "en_US"
    template_parameters: tuple[str, ...] = field(default=())
    recipient_handle: str | None = None  # the customer's handle (Mastodon replies mention it)
    # What the answered message's connector kept for threading (Mention.reply_context): Discord's interaction token,
    # Bluesky's URIs and CIDs, Mastodon's visibility, a YouTube video id, ...
    context: Mapping[str, str] = field(default_factory=dict)
    reply_to_at: datetime | None = None  # when the answered message was written (Discord's 15-minute token)
    parent_id: str | None = None  # the answered message's parent, where the platform threads under it
    public: bool = True  # Zendesk: a public comment, or an internal note
    key: str = ""  # the send's once-only key, for platforms that take an idempotency key of their own


@dataclass(frozen=True)
class Delivered:
    platform_id: str
    url: str | None = None


class Sender(Protocol):
    platform: str

    def rules(self, channel: str) -> TextRules | None:
        """What the channel accepts (limit, counting, formatting)."""

    def send(self, reply: Outbound, credential: Credential) -> Delivered: ...


class RulesOf:
    """`rules` from the one table in `text.py` (a mixin for senders)."""

    platform: str

    def rules(self, channel: str) -> TextRules | None:
        from services.respond.outbound.text import rules_for  # noqa: PLC0415 - keeps the port module light

        return rules_for(channel, self.platform)


def context_value(reply: Outbound, *names: str) -> str | None:
    for name in names:
        value = reply.context.get(name)
        if value:
            return value
    return None


def first(values: Mapping[str, object], *names: str) -> object | None:
    for name in names:
        if values.get(name):
            return values[name]
    return None
