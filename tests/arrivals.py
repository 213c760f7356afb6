"""A customer's message on each platform, the way it really reaches Hark, and where on the platform the brand's
reply must land.

Platforms with a connector take a signed webhook delivery, built and signed as the platform does (`webhook`).
Platforms heard by a poller, or whose connector is not in this checkout, take a `Mention` as their poller or
connector produces it, admitted through the ingest core (`mention`). `Where` is what the platform's fake must
receive for the reply: the method, the path and the body fields that put it in the right thread.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.demo import _github_issue
from devstack.fakes import FakePlatforms
from devstack.signing import (
    DEV_DISCORD_PRIVATE_KEY,
    discord_headers,
    github_headers,
    google_push,
    hub_headers,
    meta_body,
    meta_headers,
    slack_headers,
    telegram_headers,
    trustpilot_headers,
    twitch_headers,
    x_headers,
    zendesk_headers,
)
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Person, build_mention
from shared.events import Mention
from shared.ids import mention_id
from shared.settings import DEV_GOOGLE_AUDIENCE, DEV_GOOGLE_SERVICE_ACCOUNT, dev_platform_secret, dev_platform_token

COMPLAINT = "I was charged twice for my subscription and support never answered. I want a refund now."


@dataclass(frozen=True)
class Webhook:
    path: str
    body: bytes
    headers: dict[str, str]
    # What the platform's API must hold before the delivery (Google's notification names a review to fetch).
    prepare: Callable[[FakePlatforms], None] | None = None
    # The mention's id, for a platform whose answer is its protocol's and names none (Discord's interaction reply).
    mention_id: str | None = None


@dataclass(frozen=True)
class Where:
    """What the reply must look like on the platform's fake."""

    method: str
    path: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    check: Callable[[Any], bool] | None = None

    def matches(self, body: Any) -> bool:
        if not isinstance(body, dict):
            return False
        if any(_dig(body, key) != value for key, value in self.fields.items()):
            return False
        return self.check is None or self.check(body)


def _dig(body: Mapping[str, Any], dotted: str) -> Any:
    value: Any = body
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _ms() -> int:
    return int(time.time() * 1000)


def x_post(n: int) -> tuple[Webhook, Where]:
    post, parent = str(1_860_000_000_000_000_000 + n), str(1_860_000_000_000_000_000 + n + 500_000)
    payload = {
        "for_user_id": "7001",
        "tweet_create_events": [
            {
                "id_str": post,
                "text": f"@brand {COMPLAINT}",
                "in_reply_to_status_id_str": parent,
                "timestamp_ms": str(_ms()),
                "user": {"id_str": f"30{n}", "screen_name": f"sam{n}", "name": "Sam Rivera", "followers_count": 120},
                "lang": "en",
            }
        ],
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/x", body, x_headers(body, dev_platform_secret("x"))),
        Where("POST", "/2/tweets", {"reply.in_reply_to_tweet_id": post}),
    )


def x_dm(n: int) -> tuple[Webhook, Where]:
    """A direct message (Account Activity API): the reply is a DM to the same person, not a post."""
    person = f"31{n}"
    payload = {
        "for_user_id": "7001",
        "direct_message_events": [
            {
                "type": "message_create",
                "id": str(1_870_000_000_000_000_000 + n),
                "created_timestamp": str(_ms()),
                "message_create": {
                    "target": {"recipient_id": "7001"},
                    "sender_id": person,
                    "message_data": {"text": COMPLAINT},
                },
            }
        ],
        "users": {person: {"id": person, "screen_name": f"sam{n}", "name": "Sam Rivera"}},
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/x", body, x_headers(body, dev_platform_secret("x"))),
        Where("POST", f"/2/dm_conversations/with/{person}/messages", check=lambda b: bool(b.get("text"))),
    )


def slack_message(n: int) -> tuple[Webhook, Where]:
    ts = f"{int(time.time())}.{n:06d}"
    payload = {
        "type": "event_callback",
        "team_id": "T0HARK",
        "api_app_id": "A0HARK",
        "event_id": f"Ev{n:08d}",
        "event_time": int(time.time()),
        "authorizations": [{"user_id": "U0BOT", "is_bot": True}],
        "event": {
            "type": "app_mention",
            "user": f"U{n:06d}",
            "text": f"<@U0BOT> {COMPLAINT}",
            "ts": ts,
            "channel": "C0HELP",
            "channel_type": "channel",
            "event_ts": ts,
        },
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/slack", body, slack_headers(body, dev_platform_secret("slack"))),
        Where("POST", "/api/chat.postMessage", {"channel": "C0HELP", "thread_ts": ts}),
    )


