"""The poll core against the platforms' fakes answered in process (no socket): every item handed to the ingest core
once, never twice, whatever the walk; the cursor never moves past what was handed, so a poll that fails half way
loses nothing; rate-limit answers back the source off until the time the platform names, and nothing is asked of
it meanwhile; server errors back off exponentially; leases, `every`, cross-feed duplicates and backfill."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.fake_feeds import DEV_YOUTUBE_KEY
from devstack.fakes import FakePlatforms, dev_password, dev_refresh_token
from services.ingest.pollers.base import Feed, Item, Response, Scan, judge, reset_at, retry_at
from services.ingest.polling import MAX_PAGES, Cursor, advance, select_newest
from tests.pollkit import Clock, InProcess, Rig, rig

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REDDIT = {
    "acme": {"platform": "reddit", "username": "acme_brand", "inbox": False, "mentions": False, "subreddits": ["acme"]}
}
DISCORD = {"dc": {"platform": "discord", "guild": "41771983423143937", "channels": ["111"]}}
COMMENTS = "r/acme/comments"


@pytest.fixture
def fake() -> FakePlatforms:
    return FakePlatforms(listen=False)


def reddit_rig(fake: FakePlatforms, sources: dict[str, Any] | None = None) -> tuple[Rig, InProcess]:
    http = InProcess(fake)
    return rig(sources or REDDIT, {p: http.base(p) for p in ("reddit", "discord")}, http, Clock(START)), http


def comments(fake: FakePlatforms, n: int, start: datetime, step: float = 1.0, text: str = "comment") -> list[str]:
    return [fake.feeds.reddit.comment("acme", f"{text} {i}", at=start + timedelta(seconds=i * step)) for i in range(n)]


def poll(r: Rig, platform: str = "reddit", minutes: float = 1.5) -> Any:
    r.clock.advance(minutes=minutes)
    return r.service.poll(platform).sources[0]


def handed(r: Rig) -> Counter[str]:
    return Counter(r.queued.native_ids())


def test_a_new_source_takes_its_newest_page_then_only_what_is_new(fake: FakePlatforms) -> None:
    old = comments(fake, 150, START - timedelta(hours=2))
    r, _ = reddit_rig(fake)
    first = poll(r)
    assert first.outcome == "polled"
    assert set(handed(r)) == set(old[-100:])  # the newest page only; older history is for backfill
    later = comments(fake, 3, START + timedelta(minutes=5), text="new")
    r.clock.now = START + timedelta(minutes=6)
    poll(r, minutes=0)
    counts = handed(r)
    assert set(counts) == set(old[-100:]) | set(later)
    assert max(counts.values()) == 1
    poll(r)
    assert handed(r) == counts  # nothing new: nothing handed


def test_a_backlog_is_walked_down_to_the_mark_and_each_item_handed_once(fake: FakePlatforms) -> None:
    r, http = reddit_rig(fake)
    comments(fake, 1, START - timedelta(minutes=10))
    poll(r)
    backlog = comments(fake, 250, START, step=0.5)
    poll(r)
    counts = handed(r)
    assert set(backlog) <= set(counts)
    assert max(counts.values()) == 1
    assert r.cursors.cursor("acme", COMMENTS).pending is None
    assert len([q for q in http.sent if "/comments" in q.url]) == 1 + 3  # the first poll, then three pages


def test_items_that_share_the_marks_second_are_not_lost(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    at = START - timedelta(minutes=1)
    first = [fake.feeds.reddit.comment("acme", f"first {i}", at=at) for i in range(3)]
    poll(r)
    same_second = [fake.feeds.reddit.comment("acme", f"late {i}", at=at) for i in range(2)]
    poll(r)
    counts = handed(r)
    assert set(counts) == set(first) | set(same_second)
    assert max(counts.values()) == 1


def test_a_walk_longer_than_a_run_resumes_and_what_arrived_on_top_comes_next(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    comments(fake, 1, START - timedelta(hours=1))
    poll(r)
    backlog = comments(fake, 100 * MAX_PAGES + 50, START - timedelta(minutes=50), step=0.1)
    poll(r)
    cursor = r.cursors.cursor("acme", COMMENTS)
    assert cursor.pending is not None  # ten pages this run; the walk goes on next run
    arrived = comments(fake, 5, START + timedelta(minutes=30), text="meanwhile")
    poll(r)
    assert r.cursors.cursor("acme", COMMENTS).pending is None
    poll(r)
    counts = handed(r)
    assert set(backlog) | set(arrived) <= set(counts)
    assert max(counts.values()) == 1


def test_a_poll_that_fails_half_way_keeps_its_cursor_so_nothing_is_lost_or_doubled(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    comments(fake, 1, START - timedelta(hours=1))
    poll(r)
    backlog = comments(fake, 250, START - timedelta(minutes=30), step=1)
    reddit = fake.feeds.reddit
    original = reddit.answer
    calls = {"n": 0}

    def second_page_fails(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            return 503, {"message": "Service Unavailable"}, {}
        return original(*args)

    reddit.answer = second_page_fails  # type: ignore[method-assign]
    failed = poll(r)
    assert failed.outcome == "failed"
    assert failed.until == r.clock.now + timedelta(minutes=1)
    kept = r.cursors.cursor("acme", COMMENTS)
    assert kept.pending is not None  # the page handed is behind it, the one that failed ahead
    assert len(handed(r)) == 1 + 100
    r.clock.advance(minutes=1)
    poll(r)
    counts = handed(r)
    assert set(backlog) <= set(counts)
    assert max(counts.values()) == 1


def test_a_queue_outage_advances_no_cursor_and_the_page_is_handed_when_it_is_back(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    comments(fake, 1, START - timedelta(hours=1))
    poll(r)
    before = r.cursors.cursor("acme", COMMENTS)
    new = comments(fake, 3, START)
    r.queued.down = True
    report = poll(r)
    assert report.outcome == "failed"
    assert "could not be queued" in report.detail
    assert r.cursors.cursor("acme", COMMENTS) == before
    r.queued.down = False
    r.clock.advance(minutes=2)
    poll(r)
    assert Counter(n for n in r.queued.native_ids() if n in new) == dict.fromkeys(new, 1)


def test_a_cursor_that_cannot_be_saved_loses_nothing(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    comments(fake, 1, START - timedelta(hours=1))
    poll(r)
    new = comments(fake, 3, START)
    r.cursors.fail_saves_after = r.cursors.saves
    assert poll(r).outcome == "failed"
    r.cursors.fail_saves_after = None
    r.clock.advance(minutes=2)
    poll(r)
    # The page went to the queue before the save failed, and again after: its owners keep the first (same ids).
    assert set(new) <= set(handed(r))
    assert poll(r, minutes=2).feeds[0].items == 0


def test_a_429_backs_the_source_off_until_retry_after_and_nothing_is_asked_meanwhile(fake: FakePlatforms) -> None:
    r, http = reddit_rig(fake)
    comments(fake, 2, START - timedelta(minutes=5))
    fake.refuse("reddit", 429, {"message": "Too Many Requests", "error": 429}, **{"Retry-After": "120"})
    limited = poll(r)
    assert (limited.outcome, limited.until) == ("rate_limited", r.clock.now + timedelta(seconds=120))
    asked = len(http.sent)
    assert poll(r, minutes=1).outcome == "backing_off"
    assert len(http.sent) == asked
    assert not handed(r)
    r.clock.advance(seconds=59)
    assert poll(r, minutes=0).outcome == "backing_off"
    r.clock.advance(seconds=1)
    assert poll(r, minutes=0).outcome == "polled"
    assert len(handed(r)) == 2


def test_a_spent_limit_pauses_after_the_page_it_came_with(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake, {**REDDIT, "acme": {**REDDIT["acme"], "inbox": True}})
    fake.feeds.reddit.window.limit = 1
    comments(fake, 2, START - timedelta(minutes=5))
    paused = poll(r)
    assert paused.outcome == "paused"
    assert paused.until is not None and paused.until > r.clock.now
    assert [f.feed for f in paused.feeds] == ["inbox"]  # the subreddit waits for the reset
    assert poll(r, minutes=0.1).outcome == "backing_off"


def test_server_errors_back_off_exponentially_and_a_success_resets_it(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    waits = []
    for _ in range(4):
        fake.refuse("reddit", 502, {"message": "Bad Gateway"})
        report = poll(r, minutes=0)
        waits.append((report.until - r.clock.now).total_seconds())
        r.clock.now = report.until
    assert waits == [60, 120, 240, 480]
    assert poll(r, minutes=0).outcome == "polled"
    assert r.cursors.limits["acme"].failures == 0


def test_a_refused_token_that_cannot_be_refreshed_makes_the_source_unhealthy(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake)
    fake.expire("reddit")  # the development token (no refresh token) stops working
    report = poll(r)
    assert (report.outcome, report.until) == ("not_configured", r.clock.now + timedelta(minutes=15))
    assert "store a new one" in report.detail
    [seen] = r.observed
    assert (seen.source, seen.activity, seen.ok, seen.code) == ("acme", "poll", False, "token_refused")
    assert seen.fingerprint == r.credentials.current("reddit").fingerprint
    assert seen.account_id == "u/acme_brand"


def test_every_poll_tells_source_health_how_it_went(fake: FakePlatforms) -> None:
    comments(fake, 2, START - timedelta(minutes=1))
    r, _ = reddit_rig(fake)
    poll(r)
    fake.refuse("reddit", 503, {"message": "down"})
    poll(r, minutes=2)
    assert [(o.ok, o.code, o.activity) for o in r.observed] == [(True, None, "poll"), (False, "failed", "poll")]
    poll(r, minutes=0.5)  # backing off: nothing asked, nothing to tell
    assert len(r.observed) == 2


def test_a_source_another_poll_holds_is_left_alone(fake: FakePlatforms) -> None:
    r, http = reddit_rig(fake)
    r.clock.advance(minutes=1)
    assert r.cursors.claim("acme", r.clock.now, r.clock.now + timedelta(minutes=2))
    assert r.service.poll("reddit").sources[0].outcome == "busy"
    assert not http.sent


def test_every_spaces_the_polls_of_a_source(fake: FakePlatforms) -> None:
    r, http = reddit_rig(fake, {"acme": {**REDDIT["acme"], "every": "10m"}})
    assert poll(r).outcome == "polled"
    assert poll(r, minutes=5).outcome == "not_due"
    assert poll(r, minutes=5).outcome == "polled"
    assert len(http.sent) == 4  # two feeds, twice


def test_the_same_item_in_two_feeds_of_a_source_is_handed_once(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake, {"acme": {**REDDIT["acme"], "inbox": True}})
    reply = fake.feeds.reddit.comment("acme", "replying to the brand", at=START, inbox="inbox")
    poll(r)
    assert handed(r)[reply] == 1


def test_discord_walks_forward_from_its_mark_a_page_at_a_time(fake: FakePlatforms) -> None:
    r, http = reddit_rig(fake, DISCORD)
    fake.feeds.discord.limit(None, 1)
    discord = fake.feeds.discord
    first = [discord.message("111", f"m{i}", at=START - timedelta(minutes=10, seconds=-i)) for i in range(3)]
    poll(r, "discord")
    later = [discord.message("111", f"n{i}", at=START + timedelta(seconds=i)) for i in range(230)]
    poll(r, "discord")
    counts = handed(r)
    assert {n.split(":")[1] for n in counts} == set(first) | set(later)
    assert max(counts.values()) == 1
    afters = [q.url for q in http.sent if "after=" in q.url]
    assert len(afters) == 3  # 100, 100, 30
    assert r.cursors.cursor("dc", "channel:111").mark == f"{int(later[-1]):020d}"


def test_discord_rate_limit_answers_back_off_and_pause(fake: FakePlatforms) -> None:
    r, _ = reddit_rig(fake, DISCORD)
    fake.feeds.discord.limit(1, 30)
    fake.feeds.discord.message("111", "hello", at=START)
    paused = poll(r, "discord")  # the bucket's one request was spent on this page
    assert paused.outcome == "paused"
    assert len(handed(r)) == 1
    assert poll(r, "discord", minutes=0).outcome == "backing_off"
    r.clock.now = max(paused.until, r.clock.now + timedelta(minutes=1))
    limited = poll(r, "discord", minutes=0)
    assert limited.outcome == "rate_limited"  # the fake's bucket has not reset: its 429 says how long
    assert limited.until is not None and limited.until > r.clock.now


def test_backfill_hands_only_what_polling_never_did_down_to_the_date(fake: FakePlatforms) -> None:
    history = comments(fake, 180, START - timedelta(days=3), step=600)  # every 10 minutes for 30 hours
    r, _ = reddit_rig(fake)
    poll(r)
    polled = set(handed(r))
    assert len(polled) == 100
    since = START - timedelta(days=2, hours=12)
    results = r.service.backfill("reddit", since, sleep=lambda _s: None)
    counts = handed(r)
    expected = {
        name for i, name in enumerate(history) if START - timedelta(days=3) + timedelta(seconds=i * 600) >= since
    }
    assert set(counts) == polled | expected
    assert max(counts.values()) == 1
    assert sum(p.items for p in results) == len(expected - polled)
    again = r.service.backfill("reddit", since, sleep=lambda _s: None)
    assert sum(p.items for p in again) == 0
    assert handed(r) == counts


def test_backfill_waits_out_a_rate_limit_and_goes_on(fake: FakePlatforms) -> None:
    comments(fake, 5, START - timedelta(hours=5), step=60)
    r, _ = reddit_rig(fake)
    fake.refuse("reddit", 429, {"message": "Too Many Requests"}, **{"Retry-After": "42"})
    slept: list[float] = []
    results = r.service.backfill("reddit", START - timedelta(days=1), sleep=slept.append)
    assert slept == [42.0]
    assert sum(p.items for p in results) == 5


def test_reddit_signs_in_through_the_refreshing_port_once_and_again_when_the_token_is_refused(
    fake: FakePlatforms,
) -> None:
    http = InProcess(fake)
    oauth = {"client_id": "hark-dev", "client_secret": "s", "refresh_token": dev_refresh_token("reddit")}
    r = rig(REDDIT, {"reddit": http.base("reddit")}, http, Clock(START), tokens={"acme": oauth})
    comments(fake, 1, START - timedelta(minutes=1))
    poll(r)
    poll(r)
    tokens = [q for q in http.sent if q.url.endswith("/api/v1/access_token")]
    assert len(tokens) == 1
    assert b"grant_type=refresh_token" in tokens[0].body
    assert tokens[0].headers["Authorization"].startswith("Basic ")  # Reddit: the client in Basic
    assert all(
        q.headers.get("Authorization", "").startswith("Bearer reddit-access-") for q in http.sent if "/r/" in q.url
    )
    fake.expire("reddit")  # every access token dies: the next request is refused, a new one obtained
    assert poll(r).outcome == "polled"
    assert len([q for q in http.sent if q.url.endswith("/api/v1/access_token")]) == 2
    assert r.credentials.current("reddit", "acme").access_token.startswith("reddit-access-")  # stored back


def test_a_reddit_script_app_signs_in_with_its_password(fake: FakePlatforms) -> None:
    http = InProcess(fake)
    script = {
        "client_id": "hark-dev",
        "client_secret": "s",
        "username": "acme_brand",
        "password": dev_password("reddit"),
    }
    r = rig(REDDIT, {"reddit": http.base("reddit")}, http, Clock(START), tokens={"acme": script})
    comments(fake, 1, START - timedelta(minutes=1))
    assert poll(r).outcome == "polled"
    [token] = [q for q in http.sent if q.url.endswith("/api/v1/access_token")]
    assert b"grant_type=password" in token.body and b"username=acme_brand" in token.body


def test_a_source_naming_a_credential_the_secret_lacks_is_refused_not_given_another(fake: FakePlatforms) -> None:
    sources = {"acme": {**REDDIT["acme"], "credentials": "acme-reddit"}}
    r, http = reddit_rig(fake, sources)
    report = poll(r)
    assert report.outcome == "not_configured" and "acme-reddit" in report.detail
    assert not http.sent


def test_a_refresh_token_the_platform_revoked_makes_the_source_unhealthy(fake: FakePlatforms) -> None:
    http = InProcess(fake)
    oauth = {"client_id": "hark-dev", "client_secret": "s", "refresh_token": dev_refresh_token("reddit")}
    r = rig(REDDIT, {"reddit": http.base("reddit")}, http, Clock(START), tokens={"acme": oauth})
    fake.revoke("reddit")
    report = poll(r)
    assert report.outcome == "not_configured"
    [seen] = r.observed
    assert (seen.ok, seen.code, seen.fingerprint) == (
        False,
        "token_revoked",
        r.credentials.current("reddit", "acme").fingerprint,
    )


# The pure parts


def item(key: int, name: str | None = None) -> Item:
    return Item(name or f"i{key}", f"{key:04d}", {})


def test_select_newest_stops_at_the_mark_and_skips_what_the_walk_handed() -> None:
    cursor = Cursor(mark="0005", seen=("i5",), top="0009", walked=("i8",))
    fresh, reached = select_newest([item(10), item(9), item(8), item(7), item(5), item(5, "late5"), item(4)], cursor)
    assert [i.id for i in fresh] == ["i9", "i7", "late5"]
    assert reached


def test_advance_moves_the_mark_only_when_the_walk_is_done() -> None:
    feed = Feed("f", "f")
    start = Cursor(mark="0001", seen=("i1",), floor="0001")
    half, done = advance(start, feed, [item(9), item(8)], Scan([], next="p2"), False, START)
    assert (done, half.mark, half.pending, half.top, half.walked) == (False, "0001", "p2", "0009", ("i9", "i8"))
    end, done = advance(half, feed, [item(7)], Scan([], next="p3"), True, START)
    assert (done, end.mark, end.seen, end.pending, end.walked, end.taken) == (True, "0009", ("i9",), None, (), 3)


def test_rate_limit_headers_in_every_form() -> None:
    now = START
    assert retry_at({"retry-after": "30"}, now) == now + timedelta(seconds=30)
    assert retry_at({"retry-after": "Mon, 02 Mar 2026 09:05:00 GMT"}, now) == now + timedelta(minutes=5)
    assert retry_at({}, now, {"retry_after": 1.5, "global": False}) == now + timedelta(seconds=1.5)  # Discord
    assert reset_at({"x-ratelimit-reset": "53"}, now) == now + timedelta(seconds=53)  # Reddit: seconds
    epoch = int((now + timedelta(minutes=2)).timestamp())
    assert reset_at({"ratelimit-reset": str(epoch)}, now) == now + timedelta(minutes=2)  # Bluesky: Unix time
    assert reset_at({"x-ratelimit-reset-after": "0.25", "x-ratelimit-reset": "1"}, now) == now + timedelta(seconds=0.25)
    assert retry_at({"retry-after": "9999999"}, now) == now + timedelta(days=1)  # believed for a day at most
    assert retry_at({"retry-after": "soon"}, now) is None


def test_judge_reads_exhausted_403s_as_rate_limits_and_other_refusals_as_refusals() -> None:
    exhausted = judge(Response(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "60"}, b"{}"), START)
    assert exhausted.rate_limited and exhausted.until == START + timedelta(seconds=60)
    forbidden = judge(Response(403, {}, b"{}"), START)
    assert not forbidden.rate_limited and not forbidden.failure and forbidden.until == START + timedelta(minutes=15)
    assert judge(Response(500, {}, b""), START).failure
    assert judge(Response(200, {"x-ratelimit-remaining": "12"}, b"[]"), START) == judge(Response(200, {}, b""), START)


def credentials_rig(fake: FakePlatforms, sources: dict[str, Any], tokens: dict[str, Any]) -> tuple[Rig, InProcess]:
    http = InProcess(fake)
    r = rig(sources, {p: http.base(p) for p in ("youtube", "bluesky")}, http, Clock(START), tokens=tokens)
    return r, http


def test_youtube_signs_in_with_a_refresh_token_or_an_api_key(fake: FakePlatforms) -> None:
    channel = "UCacme00000000000000000A"
    fake.feeds.youtube.comment("vid00000001", "hello", channel, at=START - timedelta(minutes=1))
    sources = {"yt": {"platform": "youtube", "channel": channel}, "yt2": {"platform": "youtube", "channel": channel}}
    oauth = {"client_id": "c", "client_secret": "s", "refresh_token": dev_refresh_token("youtube")}
    r, http = credentials_rig(fake, sources, {"yt": oauth, "yt2": {"api_key": DEV_YOUTUBE_KEY}})
    r.clock.advance(minutes=6)
    outcomes = [s.outcome for s in r.service.poll("youtube").sources]
    assert outcomes == ["polled", "polled"]
    [token] = [q for q in http.sent if q.url.endswith("/token")]
    assert b"grant_type=refresh_token" in token.body and b"client_secret=s" in token.body  # Google: in the form
    threads = [q for q in http.sent if "commentThreads" in q.url]
    assert threads[0].headers["Authorization"].startswith("Bearer youtube-access-")
    assert f"key={DEV_YOUTUBE_KEY}" in threads[1].url and "Authorization" not in threads[1].headers


def test_wordpress_moderation_queue_needs_an_application_password(fake: FakePlatforms) -> None:
    fake.feeds.wordpress.comment("held for moderation", status="hold", at=START - timedelta(minutes=1))
    site = {"platform": "wordpress", "base_url": "http://fake/wordpress", "statuses": ["hold"]}
    r, _ = credentials_rig(fake, {"blog": site}, {})
    r.clock.advance(minutes=1)
    report = r.service.poll("wordpress").sources[0]
    assert report.outcome == "not_configured"
    assert "application_password" in report.detail
    editor = {"username": "hark", "application_password": "hark-dev-wordpress-token"}
    r, http = credentials_rig(fake, {"blog": site}, {"blog": editor})
    r.clock.advance(minutes=1)
    assert r.service.poll("wordpress").sources[0].outcome == "polled"
    assert [m.text for m in r.queued.mentions()] == ["held for moderation"]
    assert http.sent[0].headers["Authorization"].startswith("Basic ")


def test_bluesky_opens_one_session_and_refreshes_it_when_it_expires(fake: FakePlatforms) -> None:
    fake.feeds.bluesky.notify("mention", "@brand.example hi", at=START - timedelta(minutes=1))
    source = {"platform": "bluesky", "handle": "brand.example", "base_url": "http://fake/bluesky"}
    r, http = credentials_rig(fake, {"bsky": source}, {"bsky": {"app_password": "hark-dev-bluesky-token"}})
    poll(r, "bluesky")
    poll(r, "bluesky")
    sessions = [q for q in http.sent if q.url.endswith("createSession")]
    assert len(sessions) == 1
    assert b'"identifier":"brand.example"' in sessions[0].body  # the source's handle signs in
    fake.expire("bluesky")  # the access JWT expired on the PDS: ExpiredToken
    assert poll(r, "bluesky").outcome == "polled"
    assert len([q for q in http.sent if q.url.endswith("refreshSession")]) == 1  # refreshed, not a new session
    assert len([q for q in http.sent if q.url.endswith("createSession")]) == 1


def test_websub_notices_put_new_videos_on_the_watch_list_and_take_deleted_ones_off() -> None:
    from services.ingest.platforms.base import Notice
    from services.ingest.watch import ConfiguredChannels, VideoWatch
    from tests.pollkit import MemoryCursors, config_with

    channel = "UCacme00000000000000000A"
    config = config_with({"yt": {"platform": "youtube", "channel": channel, "watch_for": "2d"}})
    cursors = MemoryCursors()
    watch = VideoWatch(config, cursors)
    fresh = Notice("youtube", "video.published", "newVideo001", START, channel, {"published": START.isoformat()})
    renamed = Notice("youtube", "video.updated", "oldVideo001", START, channel,
                     {"published": (START - timedelta(days=30)).isoformat()})  # fmt: skip
    elsewhere = Notice("youtube", "video.published", "theirVideo1", START, "UCsomeoneelse00000000000")
    watch.notify([fresh, renamed, elsewhere, Notice("twitch", "subscription.revoked", "x", START)])
    assert {feed: c.expires_at for (_, feed), c in cursors.items.items()} == {
        "video:newVideo001": START + timedelta(days=2)
    }
    assert cursors.cursor("yt", "video:newVideo001").params == {"video": "newVideo001"}
    watch.notify([Notice("youtube", "video.deleted", "newVideo001", START, channel)])
    assert cursors.items == {}
    channels = ConfiguredChannels(config)
    assert channel in channels and "UCsomeoneelse00000000000" not in channels
    assert "UCanything" in ConfiguredChannels(config_with({}))  # no YouTube source: any channel, as before


def test_a_polled_page_is_archived_raw_so_replay_and_erasure_cover_it(fake: FakePlatforms) -> None:
    from tests.unit.test_archive_and_replay import FakeArchive

    archive = FakeArchive()
    http = InProcess(fake)
    r = rig(REDDIT, {"reddit": http.base("reddit")}, http, Clock(START), archive=archive)
    fake.feeds.reddit.comment("acme", "where is my refund", author="sam_r", at=START - timedelta(minutes=1))
    poll(r)
    [key] = archive.objects
    assert key.startswith(f"reddit/{START:%Y-%m-%d}/")
    assert archive.index == {"reddit#t2_sam_r": {key}}  # found by author, for erasure
    [first] = r.queued.envelopes
    assert first.data.archive_key == key
    stored = archive.load(key)
    assert "authorization" not in {h.lower() for h in stored.delivery.headers}  # no credential is archived
    receipt = r.ingest.replay(stored)  # `hark replay`: parsed again with the poll parser
    assert [m.id for m in receipt.mentions] == [first.data.mention.id]
    assert [e.data.mention.id for e in r.queued.envelopes] == [first.data.mention.id] * 2
    poll(r)  # nothing new: nothing archived
    assert len(archive.objects) == 1
