"""Slack: `chat.postMessage` in the conversation's thread (`thread_ts`), with the bot token (`chat:write`). The
draft's Markdown is sent as mrkdwn. Slack answers HTTP 200 with `ok: false` and an error code for most refusals,
and 429 with `Retry-After` when rate limited (about one message a second per channel)."""

from __future__ import annotations

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import refused, unknown_thread
from services.respond.outbound.text import to_mrkdwn
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://slack.com"
# Slack's error codes, read as Hark's.
CODES = {
    "ratelimited": "rate_limited",
    "channel_not_found": "not_found",
    "thread_not_found": "not_found",
    "message_not_found": "not_found",
    "is_archived": "window_closed",
    "not_in_channel": "forbidden",
    "restricted_action": "forbidden",
    "restricted_action_read_only_channel": "forbidden",
    "restricted_action_thread_only_channel": "forbidden",
    "cannot_reply_to_message": "forbidden",
    "ekm_access_denied": "forbidden",
    "missing_scope": "forbidden",
    "msg_too_long": "too_long",
    "invalid_auth": "bad_credentials",
    "not_authed": "bad_credentials",
    "token_revoked": "bad_credentials",  # nosec B105 # a platform error code mapped to ours, not a secret
    "token_expired": "bad_credentials",  # nosec B105 # a platform error code mapped to ours, not a secret
    "account_inactive": "bad_credentials",
    "fatal_error": "platform_error",
    "internal_error": "platform_error",
    "service_unavailable": "platform_error",
    "request_timeout": "platform_error",
}
REASONS = {
    "is_archived": "the Slack channel was archived; it takes no more messages",
    "not_in_channel": "the Slack app is not in this channel: invite it (/invite @app) and send again",
}


class SlackSender(RulesOf):
    platform = "slack"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        channel, _, thread_ts = reply.thread_id.partition(":")
        if not channel or not thread_ts:
            raise unknown_thread(self.platform, f"{reply.thread_id} is not a Slack channel:thread")
        answer = call(
            "POST",
            f"{self._base}/api/chat.postMessage",
            self.platform,
            json_body={"channel": channel, "thread_ts": thread_ts, "text": to_mrkdwn(reply.text), "mrkdwn": True},
            headers={
                "Authorization": f"Bearer {credential.access_token}",
                "Content-Type": "application/json; charset=utf-8",
            },
        )
        body = answer.object()
        if answer.ok and body.get("ok") is True and body.get("ts"):
            return Delivered(f"{body.get('channel') or channel}:{body['ts']}")
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.object()
    error = str(body.get("error") or ("ratelimited" if answer.status == 429 else f"http_{answer.status}"))
    code = CODES.get(error, "platform_error" if answer.status >= 500 else "refused")
    when = retry_at(answer.headers, utcnow()) if code == "rate_limited" else None
    return refused("slack", code, error, status=answer.status, retry_at=when, reason=REASONS.get(error))
