from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from devstack.signing import meta_body, meta_headers
from services.ingest.platforms.meta import Meta
from shared.errors import BadRequest, Forbidden, HarkError, InvalidSignature, NotConfigured
from shared.http import HttpRequest
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, SHARED_FIXTURES, webhook_fixture

SECRETS = SecretValues(platform={"meta": "app-secret"}, meta_verify_token="verify-me")
ARRIVAL = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
meta = Meta()


def post(body: bytes) -> HttpRequest:
    headers = {k.lower(): v for k, v in meta_headers(body, "app-secret").items()}
    return HttpRequest("POST", "/webhooks/meta", headers=headers, body=body, received_at=ARRIVAL)


def parse_fixture(name: str) -> list[Any]:
    return [c.mention for c in meta.parse(post(webhook_fixture("meta", name))).candidates]


def test_handshake_echoes_the_challenge_for_our_token() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    reply = meta.handshake(HttpRequest("GET", "/webhooks/meta", query=query), SECRETS)
    assert reply is not None
    assert (reply.status, reply.text) == (200, "1158201444")
    assert reply.content_type.startswith("text/plain")


def test_handshake_refuses_a_wrong_token_or_a_malformed_request() -> None:
    wrong = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    with pytest.raises(Forbidden):
        meta.handshake(HttpRequest("GET", "/webhooks/meta", query=wrong), SECRETS)
    with pytest.raises(BadRequest):
        meta.handshake(HttpRequest("GET", "/webhooks/meta", query={"hub.mode": "subscribe"}), SECRETS)
    with pytest.raises(NotConfigured):
        meta.handshake(HttpRequest("GET", "/webhooks/meta", query=wrong), SecretValues())
    assert meta.handshake(HttpRequest("POST", "/webhooks/meta"), SECRETS) is None


def test_signature_covers_the_raw_bytes() -> None:
    body = webhook_fixture("meta", "restfb__feed-comment-add-25.json")
    meta.verify(post(body), SECRETS)
    tampered = post(body)
    tampered = HttpRequest("POST", tampered.path, headers=tampered.headers, body=body.replace(b"next", b"last"))
    with pytest.raises(InvalidSignature):
        meta.verify(tampered, SECRETS)


@pytest.mark.parametrize("name", ["restfb__feed-comment-add-25.json", "restfb__feed-comment-add-211.json"])
def test_page_comment_in_old_and_new_shapes(name: str) -> None:
    [mention] = parse_fixture(name)
    assert mention.channel == "facebook.comment"
    assert mention.native_id == "901097836652708_903438993085259"
    assert mention.thread_id == mention.native_id  # a top-level comment starts its own thread
    assert mention.author.id == "1234567890321"
    assert mention.author.name == "Tester"
    assert mention.from_brand is True  # the page itself wrote it (author id == page id)
    assert mention.created_at == datetime.fromtimestamp(1449135003, UTC)
    assert mention.text == "and the next one"


def test_a_reply_threads_under_its_top_level_comment() -> None:
    payload = json.loads(webhook_fixture("meta", "restfb__feed-comment-add-211.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value.update({"parent_id": "901097836652708_111", "from": {"id": "42", "name": "Customer"}})
    [candidate] = meta.parse(post(meta_body(payload))).candidates
    assert candidate.mention.thread_id == "901097836652708_111"
    assert candidate.mention.parent_id == "901097836652708_111"
    assert candidate.mention.from_brand is False


def test_messenger_message_echo_and_attachment() -> None:
    [message] = parse_fixture("restfb__messaging-message-basic.json")
    assert message.channel == "messenger"
    assert message.kind == "message"
    assert message.thread_id == "12345654332:987654321432"
    assert message.author.id == "987654321432"  # numeric ids arrive as strings
    assert message.created_at == datetime.fromtimestamp(1457764197.627, UTC)
    [echo] = parse_fixture("restfb__messaging-message-basic-echo.json")
    assert echo.from_brand is True
    assert echo.thread_id == "987654321432:12345654332"
    [image] = parse_fixture("restfb__messaging-message-media-attachment.json")
    assert image.text == ""
    assert [a.type for a in image.attachments] == ["image"]


@pytest.mark.parametrize(
    "name",
    [
        "restfb__messaging-read-basic.json",
        "restfb__feed-reaction-add.json",
        "restfb__feed-comment-remove-25.json",
        "restfb__webhook-incoming-message-status-ui.json",
        "restfb__webhook-incoming-message-emoji.json",
        "restfb__wh-mentions.json",
    ],
)
def test_non_message_events_are_acknowledged_and_ignored(name: str) -> None:
    parsed = meta.parse(post(webhook_fixture("meta", name)))
    assert parsed.candidates == []
    assert parsed.ignored >= 1


def test_whatsapp_text_and_image_caption() -> None:
    [text] = parse_fixture("restfb__webhook-incoming-message-text.json")
    assert text.channel == "whatsapp"
    assert text.author.name == "TestUser"
    assert text.thread_id == "10634295353625:491234567890"
    assert text.text == "Test"
    [image] = parse_fixture("restfb__webhook-incoming-message-image.json")
    assert image.text == "Some awesome image"
    assert image.attachments[0].type == "image"


def test_instagram_comment_without_author_and_a_page_rating() -> None:
    [comment] = parse_fixture("restfb__wh-comments.json")
    assert comment.channel == "instagram.comment"
    assert comment.author.id == "unknown"
    [review] = parse_fixture("restfb__ratings-rating-add-25.json")
    assert (review.kind, review.rating, review.text) == ("review", 3, "Ja ziemlich coole Sache")
    [tagged] = parse_fixture("restfb__mention-comment-add.json")
    assert tagged.channel == "facebook.mention"


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
    assert [c.mention.text for c in parsed.candidates] == ["one", "two", "three"]
    assert parsed.ignored == 1
    assert len({c.mention.id for c in parsed.candidates}) == 3


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
def test_structurally_wrong_bodies_are_bad_requests(body: bytes) -> None:
    with pytest.raises(BadRequest):
        meta.parse(post(body))


def _published_fixtures() -> list[Path]:
    if SHARED_FIXTURES.is_dir():
        return sorted(p for d in SHARED_FIXTURES.glob("meta-*") for p in d.glob("*.json"))
    return sorted((FIXTURES / "webhooks" / "meta").glob("*.json"))


@pytest.mark.parametrize("path", _published_fixtures(), ids=lambda p: p.name)
def test_every_published_meta_payload_parses_or_is_refused_cleanly(path: Path) -> None:
    try:
        parsed = meta.parse(post(path.read_bytes()))
    except HarkError as error:
        assert error.status == 400
        return
    for candidate in parsed.candidates:
        assert candidate.mention.native_id
        assert candidate.mention.text or candidate.mention.attachments
