"""X (Account Activity API and X Activity API): CRC, signature (X's published vectors), each payload with what it
must yield, edits of posts, deletions and the events that carry no message."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import x_headers
from services.ingest.platforms.base import Delivery, Handshake, hmac_digest
from services.ingest.platforms.x import X, crc_response
from shared.errors import InvalidBody, InvalidQuery, InvalidSignature, NotConfigured
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, load_json
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored, outcome

SECRET = "consumer-secret"
SECRETS = SecretValues(platform={"x": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "x"
BRAND = "930524282358325248"
x = X()


def post(body: bytes, _name: str = "", secret: str = SECRET) -> Delivery:
    return Delivery("x", body, ARRIVAL, headers={k.lower(): v for k, v in x_headers(body, secret).items()})


MIA = {"id": "4001", "handle": "mialang", "name": "Mia Lang"}
KOFI = {"id": "4004", "handle": "kofi_a", "name": "Kofi A."}
EXPECTED: dict[str, Any] = {
    # One account's posts, batched: a mention, the brand's reply, a quote post (long form), a repost, an edit.
    "synthetic__aaa-tweet-create-events.json": outcome(
        mentions=[
            {
                "channel": "x.post",
                "kind": "post",
                "native_id": "1993620000000000001",
                "thread_id": "1993620000000000001",
                "account_id": BRAND,
                "author": {**MIA, "followers": 812},
                "from_brand": False,
                "text": "@AcmeSupport my parcel has been stuck in Leipzig for a week, order 5521",
                "url": "https://x.com/mialang/status/1993620000000000001",
                "created_at": "2025-11-26T10:00:00Z",
            },
            {
                "channel": "x.post",
                "kind": "comment",
                "native_id": "1993620000000000002",
                "thread_id": "1993620000000000001",  # the post it answers
                "parent_id": "1993620000000000001",
                "account_id": BRAND,
                "author": {"id": BRAND, "handle": "AcmeSupport", "name": "Acme Support", "followers": 52000},
                "from_brand": True,  # the subscribed account's own reply
                "text": "@mialang Sorry about that, Mia! Could you DM us your order number?",
                "url": "https://x.com/AcmeSupport/status/1993620000000000002",
                "created_at": "2025-11-26T10:05:00Z",
            },
            {
                "channel": "x.post",
                "kind": "comment",
                "native_id": "1993620000000000003",
                "thread_id": "1993600000000000000",  # the quoted post
                "parent_id": "1993600000000000000",
                "account_id": BRAND,
                "author": {"id": "4002", "handle": "benr", "name": "Ben"},
                "from_brand": False,
                "text": "This is exactly why I stopped ordering from them, three late parcels in a row. https://t.co/abc",
                "url": "https://x.com/benr/status/1993620000000000003",
                "created_at": "2025-11-26T10:06:00Z",
            },
            {
                # An edit is a new post id naming the first version: the same mention, edited.
                "channel": "x.post",
                "kind": "post",
                "native_id": "1993620000000000001",
                "thread_id": "1993620000000000001",
                "account_id": BRAND,
                "author": MIA,
                "from_brand": False,
                "text": "@AcmeSupport my parcel has been stuck in Leipzig for 8 days now, order 5521",
                "url": "https://x.com/mialang/status/1993620000000000005",
                "created_at": "2025-11-26T10:09:00Z",
                "edited_at": "2025-11-26T10:09:00Z",
            },
        ],
        ignored=1,  # the repost
    ),
    "synthetic__aaa-direct-message-events.json": [
        {
            "channel": "x.dm",
            "kind": "message",
            "native_id": "dm:1993630000000000001",
            "thread_id": f"dm:{BRAND}:4001",
            "account_id": BRAND,
            "author": MIA,
            "from_brand": False,
            "text": "Order 5521, name Mia Lang",
            "created_at": "2025-11-26T10:10:00Z",
        },
        {
            "channel": "x.dm",
            "kind": "message",
            "native_id": "dm:1993630000000000002",
            "thread_id": f"dm:{BRAND}:4001",  # the brand's answer, in the same conversation
            "account_id": BRAND,
            "author": {"id": BRAND, "handle": "AcmeSupport", "name": "Acme Support"},
            "from_brand": True,
            "text": "Thanks! It leaves the hub today.",
            "created_at": "2025-11-26T10:11:00Z",
        },
    ],
    "synthetic__aaa-tweet-delete-events.json": deleted(("1993620000000000003", "2025-11-26T10:13:20Z")),
    "synthetic__aaa-silent-events.json": ignored(4),  # a like, a follow, typing, a read receipt
    "synthetic__aaa-user-event-revoke.json": outcome(
        ignored=1,
        notices=[{"kind": "app.revoked", "ref": BRAND, "at": "2025-11-26T10:30:00+00:00", "account_id": BRAND}],
    ),
    "synthetic__xaa-post-reply-create.json": {
        "channel": "x.post",
        "kind": "comment",
        "native_id": "1993640000000000001",
        "thread_id": "1993600000000000000",  # the conversation
        "parent_id": "1993600000000000000",
        "account_id": BRAND,
        "author": {**KOFI, "followers": 97},
        "from_brand": False,
        "text": "@AcmeSupport still no refund after 14 days",
        "url": "https://x.com/kofi_a/status/1993640000000000001",
        "created_at": "2025-11-26T11:00:00Z",
    },
    "synthetic__xaa-post-edited.json": {
        "channel": "x.post",
        "kind": "comment",
        "native_id": "1993640000000000001",  # the first version's id
        "thread_id": "1993600000000000000",
        "parent_id": "1993600000000000000",
        "account_id": BRAND,
        "author": KOFI,
        "from_brand": False,
        "text": "@AcmeSupport still no refund after 15 days, order 7781",
        "url": "https://x.com/kofi_a/status/1993640000000000002",
        "created_at": "2025-11-26T11:04:00Z",
        "edited_at": "2025-11-26T11:04:00Z",
    },
    "synthetic__xaa-dm-received.json": {
        "channel": "x.dm",
        "kind": "message",
        "native_id": "dm:1993650000000000001",
        "thread_id": f"dm:{BRAND}:4004",
        "account_id": BRAND,
        "author": KOFI,
        "from_brand": False,
        "text": "hello, any news on my refund?",
        "created_at": "2025-11-26T11:03:20Z",
    },
    "synthetic__xaa-post-delete.json": deleted(("1993640000000000001", "2025-11-26T12:00:00Z")),
    "synthetic__xaa-like-create.json": ignored(),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED, "synthetic__*.json") == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_payload_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(x, FOLDER, name, expected, post)


def test_the_signature_matches_xs_published_vectors() -> None:
    vectors = load_json(FOLDER / "autohook__test_signature__vectors.json")
    for fixture in vectors["fixtures"]:
        body = fixture["body"].encode()
        header = fixture["header"]["x-twitter-webhooks-signature"]
        assert "sha256=" + base64.b64encode(hmac_digest(vectors["consumer_secret"], body)).decode() == header
        x.verify(
            Delivery("x", body, ARRIVAL, headers={"x-twitter-webhooks-signature": header}),
            SecretValues(platform={"x": vectors["consumer_secret"]}),
        )


def test_crc_answers_with_the_hmac_of_the_token_as_json() -> None:
    answer = x.handshake(Handshake("x", {"crc_token": "challenge-123"}), SECRETS)
    assert answer is not None
    assert answer.content_type == "application/json"
    token = base64.b64encode(hmac_digest(SECRET, b"challenge-123")).decode()
    assert json.loads(answer.body) == {"response_token": f"sha256={token}"}
    assert crc_response("challenge-123", SECRET) == f"sha256={token}"
    with pytest.raises(InvalidQuery):
        x.handshake(Handshake("x", {}), SECRETS)
    with pytest.raises(NotConfigured):
        x.handshake(Handshake("x", {"crc_token": "t"}), SecretValues())


def test_tampering_and_other_secrets_are_refused() -> None:
    body = (FOLDER / "synthetic__xaa-dm-received.json").read_bytes()
    x.verify(post(body), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        x.verify(replace(post(body), body=body.replace(b"refund", b"rebate")), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        x.verify(post(body, secret="other"), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        x.verify(replace(post(body), headers={}), SECRETS)
    with pytest.raises(InvalidSignature, match="base64"):
        x.verify(replace(post(body), headers={"x-twitter-webhooks-signature": "sha256=***"}), SECRETS)


@pytest.mark.parametrize(
    "body",
    [b"[]", b"{not json", b'{"data": {"payload": {}}}', b'{"tweet_create_events": {"id": 1}}'],
)
def test_malformed_deliveries_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        x.parse(post(body))
