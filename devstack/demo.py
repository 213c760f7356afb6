"""A small, realistic stream of messages across platforms, written for Hark and signed like the real thing, so
that a newcomer watches mentions, classifications and tasks appear. Every message goes over real HTTP through
the same routes a platform would use."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devstack.signing import (
    DEV_DISCORD_PRIVATE_KEY,
    discord_headers,
    github_headers,
    meta_body,
    meta_headers,
    slack_headers,
    telegram_headers,
    trustpilot_headers,
    twitch_headers,
    x_headers,
)
from shared.http import open_url
from shared.secrets import SecretValues
from shared.settings import DEV_DISCORD_PUBLIC_KEY

# The platforms whose secrets the stream signs with (`discord` stands for "the development key is configured").
DEMO_PLATFORMS = ("github", "meta", "slack", "x", "telegram", "twitch", "trustpilot")
SLACK_TEAM, SLACK_CHANNEL, SLACK_BOT = "T0ACME", "C0COMMUNITY", "U0HARKBOT"
X_BRAND = "930524282358325248"
TWITCH_BROADCASTER = "1971641"
DISCORD_GUILD = "290926798626357999"
REPO = {"id": 1296269, "full_name": "acme/acme-app", "html_url": "https://github.com/acme/acme-app"}
PAGE_ID = "104559371234567"
IG_ACCOUNT = "17841400000000000"
WA_NUMBER = "10634295353625"


@dataclass(frozen=True)
class Delivery:
    label: str
    path: str
    body: bytes
    headers: dict[str, str]


def _now() -> int:
    return int(time.time())


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gh_user(login: str, uid: int) -> dict[str, Any]:
    return {"login": login, "id": uid, "type": "User", "html_url": f"https://github.com/{login}"}


def _github_issue(number: int, title: str, body: str, login: str, uid: int) -> dict[str, Any]:
    ts = _now()
    return {
        "action": "opened",
        "issue": {
            "id": 900000 + number,
            "node_id": f"I_demo{number}",
            "number": number,
            "title": title,
            "body": body,
            "html_url": f"{REPO['html_url']}/issues/{number}",
            "user": _gh_user(login, uid),
            "author_association": "NONE",
            "created_at": _iso(ts),
            "updated_at": _iso(ts),
            "state": "open",
        },
        "repository": REPO,
        "sender": _gh_user(login, uid),
    }


def _github_comment(number: int, cid: int, body: str, login: str, uid: int, association: str) -> dict[str, Any]:
    ts = _now()
    return {
        "action": "created",
        "issue": {
            "id": 900000 + number,
            "number": number,
            "title": "Export to CSV fails with a 500 since the last update",
            "html_url": f"{REPO['html_url']}/issues/{number}",
            "user": _gh_user("dana-ops", 501),
            "created_at": _iso(ts - 60),
            "state": "open",
        },
        "comment": {
            "id": cid,
            "node_id": f"IC_demo{cid}",
            "body": body,
            "html_url": f"{REPO['html_url']}/issues/{number}#issuecomment-{cid}",
            "user": _gh_user(login, uid),
            "author_association": association,
            "created_at": _iso(ts),
            "updated_at": _iso(ts),
        },
        "repository": REPO,
        "sender": _gh_user(login, uid),
    }


def _fb_comment(cid: str, post: str, text: str, sender: tuple[str, str]) -> dict[str, Any]:
    ts = _now()
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": ts,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": f"{post}_{cid}",
                            "post_id": f"{PAGE_ID}_{post}",
                            "parent_id": f"{PAGE_ID}_{post}",
                            "from": {"id": sender[0], "name": sender[1]},
                            "created_time": ts,
                            "message": text,
                        },
                    }
                ],
            }
        ],
    }


def _messenger(mid: str, psid: str, text: str) -> dict[str, Any]:
    ms = int(time.time() * 1000)
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": ms,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": ms,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


def _instagram_comment(cid: str, username: str, text: str) -> dict[str, Any]:
    return {
        "object": "instagram",
        "entry": [
            {
                "id": IG_ACCOUNT,
                "time": _now(),
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": cid,
                            "text": text,
                            "from": {"id": f"9{cid}", "username": username},
                            "media": {"id": "17900000000000001", "media_product_type": "FEED"},
                        },
                    }
                ],
            }
        ],
    }


def _whatsapp(wamid: str, wa_id: str, name: str, text: str) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "101809759215303",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550001111", "phone_number_id": WA_NUMBER},
                            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid,
                                    "timestamp": str(_now()),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def _slack(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "demo",  # nosec B105 # a demo platform's placeholder token on the local stack
        "team_id": SLACK_TEAM,
        "api_app_id": "A0HARK",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": _now(),
        "authorizations": [{"team_id": SLACK_TEAM, "user_id": SLACK_BOT, "is_bot": True}],
        "event": {"channel": SLACK_CHANNEL, "channel_type": "channel", **event},
    }


def _x_mention(post_id: str, handle: str, uid: str, text: str) -> dict[str, Any]:
    return {
        "for_user_id": X_BRAND,
        "tweet_create_events": [
            {
                "id_str": post_id,
                "text": text,
                "in_reply_to_user_id_str": X_BRAND,
                "user": {"id_str": uid, "screen_name": handle, "name": handle, "followers_count": 2400},
                "lang": "en",
                "timestamp_ms": str(_now() * 1000),
            }
        ],
    }


def _telegram(update_id: int, message_id: int, user: tuple[int, str, str], text: str) -> dict[str, Any]:
    uid, username, first = user
    person = {"id": uid, "is_bot": False, "first_name": first, "username": username, "language_code": "de"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": person,
            "chat": {"id": uid, "first_name": first, "username": username, "type": "private"},
            "date": _now(),
            "text": text,
        },
    }


def _twitch_chat(message_id: str, chatter: tuple[str, str], text: str) -> dict[str, Any]:
    uid, login = chatter
    return {
        "subscription": {
            "id": "demo-subscription",
            "type": "channel.chat.message",
            "version": "1",
            "status": "enabled",
            "condition": {"broadcaster_user_id": TWITCH_BROADCASTER, "user_id": TWITCH_BROADCASTER},
            "transport": {"method": "webhook", "callback": "http://127.0.0.1/webhooks/twitch"},
            "created_at": _iso(_now() - 3600),
            "cost": 0,
        },
        "event": {
            "broadcaster_user_id": TWITCH_BROADCASTER,
            "broadcaster_user_login": "acmelive",
            "broadcaster_user_name": "AcmeLive",
            "chatter_user_id": uid,
            "chatter_user_login": login,
            "chatter_user_name": login,
            "message_id": message_id,
            "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
            "message_type": "text",
            "reply": None,
        },
    }


def _trustpilot(review_id: str, stars: int, title: str, text: str, name: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "eventName": "service-review-created",
                "version": "1",
                "eventData": {
                    "id": review_id,
                    "language": "en",
                    "title": title,
                    "text": text,
                    "stars": stars,
                    "createdAt": _iso(_now()),
                    "businessUnitId": "46d6a890000064000500e0c3",
                    "consumer": {"id": f"c-{review_id}", "name": name},
                },
            }
        ]
    }


def _discord_command(interaction_id: str, user: tuple[str, str], problem: str) -> dict[str, Any]:
    uid, name = user
    return {
        "id": interaction_id,
        "application_id": "1300000000000000000",
        "type": 2,
        "token": "demo-token",  # nosec B105 # a demo platform's placeholder token on the local stack
        "version": 1,
        "guild_id": DISCORD_GUILD,
        "channel_id": "645027906669510667",
        "locale": "en-US",
        "member": {"user": {"id": uid, "username": name, "global_name": name}},
        "data": {"name": "support", "type": 1, "options": [{"type": 3, "name": "problem", "value": problem}]},
    }


def _partner(native_id: str, platform: str, author: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    return {"platform": platform, "native_id": native_id, "author": author, "text": text, **extra}


def deliveries(secrets: dict[str, str], api_key: str) -> Iterator[Delivery]:
    """The stream, in order. A fresh run id keeps ids unique across restarts of the stack."""
    run = str(_now())

    def github(label: str, event: str, payload: dict[str, Any], delivery: str | None = None) -> Delivery:
        body = json.dumps(payload).encode()
        return Delivery(label, "/webhooks/github", body, github_headers(body, secrets["github"], event, delivery))

    def meta(label: str, payload: dict[str, Any]) -> Delivery:
        body = meta_body(payload)
        return Delivery(label, "/webhooks/meta", body, meta_headers(body, secrets["meta"]))

    def partner(label: str, payload: dict[str, Any]) -> Delivery:
        body = json.dumps(payload).encode()
        return Delivery(label, "/v1/mentions", body, {"Content-Type": "application/json", "x-api-key": api_key})

    def signed(label: str, platform: str, payload: dict[str, Any], sign: Callable[[bytes], dict[str, str]]) -> Delivery:
        body = json.dumps(payload).encode()
        return Delivery(label, f"/webhooks/{platform}", body, sign(body))

    issue = int(run[-4:])
    yield github(
        "GitHub issue: a bug report",
        "issues",
        _github_issue(
            issue,
            "Export to CSV fails with a 500 since the last update",
            "Since yesterday's release every export ends in an error page. Our month-end reporting is blocked. "
            "Can you please look at this?",
            "dana-ops",
            501,
        ),
    )
    yield meta(
        "Facebook comment: praise",
        _fb_comment(f"{run}1", f"{run}7", "Love the new dark mode, thank you team!", ("2001", "Mira K.")),
    )
    yield meta(
        "Facebook comment: a refund complaint",
        _fb_comment(
            f"{run}2",
            f"{run}7",
            "I was charged twice for my subscription and nobody answers my emails. I want a refund now.",
            ("2002", "Tom Becker"),
        ),
    )
    comment = _github_comment(
        issue,
        int(f"{run[-6:]}1"),
        "Same here, our whole team is blocked. Any ETA on a fix?",
        "lee-h",
        502,
        "NONE",
    )
    yield github("GitHub comment on the same issue", "issue_comment", comment, delivery=f"demo-{run}-c1")
    yield meta(
        "Messenger: a question",
        _messenger(f"m_{run}a", "3003", "Hi! Do you ship to Canada, and how long does it take?"),
    )
    yield meta(
        "Instagram comment: spam",
        _instagram_comment(f"{run}4", "growfast_99", "Check out my page for free followers!! http://spam.example/free"),
    )
    yield meta(
        "WhatsApp (es): a complaint",
        _whatsapp(f"wamid.{run}A", "34600111222", "Lucía", "Mi pedido nunca llegó y nadie responde. ¿Qué pasa?"),
    )
    yield partner(
        "Partner API: an influencer's bug report",
        _partner(
            f"zd-{run}-1",
            "generic",
            {"id": "cust-88", "handle": "techwithsam", "followers": 120000},
            "The app crashes every time I open Settings on Android 14. Not working at all.",
            channel="helpdesk.ticket",
        ),
    )
    yield github(
        "GitHub comment by the brand (no task)",
        "issue_comment",
        _github_comment(
            issue, int(f"{run[-6:]}2"), "Thanks for the report, we are on it.", "acme-support", 1, "MEMBER"
        ),
    )
    yield signed(
        "Trustpilot: a 1-star review",
        "trustpilot",
        _trustpilot(
            f"tp{run}01",
            1,
            "Three weeks for a reply",
            "Support took three weeks to reply and the issue is still not fixed.",
            "R. Okafor",
        ),
        lambda body: trustpilot_headers(secrets["trustpilot"]),
    )
    slack_ts = f"{run}.000100"
    yield signed(
        "Slack (community channel): a question",
        "slack",
        _slack(
            {
                "type": "message",
                "user": "U0MIA",
                "text": "Is SSO down? Our whole team gets a login loop.",
                "ts": slack_ts,
            },
            f"Ev{run}1",
        ),
        lambda body: slack_headers(body, secrets["slack"]),
    )
    yield signed(
        "X: a mention with a complaint",
        "x",
        _x_mention(
            f"19{run}01", "mialang", "4001", "@AcmeSupport my parcel is stuck in Leipzig for a week. Order 5521!"
        ),
        lambda body: x_headers(body, secrets["x"]),
    )
    yield signed(
        "Slack: the question edited (same mention, classified again)",
        "slack",
        _slack(
            {
                "type": "message",
                "subtype": "message_changed",
                "ts": f"{run}.000200",
                "message": {
                    "type": "message",
                    "user": "U0MIA",
                    "text": "Is SSO down? Our whole team gets a login loop since 9:00, we cannot work.",
                    "ts": slack_ts,
                    "edited": {"user": "U0MIA", "ts": f"{int(run) + 30}.000000"},
                },
            },
            f"Ev{run}2",
        ),
        lambda body: slack_headers(body, secrets["slack"]),
    )
    yield signed(
        "Telegram (de): a question to the bot",
        "telegram",
        _telegram(
            int(run[-6:]) * 10,
            int(run[-6:]),
            (5550001, "jonas_k", "Jonas"),
            "Hallo! Kann ich meine Bestellung noch ändern?",
        ),
        lambda body: telegram_headers(secrets["telegram"]),
    )
    yield signed(
        "Twitch chat: a viewer's problem",
        "twitch",
        _twitch_chat(f"tw-{run}-1", ("4145994", "viewer32"), "the giveaway link gives me a 404, anyone else?"),
        lambda body: twitch_headers(body, secrets["twitch"]),
    )
    if secrets.get("discord") == "dev":
        yield signed(
            "Discord /support command",
            "discord",
            _discord_command(
                str((int(run) * 1000 - 1420070400000) << 22),
                ("80351110224678912", "nelly"),
                "My order arrived broken, what now?",
            ),
            lambda body: discord_headers(body, DEV_DISCORD_PRIVATE_KEY),
        )
    yield partner(
        "Partner API (reddit poller): a question",
        _partner(
            f"t1_{run}x",
            "reddit",
            {"id": "t2_abc", "handle": "u/quietfox"},
            "How do I export all my data from the app?",
        ),
    )
    yield meta(
        "WhatsApp (fr): thanks",
        _whatsapp(f"wamid.{run}B", "33611223344", "Camille", "Merci pour votre aide, tout fonctionne maintenant !"),
    )
    yield github("GitHub redelivery (a duplicate)", "issue_comment", comment, delivery=f"demo-{run}-c1")


def demo_secrets(secrets: SecretValues) -> dict[str, str]:
    """What the stream signs with: the configured secrets, and whether Discord's key is the development one."""
    chosen = {p: secrets.platform_secret(p) for p in DEMO_PLATFORMS}
    if secrets.discord_public_key == DEV_DISCORD_PUBLIC_KEY:
        chosen["discord"] = "dev"
    return chosen


def send(base_url: str, delivery: Delivery, timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - a URL of our own local stack
        base_url + delivery.path, data=delivery.body, headers=delivery.headers, method="POST"
    )
    try:
        with open_url(request, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


class DemoStream:
    def __init__(
        self,
        base_url: str,
        secrets: dict[str, str],
        api_key: str,
        report: Callable[[Delivery, int, str], None],
        pace_s: float = 1.2,
    ) -> None:
        self._base_url = base_url
        self._secrets = secrets
        self._api_key = api_key
        self._report = report
        self._pace_s = pace_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hark-demo", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        for delivery in deliveries(self._secrets, self._api_key):
            if self._stop.wait(self._pace_s):
                return
            try:
                status, body = send(self._base_url, delivery)
            except OSError as error:
                status, body = 0, str(error)
            self._report(delivery, status, body)
