"""X: the Account Activity API (AAA) and the X Activity API (XAA), both delivered to one webhook.

Handshake (CRC): `GET ?crc_token=<t>` answered with `{"response_token": "sha256=<base64 HMAC-SHA256(consumer
secret, t)>"}`, at registration and then about hourly. Signature: `x-twitter-webhooks-signature: sha256=<base64
HMAC-SHA256(consumer secret, raw body)>`; there is no timestamp, so no replay window (redeliveries are recognised
by the post's or message's own id). X retries a delivery not answered within 3 s, three times over ~5 minutes.

AAA sends one account's events per POST as arrays (`for_user_id`): `tweet_create_events` (posts, replies, mentions,
quote posts; the account's own posts too), `direct_message_events`, `tweet_delete_events`, and events that carry
no message (likes, follows, blocks, typing, reads, revocations). XAA sends one event per envelope
(`data.event_type`: `post.create`, `post.reply.create`, `post.mention.create`, `post.quote.create`, `dm.received`,
`dm.sent`, `post.delete`, ...). An edited post is a new post id that names its first version
(`edit_history_tweet_ids` / `edit_history.initial_tweet_id`): it is the same mention as the first version, with
`edited_at`. Reposts are not messages.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

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
    check_base64,
    from_iso,
    from_unix,
    hmac_digest,
    parse_json,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidQuery
from shared.events import Mention, MentionDeletion
from shared.secrets import SecretValues

Found = Mention | MentionDeletion | Notice | None
# AAA arrays that carry no message: acknowledged and counted.
SILENT_ARRAYS = (
    "favorite_events",
    "follow_events",
    "unfollow_events",
    "block_events",
    "mute_events",
    "direct_message_indicate_typing_events",
    "direct_message_mark_read_events",
)
XAA_POSTS = frozenset({"post.create", "post.reply.create", "post.mention.create", "post.quote.create"})
XAA_DMS = frozenset({"dm.received", "dm.sent"})


def crc_response(token: str, consumer_secret: str) -> str:
    return "sha256=" + base64.b64encode(hmac_digest(consumer_secret, token.encode())).decode()


class X:
    platform: Literal["x"] = "x"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        token = handshake.query.get("crc_token")
        if not token:
            raise InvalidQuery("expected a challenge-response check: crc_token")
        body = orjson.dumps({"response_token": crc_response(token, secrets.platform_secret(self.platform))})
        return Answer(body.decode(), "application/json")

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        expected = hmac_digest(secrets.platform_secret(self.platform), delivery.body)
        check_base64(delivery.headers.get("x-twitter-webhooks-signature"), "sha256=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        return None  # X names no delivery; XAA's event_uuid is read in parse for the mentions' own ids

    def parse(self, delivery: Delivery) -> Parsed:
        payload = parse_json(delivery.body, "X delivery")
        found = list(self._xaa(payload, delivery) if "data" in payload else self._aaa(payload, delivery))
        mentions = [f for f in found if isinstance(f, Mention)]
        deletions = [f for f in found if isinstance(f, MentionDeletion)]
        notices = [f for f in found if isinstance(f, Notice)]
        return Parsed(
            mentions=mentions,
            deletions=deletions,
            notices=notices,
            ignored=len(found) - len(mentions) - len(deletions),
        )

    # Account Activity API -------------------------------------------------------------------------------------

    def _aaa(self, payload: dict[str, Any], delivery: Delivery) -> Iterator[Found]:
        account = text_or_none(payload.get("for_user_id"))
        users = _dict(payload.get("users"))
        for raw in _list(payload.get("tweet_create_events")):
            yield self._tweet(_dict(raw), account, delivery)
        for raw in _list(payload.get("direct_message_events")):
            event = _dict(raw)
            if event.get("type") != "message_create":
                yield None
                continue
            yield self._dm(event, account, users, delivery)
        for raw in _list(payload.get("tweet_delete_events")):
            event = _dict(raw)
            status = _dict(event.get("status"))
            at = from_unix(event.get("timestamp_ms") or delivery.received_at.timestamp())
            yield build_deletion(self.platform, sid(status.get("id")), at, delivery.received_at)
        for key in SILENT_ARRAYS:
            for _event in _list(payload.get(key)):
                yield None
        revoke = _dict(payload.get("user_event")).get("revoke")
        if isinstance(revoke, dict):
            source = _dict(revoke.get("source"))
            yield Notice(
                platform=self.platform,
                kind="app.revoked",
                ref=str(source.get("user_id") or "unknown"),
                at=_iso_or(revoke.get("date_time"), delivery),
                account_id=text_or_none(source.get("user_id")),
            )

    def _tweet(self, tweet: dict[str, Any], account: str | None, delivery: Delivery) -> Mention | None:
        if "retweeted_status" in tweet:
            return None  # a repost says nothing new
        user = _dict(tweet.get("user"))
        author = Person(
            id=sid(user.get("id_str") or user.get("id")),
            handle=text_or_none(user.get("screen_name")),
            name=text_or_none(user.get("name")),
            followers=user.get("followers_count") if isinstance(user.get("followers_count"), int) else None,
        )
        extended = tweet.get("extended_tweet")
        text = (
            text_or_none(extended.get("full_text"))
            if isinstance(extended, dict)
            else text_or_none(tweet.get("full_text"))
        ) or str(tweet.get("text") or "")
        post_id = sid(tweet.get("id_str") or tweet.get("id"))
        history = _dict(tweet.get("edit_history"))
        first = text_or_none(history.get("initial_tweet_id")) or post_id
        created = _twitter_time(tweet, delivery)
        reply_to = text_or_none(tweet.get("in_reply_to_status_id_str"))
        quoted = text_or_none(tweet.get("quoted_status_id_str"))
        media = _dict(tweet.get("extended_entities") or tweet.get("entities")).get("media")
        return build_mention(
            platform=self.platform,
            channel="x.post",
            kind="post" if reply_to is None and quoted is None else "comment",
            native_id=first,
            # Without a conversation id (AAA sends v1.1 posts), a reply belongs to the post it answers.
            thread_id=reply_to or quoted or first,
            parent_id=reply_to or quoted,
            account_id=account,
            author=author,
            from_brand=account is not None and author.id == account,
            text=text,
            url=f"https://x.com/{author.handle or 'i'}/status/{post_id}",
            lang=_lang(tweet.get("lang")),
            attachments=tuple(
                Media(type=str(m.get("type", "photo")), url=text_or_none(m.get("media_url_https")))
                for m in _list(media)
                if isinstance(m, dict)
            ),
            created_at=created,
            received_at=delivery.received_at,
            edited_at=created if first != post_id else None,
        )

    def _dm(self, event: dict[str, Any], account: str | None, users: dict[str, Any], delivery: Delivery) -> Mention:
        create = _dict(event.get("message_create"))
        sender = sid(create.get("sender_id"))
        recipient = sid(_dict(create.get("target")).get("recipient_id"))
        brand = account or recipient
        person = recipient if sender == brand else sender
        profile = _dict(users.get(sender))
        profile = _dict(profile.get("data")) or profile  # XAA nests the user under `data`
        message = _dict(create.get("message_data"))
        return build_mention(
            platform=self.platform,
            channel="x.dm",
            kind="message",
            native_id=f"dm:{sid(event.get('id'))}",
            thread_id=f"dm:{brand}:{person}",
            account_id=brand,
            author=Person(
                id=sender,
                handle=text_or_none(profile.get("screen_name") or profile.get("username")),
                name=text_or_none(profile.get("name")),
            ),
            from_brand=sender == brand,
            text=str(message.get("text") or ""),
            created_at=from_unix(event.get("created_timestamp") or delivery.received_at.timestamp()),
            received_at=delivery.received_at,
        )

    # X Activity API -------------------------------------------------------------------------------------------

    def _xaa(self, payload: dict[str, Any], delivery: Delivery) -> Iterator[Found]:
        data = _dict(payload.get("data"))
        kind = data.get("event_type")
        if not isinstance(kind, str):
            raise InvalidBody("an X Activity API event names its event_type")
        account = text_or_none(_dict(data.get("filter")).get("user_id"))
        body = _dict(data.get("payload"))
        if kind in XAA_POSTS:
            yield self._post(body, account, _dict(data.get("includes")), delivery)
        elif kind in XAA_DMS:
            dms = _list(body.get("direct_message_events"))
            users = _dict(body.get("users"))
            for raw in dms:
                event = _dict(raw)
                yield self._dm(event, account, users, delivery) if event.get("type") == "message_create" else None
        elif kind == "post.delete":
            yield build_deletion(self.platform, sid(body.get("id")), delivery.received_at, delivery.received_at)
        elif kind == "oauth.revoke":
            yield Notice(
                platform=self.platform,
                kind="app.revoked",
                ref=str(body.get("user_id") or "unknown"),
                at=_iso_or(body.get("date_time"), delivery),
                account_id=text_or_none(body.get("user_id")),
            )
        else:
            yield None  # likes, follows, reposts, profile changes

    def _post(self, post: dict[str, Any], account: str | None, includes: dict[str, Any], delivery: Delivery) -> Mention:
        post_id = sid(post.get("id"))
        history = [sid(i) for i in _list(post.get("edit_history_tweet_ids"))]
        first = history[0] if history else post_id
        author_id = sid(post.get("author_id"))
        user = next(
            (u for u in _list(includes.get("users")) if isinstance(u, dict) and str(u.get("id")) == author_id), {}
        )
        metrics = _dict(user.get("public_metrics"))
        followers = metrics.get("followers_count")
        refs = {
            str(r.get("type")): sid(r.get("id")) for r in _list(post.get("referenced_tweets")) if isinstance(r, dict)
        }
        parent = text_or_none(post.get("in_reply_to_tweet_id")) or refs.get("replied_to") or refs.get("quoted")
        conversation = text_or_none(post.get("conversation_id"))
        created = from_iso(post.get("created_at")) if post.get("created_at") else delivery.received_at
        handle = text_or_none(user.get("username"))
        return build_mention(
            platform=self.platform,
            channel="x.post",
            kind="post" if parent is None else "comment",
            native_id=first,
            thread_id=conversation or parent or first,
            parent_id=parent,
            account_id=account,
            author=Person(
                id=author_id,
                handle=handle,
                name=text_or_none(user.get("name")),
                followers=followers if isinstance(followers, int) else None,
            ),
            from_brand=account is not None and author_id == account,
            text=str(post.get("text") or ""),
            url=f"https://x.com/{handle or 'i'}/status/{post_id}",
            lang=_lang(post.get("lang")),
            created_at=created,
            received_at=delivery.received_at,
            edited_at=created if first != post_id else None,
        )


def _dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidBody("an X event field is not a JSON object")
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidBody("an X event array is not a JSON array")
    return value


def _lang(value: Any) -> str | None:
    return value if isinstance(value, str) and value not in ("und", "") else None


def _twitter_time(tweet: dict[str, Any], delivery: Delivery) -> datetime:
    if tweet.get("timestamp_ms") is not None:
        return from_unix(tweet["timestamp_ms"])
    created = tweet.get("created_at")
    if isinstance(created, str):
        try:
            return datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y")  # "Wed Oct 10 20:19:24 +0000 2018"
        except ValueError:
            pass
    return delivery.received_at


def _iso_or(value: Any, delivery: Delivery) -> datetime:
    return from_iso(value) if isinstance(value, str) else delivery.received_at
