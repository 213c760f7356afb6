"""Reddit (no webhooks): the brand account's inbox and username mentions, and the new comments and posts of the
subreddits it watches, through the OAuth API (`https://oauth.reddit.com`).

Feeds: `inbox` (`/message/inbox`: replies to the brand's posts and comments, private messages), `mentions`
(`/message/mentions`), `r/<a+b>/comments` and `r/<a+b>/new` (one request covers every watched subreddit). Every
listing answers newest first, 100 at a time, with `after=<fullname>` naming the next (older) page. Reddit allows
about 100 requests a minute per OAuth client and says how many are left (`X-Ratelimit-Remaining`, `-Used`,
`-Reset` in seconds); a username mention also in the inbox is taken from the mentions feed only.

An item is a *thing*: `t1` a comment, `t3` a post, `t4` a private message; its fullname (`t1_abc`) is what a reply
refers to (`thing_id`) and is the mention's native id. A comment's conversation is its post (`link_id`, read from
the inbox item's `context` path when the listing has no `link_id`); a message's is its first message. Text is the
markdown source (`body`, a post's title and `selftext`). The brand's own account is the brand (`from_brand`); what
the inbox and mentions hold is addressed to the brand, a subreddit's new comments and posts are heard by listening
(`addressed` unknown). Removed and deleted things carry no text any more and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from services.ingest.platforms.base import Delivery, Parsed, Person, build_mention, from_unix, sid, text_or_none
from services.ingest.pollers.auth import Auth, access_token, bearer
from services.ingest.pollers.base import (
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

TOKEN_HOST = "https://www.reddit.com"  # nosec B105 # noqa: S105 - a host, not a secret
WEB = "https://www.reddit.com"
PAGE = 100
GONE = frozenset({"[deleted]", "[removed]"})
_POST_IN_CONTEXT = re.compile(r"/comments/([a-z0-9]+)/")


class Reddit(TimeKeyed):
    platform: Literal["reddit"] = "reddit"

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        feeds = []
        if source.inbox:
            feeds.append(Feed("inbox", "inbox", {"skip_mentions": "1" if source.mentions else ""}))
        if source.mentions:
            feeds.append(Feed("mentions", "mentions"))
        if source.subreddits:
            joined = "+".join(sorted(source.subreddits, key=str.lower))
            feeds.append(Feed(f"r/{joined}/comments", "comments", {"subreddits": joined}))
            feeds.append(Feed(f"r/{joined}/new", "posts", {"subreddits": joined}))
        return feeds

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        return {"account_id": f"u/{source.username}", "brand": source.username}

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        # The port refreshed the token (refresh_token grant, or a script app's password grant) if it had to.
        return bearer(access_token(credential, "a refresh_token (or a script app's username and password)"))

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        path = {
            "inbox": "/message/inbox",
            "mentions": "/message/mentions",
            "comments": f"/r/{feed.params.get('subreddits')}/comments",
            "posts": f"/r/{feed.params.get('subreddits')}/new",
        }[feed.kind]
        params = {"limit": PAGE, "raw_json": 1, "after": page}
        return get(base, path, params, **{"User-Agent": user_agent(source)})

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        listing = json_object(response, "a Reddit listing")
        data = listing.get("data")
        if listing.get("kind") != "Listing" or not isinstance(data, dict) or not isinstance(data.get("children"), list):
            raise InvalidBody("a Reddit listing has data.children")
        items = []
        for child in data["children"]:
            thing = child.get("data") if isinstance(child, dict) else None
            if not isinstance(thing, dict) or not isinstance(thing.get("name"), str):
                continue
            if feed.params.get("skip_mentions") and thing.get("type") == "username_mention":
                continue  # the mentions feed takes it
            try:
                key = time_key(from_unix(thing.get("created_utc")))
            except InvalidBody:
                continue
            items.append(Item(thing["name"], key, {"kind": child.get("kind"), "data": thing}))
        after = data.get("after")
        return Scan(items, after if isinstance(after, str) and after else None)

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        page = read_page(delivery)
        brand = str(page.context.get("brand") or "").lower()
        account = text_or_none(page.context.get("account_id"))
        addressed = True if page.kind in ("inbox", "mentions") else None
        return parse_items(
            delivery, page, lambda raw: _thing(raw, brand, account, addressed, page.kind, delivery), self.platform
        )


def user_agent(source: Any) -> str:
    return source.user_agent or f"server:hark:0.1 (by /u/{source.username})"


def _thing(
    raw: Any, brand: str, account: str | None, addressed: bool | None, feed: str, delivery: Delivery
) -> Mention | None:
    kind, thing = raw.get("kind"), raw.get("data")
    if not isinstance(thing, dict):
        raise InvalidBody("a Reddit thing has data")
    author = str(thing.get("author") or "")
    name = sid(thing.get("name"))
    if author in GONE or not author:
        return None
    subreddit = text_or_none(thing.get("subreddit"))
    person = Person(id=text_or_none(thing.get("author_fullname")) or author, handle=author)
    edited = thing.get("edited")
    common: dict[str, Any] = {
        "platform": "reddit",
        "author": person,
        "from_brand": bool(brand) and author.lower() == brand,
        "created_at": from_unix(thing.get("created_utc")),
        "received_at": delivery.received_at,
        "edited_at": from_unix(edited) if isinstance(edited, int | float) and not isinstance(edited, bool) else None,
        "account_id": account if feed in ("inbox", "mentions") or not subreddit else f"r/{subreddit}",
    }
    if kind == "t3":
        text = "\n\n".join(p for p in (str(thing.get("title") or ""), str(thing.get("selftext") or "").strip()) if p)
        if str(thing.get("selftext") or "") in GONE:
            return None
        return build_mention(
            **common,
            channel="reddit.post",
            kind="post",
            native_id=name,
            thread_id=name,
            addressed=addressed,
            text=text,
            url=_web(thing.get("permalink")),
        )
    body = str(thing.get("body") or "").strip()
    if body in GONE:
        return None
    if kind == "t4":
        first = text_or_none(thing.get("first_message_name"))
        return build_mention(
            **common,
            channel="reddit.message",
            kind="message",
            native_id=name,
            thread_id=first or name,
            parent_id=text_or_none(thing.get("parent_id")),
            addressed=True,
            text=body,
        )
    if kind != "t1":
        return None
    context = text_or_none(thing.get("context"))
    link = text_or_none(thing.get("link_id")) or _post_of(context)
    parent = text_or_none(thing.get("parent_id"))
    return build_mention(
        **common,
        channel="reddit.comment",
        kind="comment",
        native_id=name,
        thread_id=link or parent or name,
        parent_id=parent,
        addressed=addressed,
        text=body,
        url=_web(thing.get("permalink") or context) or _comment_url(subreddit, link, thing.get("id")),
    )


def _post_of(context: str | None) -> str | None:
    match = _POST_IN_CONTEXT.search(context or "")
    return f"t3_{match.group(1)}" if match else None


def _web(path: Any) -> str | None:
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    return WEB + path.split("?", 1)[0]


def _comment_url(subreddit: str | None, link: str | None, comment: Any) -> str | None:
    if not subreddit or not link or not isinstance(comment, str):
        return None
    return f"{WEB}/r/{subreddit}/comments/{link.removeprefix('t3_')}/_/{comment}/"
