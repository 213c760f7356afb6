"""Meta (Facebook Pages, Instagram, Messenger, WhatsApp): handshake, signature, the published payloads (each with
what it must yield), batching, and the shapes Meta may send."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import meta_body, meta_headers
from services.ingest.platforms.base import Delivery, Handshake
from services.ingest.platforms.meta import Mentioned, Meta
from shared.errors import InvalidBody, InvalidQuery, InvalidSignature, NotConfigured, NotPermitted, Unavailable
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, webhook_fixture
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored, outcome

SECRETS = SecretValues(platform={"meta": "app-secret"}, meta_verify_token="verify-me")
ARRIVAL = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "meta"
meta = Meta()


def post(body: bytes, _name: str = "") -> Delivery:
    headers = {k.lower(): v for k, v in meta_headers(body, "app-secret").items()}
    return Delivery("meta", body, ARRIVAL, headers=headers)


PAGE = "1234567890321"
PAGE_COMMENT = {
    "channel": "facebook.comment",
    "kind": "comment",
    "native_id": "901097836652708_903438993085259",
    "thread_id": "901097836652708_903438993085259",  # a top-level comment starts its own thread
    "parent_id": "1234567890321_901097836652708",  # the post it is on
    "account_id": PAGE,
    "author": {"id": PAGE, "name": "Tester"},
    "from_brand": True,  # the page itself wrote it (author id == page id)
    "text": "and the next one",
    "created_at": "2015-12-03T09:30:03Z",
}
MESSENGER = {
    "channel": "messenger",
    "kind": "message",
    "native_id": "mid.1457764197618:41d102a3e1ae206a38",
    "author": {"id": "987654321432"},  # numeric ids arrive as strings
    "text": "hello, world!",
    "created_at": "2016-03-12T06:29:57.627000Z",
}
WHATSAPP = {
    "channel": "whatsapp",
    "kind": "message",
    "native_id": "wamid.HBgNNDkxNTIwOTgzMzM5OBUCABIYHGDEHJVFHJEVCFHJEVBCMTkyODk1OEIyAA==",
    "thread_id": "10634295353625:491234567890",  # business number : customer
    "account_id": "10634295353625",
    "author": {"id": "491234567890", "handle": "491234567890", "name": "TestUser"},
    "from_brand": False,
    "created_at": "2022-05-22T21:01:53Z",
}
EXPECTED: dict[str, Any] = {
    # Graph API v2.5 and v2.11 shapes of the same comment.
    "restfb__feed-comment-add-25.json": PAGE_COMMENT,
    "restfb__feed-comment-add-211.json": PAGE_COMMENT,
    "restfb__mention-comment-add.json": {
        "channel": "facebook.mention",
        "kind": "comment",
        "native_id": "7363534231324_3754798971271444",
        "thread_id": "7363534231324_3754798971271444",
        "account_id": PAGE,
        "author": {"id": "unknown"},  # a mention names no author
        "from_brand": False,
        "text": "Just a test message",
        "created_at": "2021-02-26T12:01:02Z",
    },
    "restfb__ratings-rating-add-25.json": {
        "channel": "facebook.review",
        "kind": "review",
        "native_id": "904801129604590",
        "thread_id": "904801129604590",
        "account_id": PAGE,
        "author": {"id": "705955836155788", "name": "Tester"},
        "from_brand": False,
        "text": "Ja ziemlich coole Sache",
        "rating": 3,
        "created_at": "2015-11-29T11:03:22Z",
    },
    "restfb__messaging-message-basic.json": {
        **MESSENGER,
        "thread_id": "12345654332:987654321432",  # page : person
        "account_id": "12345654332",
        "from_brand": False,
    },
    "restfb__messaging-message-basic-echo.json": {
        **MESSENGER,
        "thread_id": "987654321432:12345654332",  # an echo is the page's own message: still page : person
        "account_id": "987654321432",
        "from_brand": True,
    },
    "restfb__messaging-message-media-attachment.json": {
        "channel": "messenger",
        "kind": "message",
        "native_id": "mid.1458696618141:b4ef9d19ec21086067",
        "thread_id": "12345654332:987654321432",
        "account_id": "12345654332",
        "author": {"id": "987654321432"},
        "from_brand": False,
        "text": "",
        "attachments": [{"type": "image", "url": "IMAGE_URL"}],
        "created_at": "2016-03-23T01:30:18.268000Z",
    },
    "restfb__webhook-incoming-message-text.json": {**WHATSAPP, "text": "Test"},
    "restfb__webhook-incoming-message-image.json": {
        **WHATSAPP,
        "text": "Some awesome image",  # the caption
        "attachments": [{"type": "image", "url": None}],
    },
    "restfb__wh-comments.json": {
        "channel": "instagram.comment",
        "kind": "comment",
        "native_id": "123456789",
        "thread_id": "123456789",
        "account_id": "0",
        "author": {"id": "unknown"},
        "from_brand": False,
        "text": "This is an example.",
        "created_at": "2018-02-23T15:21:47Z",
    },
    "restfb__wh-livecomments.json": {
        "channel": "instagram.live_comment",
        "kind": "comment",
        "native_id": "123456789",
        "thread_id": "123456789",
        "account_id": "0",
        "author": {"id": "unknown"},
        "from_brand": False,
        "text": "This is an example.",
        "created_at": "2018-02-23T15:21:47Z",
    },
    "restfb__feed-post-add-25.json": {
        "channel": "facebook.post",
        "kind": "post",
        "native_id": "1234567890321_7293787835232",
        "thread_id": "1234567890321_7293787835232",
        "account_id": PAGE,
        "author": {"id": "8423678347823", "name": "John Doe"},
        "from_brand": False,
        "text": "Let's check this",
        "created_at": "2016-02-05T21:17:00Z",  # no created_time: the entry's time
    },
    "restfb__feed-photo-add-message.json": {
        "channel": "facebook.post",
        "kind": "post",
        "native_id": "1234567890321_900767076685784",
        "thread_id": "1234567890321_900767076685784",
        "account_id": PAGE,
        "author": {"id": PAGE, "name": "Testers Paradise"},
        "from_brand": True,  # the page's own post
        "text": "A new really great Photo",
        "attachments": [{"type": "photo", "url": "https://www.example.org/test.jpg"}],
        "created_at": "2015-11-26T16:36:36Z",
    },
    # Edits: the same message (same native id, so the same mention id) with the time of the change.
    "restfb__feed-comment-edited-25.json": {
        "channel": "facebook.comment",
        "kind": "comment",
        "native_id": "900728623356296_900744590021366",
        "thread_id": "900728623356296_900744590021366",
        "parent_id": "1234567890321_900728623356296",
        "account_id": PAGE,
        "author": {"id": PAGE, "name": "Tester"},
        "from_brand": True,
        "text": "Let's see the Webhooks in action :D",
        "created_at": "2015-11-26T16:35:37Z",
        "edited_at": "2015-11-26T16:35:37Z",
    },
    "restfb__feed-status-edited-25.json": {
        "channel": "facebook.post",
        "kind": "post",
        "native_id": "1234567890321_949560725137650",
        "thread_id": "1234567890321_949560725137650",
        "account_id": PAGE,
        "author": {"id": PAGE, "name": "Tester"},
        "from_brand": True,
        "text": "This is an edited test message",
        "created_at": "2016-01-04T23:16:55Z",
        "edited_at": "2016-01-04T23:17:20Z",  # the entry's time, 25 s later
    },
    "restfb__messaging-message-edits.json": {
        **MESSENGER,
        "thread_id": "12345654332:987654321432",
        "account_id": "12345654332",
        "from_brand": False,
        "created_at": "2016-03-12T06:29:57.627000Z",  # an edit does not say when the message was first sent
        "edited_at": "2016-03-12T06:29:57.627000Z",
    },
    "restfb__standby-message-basic-echo.json": {
        **MESSENGER,
        "thread_id": "987654321432:12345654332",  # the page's own reply, heard on the standby channel
        "account_id": "987654321432",
        "from_brand": True,
    },
    # Deletions: a removed comment, an unsent message.
    "restfb__feed-comment-remove-25.json": deleted(("905578656204626_905579239537901", "2016-01-06T19:06:22Z")),
    "restfb__messaging-message-isdeleted.json": deleted(("message_id", "2016-03-12T06:29:57.627000Z")),
    # Mentions of the page or the Instagram account name the object; its text is fetched elsewhere.
    "restfb__mention-post-add.json": outcome(
        ignored=1,
        notices=[
            {
                "kind": "facebook.mention",
                "ref": "44444444_444444444",
                "at": "2017-06-01T20:39:46+00:00",
                "account_id": PAGE,
                "detail": {"item": "post"},
            }
        ],
    ),
    "restfb__wh-mentions.json": outcome(
        ignored=1,
        notices=[
            {
                "kind": "instagram.mention",
                "ref": "17887498072083520",
                "at": "2018-02-23T15:21:50+00:00",
                "account_id": "0",
                "detail": {"media_id": "17887498072083520", "comment_id": "17887498072083520"},
            }
        ],
    ),
    # Read receipts, reactions, hides, postbacks, delivery statuses, system messages: acknowledged, no message.
    "restfb__messaging-read-basic.json": ignored(),
    "restfb__messaging-seen.json": ignored(),
    "restfb__messaging-reaction-1.json": ignored(),
    "restfb__messaging-postback-basic.json": ignored(),
    "restfb__feed-reaction-add.json": ignored(),
    "restfb__feed-comment-hide.json": ignored(),
    "restfb__ratings-comment-add-25.json": ignored(),  # a comment under a review that carries no text
    "restfb__webhook-incoming-message-status-ui.json": ignored(),
    "restfb__webhook-incoming-message-emoji.json": ignored(),
    "restfb__webhook-incoming-message-system.json": ignored(),
    "restfb__webhook-incoming-message-interactive-btn.json": {**WHATSAPP, "text": "button-text"},
    # A page field changed with no value at all (parking, payment options): acknowledged, never a 400.
    "synthetic__page-fields-without-value.json": ignored(2),
    # Business-scoped user ids: a person with a username shows no phone number.
    "synthetic__whatsapp-bsuid-username.json": {
        "channel": "whatsapp",
        "kind": "message",
        "native_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        "thread_id": "106540352242922:US.13491208655302741918",
        "account_id": "106540352242922",
        "author": {"id": "US.13491208655302741918", "handle": "@sheena", "name": "Sheena Nelson"},
        "from_brand": False,
        "text": "Hi, my order #4411 never arrived. Can you check?",
        "created_at": "2025-11-26T10:00:00Z",
    },
    "synthetic__whatsapp-bsuid-group.json": [
        {
            "channel": "whatsapp",
            "kind": "message",
            "native_id": "wamid.GROUP1",
            "thread_id": "106540352242922:group:Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD",
            "account_id": "106540352242922",
            # Known only by the parent id a managed business's portfolios share.
            "author": {"id": "BR.ENT.11815799212886844830", "handle": "BR.ENT.11815799212886844830", "name": "Ana"},
            "from_brand": False,
            "text": "Is the store open on Sunday?",
            "created_at": "2025-11-26T10:01:00Z",
        },
        {
            "channel": "whatsapp",
            "kind": "message",
            "native_id": "wamid.GROUP2",
            "thread_id": "106540352242922:group:Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD",
            "account_id": "106540352242922",
            "author": {"id": "16505551234", "handle": "16505551234", "name": "Joe"},  # the phone, while shared
            "from_brand": False,
            "text": "Same question here",
            "created_at": "2025-11-26T10:01:10Z",
        },
    ],
    # Ratings and recommendations: a new one, an edited one, a removed one, and the page answering the first.
    "synthetic__ratings-recommendation.json": outcome(
        mentions=[
            {
                "channel": "facebook.review",
                "kind": "review",
                "native_id": "9048011296045",
                "thread_id": "9048011296045",
                "account_id": PAGE,
                "author": {"id": "7059558361557", "name": "Sam Ortiz"},
                "from_brand": False,
                "text": "Waited 40 minutes and the staff ignored us.",
                "created_at": "2025-11-26T10:01:30Z",
            },
            {
                "channel": "facebook.review",
                "kind": "review",
                "native_id": "9048011296046",
                "thread_id": "9048011296046",
                "account_id": PAGE,
                "author": {"id": "7059558361558", "name": "Lee Park"},
                "from_brand": False,
                "text": "They called me back and fixed it. Thanks!",
                "created_at": "2025-11-24T16:00:00Z",
                "edited_at": "2025-11-26T10:01:40Z",
            },
            {
                "channel": "facebook.review",
                "kind": "comment",
                "native_id": "9048011296045_1111",
                "thread_id": "9048011296045",  # the review's conversation
                "parent_id": "9048011296045",
                "account_id": PAGE,
                "author": {"id": PAGE, "name": "Acme"},
                "from_brand": True,
                "text": "Sorry Sam, we have messaged you to make this right.",
                "created_at": "2025-11-26T10:01:40Z",
            },
        ],
        deleted=[{"native_id": "9048011296047", "deleted_at": "2025-11-26T10:01:40Z"}],
    ),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_published_payload_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(meta, FOLDER, name, expected, post)


def test_handshake_echoes_the_challenge_for_our_token() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    answer = meta.handshake(Handshake("meta", query), SECRETS)
    assert answer is not None
    assert answer.body == "1158201444"
    assert answer.content_type.startswith("text/plain")


def test_handshake_refuses_a_wrong_token_or_a_malformed_request() -> None:
    wrong = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    with pytest.raises(NotPermitted):
        meta.handshake(Handshake("meta", wrong), SECRETS)
    with pytest.raises(InvalidQuery):
        meta.handshake(Handshake("meta", {"hub.mode": "subscribe"}), SECRETS)
    with pytest.raises(NotConfigured):
        meta.handshake(Handshake("meta", wrong), SecretValues())


def test_signature_covers_the_raw_bytes() -> None:
    body = webhook_fixture("meta", "restfb__feed-comment-add-25.json")
    meta.verify(post(body), SECRETS)
    with pytest.raises(InvalidSignature):
        meta.verify(replace(post(body), body=body.replace(b"next", b"last")), SECRETS)
    with pytest.raises(InvalidSignature):
        meta.verify(replace(post(body), headers={"content-type": "application/json"}), SECRETS)


def test_a_reply_threads_under_its_top_level_comment() -> None:
    payload = json.loads(webhook_fixture("meta", "restfb__feed-comment-add-211.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value.update({"parent_id": "901097836652708_111", "from": {"id": "42", "name": "Customer"}})
    [mention] = meta.parse(post(meta_body(payload))).mentions
    assert mention.thread_id == "901097836652708_111"
    assert mention.parent_id == "901097836652708_111"
    assert mention.from_brand is False


def test_a_batched_delivery_splits_into_single_messages() -> None:
    def messaging(mid: str, text: str) -> dict[str, Any]:
        return {"sender": {"id": "7"}, "recipient": {"id": "1"}, "timestamp": 1, "message": {"mid": mid, "text": text}}

    payload = {
        "object": "page",
        "entry": [
            {"id": "1", "time": 1, "messaging": [messaging("a", "one"), messaging("b", "two")]},
            {"id": "1", "time": 2, "messaging": [messaging("c", "three"), {"sender": {"id": "7"}, "read": {}}]},
        ],
    }
    parsed = meta.parse(post(meta_body(payload)))
    assert [m.text for m in parsed.mentions] == ["one", "two", "three"]
    assert [m.thread_id for m in parsed.mentions] == ["1:7"] * 3
    assert parsed.ignored == 1
    assert len({m.id for m in parsed.mentions}) == 3


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"entry": []}',
        b'{"object": "page", "entry": "nope"}',
        b'{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": 3}]}]}',
        b'{"object": "page", "entry": [{"id": "1", "messaging": [{"message": {"mid": "m", "text": "x"}}]}]}',
        b'{"object": "page", "entry": [{"id": {"x": 1}}]}',
    ],
)
def test_structurally_wrong_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        meta.parse(post(body))


class FakeInstagram:
    """Like the Graph API adapter: what it has, None for what is gone, or the error it is told to raise."""

    def __init__(self, found: dict[str, Mentioned] | None = None, error: Exception | None = None) -> None:
        self.found, self.error = found or {}, error
        self.asked: list[tuple[str, str, str]] = []

    def comment(self, account: str, comment_id: str) -> Mentioned | None:
        self.asked.append(("comment", account, comment_id))
        if self.error:
            raise self.error
        return self.found.get(comment_id)

    def media(self, account: str, media_id: str) -> Mentioned | None:
        self.asked.append(("media", account, media_id))
        if self.error:
            raise self.error
        return self.found.get(media_id)


def instagram_mention(**value: str) -> bytes:
    change = {"field": "mentions", "value": value}
    return meta_body(
        {"object": "instagram", "entry": [{"id": "17841400000000000", "time": 1764151200, "changes": [change]}]}
    )


def test_an_instagram_mention_in_a_comment_is_read_through_the_graph_api() -> None:
    said = Mentioned("1790001", "@acme my order is late", "mia.l", ARRIVAL, media_id="1780001", permalink=None)
    instagram = FakeInstagram({"1790001": said})
    parsed = Meta(instagram).parse(post(instagram_mention(comment_id="1790001", media_id="1780001")))
    assert instagram.asked == [("comment", "17841400000000000", "1790001")]
    [mention] = parsed.mentions
    assert (mention.channel, mention.kind, mention.native_id, mention.thread_id) == (
        "instagram.mention",
        "comment",
        "1790001",
        "1780001",
    )
    assert (mention.author.id, mention.author.handle, mention.text) == ("ig:mia.l", "mia.l", "@acme my order is late")
    assert (mention.account_id, parsed.notices) == ("17841400000000000", [])


def test_an_instagram_caption_mention_is_its_own_post() -> None:
    caption = Mentioned(
        "1780002",
        "Unboxing my @acme jacket",
        "lee",
        None,
        media_id="1780002",
        permalink="https://www.instagram.com/p/x/",
    )
    [mention] = Meta(FakeInstagram({"1780002": caption})).parse(post(instagram_mention(media_id="1780002"))).mentions
    assert (mention.kind, mention.native_id, mention.thread_id, mention.url) == (
        "post",
        "1780002",
        "1780002",
        "https://www.instagram.com/p/x/",
    )
    assert mention.created_at == datetime(2025, 11, 26, 10, 0, tzinfo=UTC)  # the entry's time when none is given


def test_a_mention_deleted_before_it_is_read_is_ignored_and_an_unreachable_api_leaves_a_notice() -> None:
    gone = Meta(FakeInstagram()).parse(post(instagram_mention(comment_id="1")))
    assert (gone.mentions, gone.notices, gone.ignored) == ([], [], 1)
    down = Meta(FakeInstagram(error=Unavailable("graph down"))).parse(post(instagram_mention(comment_id="1")))
    assert (down.mentions, [n.kind for n in down.notices], down.ignored) == ([], ["instagram.mention"], 1)
    refused = Meta(FakeInstagram(error=NotConfigured("no token"))).parse(post(instagram_mention(media_id="2")))
    assert [n.ref for n in refused.notices] == ["2"]
