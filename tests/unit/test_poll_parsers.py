"""Each poller's pure parts over real and documented answers: what a page holds (ids, sort keys, the next page's
token), and what the ingest core makes of the polled page built from it, mention by mention, field by field (the
same `EXPECTED` tables the connectors have, `tests/connectors.py`). Also: requests as each API wants them, the
platforms' own error answers, and pages with items no parser can read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.ingest.pollers import POLLERS
from services.ingest.pollers.base import POLLED_TYPE, Feed, Response, polled_delivery, read_page
from shared.config import validate
from tests.connectors import expected_outcome, outcome_of
from tests.pollkit import BASE_CONFIG

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
FETCHED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BRAND_CTX = {"account_id": "u/acme_brand", "brand": "acme_brand"}


def comment(
    native: str, thread: str, parent: str | None, account: str, author: dict[str, str], text: str, at: str, **more: Any
) -> dict[str, Any]:
    return {
        "channel": more.pop("channel", "reddit.comment"),
        "kind": more.pop("kind", "comment"),
        "native_id": native,
        "thread_id": thread,
        "parent_id": parent,
        "account_id": account,
        "author": author,
        "from_brand": more.pop("from_brand", False),
        "text": text,
        "created_at": at,
        **more,
    }


SPAZ = {"id": "t2_3ebyblla", "handle": "Lil_SpazBot"}
REMOVAL = (
    "Hello /u/<USERNAME>,\n\nYour [submission](https://redd.it/{post}) was removed from /r/BetterEverLoop for the "
    "following reason:\n\n- You did not provide a valid explanation on why you feel this gets better with every loop "
    "within 30 minutes of posting.\n\n---\n\n^^If ^^you ^^have ^^any ^^questions, ^^comments, ^^or ^^concerns, "
    "^^don't ^^hesitate ^^to [^^contact ^^the ^^mods](https://www.reddit.com/message/compose?to=%2Fr%2FBetterEveryLoop"
    "&subject=Question+about+my+submission+that+was+removed+by+u%2F2Botter2Loop&message=Hello%2C%0A%0A%5BMy+submission"
    "%5D%28https%3A%2F%2Fredd.it%2F{post}%29+%3CMESSAGE+GOES+HERE%3E) ^^about ^^your ^^submission ^^removal."
)
BOTTER = {"id": "t2_3efd9zdo", "handle": "2Botter2Loop"}
YT = "UCacme00000000000000000A"
THREAD = "UgzKp3Xq0aBcDeFgH4AaABAg"
DC_CHANNEL, DC_GUILD, DC_BOT = "290926798999357250", "290926798626357248", "1099988877766655544"

# (platform, file): (feed, context, expected page ids and next token, expected outcome)
EXPECTED: dict[tuple[str, str], tuple[Feed, dict[str, Any], tuple[list[str], str | None], Any]] = {
    ("reddit", "praw__message_comments.first3.json"): (
        Feed("inbox", "inbox"),
        {"account_id": "u/Lil_SpazJoekp", "brand": "Lil_SpazJoekp"},
        (["t1_mynqwvd", "t1_mynqw2i", "t1_mynqvbt"], "t1_mynm218"),
        [
            comment(
                f"t1_{c}",
                "t3_1j7g9uj",
                "t1_myngt77",
                "u/Lil_SpazJoekp",
                SPAZ,
                "Comment Body",
                at,
                url=f"https://www.reddit.com/r/Lil_SpazJoekp/comments/1j7g9uj/test_post_pls_ignore/{c}/",
            )
            for c, at in (
                ("mynqwvd", "2025-06-19T16:46:59Z"),
                ("mynqw2i", "2025-06-19T16:46:52Z"),
                ("mynqvbt", "2025-06-19T16:46:46Z"),
            )
        ],
    ),
    ("reddit", "praw__message_mentions.first3.json"): (
        Feed("mentions", "mentions"),
        BRAND_CTX,
        (["t1_ekftbox", "t1_ekftage", "t1_ekft9ad"], "t1_ekfncs9"),
        [
            comment(
                f"t1_{c}",
                f"t3_{post}",
                f"t3_{post}",
                "u/acme_brand",
                BOTTER,
                REMOVAL.format(post=short),
                at,
                url=f"https://www.reddit.com/r/RemovedByBotter/comments/{post}/{slug}/{c}/",
            )
            for c, post, short, slug, at in (
                (
                    "ekftbox",
                    "bb24k7",
                    "bb1sep",
                    "just_a_normal_girl_going_for_her_10th_class_exam",
                    "2019-04-09T01:45:08Z",
                ),
                ("ekftage", "bb24fw", "bb1sef", "slowly_slowly_bonk_ok_nvm", "2019-04-09T01:44:45Z"),
                ("ekft9ad", "bb24a6", "bb1se3", "cthulus_favorite_pet", "2019-04-09T01:44:21Z"),
            )
        ],
    ),
    ("reddit", "praw__r_sub_comments.first3.json"): (
        Feed("r/coins/comments", "comments", {"subreddits": "coins"}),
        BRAND_CTX,
        (["t1_dbhn11d", "t1_dbhn11c", "t1_dbhn11b"], "t1_dbhn0yk"),
        [
            comment(
                "t1_dbhn11d",
                "t3_5jffj1",
                "t3_5jffj1",
                "r/coins",
                {"id": "Mametaro", "handle": "Mametaro"},
                "1979 (Showa 54) 10 Yen (bronze) plain edge.  120,700,000 were minted that year. The back of the coin "
                "features the Phoenix Hall of  Byodo-in Temple in Kyoto.\n\nIn case you want to know more: "
                "http://www.mint.go.jp/eng/kids-eng/eng_kids_circulating_c.html",
                "2016-12-22T02:17:20Z",
                url="https://www.reddit.com/r/coins/comments/5jffj1/_/dbhn11d/",
            ),
            comment(
                "t1_dbhn11c",
                "t3_5jfjzu",
                "t1_dbhl9sx",
                "r/popping",
                {"id": "Dorkchopqueen", "handle": "Dorkchopqueen"},
                "I was wondering why it made me feel like crap the first 2 days i was taking it. Also wondered why it "
                "specified plenty if water!\n\nI worked the past 2 days and my job requires a lot of movement  and oh "
                "boy, was it sore last night and this a.m.  Took 1/4 of an oxy this morning at work, threw up, got a "
                "different pain rx and have had terrible acid reflux all day.",
                "2016-12-22T02:17:20Z",
                url="https://www.reddit.com/r/popping/comments/5jfjzu/_/dbhn11c/",
            ),
            comment(
                "t1_dbhn11b",
                "t3_5jk38e",
                "t3_5jk38e",
                "r/news",
                {"id": "kryost", "handle": "kryost"},
                "I'd like join the armchair economists in this thread and comment that  the obvious contributing "
                "factor is that people are getting married later in combination with the fact there are is "
                "complete shortage of urban apartment/studios type living in many major cities. \n\nThis leads "
                "everyone to save money and live with their parents. Why wouldn't you if it saves you $10K a year "
                "on rent if there is an extra unused bedroom.",
                "2016-12-22T02:17:20Z",
                url="https://www.reddit.com/r/news/comments/5jk38e/_/dbhn11b/",
            ),
        ],
    ),
    ("reddit", "synthetic__poll-inbox-messages.json"): (
        Feed("inbox", "inbox"),
        BRAND_CTX,
        (["t4_2hx8k1a", "t4_2hx8jz0", "t1_ofq2k2c", "t1_ofq2a1b"], None),
        {
            "mentions": [
                comment(
                    "t4_2hx8k1a",
                    "t4_2hx8jz0",
                    "t4_2hx8jz0",
                    "u/acme_brand",
                    {"id": "t2_9k3jd", "handle": "jordan_t"},
                    "Still nothing. Can someone call me?",
                    "2026-03-02T08:00:00Z",
                    channel="reddit.message",
                    kind="message",
                ),
                comment(
                    "t4_2hx8jz0",
                    "t4_2hx8jz0",
                    None,
                    "u/acme_brand",
                    {"id": "t2_9k3jd", "handle": "jordan_t"},
                    "My order 4471 never arrived.",
                    "2026-03-02T07:00:00Z",
                    channel="reddit.message",
                    kind="message",
                ),
                comment(
                    "t1_ofq2a1b",
                    "t3_1r2ab3c",
                    "t3_1r2ab3c",
                    "u/acme_brand",
                    {"id": "t2_1abcd", "handle": "sam_rivera"},
                    "Thanks, that fixed it!",
                    "2026-03-02T05:00:00Z",
                    url="https://www.reddit.com/r/acme/comments/1r2ab3c/shipping_times/ofq2a1b/",
                    edited_at="2026-03-02T05:01:40.500000Z",
                ),
            ],
            "ignored": 1,  # the deleted reply
        },
    ),
    ("reddit", "synthetic__poll-r-sub-new.json"): (
        Feed("r/acme/new", "posts", {"subreddits": "acme"}),
        BRAND_CTX,
        (["t3_1r2ab3c", "t3_1r2aa00", "t3_1r2a9zz"], "t3_1r2a9zz"),
        {
            "mentions": [
                comment(
                    "t3_1r2ab3c",
                    "t3_1r2ab3c",
                    None,
                    "r/acme",
                    {"id": "t2_1abcd", "handle": "sam_rivera"},
                    "Shipping times to Canada?\n\nOrdered last week, tracking hasn't moved. Normal?",
                    "2026-03-02T04:00:00Z",
                    channel="reddit.post",
                    kind="post",
                    url="https://www.reddit.com/r/acme/comments/1r2ab3c/shipping_times_to_canada/",
                ),
                comment(
                    "t3_1r2aa00",
                    "t3_1r2aa00",
                    None,
                    "r/acme",
                    {"id": "t2_brand1", "handle": "acme_brand"},
                    "Spring release notes",
                    "2026-03-02T03:00:00Z",
                    channel="reddit.post",
                    kind="post",
                    from_brand=True,
                    url="https://www.reddit.com/r/acme/comments/1r2aa00/spring_release_notes/",
                ),
            ],
            "ignored": 1,  # the removed post
        },
    ),
    ("wordpress", "synthetic__poll-comments-page.json"): (
        Feed("comments", "comments", {"status": "approve"}),
        {"account_id": "blog.acme.example", "brand_ids": ["3"]},
        (["431", "430", "429"], None),
        {
            "mentions": [
                comment(
                    "431",
                    "post:88",
                    "430",
                    "blog.acme.example",
                    {"id": "3", "name": "Acme Support"},
                    "Hi Lena, the size chart is here.",
                    "2026-03-02T09:15:00Z",
                    channel="wordpress.comment",
                    from_brand=True,
                    url="https://blog.acme.example/2026/03/fit-guide/#comment-431",
                ),
                comment(
                    "430",
                    "post:88",
                    "post:88",
                    "blog.acme.example",
                    {"id": "guest:Lena", "name": "Lena"},
                    "Do these run small?\nI\u2019m usually an M & a 38.",
                    "2026-03-02T09:02:11Z",
                    channel="wordpress.comment",
                    url="https://blog.acme.example/2026/03/fit-guide/#comment-430",
                ),
            ],
            "ignored": 1,  # the pingback
        },
    ),
    ("youtube", "synthetic__poll-comment-threads.json"): (
        Feed("channel", "channel", {"channel": YT}),
        {"account_id": YT},
        ([THREAD, f"{THREAD}.9zReply0002", f"{THREAD}.9zReply0001", "UgwOlder000000000000004AaABAg"], "QURTSl9pMk"),
        [
            comment(
                THREAD,
                THREAD,
                None,
                YT,
                {"id": "UCmaria0000000000000000B", "handle": "@mariak"},
                "The strap broke after two days. Is this covered?",
                "2026-03-02T08:30:00Z",
                channel="youtube.comment",
                url=f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={THREAD}",
                edited_at="2026-03-02T08:31:10Z",
            ),
            comment(
                f"{THREAD}.9zReply0002",
                THREAD,
                THREAD,
                YT,
                {"id": YT, "handle": "@acme"},
                "Yes! Send us your order number and we'll replace it.",
                "2026-03-02T09:05:00Z",
                channel="youtube.comment",
                from_brand=True,
                url=f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={THREAD}.9zReply0002",
            ),
            comment(
                f"{THREAD}.9zReply0001",
                THREAD,
                THREAD,
                YT,
                {"id": "UCtom00000000000000000C", "handle": "@tomh"},
                "same here",
                "2026-03-02T08:45:00Z",  # no textOriginal: textDisplay
                channel="youtube.comment",
                url=f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc={THREAD}.9zReply0001",
            ),
            comment(
                "UgwOlder000000000000004AaABAg",
                "UgwOlder000000000000004AaABAg",
                None,
                YT,
                {"id": "UCliwei000000000000000D", "handle": "@li.wei"},
                "Great review, thanks",
                "2026-03-01T20:00:00Z",
                channel="youtube.comment",
                url="https://www.youtube.com/watch?v=oHg5SJYRHA0&lc=UgwOlder000000000000004AaABAg",
            ),
        ],
    ),
    ("bluesky", "synthetic__poll-list-notifications.json"): (
        Feed("notifications", "notifications", {"reasons": "mention,reply,quote"}),
        {"account_id": "acme.example"},
        (
            [
                "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lkqrnzx2p22c",
                "at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3lkqq4mm3ft2d",
                "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lkqp2aa1bc2e",
            ],
            "2026-03-02T08:00:00.000Z",
        ),
        [
            comment(
                "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lkqrnzx2p22c",
                "at://did:plc:brand/app.bsky.feed.post/3lkqbrand000",
                "at://did:plc:brand/app.bsky.feed.post/3lkqbrand001",
                "acme.example",
                {"id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle": "ana.bsky.social", "name": "Ana"},
                "Mine arrived broken too. Who do I talk to?",
                "2026-03-02T09:10:00Z",
                channel="bluesky.reply",
                url="https://bsky.app/profile/ana.bsky.social/post/3lkqrnzx2p22c",
            ),
            comment(
                "at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3lkqq4mm3ft2d",
                "at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3lkqq4mm3ft2d",
                None,
                "acme.example",
                {"id": "did:plc:vwzwgnygau7ed7b7wt5ux7y2", "handle": "ravi.bsky.social"},
                "@acme.example does the app work offline?",
                "2026-03-02T08:40:00Z",
                channel="bluesky.mention",
                kind="post",
                url="https://bsky.app/profile/ravi.bsky.social/post/3lkqq4mm3ft2d",
            ),
            comment(
                "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lkqp2aa1bc2e",
                "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lkqp2aa1bc2e",
                None,
                "acme.example",
                {"id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle": "ana.bsky.social", "name": "Ana"},
                "This, but for Android please",
                "2026-03-02T08:00:00Z",
                channel="bluesky.quote",
                kind="post",
                url="https://bsky.app/profile/ana.bsky.social/post/3lkqp2aa1bc2e",
            ),
        ],
    ),
    ("discord", "synthetic__poll-channel-messages.json"): (
        Feed(f"channel:{DC_CHANNEL}", "channel", {"channel": DC_CHANNEL}, newest_first=False),
        {"account_id": DC_GUILD, "brand_ids": [DC_BOT]},
        (
            [
                "1477958644531200001",
                "1477957386240000002",
                "1477956631265280003",
                "1477956379607040004",
                "1477955121315840007",
                "1477954869657600005",
                "1477953611366400006",
            ],
            None,
        ),
        {
            "mentions": [
                comment(
                    f"{DC_CHANNEL}:1477958644531200001",
                    f"{DC_CHANNEL}:1477955624632320021",  # the reply it replies to is itself a reply: its parent leads
                    f"{DC_CHANNEL}:1477956127948800020",
                    DC_GUILD,
                    {"id": "53908099506183681", "handle": "kit", "name": "Kit"},
                    "same problem, order 8812",
                    "2026-03-02T09:20:00Z",
                    channel="discord.message",
                    kind="message",
                    url=f"https://discord.com/channels/{DC_GUILD}/{DC_CHANNEL}/1477958644531200001",
                ),
                comment(
                    f"{DC_CHANNEL}:1477957386240000002",
                    f"{DC_CHANNEL}:1477957386240000002",
                    None,
                    DC_GUILD,
                    {"id": DC_BOT, "handle": "AcmeBot"},
                    "Thanks for the patience, everyone: a fix ships today.",
                    "2026-03-02T09:15:00Z",
                    channel="discord.message",
                    kind="message",
                    from_brand=True,
                    url=f"https://discord.com/channels/{DC_GUILD}/{DC_CHANNEL}/1477957386240000002",
                    edited_at="2026-03-02T09:16:30Z",
                ),
                comment(
                    f"{DC_CHANNEL}:1477956379607040004",
                    f"{DC_CHANNEL}:1477956379607040004",
                    None,
                    DC_GUILD,
                    {"id": "53908099506183683", "handle": "rio", "name": "Rio"},
                    f"<@{DC_BOT}> login loops on iOS",
                    "2026-03-02T09:11:00Z",
                    channel="discord.message",
                    kind="message",
                    url=f"https://discord.com/channels/{DC_GUILD}/{DC_CHANNEL}/1477956379607040004",
                    attachments=[
                        {
                            "type": "image/png",
                            "url": f"https://cdn.discordapp.example/attachments/{DC_CHANNEL}/1477956379607040099/screen.png",
                        }
                    ],
                ),
            ],
            # A webhook's post, another app's bot, a join, a message without content (no Message Content intent).
            "ignored": 4,
        },
    ),
    ("tiktok", "synthetic__poll-comment-list.json"): (
        Feed("video/7340000000000000001", "video", {"video": "7340000000000000001"}),
        {"account_id": "biz-acme"},
        (["7341100000000000002", "7341100000000000009", "7341100000000000001"], "30"),
        [
            comment(
                "7341100000000000002",
                "7341100000000000002",
                None,
                "biz-acme",
                {"id": "u-6fd2", "handle": "noor.k", "name": "Noor"},
                "what shade is this?",
                "2026-03-02T09:30:00Z",
                channel="tiktok.comment",
            ),
            comment(
                "7341100000000000009",
                "7341100000000000002",
                "7341100000000000002",
                "biz-acme",
                {"id": "u-brand", "handle": "acme", "name": "Acme"},
                "It's Dune 03!",
                "2026-03-02T09:40:00Z",
                channel="tiktok.comment",
                from_brand=True,
            ),
            comment(
                "7341100000000000001",
                "7341100000000000001",
                None,
                "biz-acme",
                {"id": "u-aa31", "handle": "bo_123", "name": "Bo"},
                "shipping to NZ?",
                "2026-03-02T09:00:00Z",
                channel="tiktok.comment",
            ),
        ],
    ),
}


def page(platform: str, name: str) -> Any:
    feed, context, _, _ = EXPECTED[(platform, name)]
    poller = POLLERS[platform]
    scan = poller.scan(feed, Response(200, {}, (FOLDER / platform / name).read_bytes()), False)
    return scan, polled_delivery(platform, "acme", feed, context, scan.items, FETCHED, "https://api.example/x")


@pytest.mark.parametrize(("platform", "name"), sorted(EXPECTED), ids=str)
def test_each_page_yields_exactly_its_mentions(platform: str, name: str) -> None:
    _, _, (ids, next_page), expected = EXPECTED[(platform, name)]
    scan, delivery = page(platform, name)
    assert [i.id for i in scan.items] == ids
    assert scan.next == next_page
    parsed = POLLERS[platform].parse(delivery)
    assert outcome_of(parsed) == expected_outcome(expected)
    for mention in parsed.mentions:
        assert (mention.platform, mention.source, mention.received_at) == (platform, "platform", FETCHED)


def test_every_poller_fixture_has_an_expectation() -> None:
    """Pages the pollers read are `synthetic__poll-*` and the copied Reddit answers (`praw__*`); each is listed."""
    pages = {(p.parent.name, p.name) for p in FOLDER.glob("*/synthetic__poll-*.json")}
    pages |= {("reddit", p.name) for p in (FOLDER / "reddit").glob("praw__*.json")}
    assert pages - {("youtube", "synthetic__poll-quota-exceeded.json")} == set(EXPECTED)


def test_who_is_addressed_and_in_which_language() -> None:
    _, delivery = page("discord", "synthetic__poll-channel-messages.json")
    addressed = {m.native_id.split(":")[1]: m.addressed for m in POLLERS["discord"].parse(delivery).mentions}
    assert addressed == {"1477958644531200001": None, "1477957386240000002": None, "1477956379607040004": True}
    _, delivery = page("bluesky", "synthetic__poll-list-notifications.json")
    mentions = POLLERS["bluesky"].parse(delivery).mentions
    assert [(m.addressed, m.lang) for m in mentions] == [(True, "en"), (True, "en"), (True, None)]
    _, delivery = page("reddit", "praw__r_sub_comments.first3.json")
    assert {m.addressed for m in POLLERS["reddit"].parse(delivery).mentions} == {None}  # heard by listening
    _, delivery = page("reddit", "praw__message_mentions.first3.json")
    assert {m.addressed for m in POLLERS["reddit"].parse(delivery).mentions} == {True}


def test_a_polled_page_carries_what_its_parser_needs_and_nothing_it_does_not() -> None:
    _, delivery = page("tiktok", "synthetic__poll-comment-list.json")
    assert delivery.content_type == POLLED_TYPE
    assert delivery.request_id.startswith("poll-")
    again = page("tiktok", "synthetic__poll-comment-list.json")[1]
    assert again.request_id == delivery.request_id  # the same page is the same delivery
    read = read_page(delivery)
    assert (read.source, read.feed, read.kind, read.url) == (
        "acme",
        "video/7340000000000000001",
        "video",
        "https://api.example/x",
    )
    assert [i["comment_id"] for i in read.items] == [
        "7341100000000000002",
        "7341100000000000009",
        "7341100000000000001",
    ]
    assert all("reply_list" not in i for i in read.items)  # replies are items of their own


def test_an_unreadable_item_is_ignored_and_the_rest_of_the_page_kept() -> None:
    feed, context, _, _ = EXPECTED[("tiktok", "synthetic__poll-comment-list.json")]
    scan, _ = page("tiktok", "synthetic__poll-comment-list.json")
    broken = [*scan.items[:1], type(scan.items[0])("x", scan.items[0].key, {"comment_id": "x", "user_id": {"no": 1}})]
    delivery = polled_delivery("tiktok", "acme", feed, context, broken, FETCHED, "")
    parsed = POLLERS["tiktok"].parse(delivery)
    assert [m.native_id for m in parsed.mentions] == ["7341100000000000002"]
    assert parsed.ignored == 1


def sources(**documents: Any) -> dict[str, Any]:
    return dict(validate({**BASE_CONFIG, "sources": documents}, "test").sources)


def test_requests_are_the_ones_each_api_documents() -> None:
    s = sources(
        rd={"platform": "reddit", "username": "acme_brand", "subreddits": ["Acme", "acme_help"]},
        wp={"platform": "wordpress", "base_url": "https://blog.acme.example/", "statuses": ["approve", "hold"]},
        yt={"platform": "youtube", "channel": YT, "videos": ["dQw4w9WgXcQ"]},
        bs={"platform": "bluesky", "handle": "acme.example", "reasons": ["mention", "reply"]},
        dc={"platform": "discord", "guild": DC_GUILD, "channels": [DC_CHANNEL]},
        tt={"platform": "tiktok", "business_id": "biz-acme", "videos": ["7340000000000000001"]},
    )
    reddit = POLLERS["reddit"]
    feeds = reddit.feeds(s["rd"], [])
    assert [f.name for f in feeds] == ["inbox", "mentions", "r/Acme+acme_help/comments", "r/Acme+acme_help/new"]
    first = reddit.request(s["rd"], feeds[2], "https://oauth.reddit.com", None, None, False)
    assert first.url == "https://oauth.reddit.com/r/Acme+acme_help/comments?limit=100&raw_json=1"
    assert first.headers["User-Agent"] == "server:hark:0.1 (by /u/acme_brand)"
    assert (
        reddit.request(s["rd"], feeds[0], "B", "t1_x", None, False).url
        == "B/message/inbox?limit=100&raw_json=1&after=t1_x"
    )

    wordpress = POLLERS["wordpress"]
    wp_feeds = wordpress.feeds(s["wp"], [])
    assert [f.name for f in wp_feeds] == ["comments", "comments:hold"]
    assert wordpress.request(s["wp"], wp_feeds[1], "", "3", None, False).url == (
        "https://blog.acme.example/wp-json/wp/v2/comments?per_page=100&page=3&orderby=date_gmt&order=desc&status=hold"
    )

    youtube = POLLERS["youtube"]
    yt_feeds = youtube.feeds(
        s["yt"], [("video:abcdefghijk", {"video": "abcdefghijk"}), ("video:dQw4w9WgXcQ", {"video": "dQw4w9WgXcQ"})]
    )
    assert [f.name for f in yt_feeds] == ["channel", "videos/dQw4w9WgXcQ", "video:abcdefghijk"]
    assert youtube.request(s["yt"], yt_feeds[0], "https://www.googleapis.com", "TOK", None, False).url == (
        "https://www.googleapis.com/youtube/v3/commentThreads?part=snippet%2Creplies&maxResults=100&order=time"
        f"&textFormat=plainText&pageToken=TOK&allThreadsRelatedToChannelId={YT}"
    )

    bluesky = POLLERS["bluesky"]
    [notifications] = bluesky.feeds(s["bs"], [])
    assert bluesky.request(s["bs"], notifications, "https://pds.example", "c1", None, False).url == (
        "https://pds.example/xrpc/app.bsky.notification.listNotifications?limit=100&reasons=mention&reasons=reply&cursor=c1"
    )

    discord = POLLERS["discord"]
    [channel] = discord.feeds(s["dc"], [])
    base = "https://discord.com"
    assert (
        discord.request(s["dc"], channel, base, None, None, False).url
        == f"{base}/api/v10/channels/{DC_CHANNEL}/messages?limit=100"
    )
    assert discord.request(s["dc"], channel, base, "77", f"{55:020d}", False).url.endswith("?limit=100&after=55")
    assert discord.request(s["dc"], channel, base, None, f"{55:020d}", True).url.endswith("?limit=100&before=55")

    tiktok = POLLERS["tiktok"]
    [video] = tiktok.feeds(s["tt"], [])
    assert tiktok.request(s["tt"], video, "https://business-api.tiktok.com", "30", None, False).url == (
        "https://business-api.tiktok.com/open_api/v1.3/business/comment/list/?business_id=biz-acme"
        "&video_id=7340000000000000001&include_replies=true&sort_field=create_time&sort_order=desc&cursor=30&max_count=30"
    )


def test_platforms_own_error_answers() -> None:
    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # noon in California
    quota = Response(403, {}, (FOLDER / "youtube" / "synthetic__poll-quota-exceeded.json").read_bytes())
    verdict = POLLERS["youtube"].judge(quota, now)
    assert verdict is not None and verdict.rate_limited
    assert verdict.until == datetime(2026, 3, 3, 8, 5, tzinfo=UTC)  # just after midnight Pacific (PST, UTC-8)
    gone = Response(403, {}, orjson.dumps({"error": {"code": 403, "errors": [{"reason": "commentsDisabled"}]}}))
    refused = POLLERS["youtube"].judge(gone, now)
    assert refused is not None and not refused.rate_limited and "commentsDisabled" in refused.reason
    assert POLLERS["youtube"].judge(Response(200, {}, b"{}"), now) is None

    busy = Response(200, {}, orjson.dumps({"code": 40100, "message": "Too many requests", "data": {}}))
    limited = POLLERS["tiktok"].judge(busy, now)
    assert limited is not None and limited.rate_limited and limited.until == now + timedelta(minutes=1)
    expired = POLLERS["tiktok"].judge(Response(200, {}, orjson.dumps({"code": 40105, "message": "expired"})), now)
    assert expired is not None and not expired.ok and not expired.rate_limited
    assert POLLERS["tiktok"].judge(Response(200, {}, orjson.dumps({"code": 0, "data": {}})), now) is None


def test_discord_keys_are_snowflakes_in_time() -> None:
    discord = POLLERS["discord"]
    moment = datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    key = discord.since_key(moment)
    assert key == f"{1477958644531200001 & ~0x3FFFFF:020d}"
    assert discord.key_moment(key) == moment
