"""The pollers as they run in Lambda: the scheduled entry points invoked with EventBridge's event, the sources read
from a config file, the cursors in the emulator's DynamoDB table, the platforms' fakes over HTTP on 127.0.0.1, and
what they hand carried through classify and respond to the partner API. Each platform: new items become mentions,
a second poll adds none, a rate-limit answer backs the source off and nothing is asked until it ends."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.fakes import FakePlatforms
from devstack.lambda_runtime import Function
from devstack.scheduler import scheduled_event
from services.ingest import poll_bootstrap
from services.ingest.platforms.base import Notice
from services.ingest.poll_store import SOURCE_ITEM, DynamoCursors
from services.ingest.polling import Cursor, Limits
from shared.errors import Conflict
from shared.resources import POLLERS
from shared.settings import Settings
from tests.functional.conftest import Pipeline
from tests.pollkit import BASE_CONFIG

CHANNEL = "UCacme00000000000000000A"
GUILD, DC_CHANNEL = "41771983423143937", "290926798999357250"


@pytest.fixture
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms() as running:
        yield running


@pytest.fixture
def poll(pipeline: Pipeline, fake: FakePlatforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Configure sources on the fake, and give a function that runs a platform's poller as EventBridge would."""
    for platform in ("reddit", "youtube", "discord", "tiktok"):
        monkeypatch.setenv(f"HARK_API_BASE_{platform.upper()}", fake.base(platform))
    sources = {
        "acme-reddit": {"platform": "reddit", "username": "acme_brand", "subreddits": ["acme"], "every": "1s"},
        "acme-blog": {"platform": "wordpress", "base_url": fake.base("wordpress"), "every": "1s"},
        "acme-yt": {"platform": "youtube", "channel": CHANNEL, "every": "1s"},
        "acme-bsky": {
            "platform": "bluesky",
            "handle": "brand.example",
            "base_url": fake.base("bluesky"),
            "every": "1s",
        },
        "acme-discord": {"platform": "discord", "guild": GUILD, "channels": [DC_CHANNEL], "every": "1s"},
        "acme-tiktok": {"platform": "tiktok", "business_id": "biz-acme", "recent_videos": 5, "every": "1s"},
    }
    config = tmp_path / "hark.json"
    config.write_text(json.dumps({**BASE_CONFIG, "sources": sources}))
    monkeypatch.setenv("HARK_CONFIG", str(config))
    poll_bootstrap.root.override(None)
    functions = {spec.key.removeprefix("ingest-poll-"): Function(spec) for spec in POLLERS}

    def run(platform: str) -> dict[str, Any]:
        function = functions[platform]
        report: dict[str, Any] = function.invoke(scheduled_event(function.name, datetime.now(UTC)))
        [source] = report["sources"]
        return dict(source)

    yield run
    poll_bootstrap.root.override(None)


