"""WordPress (REST API, `wp/v2`): a comment in reply to the customer's (`POST /wp-json/wp/v2/comments` with `post`
and `parent`), with an Application Password (Basic `username:application_password`) or a bearer token. The text is
sent as the HTML a comment form makes of it (escaped, paragraphs). The site is the credential's `site`
(`HARK_API_BASE_WORDPRESS` for a fake). Ids: the mention's `thread_id` is the post id and its `native_id` the
comment id (or `reply_context` `post_id`/`comment_id`)."""

from __future__ import annotations

import base64
from datetime import timedelta

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from services.respond.outbound.text import to_html
from shared.credentials import Credential
from shared.errors import NotConfigured, PlatformRefused
from shared.events import utcnow

# WordPress refuses a second comment from the same author within 15 seconds (`comment_flood`).
FLOOD_WAIT = timedelta(seconds=15)
CODES = {
    "rest_comment_closed": "window_closed",
    "comment_closed": "window_closed",
    "rest_post_invalid_id": "not_found",
    "rest_comment_invalid_post_id": "not_found",
    "rest_comment_invalid_parent": "not_found",
    "rest_comment_draft_post": "not_found",
    "rest_comment_trash_post": "not_found",
    "comment_duplicate": "duplicate",
    "comment_flood": "rate_limited",
    "rest_cannot_create": "forbidden",
    "rest_comment_login_required": "bad_credentials",
    "rest_not_logged_in": "bad_credentials",
    "invalid_username": "bad_credentials",
    "incorrect_password": "bad_credentials",  # nosec B105 # a platform error code mapped to ours, not a secret
    "rest_comment_content_invalid": "too_long",
}


def _tail(value: str | None) -> str:
    return (value or "").rsplit(":", 1)[-1]


class WordPressSender(RulesOf):
    platform = "wordpress"

    def __init__(self, base: str | None = None) -> None:
        self._base = base.rstrip("/") if base else None

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        site = self._base or (credential.get("site") or "").rstrip("/")
        if not site:
            raise NotConfigured("the wordpress credential names no site", platform="wordpress")
        post = context_value(reply, "post_id") or _tail(reply.thread_id)
        parent = context_value(reply, "comment_id") or _tail(reply.reply_to)
        if not post.isdigit():
            raise unknown_thread(self.platform, f"{reply.thread_id} names no WordPress post")
        user, password = credential.get("username"), credential.get("application_password")
        if user and password:
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        else:
            auth = f"Bearer {credential.access_token}"
        payload: dict[str, object] = {"post": int(post), "content": to_html(reply.text)}
        if parent.isdigit() and parent != post:
            payload["parent"] = int(parent)
        answer = call(
            "POST", f"{site}/wp-json/wp/v2/comments", self.platform, json_body=payload, headers={"Authorization": auth}
        )
        made = answer.object()
        if answer.ok and made.get("id") is not None:
            return Delivered(str(made["id"]), str(made.get("link") or "") or None)
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    error = str(body.get("code") or "")
    message = str(body.get("message") or f"HTTP {answer.status}")
    code = CODES.get(error)
    if code == "rate_limited":
        return refused("wordpress", code, f"{error}: {message}", status=answer.status, retry_at=utcnow() + FLOOD_WAIT)
    if code is not None:
        return refused("wordpress", code, f"{error}: {message}", status=answer.status)
    when = retry_at(answer.headers, utcnow()) if answer.status == 429 else None
    return by_status("wordpress", answer, f"{error}: {message}" if error else message, when)
