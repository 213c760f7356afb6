"""Telegram Bot API webhooks: messages to the brand's bot, in groups it is in, in its channels, and in the chats of
a Telegram Business account connected to it.

No signature: `setWebhook(secret_token=...)` makes Telegram send `X-Telegram-Bot-Api-Secret-Token: <secret>` with
every update, compared in constant time with Hark's `telegram` secret. There is no timestamp, so no replay window;
`update_id` names the delivery, and a message is `chat id:message id` (a message id is unique only in its chat).
Telegram repeats an update it could not deliver and keeps it for up to 24 hours.

`message`, `channel_post` and `business_message` are mentions; their `edited_*` forms are the same mention with
`edit_date`; `deleted_business_messages` are deletions (the Bot API tells a bot of no other deletion). Posts in a
channel are written by its administrators, so they are the brand's; in a business chat, a message not written by
the customer is the business's own. Callback queries, inline queries, polls, member changes and reactions are
acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Media,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    from_unix,
    parse_json,
    same_secret,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature
from shared.events import Mention
from shared.secrets import SecretValues

MESSAGES = {
    "message": False,
    "edited_message": True,
    "channel_post": False,
    "edited_channel_post": True,
    "business_message": False,
    "edited_business_message": True,
}
MEDIA = ("photo", "video", "voice", "audio", "document", "sticker", "animation", "video_note", "location", "contact")


class Telegram:
    platform: Literal["telegram"] = "telegram"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None  # the webhook is registered with setWebhook; Telegram checks nothing

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        given = delivery.headers.get("x-telegram-bot-api-secret-token")
        if not given:
            raise InvalidSignature("the X-Telegram-Bot-Api-Secret-Token header is missing")
        if not same_secret(given, secrets.platform_secret(self.platform)):
            raise InvalidSignature("the secret token does not match")

    def delivery_id(self, delivery: Delivery) -> str | None:
        try:
            update = parse_json(delivery.body).get("update_id")
        except InvalidBody:
            return None
        return str(update) if isinstance(update, int) else None

    def parse(self, delivery: Delivery) -> Parsed:
        update = parse_json(delivery.body, "Telegram update")
        if not isinstance(update.get("update_id"), int):
            raise InvalidBody("a Telegram update carries its update_id")
        for key, edited in MESSAGES.items():
            message = update.get(key)
            if isinstance(message, dict):
                mention = self._message(key, message, edited, delivery)
                return Parsed(mentions=[mention]) if mention else Parsed(ignored=1)
            if message is not None:
                raise InvalidBody(f"the update's {key} is not an object")
        gone = update.get("deleted_business_messages")
        if isinstance(gone, dict):
            chat = sid(_object(gone.get("chat")).get("id"))
            ids = gone.get("message_ids")
            if not isinstance(ids, list):
                raise InvalidBody("deleted_business_messages carries message_ids")
            deletions = [
                build_deletion(self.platform, f"{chat}:{sid(i)}", delivery.received_at, delivery.received_at)
                for i in ids
            ]
            return Parsed(deletions=deletions)
        return Parsed(ignored=1)

    def _message(self, key: str, message: dict[str, Any], edited: bool, delivery: Delivery) -> Mention | None:
        chat = _object(message.get("chat"))
        chat_id = sid(chat.get("id"))
        sender = message.get("from")
        text = text_or_none(message.get("text")) or text_or_none(message.get("caption")) or ""
        media = tuple(Media(type=kind) for kind in MEDIA if kind in message)
        if not text and not media:
            return None  # service messages: members joined, title changed, pinned, ...
        channel_post = key.endswith("channel_post")
        if isinstance(sender, dict):
            author = Person(
                id=sid(sender.get("id")),
                handle=text_or_none(sender.get("username")),
                name=_full_name(sender),
            )
        elif channel_post or isinstance(message.get("sender_chat"), dict):
            source = _object(message.get("sender_chat")) or chat
            author = Person(
                id=sid(source.get("id")),
                handle=text_or_none(source.get("username")),
                name=text_or_none(source.get("title")),
            )
        else:
            raise InvalidBody("a Telegram message names no sender")
        business = key.endswith("business_message")
        # In a private (or business) chat the chat is the customer; the bot's own words never come back to it.
        from_brand = channel_post or (business and author.id != chat_id)
        topic = message.get("message_thread_id") if message.get("is_topic_message") else None
        reply = _object(message.get("reply_to_message"))
        # Only public groups and channels have links; a private chat's username is the person's.
        username = text_or_none(chat.get("username")) if chat.get("type") in ("channel", "supergroup") else None
        message_id = sid(message.get("message_id"))
        return build_mention(
            platform=self.platform,
            channel="telegram.channel" if channel_post else f"telegram.{chat.get('type') or 'chat'}",
            kind="post" if channel_post else "message",
            native_id=f"{chat_id}:{message_id}",
            thread_id=f"{chat_id}:{sid(topic)}" if topic is not None else chat_id,
            parent_id=f"{chat_id}:{sid(reply['message_id'])}" if reply.get("message_id") is not None else None,
            account_id=text_or_none(message.get("business_connection_id")) or chat_id,
            author=author,
            from_brand=from_brand,
            addressed=True if chat.get("type") == "private" or business else None,
            text=text,
            url=f"https://t.me/{username}/{message_id}" if username else None,
            lang=text_or_none(sender.get("language_code")) if isinstance(sender, dict) else None,
            attachments=media,
            created_at=from_unix(message.get("date") or delivery.received_at.timestamp()),
            received_at=delivery.received_at,
            edited_at=from_unix(message["edit_date"]) if edited and message.get("edit_date") else None,
        )


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidBody("a Telegram field is not an object")
    return value


def _full_name(user: dict[str, Any]) -> str | None:
    parts = [p for p in (text_or_none(user.get("first_name")), text_or_none(user.get("last_name"))) if p]
    return " ".join(parts) or None
