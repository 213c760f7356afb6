"""Slack Events API: messages in the channels and DMs the app is in, and mentions of it.

Handshake: a POST `{"type": "url_verification", "challenge": ...}` answered with the challenge as plain text.
Signature: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" + X-Slack-Request-Timestamp + ":" +
raw body)>`; a timestamp more than 5 minutes from arrival is refused (Slack's replay window). Slack retries a
delivery not answered within 3 s up to three times (`X-Slack-Retry-Num`): a retry is verified and read like the
first attempt, since the first may be the one that failed to be queued, and its mentions carry the same ids, so
their owners keep one copy (nothing is classified twice).

A message is `channel:ts` (a `ts` is unique within a channel); its conversation is the thread it belongs to
(`thread_ts`) or the message itself. `app_mention` and `message` events for the same message are the same mention.
`message_changed` is an edit (`edited.ts`), `message_deleted` a deletion. The app's own bot user (in
`authorizations`) is the brand; other bots, joins, topic changes, reactions and every other event are acknowledged
and ignored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Media,
    Notice,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    check_prefixed_hex,
    check_window,
    from_unix,
    hmac_hex,
    parse_json,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature
from shared.events import Mention
from shared.secrets import SecretValues

REPLAY_WINDOW = timedelta(minutes=5)
# Message subtypes that are someone saying something; the rest are channel housekeeping.
SPOKEN = frozenset({None, "thread_broadcast", "file_share", "me_message", "bot_message"})


class Slack:
    platform: Literal["slack"] = "slack"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None  # Slack verifies the URL with a signed url_verification POST

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        stamp = delivery.headers.get("x-slack-request-timestamp", "")
        if not stamp.isdigit():
            raise InvalidSignature("the X-Slack-Request-Timestamp header is missing or not a number")
        check_window(from_unix(stamp), delivery.received_at, REPLAY_WINDOW)
        base = b"v0:" + stamp.encode() + b":" + delivery.body
        expected = hmac_hex(secrets.platform_secret(self.platform), base)
        check_prefixed_hex(delivery.headers.get("x-slack-signature"), "v0=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        try:
            return text_or_none(parse_json(delivery.body).get("event_id"))
        except InvalidBody:
            return None

    def parse(self, delivery: Delivery) -> Parsed:
        payload = parse_json(delivery.body, "Slack delivery")
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                raise InvalidBody("a url_verification carries its challenge")
            return Parsed(answer=Answer(challenge))
        if kind == "app_rate_limited":
            notice = Notice(
                platform=self.platform,
                kind="app.rate_limited",
                ref=str(payload.get("api_app_id") or "unknown"),
                at=from_unix(payload.get("minute_rate_limited") or delivery.received_at.timestamp()),
                account_id=text_or_none(payload.get("team_id")),
            )
            return Parsed(ignored=1, notices=[notice])
        if kind != "event_callback":
            return Parsed(ignored=1)
        event = payload.get("event")
        if not isinstance(event, dict):
            raise InvalidBody("an event_callback carries its event")
        team = text_or_none(payload.get("team_id")) or text_or_none(event.get("team"))
        bots = {
            str(a["user_id"])
            for a in payload.get("authorizations") or []
            if isinstance(a, dict) and a.get("is_bot") and a.get("user_id")
        }
        if event.get("type") not in ("message", "app_mention"):
            return Parsed(ignored=1)
        subtype = event.get("subtype")
        channel = sid(event.get("channel"))
        if subtype == "message_deleted":
            deleted = sid(event.get("deleted_ts"))
            at = from_unix(event.get("event_ts") or event.get("ts") or delivery.received_at.timestamp())
            return Parsed(deletions=[build_deletion(self.platform, f"{channel}:{deleted}", at, delivery.received_at)])
        if subtype == "message_changed":
            message = event.get("message")
            if not isinstance(message, dict):
                raise InvalidBody("a message_changed event carries the message")
            edited = message.get("edited")
            at = from_unix(
                (edited.get("ts") if isinstance(edited, dict) else None)
                or event.get("event_ts")
                or delivery.received_at.timestamp()
            )
            mention = self._message(message, channel, event, team, bots, delivery, edited_at=at)
            return Parsed(mentions=[mention]) if mention else Parsed(ignored=1)
        if subtype not in SPOKEN:
            return Parsed(ignored=1)
        mention = self._message(event, channel, event, team, bots, delivery)
        return Parsed(mentions=[mention]) if mention else Parsed(ignored=1)

    def _message(
        self,
        message: dict[str, Any],
        channel: str,
        event: dict[str, Any],
        team: str | None,
        bots: set[str],
        delivery: Delivery,
        edited_at: Any = None,
    ) -> Mention | None:
        user = text_or_none(message.get("user"))
        ours = user is not None and user in bots
        if (message.get("bot_id") or message.get("subtype") == "bot_message") and not ours:
            return None  # another app's bot: alerts and integrations, not the community
        if user is None:
            return None
        ts = sid(message.get("ts"))
        thread = text_or_none(message.get("thread_ts"))
        direct = event.get("channel_type") == "im" or channel.startswith("D")
        files = message.get("files")
        return build_mention(
            platform=self.platform,
            channel="slack.dm" if direct else "slack.message",
            kind="message",
            native_id=f"{channel}:{ts}",
            thread_id=f"{channel}:{thread or ts}",
            parent_id=f"{channel}:{thread}" if thread and thread != ts else None,
            account_id=team,
            author=Person(id=user),
            from_brand=ours,
            addressed=True if direct or event.get("type") == "app_mention" else None,
            text=str(message.get("text") or ""),
            attachments=tuple(
                Media(type=str(f.get("filetype") or "file"), url=text_or_none(f.get("permalink")))
                for f in files or []
                if isinstance(f, dict)
            ),
            created_at=from_unix(ts),
            received_at=delivery.received_at,
            edited_at=edited_at,
        )
