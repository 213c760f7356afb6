"""Every sender against its platform's local fake over real HTTP: the documented path, method, auth headers and body,
the thread the reply lands in, the id it comes back with, and each platform's refusals (rate limit with the
platform's own retry time, a deleted message, a closed window, a refused token) read as the same few codes."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.fakes import FakePlatforms
from services.respond.bootstrap import SENDERS
from services.respond.outbound import Delivered, Outbound, Sender
from shared.credentials import Credential, dev_credential
from shared.errors import NotConfigured, PlatformRefused
from shared.settings import dev_platform_token


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms() as running:
        yield running


def sender(fake: FakePlatforms, platform: str) -> Sender:
    kind = next(k for k in SENDERS if k.platform == platform)
    built: Sender = kind(fake.base(platform))
    return built


def credential(platform: str, **changes: Any) -> Credential:
    return replace(dev_credential(platform, dev_platform_token(platform), None), **changes)


def bearer(platform: str) -> str:
    return f"Bearer {dev_platform_token(platform)}"


def out(platform: str, channel: str, thread_id: str, **fields: Any) -> Outbound:
    values: dict[str, Any] = {
        "platform": platform,
        "channel": channel,
        "kind": "comment",
        "thread_id": thread_id,
        "account_id": None,
        "recipient": "2002",
        "reply_to": None,
        "text": "Hi Sam, I'm sorry about the double charge: the refund is on its way.",
        "key": "t_abc:1",
    }
    values.update(fields)
    return Outbound(**values)


@dataclass(frozen=True)
class Case:
    """One reply as the service builds it from that platform's mention, and what the platform must receive."""

    name: str
    reply: Outbound
    method: str
    path: str
    headers: dict[str, str]
    body: Callable[[Any], None]
    delivered: Callable[[Delivered], None]

    @property
    def platform(self) -> str:
        return self.reply.platform


def _expect(**pairs: Any) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        for key, value in pairs.items():
            assert body[key] == value, (key, body.get(key), value)

    return check


