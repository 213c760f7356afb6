"""Google Business Profile: the owner's reply to a review (`PUT /v4/{review name}/reply` with `comment`; the review
name is `accounts/*/locations/*/reviews/*`), with an OAuth token (`business.manage`, refreshed hourly:
shared/tokens.py). One reply per review; replying again replaces it. The reply's id is `<review name>/reply`, as
the connector names the owner's reply when the review comes back with it."""

from __future__ import annotations

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.google_errors import google_error
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://mybusiness.googleapis.com"


class GoogleSender(RulesOf):
    platform = "google"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        review = reply.thread_id
        if not review.startswith("accounts/") or "/reviews/" not in review:
            raise unknown_thread(self.platform, f"{review} is not a Business Profile review name")
        answer = call(
            "PUT",
            f"{self._base}/v4/{review}/reply",
            self.platform,
            json_body={"comment": reply.text},
            headers={"Authorization": f"Bearer {credential.access_token}"},
        )
        if answer.ok and answer.object().get("comment") is not None:
            return Delivered(f"{review}/reply")
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    message, _reason, status = google_error(answer)
    said = f"{message} ({status})" if status else message
    if answer.status == 404 or status == "NOT_FOUND":
        return refused("google", "not_found", said, status=answer.status, reason="the Google review was removed")
    if status == "RESOURCE_EXHAUSTED" or answer.status == 429:
        return refused(
            "google", "rate_limited", said, status=answer.status, retry_at=retry_at(answer.headers, utcnow())
        )
    return by_status("google", answer, said)
