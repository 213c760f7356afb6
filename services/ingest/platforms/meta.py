"""Meta: one app webhook for Facebook Pages, Instagram, Messenger and WhatsApp.

Handshake: `GET ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>` answered with the challenge.
Signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. Deliveries are batched:
`entry[]` (pages, accounts) by `changes[]` (feed, comments, mentions, ratings, WhatsApp messages) or `messaging[]`
(Messenger, Instagram DMs); each message inside becomes its own mention. Meta retries for up to 36 h (WhatsApp
7 days), so every message is recognised by its own id.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any, Literal

import orjson

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Media,
    Parsed,
    Person,
    build_mention,
    check_prefixed_hex,
    from_unix,
    hmac_hex,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidQuery, NotConfigured, NotPermitted
from shared.events import Mention, MentionKind
from shared.secrets import SecretValues

UNKNOWN_AUTHOR = Person(id="unknown")
FEED_POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})
WHATSAPP_IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral"})


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidBody(f"{what} is not a JSON object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidBody(f"{what} is not a JSON array")
    return value


class Meta:
    platform: Literal["meta"] = "meta"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        query = handshake.query
        if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
            raise InvalidQuery("expected a subscription handshake: hub.mode=subscribe with a hub.challenge")
        token = secrets.meta_verify_token
        if not token:
            raise NotConfigured("no Meta verify token is configured")
        if not hmac.compare_digest(query.get("hub.verify_token", "").encode(), token.encode()):
            raise NotPermitted("the verify token does not match")
        return Answer(query["hub.challenge"])

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        expected = hmac_hex(secrets.platform_secret(self.platform), delivery.body)
        check_prefixed_hex(delivery.headers.get("x-hub-signature-256"), "sha256=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        try:
            payload = _dict(orjson.loads(delivery.body), "the body")
        except orjson.JSONDecodeError as exc:
            raise InvalidBody(f"the body is not valid JSON: {exc}") from exc
        obj = payload.get("object")
        if not isinstance(obj, str):
            raise InvalidBody("a Meta delivery names its `object`")
        mentions: list[Mention] = []
        ignored = 0
        for found in self._walk(obj, _list(payload.get("entry"), "entry"), delivery):
            if found is None:
                ignored += 1
            else:
                mentions.append(found)
        return Parsed(mentions=mentions, ignored=ignored)

    def _walk(self, obj: str, entries: list[Any], delivery: Delivery) -> Iterator[Mention | None]:
        for raw_entry in entries:
            entry = _dict(raw_entry, "an entry")
            account = sid(entry.get("id"))
            for raw_change in _list(entry.get("changes"), "changes"):
                change = _dict(raw_change, "a change")
                value = _dict(change.get("value"), "a change value")
                yield from self._change(obj, str(change.get("field")), value, account, entry, delivery)
            for key in ("messaging", "standby"):
                for raw_event in _list(entry.get(key), key):
                    yield self._message(obj, _dict(raw_event, "a messaging event"), delivery)

    def _change(
        self,
        obj: str,
        field: str,
        value: dict[str, Any],
        account: str,
        entry: dict[str, Any],
        delivery: Delivery,
    ) -> Iterator[Mention | None]:
        if obj == "whatsapp_business_account" and field == "messages":
            yield from self._whatsapp(value, delivery)
        elif obj == "instagram" and field in ("comments", "live_comments"):
            yield self._instagram_comment(field, value, account, entry, delivery)
        elif obj == "page" and field in ("feed", "mention"):
            yield self._page_feed(field, value, account, entry, delivery)
        elif obj == "page" and field == "ratings":
            yield self._rating(value, account, entry, delivery)
        else:
            yield None

    def _page_feed(
        self, field: str, value: dict[str, Any], account: str, entry: dict[str, Any], delivery: Delivery
    ) -> Mention | None:
        item, verb = value.get("item"), value.get("verb")
        if verb != "add" or not (item == "comment" or item in FEED_POST_ITEMS):
            return None
        text = value.get("message")
        if not isinstance(text, str):
            return None
        author = _page_author(value)
        created = from_unix(value.get("created_time") or entry.get("time"))
        post_id = sid(value.get("post_id")) if value.get("post_id") is not None else None
        channel: str
        kind: MentionKind
        if item == "comment":
            native_id = sid(value.get("comment_id"))
            parent = sid(value["parent_id"]) if value.get("parent_id") is not None else None
            # Facebook threads two levels deep: a reply's parent is the top-level comment.
            thread = native_id if parent in (None, post_id) else str(parent)
            channel, kind = "facebook.comment", "comment"
        else:
            if post_id is None:
                raise InvalidBody("a feed post change has no post_id")
            native_id, parent, thread = post_id, None, post_id
            channel, kind = "facebook.post", "post"
        if field == "mention":
            channel = "facebook.mention"
        return build_mention(
            platform=self.platform,
            channel=channel,
            kind=kind,
            native_id=native_id,
            thread_id=thread,
            parent_id=parent,
            account_id=account,
            author=author,
            from_brand=author.id == account,
            text=text,
            url=value.get("permalink_url") if isinstance(value.get("permalink_url"), str) else None,
            created_at=created,
            received_at=delivery.received_at,
        )

    def _rating(self, value: dict[str, Any], account: str, entry: dict[str, Any], delivery: Delivery) -> Mention | None:
        if value.get("item") != "rating" or value.get("verb") != "add":
            return None
        native_id = sid(value.get("open_graph_story_id"))
        rating = value.get("rating")
        return build_mention(
            platform=self.platform,
            channel="facebook.review",
            kind="review",
            native_id=native_id,
            thread_id=native_id,
            account_id=account,
            author=Person(id=sid(value.get("reviewer_id")), name=text_or_none(value.get("reviewer_name"))),
            text=str(value.get("review_text") or ""),
            rating=rating if isinstance(rating, int) and 1 <= rating <= 5 else None,
            created_at=from_unix(value.get("created_time") or entry.get("time")),
            received_at=delivery.received_at,
        )

    def _instagram_comment(
        self, field: str, value: dict[str, Any], account: str, entry: dict[str, Any], delivery: Delivery
    ) -> Mention | None:
        text = value.get("text")
        if not isinstance(text, str):
            return None
        native_id = sid(value.get("id"))
        parent = sid(value["parent_id"]) if value.get("parent_id") is not None else None
        sender = value.get("from")
        author = (
            Person(id=sid(sender.get("id")), handle=text_or_none(sender.get("username")))
            if isinstance(sender, dict) and sender.get("id") is not None
            else UNKNOWN_AUTHOR
        )
        return build_mention(
            platform=self.platform,
            channel="instagram.live_comment" if field == "live_comments" else "instagram.comment",
            kind="comment",
            native_id=native_id,
            thread_id=parent or native_id,
            parent_id=parent,
            account_id=account,
            author=author,
            from_brand=author.id == account,
            text=text,
            created_at=from_unix(entry.get("time")),
            received_at=delivery.received_at,
        )

    def _message(self, obj: str, event: dict[str, Any], delivery: Delivery) -> Mention | None:
        message = event.get("message")
        if not isinstance(message, dict) or message.get("is_deleted"):
            return None  # deliveries, reads, reactions, postbacks, deletions
        raw_text = message.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        attachments = tuple(
            Media(type=str(a.get("type", "file")), url=_attachment_url(a))
            for a in _list(message.get("attachments"), "attachments")
            if isinstance(a, dict)
        )
        if not text and not attachments:
            return None
        sender = sid(_dict(event.get("sender"), "sender").get("id"))
        recipient = sid(_dict(event.get("recipient"), "recipient").get("id"))
        echo = bool(message.get("is_echo"))
        # An echo is the page's own message: the conversation is still keyed page:person.
        page, person = (sender, recipient) if echo else (recipient, sender)
        native_id = sid(message.get("mid"))
        reply_to = message.get("reply_to")
        return build_mention(
            platform=self.platform,
            channel="instagram.dm" if obj == "instagram" else "messenger",
            kind="message",
            native_id=native_id,
            thread_id=f"{page}:{person}",
            parent_id=sid(reply_to["mid"]) if isinstance(reply_to, dict) and reply_to.get("mid") else None,
            account_id=page,
            author=Person(id=sender),
            from_brand=echo,
            text=text,
            attachments=attachments,
            created_at=from_unix(event.get("timestamp") or delivery.received_at.timestamp()),
            received_at=delivery.received_at,
        )

    def _whatsapp(self, value: dict[str, Any], delivery: Delivery) -> Iterator[Mention | None]:
        metadata = _dict(value.get("metadata"), "metadata")
        number = sid(metadata.get("phone_number_id"))
        names = {
            str(c.get("wa_id")): text_or_none(c["profile"].get("name")) if isinstance(c.get("profile"), dict) else None
            for c in _list(value.get("contacts"), "contacts")
            if isinstance(c, dict)
        }
        for _status in _list(value.get("statuses"), "statuses"):
            yield None  # delivery receipts of our own messages
        for raw in _list(value.get("messages"), "messages"):
            message = _dict(raw, "a WhatsApp message")
            kind = str(message.get("type", "unknown"))
            if kind in WHATSAPP_IGNORED_TYPES:
                yield None
                continue
            sender = sid(message.get("from"))
            native_id = sid(message.get("id"))
            text, attachments = _whatsapp_content(kind, message)
            context = message.get("context")
            mention = build_mention(
                platform=self.platform,
                channel="whatsapp",
                kind="message",
                native_id=native_id,
                thread_id=f"{number}:{sender}",
                parent_id=sid(context["id"]) if isinstance(context, dict) and context.get("id") else None,
                account_id=number,
                author=Person(id=sender, handle=sender, name=names.get(sender)),
                text=text,
                attachments=attachments,
                created_at=from_unix(message.get("timestamp") or delivery.received_at.timestamp()),
                received_at=delivery.received_at,
            )
            yield mention


def _page_author(value: dict[str, Any]) -> Person:
    sender = value.get("from")
    if isinstance(sender, dict) and sender.get("id") is not None:
        return Person(id=sid(sender["id"]), name=text_or_none(sender.get("name")))
    if value.get("sender_id") is not None:  # payloads before Graph API v2.11 or so
        return Person(id=sid(value["sender_id"]), name=text_or_none(value.get("sender_name")))
    return UNKNOWN_AUTHOR


def _attachment_url(attachment: dict[str, Any]) -> str | None:
    payload = attachment.get("payload")
    url = payload.get("url") if isinstance(payload, dict) else None
    return url if isinstance(url, str) else None


def _whatsapp_content(kind: str, message: dict[str, Any]) -> tuple[str, tuple[Media, ...]]:
    """Text a person wrote, whatever the message type; media and unsupported types keep a marker so nothing a
    customer sent disappears."""
    content = message.get(kind)
    body: dict[str, Any] = content if isinstance(content, dict) else {}
    if kind == "text":
        return str(body.get("body", "")), ()
    if kind == "button":
        return text_or_none(body.get("text")) or "", ()
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply")
        title = text_or_none(reply.get("title")) if isinstance(reply, dict) else None
        return title or "", ()
    return text_or_none(body.get("caption")) or "", (Media(type=kind),)
