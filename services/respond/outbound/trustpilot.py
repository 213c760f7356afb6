"""Trustpilot: the business's reply to a service review (`POST /v1/private/reviews/{reviewId}/reply`, posted as the
credential's `business_user_id`), with a business-user OAuth token (100 hours, refreshed: shared/tokens.py). A
review has one reply; replying again replaces it. The reply's id is `<review id>/reply`."""

from __future__ import annotations

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import NotConfigured, PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://api.trustpilot.com"


class TrustpilotSender(RulesOf):
    platform = "trustpilot"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        review = reply.thread_id or reply.reply_to
        if not review or "/" in review:
            raise unknown_thread(self.platform, f"{review} is not a Trustpilot review id")
        author = credential.get("business_user_id")
        if not author:
            raise NotConfigured("the trustpilot credential names no business_user_id", platform="trustpilot")
        answer = call(
            "POST",
            f"{self._base}/v1/private/reviews/{review}/reply",
            self.platform,
            json_body={"authorBusinessUserId": author, "message": reply.text},
            headers={"Authorization": f"Bearer {credential.access_token}"},
        )
        if answer.ok:
            return Delivered(f"{review}/reply", f"https://www.trustpilot.com/reviews/{review}")
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    message = str(body.get("message") or body.get("details") or body.get("raw") or f"HTTP {answer.status}")
    if answer.status == 404:
        return refused("trustpilot", "not_found", message, status=404, reason="the Trustpilot review was removed")
    when = retry_at(answer.headers, utcnow()) if answer.status == 429 else None
    return by_status("trustpilot", answer, message, when)
