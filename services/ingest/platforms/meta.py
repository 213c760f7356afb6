"""Meta: one app webhook for Facebook Pages, Instagram, Messenger and WhatsApp.

Handshake: `GET ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>` answered with the challenge.
Signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. Deliveries are batched:
`entry[]` (pages, accounts) by `changes[]` (feed, comments, mentions, ratings, WhatsApp messages) or `messaging[]`
(Messenger, Instagram DMs); each message inside becomes its own mention. Meta retries for up to 36 h (WhatsApp
7 days), so every message is recognised by its own id.

Beyond new messages: an edited comment, post, review or Messenger message is the same mention with `edited_at`
(the change's time); a removed comment or post, a removed review and an unsent Messenger message are deletions.
Reactions, reads, deliveries, postbacks, hides and page field changes that carry no message at all (`parking`,
`payment_options`, ... with no `value`) are acknowledged and ignored: Meta retries a refused delivery and then
disables the webhook. An Instagram mention names only a comment or a media id: with an `InstagramMentions` port
(the Graph API adapter in services/ingest/http/meta.py) Hark reads the comment or caption and makes it a mention;
without one, or when the Graph API cannot answer now, it becomes an `instagram.mention` notice for whatever fetches
it later (refusing the whole batch would make Meta retry, then disable, the webhook for every other message).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import orjson

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Media,
    Notice,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    check_prefixed_hex,
    from_unix,
    hmac_hex,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidQuery, NotConfigured, NotPermitted, Unavailable
from shared.events import Mention, MentionDeletion, MentionKind
from shared.observability import count, get_logger
from shared.secrets import SecretValues

UNKNOWN_AUTHOR = Person(id="unknown")
Found = Mention | MentionDeletion | Notice | None
EDITED = frozenset({"edited", "edit"})  # Meta says `edited` for feed items and `edit` for ratings
REMOVED = frozenset({"remove", "delete"})
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


@dataclass(frozen=True)
class Mentioned:
    """A comment or a caption in which the brand's Instagram account was @-mentioned, as the Graph API returns it."""

    id: str
    text: str
    username: str | None
    created_at: datetime | None
    media_id: str | None = None
    permalink: str | None = None


class InstagramMentions(Protocol):
    def comment(self, account: str, comment_id: str) -> Mentioned | None:
        """The comment that mentions `account` (None: no longer there). Raises Unavailable or NotConfigured."""

    def media(self, account: str, media_id: str) -> Mentioned | None:
        """The media whose caption mentions `account` (None: no longer there)."""


