"""Bluesky (no webhooks; the firehose is a stream, not something a function polls): the brand account's
notifications, `app.bsky.notification.listNotifications` on its PDS, filtered to mentions, replies and quotes.

One feed, `notifications`, newest first, 100 a page, the next (older) page named by `cursor`. The session is opened
with the handle and an app password (`com.atproto.server.createSession`) and kept in memory; an expired access
token is refreshed by opening a new one. Bluesky's limits come as `RateLimit-Limit/-Remaining/-Reset` (Unix
seconds).

A notification is a post: its AT URI (`at://<did>/app.bsky.feed.post/<rkey>`) is the native id (a reply refers to
it, with its `cid`); its conversation is the thread's root (`record.reply.root.uri`) or itself; its parent the post
it replies to. The author is the DID, with the handle and display name. Text and languages are the record's
(`text`, `langs`). Likes, reposts, follows and the rest are not messages and are never requested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from services.ingest.platforms.base import Delivery, Parsed, Person, build_mention, from_iso, text_or_none
from services.ingest.pollers.auth import Auth, access_token, bearer
from services.ingest.pollers.base import (
    Feed,
    Item,
    Request,
    Response,
    Scan,
    TimeKeyed,
    Verdict,
    json_object,
    obj,
    parse_items,
    read_page,
    time_key,
)
from shared.credentials import Credential
from shared.errors import InvalidBody
from shared.events import Mention

PAGE = 100
HEARD = frozenset({"mention", "reply", "quote"})


class Bluesky(TimeKeyed):
    platform: Literal["bluesky"] = "bluesky"

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        return [Feed("notifications", "notifications", {"reasons": ",".join(source.reasons)})]

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        return {"account_id": source.handle}

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        # The port opened the session (createSession with the app password) or refreshed it (refreshSession).
        return bearer(access_token(credential, "an access token or an app_password"))

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        query: list[tuple[str, str]] = [("limit", str(PAGE))]
        query += [("reasons", r) for r in feed.params.get("reasons", "").split(",") if r]
        if page:
            query.append(("cursor", page))
        return Request("GET", f"{base}/xrpc/app.bsky.notification.listNotifications?{urlencode(query)}")

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        document = json_object(response, "a listNotifications answer")
        notifications = document.get("notifications")
        if not isinstance(notifications, list):
            raise InvalidBody("a listNotifications answer has notifications")
        wanted = set(feed.params.get("reasons", "").split(",")) & HEARD or HEARD
        items = []
        for notification in notifications:
            if not isinstance(notification, dict) or notification.get("reason") not in wanted:
                continue  # a PDS that ignores `reasons` still sends only what is asked for here
            uri = notification.get("uri")
            try:
                key = time_key(from_iso(notification.get("indexedAt")))
            except InvalidBody:
                continue
            if isinstance(uri, str) and uri:
                items.append(Item(uri, key, notification))
        cursor = document.get("cursor")
        # A page with nothing on it ends the listing, whatever cursor came with it.
        return Scan(items, cursor if isinstance(cursor, str) and cursor and notifications else None)

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        page = read_page(delivery)
        account = text_or_none(page.context.get("account_id"))
        return parse_items(delivery, page, lambda raw: _post(raw, account, delivery), self.platform)


def _post(raw: Any, account: str | None, delivery: Delivery) -> Mention | None:
    record, author = raw.get("record"), raw.get("author")
    if not isinstance(record, dict) or not isinstance(author, dict):
        raise InvalidBody("a notification has its record and author")
    uri = str(raw["uri"])
    reason = str(raw.get("reason"))
    reply = obj(record.get("reply"))
    root, parent = obj(reply.get("root")), obj(reply.get("parent"))
    did = str(author.get("did") or "")
    handle = text_or_none(author.get("handle"))
    langs = record.get("langs")
    created = record.get("createdAt") or raw.get("indexedAt")
    return build_mention(
        platform="bluesky",
        channel=f"bluesky.{reason}",
        kind="comment" if reason == "reply" else "post",
        native_id=uri,
        thread_id=text_or_none(root.get("uri")) or uri,
        parent_id=text_or_none(parent.get("uri")),
        account_id=account,
        author=Person(id=did or "unknown", handle=handle, name=text_or_none(author.get("displayName"))),
        text=str(record.get("text") or ""),
        lang=text_or_none(langs[0]) if isinstance(langs, list) and langs else None,
        url=f"https://bsky.app/profile/{handle or did}/post/{uri.rsplit('/', 1)[-1]}",
        created_at=from_iso(created),
        received_at=delivery.received_at,
    )
