"""The polled platforms' side of the local fake (`devstack/fakes.py` serves them on the same port): Reddit, WordPress,
YouTube, Bluesky, Discord and TikTok, each with the listing its poller reads, answered the way the real API
answers (order, page size, page tokens, error shapes, rate-limit headers), and a token or session endpoint where the
platform has one. Credentials are the fake server's, one registry for replies and polls (`FakePlatforms`: the
tokens it issued from its token endpoints and sessions, `expire`, `revoke`); each listing checks the header its
platform signs with against it. Tests and `hark up` seed them with Python calls (`fake.feeds.reddit.comment(...)`); the
platform's own rate limits can be made small (`fake.feeds.discord.limit(2, 5.0)`), and any request can be refused
ahead of time through `FakePlatforms.refuse`.
"""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from shared.settings import dev_platform_token

POLLED = ("reddit", "wordpress", "youtube", "bluesky", "discord", "tiktok")
DISCORD_EPOCH_MS = 1_420_070_400_000

Answer = tuple[int, Any, dict[str, str]]
Valid = Callable[[str], bool]
# The YouTube Data API key the fake accepts (read-only: polls, never replies).
DEV_YOUTUBE_KEY = dev_platform_token("youtube") + "-key"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Window:
    """A rate limit: `limit` requests per `seconds` (None: unlimited, and no headers)."""

    limit: int | None = None
    seconds: float = 60.0
    used: int = 0
    started: float = field(default_factory=time.monotonic)

    def take(self) -> tuple[bool, float, float]:
        """(allowed, remaining after this request, seconds until the window resets)."""
        now = time.monotonic()
        if now - self.started >= self.seconds:
            self.started, self.used = now, 0
        reset = max(0.0, self.seconds - (now - self.started))
        if self.limit is None:
            return True, 1e9, reset
        if self.used >= self.limit:
            return False, 0.0, reset
        self.used += 1
        return True, float(self.limit - self.used), reset


