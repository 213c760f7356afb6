"""TikTok comments, where TikTok's API allows it: the API for Business (`business-api.tiktok.com/open_api/v1.3`)
lists the comments on a Business account's own videos (`business/comment/list/`). TikTok for Developers has no
comment webhook and no comment API for other accounts' videos (the Research API is for academic research only).

Feeds: `video/<id>` for each video the source lists and for each of its newest `recent_videos` (asked once a run
with `business/video/list/`). Each is read newest first (`sort_field=create_time&sort_order=desc`), 30 a page
(TikTok's most), with replies inline (`include_replies=true`), the next page named by `cursor` while `has_more`.
Requests carry the Business access token in `Access-Token`. TikTok answers errors with HTTP 200 and a non-zero
`code`: 40100 (too many requests) backs off a minute; an authorisation code (40001, 40002, 40104, 40105) or any
other refusal backs off fifteen minutes.

A comment's conversation is its top-level comment; a reply's parent is `parent_comment_id`. The Business account's
own comments (`owner`) are the brand's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import orjson

from services.ingest.platforms.base import Delivery, Parsed, Person, build_mention, from_unix, sid, text_or_none
from services.ingest.pollers.auth import Auth, Header, access_token
from services.ingest.pollers.base import (
    RATE_LIMIT_WAIT,
    REFUSED_WAIT,
    Feed,
    Item,
    Request,
    Response,
    Scan,
    TimeKeyed,
    Verdict,
    get,
    json_object,
    parse_items,
    read_page,
    time_key,
)
from shared.credentials import Credential
from shared.errors import InvalidBody
from shared.events import Mention
from shared.observability import get_logger

PAGE = 30
API = "/open_api/v1.3"
TOO_MANY_REQUESTS = 40100


class TikTok(TimeKeyed):
    platform: Literal["tiktok"] = "tiktok"

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        return [_video_feed(video) for video in source.videos]

    def discover(self, source: Any, base: str, send: Callable[[Request], Response], now: datetime) -> list[Feed]:
        if source.recent_videos <= 0:
            return []
        fields = orjson.dumps(["item_id", "create_time"]).decode()
        params = {"business_id": source.business_id, "fields": fields, "max_count": max(10, source.recent_videos)}
        response = send(get(base, f"{API}/business/video/list/", params))
        document = response.json()
        if response.status != 200 or not isinstance(document, dict) or document.get("code") != 0:
            get_logger("ingest").warning(
                "tiktok video list refused",
                extra={"status": response.status, "code": document.get("code") if isinstance(document, dict) else None},
            )
            return []
        videos = (document.get("data") or {}).get("videos") or []
        ids = [str(v["item_id"]) for v in videos if isinstance(v, dict) and v.get("item_id")]
        return [_video_feed(video) for video in ids[: source.recent_videos]]

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        return {"account_id": source.business_id}

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        return Header("Access-Token", access_token(credential, "the Business account's access token"))

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        params = {
            "business_id": source.business_id,
            "video_id": feed.params["video"],
            "include_replies": "true",
            "sort_field": "create_time",
            "sort_order": "desc",
            "cursor": page or 0,
            "max_count": PAGE,
        }
        return get(base, f"{API}/business/comment/list/", params)

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        document = json_object(response, "a TikTok comment list")
        data = document.get("data")
        if document.get("code") != 0 or not isinstance(data, dict) or not isinstance(data.get("comments"), list):
            raise InvalidBody("a TikTok comment list has data.comments")
        items = []
        for comment in data["comments"]:
            for one in [comment, *((comment.get("reply_list") or []) if isinstance(comment, dict) else [])]:
                if not isinstance(one, dict) or not one.get("comment_id"):
                    continue
                try:
                    key = time_key(from_unix(one.get("create_time")))
                except InvalidBody:
                    continue
                flat = {k: v for k, v in one.items() if k != "reply_list"}
                items.append(
                    Item(str(one["comment_id"]), key, {**flat, "video_id": one.get("video_id") or feed.params["video"]})
                )
        more, cursor = data.get("has_more"), data.get("cursor")
        return Scan(items, str(cursor) if more and cursor is not None else None)

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        document = response.json()
        if response.status != 200 or not isinstance(document, dict):
            return None
        code = document.get("code")
        if code == 0:
            return None
        message = str(document.get("message") or "")[:200]
        if code == TOO_MANY_REQUESTS:
            return Verdict(ok=False, until=now + RATE_LIMIT_WAIT, reason=f"TikTok: {message}", rate_limited=True)
        return Verdict(ok=False, until=now + REFUSED_WAIT, reason=f"TikTok refused ({code}): {message}")

    def parse(self, delivery: Delivery) -> Parsed:
        page = read_page(delivery)
        account = text_or_none(page.context.get("account_id"))
        return parse_items(delivery, page, lambda raw: _comment(raw, account, delivery), self.platform)


def _video_feed(video: str) -> Feed:
    return Feed(f"video/{video}", "video", {"video": video})


def _comment(raw: Any, account: str | None, delivery: Delivery) -> Mention | None:
    if not isinstance(raw, dict):
        raise InvalidBody("a TikTok comment is an object")
    native = sid(raw.get("comment_id"))
    parent = text_or_none(raw.get("parent_comment_id"))
    parent = parent if parent and parent not in ("0", native) else None
    return build_mention(
        platform="tiktok",
        channel="tiktok.comment",
        kind="comment",
        native_id=native,
        thread_id=parent or native,
        parent_id=parent,
        account_id=account,
        author=Person(
            id=sid(raw.get("user_id")),
            handle=text_or_none(raw.get("username")),
            name=text_or_none(raw.get("display_name")),
        ),
        from_brand=raw.get("owner") is True,
        text=str(raw.get("text") or ""),
        created_at=from_unix(raw.get("create_time")),
        received_at=delivery.received_at,
    )
