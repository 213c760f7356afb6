"""Zendesk Support: a comment on the ticket (`PUT /api/v2/tickets/{id}.json` with `ticket.comment`), public (the
requester sees it) or an internal note. OAuth bearer token (refreshed when it expires: shared/tokens.py) or an
API token (`email` + `api_token`: Basic `email/token:api_token`). The account's base is
`https://{subdomain}.zendesk.com` (`HARK_API_BASE_ZENDESK` for a fake). The reply's id is the comment's
(`account/comment/id`), as the connector names the agent comment Zendesk then sends back."""

from __future__ import annotations

import base64
from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import NotConfigured, PlatformRefused
from shared.events import utcnow


class ZendeskSender(RulesOf):
    platform = "zendesk"

    def __init__(self, base: str | None = None) -> None:
        self._base = base.rstrip("/") if base else None

    def _url(self, credential: Credential) -> str:
        if self._base:
            return self._base
        subdomain = credential.get("subdomain")
        if not subdomain:
            raise NotConfigured("the zendesk credential names no subdomain", platform="zendesk")
        return f"https://{subdomain}.zendesk.com"

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        account, _, ticket = reply.thread_id.partition("/ticket/")
        if not ticket.isdigit():
            raise unknown_thread(self.platform, f"{reply.thread_id} names no Zendesk ticket")
        email, api_token = credential.get("email"), credential.get("api_token")
        if email and api_token:
            pair = base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
            auth = f"Basic {pair}"
        else:
            auth = f"Bearer {credential.access_token}"
        answer = call(
            "PUT",
            f"{self._url(credential)}/api/v2/tickets/{ticket}.json",
            self.platform,
            json_body={"ticket": {"comment": {"body": reply.text, "public": reply.public}}},
            headers={"Authorization": auth},
        )
        audit = answer.object().get("audit")
        events = audit.get("events") if isinstance(audit, dict) else None
        comment = next(
            (e for e in events or [] if isinstance(e, dict) and e.get("type") == "Comment" and e.get("id")), None
        )
        if answer.ok and comment is not None:
            return Delivered(f"{account}/comment/{comment['id']}")
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    error = body.get("error")
    description = str(body.get("description") or (error if isinstance(error, str) else "") or f"HTTP {answer.status}")
    details: Any = body.get("details")
    said = f"{description}: {details}" if details else description
    if answer.status == 422 and "closed" in str(details).lower():
        return refused(
            "zendesk",
            "window_closed",
            said,
            status=422,
            reason="the Zendesk ticket is closed and takes no more comments; open a follow-up ticket",
        )
    if answer.status == 409:
        return refused(
            "zendesk", "platform_error", said, status=409, reason="Zendesk was updating the ticket; try again"
        )
    when = retry_at(answer.headers, utcnow()) if answer.status == 429 else None
    if answer.status == 404:
        return refused("zendesk", "not_found", said, status=404, reason="the Zendesk ticket was deleted")
    return by_status("zendesk", answer, said, when)