def heard(pipeline: Pipeline, platform: str) -> list[dict[str, Any]]:
    """Every mention of the platform the partner API shows, all pages."""
    pipeline.flow()
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        response = pipeline.get(f"/v1/mentions?platform={platform}&limit=100" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = page["next_cursor"]


def queued(pipeline: Pipeline) -> list[str]:
    """The native ids of the mentions on the classify queue, taken off it (classifying 150 would only be slow)."""
    sqs = pipeline.aws.client("sqs")
    url = pipeline.aws.queue_urls["classify"]
    names: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return names
        for message in messages:
            names.append(json.loads(message["Body"])["data"]["mention"]["native_id"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def seed(fake: FakePlatforms, platform: str) -> set[str]:
    """Two things people said to the brand on `platform` (and things that are not messages): their native ids."""
    feeds = fake.feeds
    if platform == "reddit":
        return {
            feeds.reddit.comment("acme", "My order never arrived"),
            feeds.reddit.post("acme", "Refund?", "Three weeks and counting"),
        }
    if platform == "wordpress":
        return {str(feeds.wordpress.comment("Is there a size chart?")), str(feeds.wordpress.comment("Thanks!", post=2))}
    if platform == "youtube":
        thread = feeds.youtube.comment("vid00000001", "Does it come in blue?", CHANNEL)
        return {thread, feeds.youtube.comment("vid00000001", "+1 for blue", CHANNEL, reply_to=thread)}
    if platform == "bluesky":
        feeds.bluesky.notify("like", "")
        return {feeds.bluesky.notify("mention", "@brand.example app crashes"), feeds.bluesky.notify("reply", "same")}
    if platform == "discord":
        feeds.discord.message(DC_CHANNEL, "beep", bot=True)
        return {f"{DC_CHANNEL}:{feeds.discord.message(DC_CHANNEL, text)}" for text in ("login broken", "me too")}
    feeds.tiktok.video("biz-acme", "7340000000000000001")
    first = feeds.tiktok.comment("7340000000000000001", "what shade is this?")
    return {first, feeds.tiktok.comment("7340000000000000001", "Dune 03!", owner=True, reply_to=first)}


PLATFORMS = ("reddit", "wordpress", "youtube", "bluesky", "discord", "tiktok")
LIMITED: dict[str, tuple[int, Any, dict[str, str]]] = {
    "reddit": (429, {"message": "Too Many Requests", "error": 429}, {"Retry-After": "30"}),
    "wordpress": (429, {"code": "too_many_requests", "message": "Slow down"}, {"Retry-After": "30"}),
    "youtube": (403, {"error": {"code": 403, "errors": [{"reason": "rateLimitExceeded"}]}}, {}),
    "bluesky": (429, {"error": "RateLimitExceeded"}, {"RateLimit-Remaining": "0", "RateLimit-Reset": "{reset}"}),
    "discord": (429, {"message": "You are being rate limited.", "retry_after": 30.0, "global": False}, {}),
    "tiktok": (200, {"code": 40100, "message": "Too many requests", "data": {}}, {}),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_poller_hears_what_is_new_once_and_backs_off_on_a_rate_limit(
    platform: str, pipeline: Pipeline, fake: FakePlatforms, poll: Any
) -> None:
    said = seed(fake, platform)
    report = poll(platform)
    assert report["outcome"] == "polled", report
    mentions = heard(pipeline, platform)
    assert {m["native_id"] for m in mentions} == said
    assert all(m["classification"] is not None for m in mentions)

    assert poll(platform)["outcome"] == "polled"
    assert len(heard(pipeline, platform)) == 2  # nothing twice

    status, body, headers = LIMITED[platform]
    headers = {k: v.format(reset=int(time.time()) + 30) for k, v in headers.items()}
    fake.refuse(platform, status, body, **headers)
    limited = poll(platform)
    assert limited["outcome"] == "rate_limited", limited
    until = datetime.fromisoformat(limited["until"])
    assert timedelta(seconds=25) < until - datetime.now(UTC) < timedelta(minutes=2)
    asked = len(fake.sent(platform))
    assert poll(platform)["outcome"] == "backing_off"
    assert len(fake.sent(platform)) == asked  # nothing asked of the platform while it backs off


def test_a_walk_cut_short_by_a_spent_limit_resumes_and_hands_each_item_once(
    pipeline: Pipeline, fake: FakePlatforms, poll: Any
) -> None:
    fake.feeds.reddit.comment("acme", "before", at=datetime.now(UTC) - timedelta(hours=1))
    poll("reddit")
    start = datetime.now(UTC) - timedelta(minutes=30)
    backlog = {fake.feeds.reddit.comment("acme", f"backlog {i}", at=start + timedelta(seconds=i)) for i in range(150)}
    fake.feeds.reddit.window.limit, fake.feeds.reddit.window.seconds = 3, 1.5  # inbox, mentions, one page
    paused = poll("reddit")
    assert paused["outcome"] == "paused", paused
    cursor = DynamoCursors(Settings.from_env(pipeline.aws.env)).load("acme-reddit").cursors["r/acme/comments"]
    assert cursor.pending is not None  # half way: the next page is where the next run starts
    time.sleep(1.6)  # the fake's window resets; the source's pause ends with it
    assert poll("reddit")["outcome"] in ("polled", "paused")
    time.sleep(1.6)
    poll("reddit")
    names = queued(pipeline)
    assert backlog <= set(names)
    assert len(names) == len(set(names)) == 151


def test_cursors_in_dynamodb_hold_leases_and_refuse_a_stale_write(pipeline: Pipeline) -> None:
    cursors = DynamoCursors(Settings.from_env(pipeline.aws.env))
    now = datetime.now(UTC).replace(microsecond=0)
    assert cursors.claim("s1", now, now + timedelta(minutes=2))
    assert not cursors.claim("s1", now + timedelta(seconds=30), now + timedelta(minutes=3))
    assert cursors.claim("s1", now + timedelta(minutes=5), now + timedelta(minutes=7))  # the lease ran out
    cursors.finish("s1", Limits(until=now + timedelta(minutes=1), failures=2, reason="429", recent=("a", "b")))
    assert cursors.claim("s1", now, now + timedelta(minutes=2))  # finishing released it
    saved = cursors.save("s1", "inbox", Cursor(mark="k1", seen=("a",), walked=("x",)))
    assert saved.version == 1
    cursors.save("s1", "inbox", saved)
    with pytest.raises(Conflict):
        cursors.save("s1", "inbox", saved)  # read at version 1, written at 2 meanwhile
    state = cursors.load("s1")
    assert set(state.cursors) == {"inbox"}
    assert (state.cursors["inbox"].mark, state.cursors["inbox"].seen, state.cursors["inbox"].version) == (
        "k1",
        ("a",),
        2,
    )
    assert (state.limits.failures, state.limits.reason, state.limits.recent) == (2, "429", ("a", "b"))
    items = pipeline.aws.scan("poll-cursors")
    assert {i["feed"]["S"] for i in items} == {"inbox", SOURCE_ITEM}


def test_a_youtube_video_announced_by_websub_is_polled_on_its_own_until_its_watch_ends(
    pipeline: Pipeline, fake: FakePlatforms, poll: Any
) -> None:
    from services.ingest import bootstrap

    ingest = bootstrap.root.get()
    published = datetime.now(UTC) - timedelta(hours=1)
    notice = Notice(
        "youtube", "video.published", "vidNEW00001", published, CHANNEL, {"published": published.isoformat()}
    )
    ingest.service._notices.notify([notice])  # what the WebSub connector's notice does through the ingest core
    ingest.service._notices.notify(
        [Notice("youtube", "video.published", "vidOTHER001", published, "UCsomeoneelse00000000000")]
    )
    fake.feeds.youtube.comment("vidNEW00001", "first!", "UCanotherchannel00000000")  # not on the brand's channel list
    report = poll("youtube")
    assert [f["feed"] for f in report["feeds"]] == ["channel", "video:vidNEW00001"]
    assert [f["items"] for f in report["feeds"]] == [0, 1]
    cursor = DynamoCursors(Settings.from_env(pipeline.aws.env)).load("acme-yt").cursors["video:vidNEW00001"]
    assert cursor.expires_at is not None
    assert abs(cursor.expires_at - (published + timedelta(days=7))) < timedelta(seconds=1)
    ingest.service._notices.notify([Notice("youtube", "video.deleted", "vidNEW00001", datetime.now(UTC), CHANNEL)])
    assert [f["feed"] for f in poll("youtube")["feeds"]] == ["channel"]


def test_sources_that_cannot_sign_in_are_reported_and_left_for_a_quarter_hour(
    pipeline: Pipeline, fake: FakePlatforms, poll: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.expire("discord")  # the bot token stops working, and a bot token cannot be refreshed
    report = poll("discord")
    assert report["outcome"] == "not_configured"
    assert "store a new one" in report["detail"]
    fake.accept("discord", access_token="the-real-bot-token")
    monkeypatch.setenv("HARK_TOKENS", json.dumps({"acme-discord": "the-real-bot-token"}))
    from services.ingest import bootstrap

    bootstrap.root.override(None)
    poll_bootstrap.root.override(None)
    assert poll("discord")["outcome"] == "backing_off"  # the back-off is kept with the source, not the process
