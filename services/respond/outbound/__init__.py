"""Sending replies back: the sender port, one adapter per platform (`github`, `meta`; the "answer everywhere" work
adds the rest on the same port), and the once-only guard every send goes through.

An adapter takes an `Outbound` (what to say, to whom, where in the thread) and returns the platform's id of the
reply (`Delivered`), or raises `PlatformRefused` with the platform's own code and message and whether a retry may
work. Credentials come from the platform secret (`HARK_TOKEN_<PLATFORM>` locally), base URLs from
`HARK_API_BASE_<PLATFORM>`, so tests point senders at a local fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outbound:
    platform: str
    channel: str
    kind: str | None
    thread_id: str
    account_id: str | None
    recipient: str | None  # the customer's id on the platform (Messenger PSID, WhatsApp number)
    reply_to: str | None  # the platform's id of the message answered
    text: str
    tag: str | None = None
    template: str | None = None  # a WhatsApp template name, when only a template may be sent
    template_language: str = "en_US"
    template_parameters: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Delivered:
    platform_id: str
    url: str | None = None


class Sender(Protocol):
    platform: str

    def send(self, reply: Outbound, token: str) -> Delivered: ...