def telegram_message(n: int) -> tuple[Webhook, Where]:
    chat = 5_550_000 + n
    payload = {
        "update_id": 900_000 + n,
        "message": {
            "message_id": 40 + n,
            "from": {"id": chat, "is_bot": False, "first_name": "Sam", "username": f"sam{n}", "language_code": "en"},
            "chat": {"id": chat, "type": "private", "first_name": "Sam"},
            "date": int(time.time()),
            "text": COMPLAINT,
        },
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/telegram", body, telegram_headers(dev_platform_secret("telegram"))),
        Where(
            "POST",
            f"/bot{dev_platform_token('telegram')}/sendMessage",
            {"chat_id": chat, "reply_parameters.message_id": 40 + n},
        ),
    )


def twitch_chat(n: int) -> tuple[Webhook, Where]:
    message = f"cc4a1b2e-0000-4000-8000-{n:012d}"
    payload = {
        "subscription": {
            "id": "sub-1",
            "type": "channel.chat.message",
            "version": "1",
            "status": "enabled",
            "condition": {"broadcaster_user_id": "141981764", "user_id": "141981764"},
        },
        "event": {
            "broadcaster_user_id": "141981764",
            "broadcaster_user_login": "brand",
            "chatter_user_id": f"8{n:05d}",
            "chatter_user_login": f"sam{n}",
            "chatter_user_name": "Sam",
            "message_id": message,
            "message": {"text": COMPLAINT, "fragments": [{"type": "text", "text": COMPLAINT}]},
            "message_type": "text",
        },
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/twitch", body, twitch_headers(body, dev_platform_secret("twitch"))),
        Where(
            "POST",
            "/helix/chat/messages",
            {"broadcaster_id": "141981764", "reply_parent_message_id": message},
        ),
    )


def github_issue(n: int) -> tuple[Webhook, Where]:
    body = json.dumps(_github_issue(6000 + n, "Charged twice", COMPLAINT, "dana-ops", 501)).encode()
    return (
        Webhook("/webhooks/github", body, github_headers(body, dev_platform_secret("github"), "issues")),
        Where("POST", f"/repos/acme/acme-app/issues/{6000 + n}/comments"),
    )


def messenger(n: int) -> tuple[Webhook, Where]:
    psid = f"77{n:05d}"
    event = {
        "sender": {"id": psid},
        "recipient": {"id": "104559"},
        "timestamp": _ms(),
        "message": {"mid": f"m_e2e_{n}", "text": COMPLAINT},
    }
    body = meta_body({"object": "page", "entry": [{"id": "104559", "time": _ms(), "messaging": [event]}]})
    return (
        Webhook("/webhooks/meta", body, meta_headers(body, dev_platform_secret("meta"))),
        Where("POST", "/v21.0/104559/messages", {"recipient.id": psid, "messaging_type": "RESPONSE"}),
    )


DISCORD_EPOCH_MS = 1_420_070_400_000


def discord_command(n: int) -> tuple[Webhook, Where]:
    # A snowflake of now: Discord's ids carry their time, and the follow-up window counts from it.
    interaction = str(((_ms() - DISCORD_EPOCH_MS) << 22) + n)
    payload = {
        "id": interaction,
        "application_id": "1200000000000000001",
        "type": 2,
        "token": f"itoken{n}",
        "version": 1,
        "guild_id": "290926798626357999",
        "channel_id": "645027906669510667",
        "locale": "en-US",
        "member": {"user": {"id": f"8035111022467{n:04d}", "username": f"sam{n}", "global_name": "Sam"}},
        "data": {
            "id": "771825006014889984",
            "name": "support",
            "type": 1,
            "options": [{"type": 3, "name": "problem", "value": COMPLAINT}],
        },
    }
    body = json.dumps(payload).encode()
    return (
        Webhook(
            "/webhooks/discord",
            body,
            discord_headers(body, DEV_DISCORD_PRIVATE_KEY),
            mention_id=mention_id("discord", interaction),
        ),
        Where("POST", f"/webhooks/1200000000000000001/itoken{n}", {"content": "Hi Sam, Alice here: I've refunded it."}),
    )


def zendesk_comment(n: int) -> tuple[Webhook, Where]:
    ticket = 35_000 + n
    payload = {
        "type": "zen:event-type:ticket.comment_added",
        "account_id": 12514403,
        "id": f"5f3a3c5e-0b8e-4d45-9b6c-{n:012d}",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{ticket}",
        "detail": {"id": str(ticket), "subject": "Charged twice", "status": "OPEN", "is_public": True},
        "event": {
            "comment": {
                "id": str(30_064_117_810_000 + n),
                "body": COMPLAINT,
                "is_public": True,
                "author": {"id": "6596848315901", "is_staff": False, "name": "Mia Lang"},
            }
        },
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/zendesk", body, zendesk_headers(body, dev_platform_secret("zendesk"))),
        Where("PUT", f"/api/v2/tickets/{ticket}.json", {"ticket.comment.public": True}),
    )