class FakeReddit:
    """`oauth.reddit.com` listings (newest first, `after`/`limit`)."""

    def __init__(self, valid: Valid) -> None:
        self.valid = valid
        self.window = Window(limit=None, seconds=600)
        self._things: dict[str, list[dict[str, Any]]] = {"inbox": [], "mentions": []}
        self._ids = itertools.count(1_000_000)

    def _name(self, kind: str) -> tuple[str, str]:
        short = _b36(next(self._ids))
        return short, f"{kind}_{short}"

    def comment(
        self,
        subreddit: str,
        body: str,
        author: str = "a_customer",
        post: str = "t3_post1",
        parent: str | None = None,
        at: datetime | None = None,
        inbox: str | None = None,
    ) -> str:
        """A comment in `subreddit` (and in the brand's `inbox` or `mentions` listing when given); its fullname."""
        short, name = self._name("t1")
        thing = {
            "id": short,
            "name": name,
            "author": author,
            "author_fullname": f"t2_{author.lower()}",
            "body": body,
            "subreddit": subreddit,
            "link_id": post,
            "parent_id": parent or post,
            "created_utc": (at or _now()).timestamp(),
            "permalink": f"/r/{subreddit}/comments/{post[3:]}/_/{short}/",
            "edited": False,
        }
        self._things.setdefault(f"r/{subreddit.lower()}/comments", []).append({"kind": "t1", "data": thing})
        if inbox:
            item = {k: v for k, v in thing.items() if k not in ("link_id", "permalink")}
            item.update(type="username_mention" if inbox == "mentions" else "comment_reply", was_comment=True)
            item["context"] = f"/r/{subreddit}/comments/{post[3:]}/_/{short}/?context=3"
            self._things[inbox].append({"kind": "t1", "data": item})
        return name

    def post(
        self, subreddit: str, title: str, text: str = "", author: str = "a_customer", at: datetime | None = None
    ) -> str:
        short, name = self._name("t3")
        thing = {
            "id": short,
            "name": name,
            "author": author,
            "author_fullname": f"t2_{author.lower()}",
            "title": title,
            "selftext": text,
            "subreddit": subreddit,
            "created_utc": (at or _now()).timestamp(),
            "permalink": f"/r/{subreddit}/comments/{short}/_/",
        }
        self._things.setdefault(f"r/{subreddit.lower()}/new", []).append({"kind": "t3", "data": thing})
        return name

    def message(self, body: str, author: str = "a_customer", subject: str = "hello", at: datetime | None = None) -> str:
        short, name = self._name("t4")
        thing = {
            "id": short,
            "name": name,
            "author": author,
            "author_fullname": f"t2_{author.lower()}",
            "body": body,
            "subject": subject,
            "first_message_name": None,
            "created_utc": (at or _now()).timestamp(),
            "context": "",
        }
        self._things["inbox"].append({"kind": "t4", "data": thing})
        return name

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Answer:
        if not self.valid(headers.get("authorization", "").removeprefix("Bearer ")):
            return 401, {"message": "Unauthorized", "error": 401}, {}
        allowed, left, reset = self.window.take()
        limits = (
            {}
            if self.window.limit is None
            else {
                "x-ratelimit-remaining": f"{left:.1f}",
                "x-ratelimit-used": str(self.window.used),
                "x-ratelimit-reset": str(int(reset)),
            }
        )
        if not allowed:
            return 429, {"message": "Too Many Requests", "error": 429}, limits
        listing = self._listing(path)
        if listing is None:
            return 404, {"message": "Not Found", "error": 404}, limits
        things = sorted(listing, key=lambda t: (t["data"]["created_utc"], t["data"]["name"]), reverse=True)
        limit = min(int(query.get("limit") or 25), 100)
        start = 0
        if query.get("after"):
            names = [t["data"]["name"] for t in things]
            start = names.index(query["after"]) + 1 if query["after"] in names else len(things)
        page = things[start : start + limit]
        after = page[-1]["data"]["name"] if start + limit < len(things) and page else None
        document = {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(page), "children": page}}
        return 200, document, limits

    def _listing(self, path: str) -> list[dict[str, Any]] | None:
        if path in ("/message/inbox", "/message/mentions"):
            return self._things[path.rsplit("/", 1)[-1]]
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ("comments", "new"):
            things: list[dict[str, Any]] = []
            for subreddit in parts[1].lower().split("+"):
                things += self._things.get(f"r/{subreddit}/{parts[2]}", [])
            return things
        return None


