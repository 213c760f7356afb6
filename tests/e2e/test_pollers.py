"""The pollers' "done when", over real HTTP: `hark up` in its own process with sources in its config pointing at
the platforms' fakes (run by this test on a free 127.0.0.1 port), its scheduler running the pollers every second;
what the fakes are seeded with appears through the partner API exactly once; a 429 backs the source off for the
time it names, with no request meanwhile; a YouTube video announced over WebSub has its comments polled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.fakes import FakePlatforms
from devstack.signing import hub_headers
from shared.settings import dev_platform_secret
from tests.e2e.test_local_stack import Stack, start_stack, stop_stack
from tests.pollkit import BASE_CONFIG

pytestmark = pytest.mark.e2e

GUILD, CHANNEL = "41771983423143937", "290926798999357250"
YT_CHANNEL = "UCacme00000000000000000A"


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, FakePlatforms]]:
    config = tmp_path_factory.mktemp("pollers") / "hark.json"
    sources = {
        "acme-discord": {"platform": "discord", "guild": GUILD, "channels": [CHANNEL], "every": "1s"},
        "acme-reddit": {"platform": "reddit", "username": "acme_brand", "inbox": False, "mentions": False,
                        "subreddits": ["acme"], "every": "1s"},
        "acme-yt": {"platform": "youtube", "channel": YT_CHANNEL, "all_threads": False, "every": "1s"},
    }  # fmt: skip
    config.write_text(json.dumps({**BASE_CONFIG, "sources": sources}))
    with FakePlatforms() as fake:
        fake.feeds.discord.limit(None, 1)
        for text in ("my order never came", "the app logs me out", "still waiting on support"):
            fake.feeds.discord.message(CHANNEL, text)
        fake.feeds.discord.message(CHANNEL, "level up!", bot=True)  # another app's bot: not a mention
        fake.feeds.reddit.comment("acme", "is the spring sale on?")
        stack = start_stack(
            {
                "HARK_CONFIG": str(config),
                **{
                    f"HARK_API_BASE_{p.upper()}": fake.base(p)
                    for p in ("discord", "reddit", "youtube", "github", "meta")
                },
                "HARK_SCHEDULE_SECONDS": "3600",  # the SLA sweep and the spike detector stay out of the way
                **{f"HARK_SCHEDULE_SECONDS_INGEST_POLL_{p}": "1" for p in ("DISCORD", "REDDIT", "YOUTUBE")},
            }
        )
        try:
            yield stack, fake
        finally:
            stop_stack(stack)


def mentions(stack: Stack, platform: str) -> list[dict[str, Any]]:
    return list(stack.get(f"/v1/mentions?platform={platform}&limit=100")["items"])


def texts_once(stack: Stack, platform: str, expected: set[str], timeout: float = 30) -> list[str]:
    texts = stack.wait_for(
        lambda: (t := [m["text"] for m in mentions(stack, platform)]) and expected <= set(t) and t, timeout=timeout
    )
    return list(texts)


def test_seeded_messages_appear_once_each_and_new_ones_follow(polled: tuple[Stack, FakePlatforms]) -> None:
    stack, fake = polled
    first = {"my order never came", "the app logs me out", "still waiting on support"}
    texts = texts_once(stack, "discord", first)
    assert sorted(texts) == sorted(first)
    assert texts_once(stack, "reddit", {"is the spring sale on?"}) == ["is the spring sale on?"]

    fake.feeds.discord.message(CHANNEL, "any update?")
    texts = texts_once(stack, "discord", first | {"any update?"})
    time.sleep(3)  # three more polls: nothing is heard twice
    assert sorted(m["text"] for m in mentions(stack, "discord")) == sorted(first | {"any update?"})
    assert len(fake.sent("discord")) >= 5


def test_a_429_backs_the_source_off_for_the_time_it_names(polled: tuple[Stack, FakePlatforms]) -> None:
    stack, fake = polled
    texts_once(stack, "discord", {"my order never came"})
    fake.refuse(
        "discord", 429, {"message": "You are being rate limited.", "retry_after": 4.0, "global": False},
        **{"Retry-After": "4", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "4.0"},
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while not any(r.path.endswith("/messages") for r in fake.sent("discord") if _refused_at(fake, r)):
        assert time.monotonic() < deadline, "the poller did not ask Discord again"
        time.sleep(0.2)
    limited_at = _last_429(fake)
    fake.feeds.discord.message(CHANNEL, "after the limit")
    texts_once(stack, "discord", {"after the limit"}, timeout=20)
    after = [r.at for r in fake.sent("discord") if r.at > limited_at]
    assert after, "the poller never came back"
    assert after[0] - limited_at >= 3.5  # nothing asked while the back-off lasted (4 s, less the clock's slack)
    assert [m["text"] for m in mentions(stack, "discord")].count("after the limit") == 1


def test_a_video_announced_over_websub_has_its_comments_polled(polled: tuple[Stack, FakePlatforms]) -> None:
    stack, fake = polled
    topic = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={YT_CHANNEL}"
    verify = requests.get(
        f"{stack.url}/webhooks/youtube",
        params={"hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "c-1", "hub.lease_seconds": "86400"},
        timeout=10,
    )
    assert (verify.status_code, verify.text) == (200, "c-1")
    other = topic.replace(YT_CHANNEL, "UCsomeoneelse0000000000Z")
    refused = requests.get(
        f"{stack.url}/webhooks/youtube",
        params={"hub.mode": "subscribe", "hub.topic": other, "hub.challenge": "c-2", "hub.lease_seconds": "86400"},
        timeout=10,
    )
    assert refused.status_code == 404  # Hark did not ask to follow that channel
    fake.feeds.youtube.comment("newVideo001", "Love the new colour", YT_CHANNEL)
    body = atom("newVideo001").encode()
    sent = requests.post(
        f"{stack.url}/webhooks/youtube",
        data=body,
        headers=hub_headers(body, dev_platform_secret("youtube")),
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    assert texts_once(stack, "youtube", {"Love the new colour"}) == ["Love the new colour"]


def atom(video: str) -> str:
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">
  <title>YouTube video feed</title>
  <entry>
    <id>yt:video:{video}</id>
    <yt:videoId>{video}</yt:videoId>
    <yt:channelId>{YT_CHANNEL}</yt:channelId>
    <title>Spring colours</title>
    <link rel="alternate" href="https://www.youtube.com/watch?v={video}"/>
    <published>{now}</published>
    <updated>{now}</updated>
  </entry>
</feed>"""


def _last_429(fake: FakePlatforms) -> float:
    return max(r.at for r in fake.sent("discord") if _refused_at(fake, r))


def _refused_at(fake: FakePlatforms, record: Any) -> bool:
    return record in fake.refused