def mastodon_status(n: int) -> tuple[Webhook, Where]:
    status = str(113_456_789_012_000_000 + n)
    payload = {
        "event": "status.created",
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "object": {
            "id": status,
            "uri": f"https://social.example/users/sam{n}/statuses/{status}",
            "url": f"https://social.example/@sam{n}/{status}",
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "in_reply_to_id": None,
            "visibility": "unlisted",
            "language": "en",
            "content": f'<p><span class="h-card"><a href="https://social.example/@brand">@brand</a></span> '
            f"{COMPLAINT}</p>",
            "account": {
                "id": f"10934874{n:04d}",
                "username": f"sam{n}",
                "acct": f"sam{n}",
                "display_name": "Sam",
            },
            "mentions": [{"acct": "brand", "username": "brand"}],
            "media_attachments": [],
        },
    }
    body = json.dumps(payload).encode()
    return (
        Webhook(
            "/webhooks/mastodon", body, hub_headers(body, dev_platform_secret("mastodon"), "sha256", "application/json")
        ),
        Where(
            "POST",
            "/api/v1/statuses",
            {"in_reply_to_id": status, "visibility": "unlisted", "language": "en"},
            lambda body: str(body.get("status", "")).startswith(f"@sam{n} "),
        ),
    )


def trustpilot_review(n: int) -> tuple[Webhook, Where]:
    review = f"6745a1b2c3d4e5f6{n:08d}"
    payload = {
        "events": [
            {
                "eventName": "service-review-created",
                "version": "1",
                "eventData": {
                    "id": review,
                    "language": "en",
                    "title": "Charged twice",
                    "text": COMPLAINT,
                    "stars": 1,
                    "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "businessUnitId": "46d6a890000064000500e0c3",
                    "consumer": {"id": f"5c00000000000000{n:08d}", "name": "R. Okafor"},
                },
            }
        ]
    }
    body = json.dumps(payload).encode()
    return (
        Webhook("/webhooks/trustpilot", body, trustpilot_headers(dev_platform_secret("trustpilot"))),
        Where("POST", f"/v1/private/reviews/{review}/reply", {"authorBusinessUserId": "hark-dev-business-user"}),
    )


def google_review(n: int) -> tuple[Webhook, Where]:
    review = f"accounts/111/locations/222/reviews/Rv{n:06d}"
    notification = {"type": "NEW_REVIEW", "review": review, "location": "accounts/111/locations/222"}
    body, headers = google_push(notification, audience=DEV_GOOGLE_AUDIENCE, email=DEV_GOOGLE_SERVICE_ACCOUNT)
    return (
        Webhook("/webhooks/google", body, headers, prepare=lambda fake: fake.add_review(review, COMPLAINT)),
        Where("PUT", f"/v4/{review}/reply", {"comment": "Hi Sam, Alice here: I've refunded it."}),
    )


WEBHOOKS: dict[str, Callable[[int], tuple[Webhook, Where]]] = {
    "x": x_post,
    "x.dm": x_dm,
    "slack": slack_message,
    "telegram": telegram_message,
    "twitch": twitch_chat,
    "github": github_issue,
    "meta": messenger,
    "discord.command": discord_command,
    "zendesk": zendesk_comment,
    "mastodon": mastodon_status,
    "trustpilot": trustpilot_review,
    "google": google_review,
}


def _mention(platform: str, channel: str, native_id: str, thread_id: str, **fields: Any) -> Mention:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "platform": platform,
        "channel": channel,
        "kind": "comment",
        "native_id": native_id,
        "thread_id": thread_id,
        "author": Person(
            id=fields.pop("author_id", "cust-2002"), handle=fields.pop("handle", "sam"), name="Sam Rivera"
        ),
        "text": COMPLAINT,
        "created_at": now,
        "received_at": now,
        "lang": "en",
    }
    values.update(fields)
    return build_mention(**values)


def reddit(n: int) -> tuple[Mention, Where]:
    fullname = f"t1_c{n:05d}"
    return (
        _mention("reddit", "reddit.comment", fullname, f"t3_p{n:05d}", parent_id=f"t3_p{n:05d}", account_id="brand"),
        Where("POST", "/api/comment", {"thing_id": fullname}),
    )


def wordpress(n: int) -> tuple[Mention, Where]:
    return (
        _mention("wordpress", "wordpress.comment", str(700 + n), str(40 + n), account_id="blog.hark.local"),
        Where("POST", "/wp-json/wp/v2/comments", {"post": 40 + n, "parent": 700 + n}),
    )


def youtube(n: int) -> tuple[Mention, Where]:
    top = f"UgzTop{n:05d}"
    return (
        _mention(
            "youtube", "youtube.comment", top, top, account_id="UCbrand", reply_context={"video_id": f"vid{n:05d}"}
        ),
        Where("POST", "/youtube/v3/comments", {"snippet.parentId": top}),
    )