class Meta:
    platform: Literal["meta"] = "meta"
    content_types = frozenset({"application/json"})

    def __init__(self, instagram_mentions: InstagramMentions | None = None) -> None:
        self._mentions = instagram_mentions

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
        deletions: list[MentionDeletion] = []
        notices: list[Notice] = []
        ignored = 0
        for found in self._walk(obj, _list(payload.get("entry"), "entry"), delivery):
            if isinstance(found, Mention):
                mentions.append(found)
            elif isinstance(found, MentionDeletion):
                deletions.append(found)
            else:
                ignored += 1
                if isinstance(found, Notice):
                    notices.append(found)
        return Parsed(mentions=mentions, ignored=ignored, deletions=deletions, notices=notices)

    def _walk(self, obj: str, entries: list[Any], delivery: Delivery) -> Iterator[Found]:
        for raw_entry in entries:
            entry = _dict(raw_entry, "an entry")
            account = sid(entry.get("id"))
            for raw_change in _list(entry.get("changes"), "changes"):
                change = _dict(raw_change, "a change")
                field = str(change.get("field"))
                value = change.get("value")
                if value is None:
                    # Page fields such as `parking` or `payment_options` announce a change with no value at all.
                    yield None
                    continue
                yield from self._change(obj, field, _dict(value, "a change value"), account, entry, delivery)
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
    ) -> Iterator[Found]:
        if obj == "whatsapp_business_account" and field == "messages":
            yield from self._whatsapp(value, delivery)
        elif obj == "instagram" and field in ("comments", "live_comments"):
            yield self._instagram_comment(field, value, account, entry, delivery)
        elif obj == "instagram" and field == "mentions":
            yield self._instagram_mention(value, account, entry, delivery)
        elif obj == "page" and field in ("feed", "mention"):
            yield self._page_feed(field, value, account, entry, delivery)
        elif obj == "page" and field == "ratings":
            yield self._rating(value, account, entry, delivery)
        else:
            yield None

    def _page_feed(
        self, field: str, value: dict[str, Any], account: str, entry: dict[str, Any], delivery: Delivery
    ) -> Found:
        item, verb = value.get("item"), value.get("verb")
        if not (item == "comment" or item in FEED_POST_ITEMS):
            return None
        post_id = sid(value.get("post_id")) if value.get("post_id") is not None else None
        if item == "comment":
            native_id = sid(value.get("comment_id"))
        elif post_id is None:
            raise InvalidBody("a feed post change has no post_id")
        else:
            native_id = post_id
        changed_at = from_unix(entry.get("time") or value.get("created_time") or delivery.received_at.timestamp())
        if verb in REMOVED:
            return build_deletion(self.platform, native_id, changed_at, delivery.received_at)
        if verb != "add" and verb not in EDITED:
            return None  # hide, unhide, block: the message is still there
        text = value.get("message")
        if not isinstance(text, str):
            if field == "mention":  # the page was tagged in a post or comment whose text Meta does not send
                return Notice(
                    platform=self.platform,
                    kind="facebook.mention",
                    ref=native_id,
                    at=changed_at,
                    account_id=account,
                    detail={"item": str(item)},
                )
            return None
        author = _page_author(value)
        created = from_unix(value.get("created_time") or entry.get("time"))
        link = value.get("link")
        media = (Media(type=str(item), url=link),) if item in ("photo", "video") and isinstance(link, str) else ()
        channel: str
        kind: MentionKind
        if item == "comment":
            parent = sid(value["parent_id"]) if value.get("parent_id") is not None else None
            # Facebook threads two levels deep: a reply's parent is the top-level comment.
            thread = native_id if parent in (None, post_id) else str(parent)
            channel, kind = "facebook.comment", "comment"
        else:
            parent, thread = None, native_id
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
            attachments=media,
            created_at=created,
            received_at=delivery.received_at,
            edited_at=changed_at if verb in EDITED else None,
        )

    def _rating(self, value: dict[str, Any], account: str, entry: dict[str, Any], delivery: Delivery) -> Found:
        """A rating or recommendation (`recommendation_type` positive or negative, with or without stars), or a
        comment under one, which joins the review's conversation."""
        item, verb = value.get("item"), value.get("verb")
        changed_at = from_unix(entry.get("time") or value.get("created_time") or delivery.received_at.timestamp())
        if item == "comment":
            return self._rating_comment(value, account, changed_at, delivery)
        if item != "rating":
            return None
        native_id = sid(value.get("open_graph_story_id"))
        if verb in REMOVED:
            return build_deletion(self.platform, native_id, changed_at, delivery.received_at)
        if verb != "add" and verb not in EDITED:
            return None
        rating = value.get("rating")
        text = str(value.get("review_text") or "")
        return build_mention(
            platform=self.platform,
            channel="facebook.review",
            kind="review",
            native_id=native_id,
            thread_id=native_id,
            account_id=account,
            author=Person(id=sid(value.get("reviewer_id")), name=text_or_none(value.get("reviewer_name"))),
            text=text,
            rating=rating if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5 else None,
            created_at=from_unix(value.get("created_time") or entry.get("time")),
            received_at=delivery.received_at,
            edited_at=changed_at if verb in EDITED else None,
        )

    def _rating_comment(self, value: dict[str, Any], account: str, changed_at: datetime, delivery: Delivery) -> Found:
        native_id = sid(value.get("comment_id"))
        verb = value.get("verb")
        if verb in REMOVED:
            return build_deletion(self.platform, native_id, changed_at, delivery.received_at)
        text = value.get("message")
        if (verb != "add" and verb not in EDITED) or not isinstance(text, str):
            return None
        story = value.get("open_graph_story_id")
        author = _page_author(value)
        return build_mention(
            platform=self.platform,
            channel="facebook.review",
            kind="comment",
            native_id=native_id,
            thread_id=sid(story) if story is not None else native_id,  # the review's own conversation
            parent_id=sid(story) if story is not None else None,
            account_id=account,
            author=author,
            from_brand=author.id == account,
            text=text,
            created_at=from_unix(value.get("created_time") or changed_at.timestamp()),
            received_at=delivery.received_at,
            edited_at=changed_at if verb in EDITED else None,
        )

    def _instagram_mention(
        self, value: dict[str, Any], account: str, entry: dict[str, Any], delivery: Delivery
    ) -> Found:
        """@-mentioned in a comment or a caption: the webhook names the object; its text is read from the Graph API
        when Hark can, and otherwise handed on as a notice."""
        media = value.get("media_id")
        comment = value.get("comment_id")
        if media is None and comment is None:
            raise InvalidBody("an Instagram mention names neither a comment nor a media")
        detail = {"media_id": sid(media)} if media is not None else {}
        if comment is not None:
            detail["comment_id"] = sid(comment)
        notice = Notice(
            platform=self.platform,
            kind="instagram.mention",
            ref=detail.get("comment_id") or detail["media_id"],
            at=from_unix(entry.get("time") or delivery.received_at.timestamp()),
            account_id=account,
            detail=detail,
        )
        if self._mentions is None:
            return notice
        try:
            if "comment_id" in detail:
                found = self._mentions.comment(account, detail["comment_id"])
            else:
                found = self._mentions.media(account, detail["media_id"])
        except (Unavailable, NotConfigured) as exc:
            count("ingest", "InstagramMentionsUnfetched")
            get_logger("ingest").warning(
                "instagram mention not fetched", extra={"ref": notice.ref, "error": type(exc).__name__}
            )
            return notice
        if found is None:
            return None  # deleted before Hark could read it
        native_id = found.id
        is_comment = "comment_id" in detail
        return build_mention(
            platform=self.platform,
            channel="instagram.mention",
            kind="comment" if is_comment else "post",
            native_id=native_id,
            # A mention in a comment belongs to the media it is on (someone else's post); a caption is its own.
            thread_id=found.media_id or detail.get("media_id") or native_id if is_comment else native_id,
            account_id=account,
            author=Person(id=f"ig:{found.username}" if found.username else "unknown", handle=found.username),
            text=found.text,
            url=found.permalink,
            created_at=found.created_at or notice.at,
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

    def _message(self, obj: str, event: dict[str, Any], delivery: Delivery) -> Found:
        at = from_unix(event.get("timestamp") or delivery.received_at.timestamp())
        edit = event.get("message_edit")
        if isinstance(edit, dict):
            return self._message_edit(obj, event, edit, at, delivery)
        message = event.get("message")
        if not isinstance(message, dict):
            return None  # deliveries, reads, reactions, postbacks, referrals
        if message.get("is_deleted"):  # unsent by its author
            return build_deletion(self.platform, sid(message.get("mid")), at, delivery.received_at)
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
            created_at=at,
            received_at=delivery.received_at,
        )

    def _message_edit(
        self, obj: str, event: dict[str, Any], edit: dict[str, Any], at: datetime, delivery: Delivery
    ) -> Mention:
        """Messenger's `message_edits`: the new text of a message the person sent earlier."""
        sender = sid(_dict(event.get("sender"), "sender").get("id"))
        page = sid(_dict(event.get("recipient"), "recipient").get("id"))
        return build_mention(
            platform=self.platform,
            channel="instagram.dm" if obj == "instagram" else "messenger",
            kind="message",
            native_id=sid(edit.get("mid")),
            thread_id=f"{page}:{sender}",
            account_id=page,
            author=Person(id=sender),
            text=text_or_none(edit.get("text")) or "",
            created_at=at,  # the edit does not say when the message was first sent
            received_at=delivery.received_at,
            edited_at=at,
        )

    def _whatsapp(self, value: dict[str, Any], delivery: Delivery) -> Iterator[Found]:
        metadata = _dict(value.get("metadata"), "metadata")
        number = sid(metadata.get("phone_number_id"))
        contacts = [_WhatsAppContact.read(c) for c in _list(value.get("contacts"), "contacts") if isinstance(c, dict)]
        for _status in _list(value.get("statuses"), "statuses"):
            yield None  # delivery receipts of our own messages
        for raw in _list(value.get("messages"), "messages"):
            message = _dict(raw, "a WhatsApp message")
            kind = str(message.get("type", "unknown"))
            if kind in WHATSAPP_IGNORED_TYPES:
                yield None
                continue
            sender = _whatsapp_sender(message, contacts)
            native_id = sid(message.get("id"))
            text, attachments = _whatsapp_content(kind, message)
            context = message.get("context")
            group = message.get("group_id")
            mention = build_mention(
                platform=self.platform,
                channel="whatsapp",
                kind="message",
                native_id=native_id,
                # A group's messages are one conversation; otherwise business number : person.
                thread_id=f"{number}:group:{sid(group)}" if group is not None else f"{number}:{sender.id}",
                parent_id=sid(context["id"]) if isinstance(context, dict) and context.get("id") else None,
                account_id=number,
                author=sender,
                text=text,
                attachments=attachments,
                created_at=from_unix(message.get("timestamp") or delivery.received_at.timestamp()),
                received_at=delivery.received_at,
            )
            yield mention


