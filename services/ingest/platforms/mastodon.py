"""Mastodon admin webhooks: statuses posted and edited on the brand's instance.

An instance administrator adds a webhook (Preferences → Administration → Webhooks) for `status.created` and
`status.updated`; Mastodon signs each delivery with `X-Hub-Signature: sha256=<hex HMAC-SHA256(webhook secret, raw
body)>` and retries failures (Sidekiq, 16 times over days) with no timestamp, so there is no replay window and a
status is recognised by its own id. The body is `{event, created_at, object}`; `object` is a Status whose `content`
is HTML, read here as plain text.

`status.updated` is the same mention with `edited_at`. Accounts, reports and other events are acknowledged and
ignored. The brand's own accounts on the instance (`brand_accounts`, their `acct`) are recognised as the brand; a
status mentioning one of them is addressed to it.
"""

from __future__ import annotations

from collections.abc import Set
from html import unescape
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urlsplit

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Media,
    Parsed,
    Person,
    build_mention,
    check_prefixed_hex,
    from_iso,
    hmac_hex,
    parse_json,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody
from shared.secrets import SecretValues

STATUS_EVENTS = frozenset({"status.created", "status.updated"})


class _Text(HTMLParser):
    """Mastodon's status HTML (paragraphs, line breaks, links, mention and hashtag spans) as the text people see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        classes = dict(attrs).get("class") or ""
        if tag == "span" and "invisible" in classes.split():
            self._hidden += 1  # the scheme and tail Mastodon hides from long links
        elif tag == "span" and self._hidden:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return unescape("".join(parser.parts)).strip()


class Mastodon:
    platform: Literal["mastodon"] = "mastodon"
    content_types = frozenset({"application/json"})

    def __init__(self, brand_accounts: Set[str] = frozenset()) -> None:
        self._brand = {a.lower().lstrip("@") for a in brand_accounts}

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        expected = hmac_hex(secrets.platform_secret(self.platform), delivery.body)
        check_prefixed_hex(delivery.headers.get("x-hub-signature"), "sha256=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        payload = parse_json(delivery.body, "Mastodon webhook")
        event = payload.get("event")
        if not isinstance(event, str):
            raise InvalidBody("a Mastodon webhook names its event")
        if event not in STATUS_EVENTS:
            return Parsed(ignored=1)
        status = payload.get("object")
        if not isinstance(status, dict):
            raise InvalidBody("a status event carries the status")
        if isinstance(status.get("reblog"), dict):
            return Parsed(ignored=1)  # a boost says nothing new
        account = status.get("account")
        if not isinstance(account, dict):
            raise InvalidBody("a status names its account")
        host = urlsplit(str(status.get("uri") or status.get("url") or "")).netloc
        if not host:
            raise InvalidBody("a status carries its uri")
        acct = str(account.get("acct") or account.get("username") or "")
        mentioned = {str(m.get("acct", "")).lower() for m in status.get("mentions") or [] if isinstance(m, dict)}
        reply_to = text_or_none(status.get("in_reply_to_id"))
        status_id = sid(status.get("id"))
        # An edit says when in the status; failing that, the event's own time.
        edited = (status.get("edited_at") or payload.get("created_at")) if event == "status.updated" else None
        mention = build_mention(
            platform=self.platform,
            channel="mastodon.status",
            kind="comment" if reply_to else "post",
            native_id=f"{host}:{status_id}",
            thread_id=f"{host}:{reply_to or status_id}",
            parent_id=f"{host}:{reply_to}" if reply_to else None,
            account_id=host,
            author=Person(
                id=sid(account.get("id")),
                handle=acct or None,
                name=text_or_none(account.get("display_name")) or None,
                followers=account.get("followers_count") if isinstance(account.get("followers_count"), int) else None,
            ),
            from_brand=acct.lower() in self._brand,
            addressed=True if mentioned & self._brand else None,
            text=html_text(str(status.get("content") or "")),
            url=text_or_none(status.get("url")) or text_or_none(status.get("uri")),
            lang=text_or_none(status.get("language")),
            attachments=tuple(
                Media(type=str(a.get("type") or "unknown"), url=text_or_none(a.get("url")))
                for a in status.get("media_attachments") or []
                if isinstance(a, dict)
            ),
            created_at=from_iso(status.get("created_at")) if status.get("created_at") else delivery.received_at,
            received_at=delivery.received_at,
            edited_at=from_iso(edited)
            if isinstance(edited, str)
            else (delivery.received_at if event == "status.updated" else None),
            # A reply keeps the conversation's visibility (services/respond/outbound/mastodon.py).
            reply_context={
                "visibility": str(status.get("visibility") or ""),
                "language": str(status.get("language") or ""),
            },
        )
        return Parsed(mentions=[mention])