class FakeWordPress:
    """A site's `/wp-json/wp/v2/comments`: newest first by `date_gmt`, `page`/`per_page`, `Link: rel="next"`,
    `X-WP-Total(Pages)`; comments awaiting moderation only with Basic auth."""

    def __init__(self, valid: Valid, user: str = "hark") -> None:
        self.valid = valid
        self.user = user
        self._comments: list[dict[str, Any]] = []
        self._ids = itertools.count(100)

    def comment(
        self,
        text: str,
        author_name: str = "A Reader",
        author: int = 0,
        post: int = 1,
        parent: int = 0,
        status: str = "approved",
        at: datetime | None = None,
        site: str = "http://blog.example",
    ) -> int:
        number = next(self._ids)
        moment = (at or _now()).astimezone(UTC).replace(microsecond=0)
        self._comments.append(
            {
                "id": number,
                "post": post,
                "parent": parent,
                "author": author,
                "author_name": author_name,
                "date": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_gmt": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                "content": {"rendered": f"<p>{text}</p>\n"},
                "link": f"{site}/?p={post}#comment-{number}",
                "status": status,
                "type": "comment",
            }
        )
        return number

    def _signed_in(self, authorization: str) -> bool:
        """Basic with the user and an application password (or a bearer token) the server accepts."""
        if authorization.lower().startswith("bearer "):
            return self.valid(authorization[7:])
        try:
            user, _, password = base64.b64decode(authorization.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            return False
        return user == self.user and self.valid(password)

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Answer:
        if not path.endswith("/wp/v2/comments") or method != "GET":
            return 404, {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}}, {}
        status = query.get("status") or "approve"
        if status != "approve" and not self._signed_in(headers.get("authorization", "")):
            return (
                401,
                {
                    "code": "rest_forbidden_param",
                    "message": "Query parameter not permitted: status",
                    "data": {"status": 401},
                },
                {},
            )
        wanted = {"approve": "approved", "hold": "hold"}.get(status, status)
        comments = sorted(
            (c for c in self._comments if c["status"] == wanted), key=lambda c: (c["date_gmt"], c["id"]), reverse=True
        )
        per_page = min(int(query.get("per_page") or 10), 100)
        page = int(query.get("page") or 1)
        pages = max(1, -(-len(comments) // per_page))
        if page > pages and comments:
            return (
                400,
                {
                    "code": "rest_comment_invalid_page_number",
                    "message": "The page number requested is larger than the number of pages available.",
                    "data": {"status": 400},
                },
                {},
            )
        chunk = comments[(page - 1) * per_page : page * per_page]
        answer_headers = {"X-WP-Total": str(len(comments)), "X-WP-TotalPages": str(pages)}
        if page < pages:
            answer_headers["Link"] = f'<{path}?page={page + 1}&per_page={per_page}>; rel="next"'
        return 200, chunk, answer_headers


class FakeYouTube:
    """`/youtube/v3/commentThreads`: threads newest first (`order=time`), `pageToken`, up to five replies each;
    an API key (`key=`) or a bearer token; a daily quota that answers 403 `quotaExceeded` when spent."""

    def __init__(self, valid: Valid, key: str) -> None:
        self.valid = valid
        self.keys = {key}
        self.quota: int | None = None  # units left today; None: unlimited
        self._threads: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def comment(
        self,
        video: str,
        text: str,
        channel: str,
        author: str = "UCcustomer00000000000000",
        name: str = "@customer",
        at: datetime | None = None,
        reply_to: str | None = None,
    ) -> str:
        """A top-level comment (a new thread) or, with `reply_to` (a thread id), a reply; its comment id."""
        number = next(self._ids)
        moment = _iso(at or _now())
        comment_id = f"Ug{number:08d}" if reply_to is None else f"{reply_to}.{number:04d}"
        snippet = {
            "channelId": channel,
            "videoId": video,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": name,
            "authorChannelId": {"value": author},
            "publishedAt": moment,
            "updatedAt": moment,
        }
        if reply_to is None:
            self._threads.append(
                {
                    "kind": "youtube#commentThread",
                    "id": comment_id,
                    "snippet": {
                        "channelId": channel,
                        "videoId": video,
                        "topLevelComment": {"kind": "youtube#comment", "id": comment_id, "snippet": snippet},
                        "totalReplyCount": 0,
                        "canReply": True,
                        "isPublic": True,
                    },
                }
            )
        else:
            thread = next(t for t in self._threads if t["id"] == reply_to)
            thread["snippet"]["totalReplyCount"] += 1
            replies = thread.setdefault("replies", {"comments": []})["comments"]
            replies.insert(
                0, {"kind": "youtube#comment", "id": comment_id, "snippet": {**snippet, "parentId": reply_to}}
            )
        return comment_id

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Answer:
        if path != "/youtube/v3/commentThreads":
            return 404, _google_error(404, "notFound", "Not Found"), {}
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        if query.get("key") not in self.keys and not self.valid(bearer):
            return 400, _google_error(400, "keyInvalid", "API key not valid. Please pass a valid API key."), {}
        if self.quota is not None:
            if self.quota <= 0:
                return (
                    403,
                    _google_error(
                        403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."
                    ),
                    {},
                )
            self.quota -= 1
        if query.get("videoId"):
            threads = [t for t in self._threads if t["snippet"]["videoId"] == query["videoId"]]
        elif query.get("allThreadsRelatedToChannelId"):
            threads = [t for t in self._threads if t["snippet"]["channelId"] == query["allThreadsRelatedToChannelId"]]
        else:
            return 400, _google_error(400, "missingRequiredParameter", "No filter selected."), {}
        threads = sorted(threads, key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"], reverse=True)
        size = min(int(query.get("maxResults") or 20), 100)
        start = int(query.get("pageToken", "p0")[1:] or 0)
        page = threads[start : start + size]
        shown = []
        for thread in page:
            copy = {**thread}
            if "replies" in thread:
                copy["replies"] = {"comments": thread["replies"]["comments"][:5]}
            shown.append(copy)
        document: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "items": shown,
            "pageInfo": {"totalResults": len(threads), "resultsPerPage": size},
        }
        if start + size < len(threads):
            document["nextPageToken"] = f"p{start + size}"
        return 200, document, {}


def _google_error(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "youtube.commentThread", "reason": reason}],
        }
    }