NOW = datetime.now(UTC)
TEXT = "Hi Sam, I'm sorry about the double charge: the refund is on its way."
CASES = [
    Case(
        "x reply",
        out("x", "x.post", "1850000000000000001", reply_to="1850000000000000005", account_id="7001"),
        "POST",
        "/2/tweets",
        {"authorization": bearer("x")},
        _expect(text=TEXT, reply={"in_reply_to_tweet_id": "1850000000000000005"}),
        lambda d: d.platform_id.isdigit() and d.url and d.url.endswith(d.platform_id),
    ),
    Case(
        "x dm",
        out("x", "x.dm", "dm:7001:2002", kind="message", reply_to="dm:99", account_id="7001"),
        "POST",
        "/2/dm_conversations/with/2002/messages",
        {"authorization": bearer("x")},
        _expect(text=TEXT),
        lambda d: d.platform_id.startswith("dm:"),
    ),
    Case(
        "slack thread",
        out(
            "slack",
            "slack.message",
            "C0123:1700000000.000100",
            kind="message",
            reply_to="C0123:1700000000.000200",
            text="Hi **Sam**, see [the steps](https://help.example/refunds) & <ask>",
        ),
        "POST",
        "/api/chat.postMessage",
        {"authorization": bearer("slack"), "content-type": "application/json; charset=utf-8"},
        _expect(
            channel="C0123",
            thread_ts="1700000000.000100",
            text="Hi *Sam*, see <https://help.example/refunds|the steps> &amp; &lt;ask&gt;",
        ),
        lambda d: d.platform_id.startswith("C0123:"),
    ),
    Case(
        "discord interaction follow-up",
        out(
            "discord",
            "discord.command",
            "9001:2002",
            kind="message",
            reply_to="1300000000000000001",
            context={"interaction_token": "aW50ZXJhY3Rpb24", "application_id": "1200000000000000001"},
            reply_to_at=NOW,
        ),
        "POST",
        "/webhooks/1200000000000000001/aW50ZXJhY3Rpb24",
        {},
        _expect(content=TEXT, allowed_mentions={"parse": []}),
        lambda d: d.platform_id.isdigit(),
    ),
    Case(
        "discord channel message",
        out(
            "discord",
            "discord.message",
            "555000000000000001",
            kind="message",
            reply_to="666000000000000001",
            context={"channel_id": "555000000000000001"},
        ),
        "POST",
        "/channels/555000000000000001/messages",
        {"authorization": f"Bot {dev_platform_token('discord')}"},
        _expect(content=TEXT, message_reference={"message_id": "666000000000000001", "fail_if_not_exists": False}),
        lambda d: d.platform_id.isdigit(),
    ),
    Case(
        "youtube comment reply",
        out(
            "youtube",
            "youtube.comment",
            "UgzTopLevel123",
            reply_to="UgzTopLevel123.reply456",
            context={"video_id": "dQw4w9WgXcQ"},
        ),
        "POST",
        "/youtube/v3/comments",
        {"authorization": bearer("youtube")},
        _expect(snippet={"parentId": "UgzTopLevel123", "textOriginal": TEXT}),
        lambda d: d.url == f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={d.platform_id}",
    ),
    Case(
        "reddit comment reply",
        out("reddit", "reddit.comment", "t3_post1", reply_to="t1_abc123"),
        "POST",
        "/api/comment",
        {"authorization": bearer("reddit"), "user-agent": "hark-dev/1.0 (by u/hark-dev)"},
        _expect(api_type="json", thing_id="t1_abc123", text=TEXT),
        lambda d: d.platform_id.startswith("t1_") and (d.url or "").startswith("https://www.reddit.com/r/"),
    ),
    Case(
        "telegram reply in a forum topic",
        out(
            "telegram",
            "telegram.supergroup",
            "-1001234:12",
            kind="message",
            reply_to="-1001234:77",
            account_id="-1001234",
        ),
        "POST",
        f"/bot{dev_platform_token('telegram')}/sendMessage",
        {},
        _expect(chat_id=-1001234, text=TEXT, reply_parameters={"message_id": 77}, message_thread_id=12),
        lambda d: d.platform_id.startswith("-1001234:"),
    ),
    Case(
        "telegram business chat",
        out("telegram", "telegram.private", "5551234", kind="message", reply_to="5551234:9", account_id="BIZ-c0nn"),
        "POST",
        f"/bot{dev_platform_token('telegram')}/sendMessage",
        {},
        _expect(chat_id=5551234, business_connection_id="BIZ-c0nn", reply_parameters={"message_id": 9}),
        lambda d: d.platform_id.startswith("5551234:"),
    ),
    Case(
        "twitch chat reply",
        out("twitch", "twitch.chat", "msg-parent", kind="message", reply_to="msg-parent", account_id="141981764"),
        "POST",
        "/helix/chat/messages",
        {"authorization": bearer("twitch"), "client-id": "hark-dev-twitch-client"},
        _expect(broadcaster_id="141981764", sender_id="141981764", message=TEXT, reply_parent_message_id="msg-parent"),
        lambda d: d.platform_id.endswith("-twitch"),
    ),
    Case(
        "zendesk public comment",
        out("zendesk", "zendesk.ticket_comment", "12345/ticket/678", reply_to="12345/comment/9", account_id="12345"),
        "PUT",
        "/api/v2/tickets/678.json",
        {"authorization": bearer("zendesk")},
        _expect(ticket={"comment": {"body": TEXT, "public": True}}),
        lambda d: d.platform_id.startswith("12345/comment/"),
    ),
    Case(
        "zendesk internal note",
        out("zendesk", "zendesk.ticket_comment", "12345/ticket/679", reply_to="12345/comment/10", public=False),
        "PUT",
        "/api/v2/tickets/679.json",
        {"authorization": bearer("zendesk")},
        _expect(ticket={"comment": {"body": TEXT, "public": False}}),
        lambda d: d.platform_id.startswith("12345/comment/"),
    ),
    Case(
        "mastodon reply keeps its visibility and mentions the author",
        out(
            "mastodon",
            "mastodon.status",
            "social.example:1000",
            reply_to="social.example:1100",
            recipient_handle="sam@other.example",
            context={"visibility": "unlisted"},
        ),
        "POST",
        "/api/v1/statuses",
        {"authorization": bearer("mastodon"), "idempotency-key": "t_abc:1"},
        _expect(status=f"@sam@other.example {TEXT}", in_reply_to_id="1100", visibility="unlisted"),
        lambda d: d.platform_id.startswith("social.example:"),
    ),
    Case(
        "mastodon reply of unknown visibility stays direct",
        out("mastodon", "mastodon.status", "social.example:1000", reply_to="social.example:1101", key="t_abc:2"),
        "POST",
        "/api/v1/statuses",
        {"authorization": bearer("mastodon")},
        _expect(visibility="direct", in_reply_to_id="1101"),
        lambda d: d.platform_id.startswith("social.example:"),
    ),
    Case(
        "wordpress comment reply",
        out("wordpress", "wordpress.comment", "42", reply_to="7", text="Hi Sam & thanks.\n\nIt's <fixed> now."),
        "POST",
        "/wp-json/wp/v2/comments",
        {"authorization": bearer("wordpress")},
        _expect(post=42, parent=7, content="<p>Hi Sam &amp; thanks.</p>\n\n<p>It&#x27;s &lt;fixed&gt; now.</p>"),
        lambda d: d.platform_id.isdigit() and "#comment-" in (d.url or ""),
    ),
    Case(
        "bluesky reply with root and parent",
        out(
            "bluesky",
            "bluesky.post",
            "at://did:plc:root/app.bsky.feed.post/3kroot",
            reply_to="at://did:plc:cust/app.bsky.feed.post/3kabc",
            context={
                "cid": "bafycust",
                "root_uri": "at://did:plc:root/app.bsky.feed.post/3kroot",
                "root_cid": "bafyroot",
            },
        ),
        "POST",
        "/xrpc/com.atproto.repo.createRecord",
        {"authorization": bearer("bluesky")},
        lambda body: (
            _expect(repo="did:plc:harkdevbrand", collection="app.bsky.feed.post")(body),
            _expect(
                reply={
                    "root": {"uri": "at://did:plc:root/app.bsky.feed.post/3kroot", "cid": "bafyroot"},
                    "parent": {"uri": "at://did:plc:cust/app.bsky.feed.post/3kabc", "cid": "bafycust"},
                },
                text=TEXT,
            )(body["record"]),
        ),
        lambda d: d.platform_id.startswith("at://did:plc:harkdevbrand/app.bsky.feed.post/"),
    ),
    Case(
        "trustpilot review reply",
        out("trustpilot", "trustpilot.review", "5f1a2b3c4d", kind="review", reply_to="5f1a2b3c4d"),
        "POST",
        "/v1/private/reviews/5f1a2b3c4d/reply",
        {"authorization": bearer("trustpilot")},
        _expect(authorBusinessUserId="hark-dev-business-user", message=TEXT),
        lambda d: d.platform_id == "5f1a2b3c4d/reply",
    ),
    Case(
        "google review reply",
        out("google", "google.review", "accounts/1/locations/2/reviews/3", kind="review"),
        "PUT",
        "/v4/accounts/1/locations/2/reviews/3/reply",
        {"authorization": bearer("google")},
        _expect(comment=TEXT),
        lambda d: d.platform_id == "accounts/1/locations/2/reviews/3/reply",
    ),
    Case(
        "tiktok comment reply",
        out("tiktok", "tiktok.comment", "7300000000000000001", reply_to="7310000000000000002", account_id="biz-1"),
        "POST",
        "/open_api/v1.3/business/comment/reply/create/",
        {"access-token": dev_platform_token("tiktok")},
        _expect(business_id="biz-1", video_id="7300000000000000001", comment_id="7310000000000000002", text=TEXT),
        lambda d: d.platform_id.isdigit(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_reply_reaches_the_platform_at_the_right_thread(fake: FakePlatforms, case: Case) -> None:
    before = len(fake.replies(case.platform))
    delivered = sender(fake, case.platform).send(case.reply, credential(case.platform))
    posted = fake.replies(case.platform)[before:]
    assert len(posted) == 1, [r.path for r in posted]
    [request] = posted
    assert (request.method, request.path) == (case.method, case.path)
    for header, value in case.headers.items():
        assert request.headers.get(header) == value, header
    case.body(request.body)
    assert case.delivered(delivered), delivered


def test_youtube_asks_for_the_snippet_part(fake: FakePlatforms) -> None:
    case = next(c for c in CASES if c.platform == "youtube")
    sender(fake, "youtube").send(case.reply, credential("youtube"))
    assert fake.replies("youtube")[-1].query == {"part": "snippet"}


def test_wordpress_and_zendesk_take_their_password_and_api_token_logins(fake: FakePlatforms) -> None:
    token = dev_platform_token("wordpress")
    wordpress = next(c for c in CASES if c.platform == "wordpress")
    sender(fake, "wordpress").send(
        wordpress.reply,
        credential("wordpress", fields={"username": "hark", "application_password": token, "site": "x"}),
    )
    assert (
        fake.replies("wordpress")[-1].headers["authorization"]
        == "Basic " + base64.b64encode(f"hark:{token}".encode()).decode()
    )
    zendesk = next(c for c in CASES if c.platform == "zendesk")
    key = credential("zendesk", fields={"email": "ops@brand.example", "api_token": dev_platform_token("zendesk")})
    sender(fake, "zendesk").send(zendesk.reply, key)
    pair = base64.b64encode(f"ops@brand.example/token:{dev_platform_token('zendesk')}".encode()).decode()
    assert fake.replies("zendesk")[-1].headers["authorization"] == f"Basic {pair}"


def test_a_discord_command_answered_after_its_15_minutes_goes_to_a_direct_message(fake: FakePlatforms) -> None:
    case = next(c for c in CASES if c.name == "discord interaction follow-up")
    late = replace(case.reply, reply_to_at=datetime.now(UTC) - timedelta(minutes=16))
    before = len(fake.replies("discord"))
    delivered = sender(fake, "discord").send(late, credential("discord"))
    calls = fake.replies("discord")[before:]
    assert calls[0].path == "/users/@me/channels"
    assert calls[0].body == {"recipient_id": "2002"}
    assert calls[1].path.startswith("/channels/") and calls[1].body["content"] == TEXT
    assert not any(c.path.startswith("/webhooks/") for c in calls)
    assert delivered.platform_id.isdigit()


def test_a_discord_interaction_token_discord_no_longer_takes_falls_back_to_a_direct_message(
    fake: FakePlatforms,
) -> None:
    case = next(c for c in CASES if c.name == "discord interaction follow-up")
    reply = replace(case.reply, context={**case.reply.context, "interaction_token": "dead-token"})
    fake.expire_interaction("dead-token")
    before = len(fake.replies("discord"))
    sender(fake, "discord").send(reply, credential("discord"))
    paths = [c.path for c in fake.replies("discord")[before:]]
    assert paths[0] == "/webhooks/1200000000000000001/dead-token"
    assert paths[1] == "/users/@me/channels" and paths[2].startswith("/channels/")


# How each platform's refusals read: rate limits keep the platform's retry time (TikTok gives none).
NEW = ("x", "slack", "discord", "youtube", "reddit", "telegram", "twitch", "zendesk", "mastodon", "wordpress")
NEW += ("bluesky", "trustpilot", "google", "tiktok")
CLOSED_AS_FORBIDDEN = ("x", "twitch", "mastodon", "trustpilot", "google")  # they refuse with a 403
KINDS = {
    "rate_limited": dict.fromkeys(NEW, "rate_limited"),
    "deleted": dict.fromkeys(NEW, "not_found"),
    "window_closed": {p: "forbidden" if p in CLOSED_AS_FORBIDDEN else "window_closed" for p in NEW},
    "auth": dict.fromkeys(NEW, "bad_credentials"),
}
NO_RETRY_TIME = frozenset({"tiktok"})
BY_PLATFORM = {c.platform: c for c in reversed(CASES)}  # the first case of each platform
DISCORD_CHANNEL = next(c for c in CASES if c.name == "discord channel message")


@pytest.mark.parametrize(
    ("platform", "kind", "code"),
    [(p, kind, code) for kind, platforms in KINDS.items() for p, code in platforms.items()],
    ids=str,
)
def test_each_refusal_is_read_as_the_platform_means_it(
    fake: FakePlatforms, platform: str, kind: str, code: str
) -> None:
    case = DISCORD_CHANNEL if platform == "discord" else BY_PLATFORM[platform]
    fake.refuse_as(platform, kind, retry_after_s=3)
    with pytest.raises(PlatformRefused) as raised:
        sender(fake, platform).send(case.reply, credential(platform))
    extra = raised.value.extra
    assert extra["code"] == code, (extra, raised.value.detail)
    assert extra["platform"] == platform and extra["message"]
    assert extra["retryable"] is (code == "rate_limited")
    if code == "rate_limited" and platform not in NO_RETRY_TIME:
        retry_at = datetime.fromisoformat(extra["retry_at"])
        assert timedelta(seconds=1) < retry_at - datetime.now(UTC) <= timedelta(seconds=4), extra["retry_at"]
        assert "takes replies again from" in raised.value.detail
    else:
        assert "retry_at" not in extra
    assert raised.value.detail and "{" not in raised.value.detail  # a sentence, not a document


def test_youtube_quota_spent_for_the_day_waits_until_midnight_pacific(fake: FakePlatforms) -> None:
    body = {
        "error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}
    }
    fake.refuse("youtube", 403, body)
    with pytest.raises(PlatformRefused) as raised:
        sender(fake, "youtube").send(BY_PLATFORM["youtube"].reply, credential("youtube"))
    retry_at = datetime.fromisoformat(raised.value.extra["retry_at"])
    from zoneinfo import ZoneInfo

    local = retry_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (local.hour, local.minute) == (0, 0) and retry_at - datetime.now(UTC) <= timedelta(days=1)


def test_a_network_failure_is_retryable_and_names_no_token(fake: FakePlatforms) -> None:
    telegram = next(k for k in SENDERS if k.platform == "telegram")("http://127.0.0.1:9")
    with pytest.raises(PlatformRefused) as raised:
        telegram.send(BY_PLATFORM["telegram"].reply, credential("telegram"))
    assert (raised.value.extra["code"], raised.value.extra["retryable"]) == ("unreachable", True)
    assert dev_platform_token("telegram") not in raised.value.detail + str(raised.value.extra)


@pytest.mark.parametrize(
    ("platform", "thread_id", "reply_to"),
    [
        ("x", "not-a-post", None),
        ("slack", "C0123", None),
        ("reddit", "abc", "abc"),
        ("telegram", "@channel", None),
        ("zendesk", "12345/comment/1", None),
        ("google", "reviews/3", None),
        ("bluesky", "at://x", "at://x"),
        ("tiktok", "7300", None),
    ],
)
def test_a_thread_the_sender_cannot_place_is_refused_before_any_call(
    fake: FakePlatforms, platform: str, thread_id: str, reply_to: str | None
) -> None:
    before = len(fake.sent(platform))
    with pytest.raises(PlatformRefused) as raised:
        sender(fake, platform).send(
            out(platform, platform, thread_id, reply_to=reply_to, account_id="a"), credential(platform)
        )
    assert raised.value.extra["code"] == "unknown_thread"
    assert len(fake.sent(platform)) == before


@pytest.mark.parametrize(
    ("platform", "fields"),
    [("zendesk", {}), ("trustpilot", {}), ("wordpress", {}), ("bluesky", {})],
)
def test_a_credential_missing_what_the_platform_needs_says_so(
    fake: FakePlatforms, platform: str, fields: dict[str, str]
) -> None:
    case = BY_PLATFORM[platform]
    bare = Credential(platform, access_token=dev_platform_token(platform), fields=fields)
    base = None if platform in ("zendesk", "wordpress") else fake.base(platform)
    kind = next(k for k in SENDERS if k.platform == platform)
    with pytest.raises(NotConfigured):
        kind(base).send(case.reply, bare)


def test_twitch_drops_are_refusals_with_twitch_s_reason(fake: FakePlatforms) -> None:
    dropped = {
        "data": [{"message_id": "", "is_sent": False, "drop_reason": {"code": "msg_slowmode", "message": "slow"}}]
    }
    fake.refuse("twitch", 200, dropped)
    with pytest.raises(PlatformRefused) as raised:
        sender(fake, "twitch").send(BY_PLATFORM["twitch"].reply, credential("twitch"))
    assert raised.value.extra["code"] == "rate_limited" and "msg_slowmode" in raised.value.extra["message"]