@dataclass(frozen=True)
class _WhatsAppContact:
    """A contact as WhatsApp names it: by phone (`wa_id`), by business-scoped user id (`user_id`, and
    `parent_user_id` across a managed business's portfolios), or both; a `username` when the person chose one."""

    ids: frozenset[str]
    phone: str | None
    username: str | None
    name: str | None

    @classmethod
    def read(cls, contact: dict[str, Any]) -> _WhatsAppContact:
        profile = contact.get("profile")
        found = {k: sid(contact[k]) for k in ("wa_id", "user_id", "parent_user_id") if contact.get(k) is not None}
        return cls(
            ids=frozenset(found.values()),
            phone=found.get("wa_id"),
            username=text_or_none(contact.get("username"))
            or (text_or_none(profile.get("username")) if isinstance(profile, dict) else None),
            name=text_or_none(profile.get("name")) if isinstance(profile, dict) else None,
        )


def _whatsapp_sender(message: dict[str, Any], contacts: list[_WhatsAppContact]) -> Person:
    """The person who wrote: the phone number when WhatsApp still shares it (the key of every conversation Hark
    already has), otherwise the business-scoped user id, which is all a person with a username may show."""
    given = [sid(message[k]) for k in ("from", "from_user_id", "from_parent_user_id") if message.get(k) is not None]
    if not given:
        raise InvalidBody("a WhatsApp message names no sender (from, from_user_id)")
    contact = next((c for c in contacts if c.ids & set(given)), None)
    if contact is None and len(contacts) == 1 and not message.get("group_id"):
        contact = contacts[0]  # one person, one message: the contact is the sender
    phone = sid(message["from"]) if message.get("from") is not None else (contact.phone if contact else None)
    sender = phone or given[0]
    username = (contact.username if contact else None) or text_or_none(message.get("username"))
    return Person(id=sender, handle=username or sender, name=contact.name if contact else None)


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