class FakeBluesky:
    """A PDS's `app.bsky.notification.listNotifications` (newest first, `cursor`, `reasons`), with `RateLimit-*`
    headers when a limit is set (its sessions are the fake server's `createSession` and `refreshSession`)."""

    def __init__(self, valid: Valid, handle: str = "brand.example") -> None:
        self.valid = valid
        self.handle = handle
        self.window = Window(limit=None, seconds=300)
        self._notifications: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def notify(
        self,
        reason: str,
        text: str,
        author: str = "did:plc:customer",
        handle: str = "customer.bsky.social",
        at: datetime | None = None,
        reply_to: str | None = None,
        root: str | None = None,
    ) -> str:
        number = next(self._ids)
        uri = f"at://{author}/app.bsky.feed.post/3k{number:011d}"
        moment = _iso(at or _now())
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": moment, "langs": ["en"]}
        if reply_to:
            record["reply"] = {
                "root": {"uri": root or reply_to, "cid": "bafyroot"},
                "parent": {"uri": reply_to, "cid": "bafyparent"},
            }
        self._notifications.append(
            {
                "uri": uri,
                "cid": f"bafy{number:08d}",
                "author": {"did": author, "handle": handle, "displayName": handle.split(".", maxsplit=1)[0].title()},
                "reason": reason,
                "record": record,
                "isRead": False,
                "indexedAt": moment,
            }
        )
        return uri

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        lists: dict[str, list[str]],
    ) -> Answer:
        if path != "/xrpc/app.bsky.notification.listNotifications":
            return 404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, {}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not self.valid(token):
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}, {}
        allowed, left, reset = self.window.take()
        limits = (
            {}
            if self.window.limit is None
            else {
                "ratelimit-limit": str(self.window.limit),
                "ratelimit-remaining": str(int(left)),
                "ratelimit-reset": str(int(time.time() + reset)),
                "ratelimit-policy": f"{self.window.limit};w={int(self.window.seconds)}",
            }
        )
        if not allowed:
            return 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, limits
        reasons = set(lists.get("reasons", []))
        items = sorted(
            (n for n in self._notifications if not reasons or n["reason"] in reasons),
            key=lambda n: (n["indexedAt"], n["uri"]),
            reverse=True,
        )
        limit = min(int(query.get("limit") or 50), 100)
        if query.get("cursor"):
            mark = query["cursor"]
            items = [n for n in items if f"{n['indexedAt']}::{n['uri']}" < mark]
        page = items[:limit]
        document: dict[str, Any] = {"notifications": page}
        if len(items) > limit:
            document["cursor"] = f"{page[-1]['indexedAt']}::{page[-1]['uri']}"
        return 200, document, limits


