"""Bluesky (AT Protocol): a post in reply (`com.atproto.repo.createRecord` of an `app.bsky.feed.post` with
`reply.root` and `reply.parent`, each a URI and CID) in the brand's repository on its PDS. The session token comes
from the app password and is refreshed (shared/tokens.py). The mention's `native_id` is the post's `at://` URI;
`reply_context` carries its `cid` and, for a reply, the thread's `root_uri` and `root_cid`. 300 graphemes, plain
text. The reply's id is its URI, as the poller names the brand's own posts."""

from __future__ import annotations

from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import NotConfigured, PlatformRefused
from shared.events import utcnow

DEFAULT_SERVICE = "https://bsky.social"
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired"})


class BlueskySender(RulesOf):
    platform = "bluesky"

    def __init__(self, base: str | None = None) -> None:
        self._base = base.rstrip("/") if base else None

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        did = credential.get("did")
        if not did:
            raise NotConfigured("the bluesky credential names no did (the brand's account)", platform="bluesky")
        parent_uri = context_value(reply, "uri") or reply.reply_to
        parent_cid = context_value(reply, "cid")
        if not parent_uri or not parent_uri.startswith("at://") or not parent_cid:
            raise unknown_thread(self.platform, "the post's URI and CID are not known")
        root_uri = context_value(reply, "root_uri") or parent_uri
        root_cid = context_value(reply, "root_cid") or parent_cid
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": reply.text,
            "createdAt": utcnow().isoformat().replace("+00:00", "Z"),
            "reply": {"root": {"uri": root_uri, "cid": root_cid}, "parent": {"uri": parent_uri, "cid": parent_cid}},
        }
        if language := context_value(reply, "language"):
            record["langs"] = [language]
        service = self._base or (credential.get("service") or DEFAULT_SERVICE).rstrip("/")
        answer = call(
            "POST",
            f"{service}/xrpc/com.atproto.repo.createRecord",
            self.platform,
            json_body={"repo": did, "collection": "app.bsky.feed.post", "record": record},
            headers={"Authorization": f"Bearer {credential.access_token}"},
        )
        made = answer.object()
        uri = str(made.get("uri") or "")
        if answer.ok and uri:
            return Delivered(uri, f"https://bsky.app/profile/{did}/post/{uri.rsplit('/', 1)[-1]}")
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    error = str(body.get("error") or "")
    message = f"{error}: {body.get('message') or ''}".strip(": ") or f"HTTP {answer.status}"
    if error in TOKEN_ERRORS:
        return refused("bluesky", "bad_credentials", message, status=answer.status)
    if answer.status == 429 or error == "RateLimitExceeded":
        when = retry_at(answer.headers, utcnow(), reset="ratelimit-reset")
        return refused("bluesky", "rate_limited", message, status=answer.status, retry_at=when)
    low = message.lower()
    if "not found" in low or "could not locate" in low:
        return refused("bluesky", "not_found", message, status=answer.status)
    if "not allowed" in low:
        return refused("bluesky", "window_closed", message, status=answer.status)
    if "grapheme" in low or "too long" in low:
        return refused("bluesky", "too_long", message, status=answer.status)
    return by_status("bluesky", answer, message)
