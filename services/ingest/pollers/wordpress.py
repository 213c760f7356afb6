"""WordPress comments (core WordPress has no outbound webhooks): the REST API's `/wp/v2/comments` on the brand's
site (self-hosted: `<site>/wp-json/wp/v2`; WordPress.com: `public-api.wordpress.com/wp/v2/sites/<site>`).

One feed per comment status heard: `comments` (published, readable without credentials) and `comments:hold`
(awaiting moderation, which needs an application password: a user who can moderate). Each is read newest first
(`orderby=date_gmt&order=desc`), 100 a page, the next page named by the `Link: <...>; rel="next"` header WordPress
sends. A comment's text is its rendered HTML turned into plain text; its conversation is its post; its author is
the WordPress user (`author`, 0 for a guest, then the name they gave). Comments by the users the source lists in
`brand_authors` are the brand's own replies. Pingbacks and trackbacks are not people talking: they are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from services.ingest.platforms.base import Delivery, Parsed, Person, build_mention, from_iso, sid, text_or_none
from services.ingest.pollers.auth import Auth, NoAuth, basic
from services.ingest.pollers.base import (
    Feed,
    Item,
    Request,
    Response,
    Scan,
    TimeKeyed,
    Verdict,
    get,
    html_text,
    json_list,
    parse_items,
    read_page,
    time_key,
)
from shared.credentials import Credential
from shared.errors import InvalidBody, NotConfigured
from shared.events import Mention

PAGE = 100
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def api_root(source: Any) -> str:
    return str(source.api_root or f"{source.base_url}/wp-json/wp/v2").rstrip("/")


class WordPress(TimeKeyed):
    anonymous = True  # published comments are public
    platform: Literal["wordpress"] = "wordpress"

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        return [
            Feed("comments" if status == "approve" else f"comments:{status}", "comments", {"status": status})
            for status in source.statuses
        ]

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        return {"account_id": urlsplit(source.base_url).netloc, "brand_ids": [str(a) for a in source.brand_authors]}

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        username = credential.get("username") if credential else None
        password = (credential.get("application_password") or credential.get("password")) if credential else None
        if username and password:
            return basic(username, password)
        if "hold" in source.statuses:
            raise NotConfigured("comments awaiting moderation need a username and an application_password")
        return NoAuth()  # published comments are public

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        params = {
            "per_page": PAGE,
            "page": page or 1,
            "orderby": "date_gmt",
            "order": "desc",
            "status": feed.params.get("status", "approve"),
        }
        return get(api_root(source), "/comments", params)

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        items = []
        for comment in json_list(response, "a WordPress comments page"):
            if not isinstance(comment, dict) or comment.get("id") is None or not comment.get("date_gmt"):
                continue
            try:
                key = time_key(from_iso(str(comment["date_gmt"]) + "Z"))
            except InvalidBody:
                continue
            items.append(Item(str(comment["id"]), key, comment))
        return Scan(items, _next_page(response.headers.get("link", "")))

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        page = read_page(delivery)
        brand = {str(b) for b in page.context.get("brand_ids") or []}
        account = text_or_none(page.context.get("account_id"))
        return parse_items(delivery, page, lambda raw: _comment(raw, brand, account, delivery), self.platform)


def _next_page(link: str) -> str | None:
    match = _NEXT.search(link)
    if not match:
        return None
    pages = parse_qs(urlsplit(match.group(1)).query).get("page")
    return pages[0] if pages and pages[0].isdigit() else None


def _comment(raw: Any, brand: set[str], account: str | None, delivery: Delivery) -> Mention | None:
    if not isinstance(raw, dict):
        raise InvalidBody("a WordPress comment is an object")
    if raw.get("type") not in (None, "", "comment"):
        return None  # pingbacks and trackbacks
    content = raw.get("content")
    rendered = content.get("rendered") if isinstance(content, dict) else None
    text = html_text(rendered) if isinstance(rendered, str) else ""
    user = sid(raw.get("author", 0))
    name = text_or_none(raw.get("author_name"))
    person = Person(id=user if user != "0" else f"guest:{name or 'anonymous'}", name=name)
    parent = sid(raw.get("parent", 0))
    post = sid(raw.get("post"))
    return build_mention(
        platform="wordpress",
        channel="wordpress.comment",
        kind="comment",
        native_id=sid(raw.get("id")),
        thread_id=f"post:{post}",
        parent_id=parent if parent != "0" else f"post:{post}",
        account_id=account,
        author=person,
        from_brand=user != "0" and user in brand,
        text=text,
        url=text_or_none(raw.get("link")),
        created_at=from_iso(str(raw.get("date_gmt")) + "Z"),
        received_at=delivery.received_at,
    )