class FakeDiscord:
    """`/api/v10/channels/{id}/messages` (`after`, `before`, `limit`; answered newest first), bot tokens, and a
    per-route bucket answering `X-RateLimit-*` and a 429 with `retry_after` when spent."""

    def __init__(self, valid: Valid) -> None:
        self.valid = valid
        self.window = Window(limit=5, seconds=5.0)  # Discord's usual bucket for this route
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._sequence = itertools.count(1)

    def limit(self, requests: int | None, seconds: float) -> None:
        self.window = Window(limit=requests, seconds=seconds)

    def message(
        self,
        channel: str,
        text: str,
        author: str = "81384788765712384",
        username: str = "customer",
        bot: bool = False,
        reply_to: str | None = None,
        at: datetime | None = None,
        guild: str = "41771983423143937",
        kind: int = 0,
    ) -> str:
        moment = at or _now()
        snowflake = ((int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._sequence) & 0xFFF)
        message: dict[str, Any] = {
            "id": str(snowflake),
            "channel_id": channel,
            "guild_id": guild,
            "type": 19 if reply_to else kind,
            "content": text,
            "author": {
                "id": author,
                "username": username,
                "global_name": username.title(),
                **({"bot": True} if bot else {}),
            },
            "timestamp": moment.astimezone(UTC).isoformat(),
            "edited_timestamp": None,
            "mentions": [],
            "attachments": [],
        }
        if reply_to:
            message["message_reference"] = {"message_id": reply_to, "channel_id": channel, "guild_id": guild}
        self._messages.setdefault(channel, []).append(message)
        return str(snowflake)

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Answer:
        parts = path.strip("/").split("/")
        if len(parts) != 5 or parts[:3] != ["api", "v10", "channels"] or parts[4] != "messages":
            return 404, {"message": "404: Not Found", "code": 0}, {}
        if not self.valid(headers.get("authorization", "").removeprefix("Bot ")):
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        allowed, left, reset = self.window.take()
        limits = (
            {}
            if self.window.limit is None
            else {
                "x-ratelimit-limit": str(self.window.limit),
                "x-ratelimit-remaining": str(int(left)),
                "x-ratelimit-reset": f"{time.time() + reset:.3f}",
                "x-ratelimit-reset-after": f"{reset:.3f}",
                "x-ratelimit-bucket": "fake-messages",
            }
        )
        if not allowed:
            return (
                429,
                {"message": "You are being rate limited.", "retry_after": round(reset, 3), "global": False},
                {**limits, "retry-after": str(max(1, int(reset + 0.999)))},
            )
        if parts[3] not in self._messages:
            return 404, {"message": "Unknown Channel", "code": 10003}, limits
        messages = sorted(self._messages[parts[3]], key=lambda m: int(m["id"]))
        limit = min(int(query.get("limit") or 50), 100)
        if query.get("after"):
            page = [m for m in messages if int(m["id"]) > int(query["after"])][:limit]
        elif query.get("before"):
            page = [m for m in messages if int(m["id"]) < int(query["before"])][-limit:]
        else:
            page = messages[-limit:]
        return 200, list(reversed(page)), limits