def bluesky(n: int) -> tuple[Mention, Where]:
    uri = f"at://did:plc:cust{n}/app.bsky.feed.post/3kpost{n}"
    root = f"at://did:plc:brand/app.bsky.feed.post/3kroot{n}"
    context = {"cid": f"bafypost{n}", "root_uri": root, "root_cid": f"bafyroot{n}"}
    return (
        _mention("bluesky", "bluesky.post", uri, root, parent_id=root, reply_context=context),
        Where(
            "POST",
            "/xrpc/com.atproto.repo.createRecord",
            {
                "record.reply.parent.uri": uri,
                "record.reply.parent.cid": f"bafypost{n}",
                "record.reply.root.uri": root,
                "record.reply.root.cid": f"bafyroot{n}",
            },
        ),
    )


def tiktok(n: int) -> tuple[Mention, Where]:
    video, comment = str(7_300_000_000_000_000_000 + n), str(7_310_000_000_000_000_000 + n)
    return (
        _mention("tiktok", "tiktok.comment", comment, video, account_id="biz-brand"),
        Where("POST", "/open_api/v1.3/business/comment/reply/create/", {"video_id": video, "comment_id": comment}),
    )


def discord_message(n: int) -> tuple[Mention, Where]:
    channel, message = "555000000000000001", str(666_000_000_000_000_000 + n)
    return (
        _mention(
            "discord",
            "discord.message",
            message,
            channel,
            kind="message",
            account_id="guild-1",
            reply_context={"channel_id": channel},
        ),
        Where("POST", f"/channels/{channel}/messages", {"message_reference.message_id": message}),
    )


def discord_command_mention(n: int) -> tuple[Mention, Where]:
    interaction = str(1_300_000_000_000_000_000 + n)
    context = {"interaction_token": f"itoken{n}", "application_id": "1200000000000000001"}
    return (
        _mention(
            "discord",
            "discord.command",
            interaction,
            f"9001:cust-{n}",
            kind="message",
            author_id=f"42{n:04d}",
            account_id="guild-1",
            reply_context=context,
        ),
        Where("POST", f"/webhooks/1200000000000000001/itoken{n}"),
    )


def zendesk(n: int) -> tuple[Mention, Where]:
    return (
        _mention(
            "zendesk", "zendesk.ticket_comment", f"12345/comment/{n}", f"12345/ticket/{900 + n}", account_id="12345"
        ),
        Where("PUT", f"/api/v2/tickets/{900 + n}.json", {"ticket.comment.public": True}),
    )


def mastodon(n: int) -> tuple[Mention, Where]:
    status = str(111_000_000_000_000_000 + n)
    return (
        _mention(
            "mastodon",
            "mastodon.status",
            f"social.example:{status}",
            f"social.example:{status}",
            kind="post",
            account_id="social.example",
            handle=f"sam{n}@other.example",
            reply_context={"visibility": "public"},
        ),
        Where(
            "POST",
            "/api/v1/statuses",
            {"in_reply_to_id": status, "visibility": "public"},
            lambda body: str(body.get("status", "")).startswith(f"@sam{n}@other.example "),
        ),
    )


def trustpilot(n: int) -> tuple[Mention, Where]:
    review = f"5f1a2b3c4d{n:04d}"
    return (
        _mention("trustpilot", "trustpilot.review", review, review, kind="review", rating=1, account_id="bu-brand"),
        Where("POST", f"/v1/private/reviews/{review}/reply"),
    )


def google(n: int) -> tuple[Mention, Where]:
    review = f"accounts/101/locations/202/reviews/r{n:05d}"
    return (
        _mention(
            "google", "google.review", review, review, kind="review", rating=1, account_id="accounts/101/locations/202"
        ),
        Where("PUT", f"/v4/{review}/reply"),
    )


MENTIONS: dict[str, Callable[[int], tuple[Mention, Where]]] = {
    "reddit": reddit,
    "wordpress": wordpress,
    "youtube": youtube,
    "bluesky": bluesky,
    "tiktok": tiktok,
    "discord.message": discord_message,
    "discord.command": discord_command_mention,
    "zendesk": zendesk,
    "mastodon": mastodon,
    "trustpilot": trustpilot,
    "google": google,
}
# Where a connector for the platform is in this checkout, its messages arrive as webhooks (above); the rest through
# the ingest core, as their pollers (or not yet merged connectors) produce them.
ARRIVALS = sorted({*WEBHOOKS, *(k for k in MENTIONS if k not in WEBHOOKS)})


def platform_of(arrival: str) -> str:
    return arrival.split(".", maxsplit=1)[0]


def by_webhook(arrival: str) -> bool:
    return arrival in WEBHOOKS and platform_of(arrival) in CONNECTORS
