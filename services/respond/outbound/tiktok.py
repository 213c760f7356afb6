"""TikTok (API for Business): a reply to a comment on the brand's own video (`POST
/open_api/v1.3/business/comment/reply/create/`, header `Access-Token`), the only public reply TikTok's API
allows: it has no API to answer comments on other accounts' videos, and no DM API. Business tokens last a day and
are refreshed (shared/tokens.py). 150 characters, plain text. TikTok answers HTTP 200 with a `code` (0 is success).
Ids: the mention's `native_id` is the comment id, its `thread_id` the video id, its `account_id` the business id."""

from __future__ import annotations

from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.http import HttpAnswer, call
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused

DEFAULT_BASE = "https://business-api.tiktok.com"
CODES = {
    40100: "rate_limited",  # too many requests
    40102: "bad_credentials",
    40104: "bad_credentials",
    40105: "bad_credentials",  # access token invalid or expired
    40001: "refused",  # invalid parameter
    40007: "not_found",  # the video or comment does not exist
    40010: "forbidden",  # no permission for this business account
    40016: "window_closed",  # comments are turned off
    50000: "platform_error",
    50002: "platform_error",
}


class TikTokSender(RulesOf):
    platform = "tiktok"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        business = reply.account_id or credential.get("business_id")
        video = context_value(reply, "video_id") or reply.thread_id
        comment = reply.reply_to
        if not business or not video or not comment or comment == video:
            raise unknown_thread(self.platform, "TikTok replies go to a comment on one of the brand's videos")
        answer = call(
            "POST",
            f"{self._base}/open_api/v1.3/business/comment/reply/create/",
            self.platform,
            json_body={"business_id": business, "video_id": video, "comment_id": comment, "text": reply.text},
            headers={"Access-Token": credential.access_token},
        )
        body = answer.object()
        found = body.get("data")
        data: dict[str, Any] = found if isinstance(found, dict) else {}
        if answer.ok and body.get("code") == 0 and data.get("comment_id"):
            return Delivered(str(data["comment_id"]))
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    code = body.get("code")
    message = f"{body.get('message') or f'HTTP {answer.status}'}" + (f" (code {code})" if code is not None else "")
    if answer.ok and isinstance(code, int):
        return refused("tiktok", CODES.get(code, "platform_error" if code >= 50000 else "refused"), message, status=200)
    return by_status("tiktok", answer, message)