class FakeTikTok:
    """The API for Business: `business/video/list/` and `business/comment/list/` (newest first, `cursor`,
    `has_more`, 30 at most), an `Access-Token`, and errors as HTTP 200 with a non-zero `code`."""

    def __init__(self, valid: Valid) -> None:
        self.valid = valid
        self._videos: dict[str, list[dict[str, Any]]] = {}
        self._comments: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(7_300_000_000_000_000_000)

    def video(self, business: str, video: str, at: datetime | None = None) -> str:
        self._videos.setdefault(business, []).append({"item_id": video, "create_time": int((at or _now()).timestamp())})
        self._comments.setdefault(video, [])
        return video

    def comment(
        self,
        video: str,
        text: str,
        user: str = "user-1",
        username: str = "customer",
        owner: bool = False,
        reply_to: str | None = None,
        at: datetime | None = None,
    ) -> str:
        comment_id = str(next(self._ids))
        comment = {
            "comment_id": comment_id,
            "video_id": video,
            "user_id": user,
            "username": username,
            "display_name": username.title(),
            "create_time": str(int((at or _now()).timestamp())),
            "text": text,
            "likes": 0,
            "replies": 0,
            "owner": owner,
            "status": "PUBLIC",
            "parent_comment_id": reply_to or comment_id,
        }
        self._comments.setdefault(video, []).append(comment)
        return comment_id

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Answer:
        if not self.valid(headers.get("access-token", "")):
            return 200, _tiktok(40105, "Access token is invalid or has expired."), {}
        if path == "/open_api/v1.3/business/video/list/":
            videos = sorted(
                self._videos.get(query.get("business_id", ""), []), key=lambda v: v["create_time"], reverse=True
            )
            return (
                200,
                _tiktok(
                    0, "OK", {"videos": videos[: int(query.get("max_count") or 20)], "cursor": 0, "has_more": False}
                ),
                {},
            )
        if path != "/open_api/v1.3/business/comment/list/":
            return 404, _tiktok(40002, "Not found"), {}
        video = query.get("video_id", "")
        if video not in self._comments:
            return 200, _tiktok(40001, "video_id is invalid"), {}
        everything = self._comments[video]
        top = sorted(
            (c for c in everything if c["parent_comment_id"] == c["comment_id"]),
            key=lambda c: (int(c["create_time"]), c["comment_id"]),
            reverse=True,
        )
        size = min(int(query.get("max_count") or 20), 30)
        start = int(query.get("cursor") or 0)
        page = []
        for comment in top[start : start + size]:
            replies = [c for c in everything if c["parent_comment_id"] == comment["comment_id"] and c is not comment]
            page.append(
                {
                    **comment,
                    "replies": len(replies),
                    "reply_list": replies if query.get("include_replies") == "true" else [],
                }
            )
        more = start + size < len(top)
        return 200, _tiktok(0, "OK", {"comments": page, "cursor": start + len(page), "has_more": more}), {}


def _tiktok(code: int, message: str, data: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": "fake-request", "data": data if data is not None else {}}


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


class FeedFakes:
    """Every polled platform's fake, sharing the lock of the server that serves them."""

    def __init__(self, lock: Any, valid: Callable[[str, str], bool]) -> None:
        """`valid(platform, token)`: the fake server's word on a token (it issued it, or it is the development
        token, and it was not expired)."""
        self._lock = lock

        def of(platform: str) -> Valid:
            return lambda token: bool(token) and valid(platform, token)

        self.reddit = FakeReddit(of("reddit"))
        self.wordpress = FakeWordPress(of("wordpress"))
        self.youtube = FakeYouTube(of("youtube"), DEV_YOUTUBE_KEY)
        self.bluesky = FakeBluesky(of("bluesky"))
        self.discord = FakeDiscord(of("discord"))
        self.tiktok = FakeTikTok(of("tiktok"))

    def answer(self, platform: str, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        path, _, raw_query = target.partition("?")
        lists = parse_qs(raw_query)
        query = {k: v[0] for k, v in lists.items()}
        with self._lock:
            if platform == "reddit":
                return self.reddit.answer(method, path, query, headers, body)
            if platform == "wordpress":
                return self.wordpress.answer(method, path, query, headers, body)
            if platform == "youtube":
                return self.youtube.answer(method, path, query, headers, body)
            if platform == "bluesky":
                return self.bluesky.answer(method, path, query, headers, body, lists)
            if platform == "discord":
                return self.discord.answer(method, path, query, headers, body)
            if platform == "tiktok":
                return self.tiktok.answer(method, path, query, headers, body)
        return 404, {"message": "Not Found"}, {}


def ago(**delta: float) -> datetime:
    return _now() - timedelta(**delta)
