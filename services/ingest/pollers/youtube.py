"""YouTube comments (not pushed: WebSub only says a video was published): the Data API v3 `commentThreads` list.

Feeds: `channel` (`allThreadsRelatedToChannelId`: every thread on the channel's videos), `videos/<id>` for each
video the source lists, and `video:<id>` for each video a WebSub notice announced, polled on its own for the
source's `watch_for` (a new video is where comments come fast; the webhook puts it on the list). Each answers
newest thread first (`order=time`), 100 a page, with `nextPageToken`; a page costs one unit of the project's daily
quota (10,000 by default), so YouTube sources are polled every 5 minutes unless set otherwise.

Every comment is an item: a thread's top-level comment and the replies the thread carries (`replies.comments`,
the first few), each at its own time, so a new reply in a thread the walk passes is heard; a thread's later replies
beyond those are not listed by this call. The conversation is the thread (its id is the top-level comment's);
a reply's parent is `snippet.parentId`. The brand's own channel writing is the brand. Text is `textOriginal` when
YouTube returns it, else `textDisplay` asked as plain text.

Quota: a 403 `quotaExceeded` (or `dailyLimitExceeded`) backs off until the quota resets at midnight Pacific time;
`rateLimitExceeded` for a minute; a video that is gone (404) or takes no comments (403 `commentsDisabled`) stops
being watched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from services.ingest.platforms.base import Delivery, Parsed, Person, build_mention, from_iso, text_or_none
from services.ingest.pollers.auth import Auth, QueryKey, access_token, bearer
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

GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"  # nosec B105 # noqa: S105 - a URL, not a secret
PACIFIC = ZoneInfo("America/Los_Angeles")
PAGE = 100
QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded"})
GONE = frozenset({"commentsDisabled", "videoNotFound", "channelNotFound", "forbidden"})


class YouTube(TimeKeyed):
    platform: Literal["youtube"] = "youtube"

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        feeds = []
        if source.all_threads:
            feeds.append(Feed("channel", "channel", {"channel": source.channel}))
        listed = set(source.videos)
        feeds += [Feed(f"videos/{video}", "video", {"video": video}) for video in source.videos]
        feeds += [
            Feed(name, "video", {"video": params["video"]})
            for name, params in watched
            if params.get("video") and params["video"] not in listed
        ]
        return feeds

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        return {"account_id": source.channel}

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        if credential is not None and credential.get("api_key"):
            return QueryKey("key", credential.fields["api_key"])
        # An OAuth token the port refreshed (Google's token endpoint) if it had to.
        return bearer(access_token(credential, "an api_key or an OAuth refresh_token"))

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        params: dict[str, str | int | None] = {
            "part": "snippet,replies",
            "maxResults": PAGE,
            "order": "time",
            "textFormat": "plainText",
            "pageToken": page,
        }
        if feed.kind == "channel":
            params["allThreadsRelatedToChannelId"] = feed.params["channel"]
        else:
            params["videoId"] = feed.params["video"]
        return get(base, "/youtube/v3/commentThreads", params)

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        document = json_object(response, "a commentThreads answer")
        threads = document.get("items")
        if not isinstance(threads, list):
            raise InvalidBody("a commentThreads answer has items")
        items = []
        for thread in threads:
            if not isinstance(thread, dict) or not isinstance(thread.get("snippet"), dict):
                continue
            snippet = thread["snippet"]
            video = snippet.get("videoId")
            top = snippet.get("topLevelComment")
            replies = (thread.get("replies") or {}).get("comments") or []
            for comment in [top, *replies]:
                item = _item(comment, str(thread.get("id") or ""), video, snippet.get("channelId"))
                if item is not None:
                    items.append(item)
        token = document.get("nextPageToken")
        return Scan(items, token if isinstance(token, str) and token else None)

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        if response.status not in (403, 404):
            return None
        reasons = _reasons(response)
        if reasons & QUOTA:
            tomorrow = (now.astimezone(PACIFIC) + timedelta(days=1)).date()
            reset = datetime.combine(tomorrow, time(0, 5), PACIFIC)  # the quota resets at midnight Pacific
            return Verdict(ok=False, until=reset, reason="YouTube's daily quota is used up", rate_limited=True)
        if "rateLimitExceeded" in reasons:
            return Verdict(ok=False, until=now + RATE_LIMIT_WAIT, reason="YouTube rate limit", rate_limited=True)
        if reasons & GONE or response.status == 404:
            detail = ", ".join(sorted(reasons)) or "not found"
            return Verdict(ok=False, until=now + REFUSED_WAIT, reason=f"YouTube refused the listing ({detail})")
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        page = read_page(delivery)
        channel = text_or_none(page.context.get("account_id"))
        return parse_items(delivery, page, lambda raw: _comment(raw, channel, delivery), self.platform)


def _item(comment: Any, thread: str, video: Any, channel: Any) -> Item | None:
    if not isinstance(comment, dict) or not isinstance(comment.get("snippet"), dict) or not comment.get("id"):
        return None
    try:
        key = time_key(from_iso(comment["snippet"].get("publishedAt")))
    except InvalidBody:
        return None
    raw = {"thread": thread or comment["id"], "video": video, "channel": channel, "comment": comment}
    return Item(str(comment["id"]), key, raw)


def _reasons(response: Response) -> set[str]:
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    errors = error.get("errors") if isinstance(error, dict) else None
    return {str(e.get("reason")) for e in errors or [] if isinstance(e, dict) and e.get("reason")}


def _comment(raw: Any, channel: str | None, delivery: Delivery) -> Mention | None:
    comment = raw.get("comment")
    snippet = comment.get("snippet") if isinstance(comment, dict) else None
    if not isinstance(snippet, dict):
        raise InvalidBody("a YouTube comment has a snippet")
    native = str(comment["id"])
    author = snippet.get("authorChannelId")
    author_id = text_or_none(author.get("value")) if isinstance(author, dict) else None
    video = text_or_none(snippet.get("videoId")) or text_or_none(raw.get("video"))
    name = text_or_none(snippet.get("authorDisplayName"))
    published = from_iso(snippet.get("publishedAt"))
    updated = snippet.get("updatedAt")
    edited = from_iso(updated) if isinstance(updated, str) and updated != snippet.get("publishedAt") else None
    return build_mention(
        platform="youtube",
        channel="youtube.comment",
        kind="comment",
        native_id=native,
        thread_id=str(raw.get("thread") or native),
        parent_id=text_or_none(snippet.get("parentId")),
        account_id=channel or text_or_none(raw.get("channel")),
        author=Person(id=author_id or f"name:{name}", handle=name),
        from_brand=author_id is not None and author_id == (channel or raw.get("channel")),
        text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        url=f"https://www.youtube.com/watch?v={video}&lc={native}" if video else None,
        created_at=published,
        edited_at=edited,
        received_at=delivery.received_at,
    )
