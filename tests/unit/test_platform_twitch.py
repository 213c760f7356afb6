"""Twitch EventSub (webhook transport): the challenge, the id+timestamp+body signature (the twitch_api test
vectors) and its 10-minute window, chat messages, replies, deletions, revocations and what carries no message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.signing import twitch_headers
from services.ingest.platforms.base import Delivery, Handshake
from services.ingest.platforms.twitch import Twitch, eventsub_time
from shared.errors import InvalidBody, InvalidHeader, InvalidSignature, StaleDelivery
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, load_json
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored, outcome

SECRET = "eventsub-secret-0123"
SECRETS = SecretValues(platform={"twitch": SECRET})
ARRIVAL = datetime(2025, 11, 26, 20, 0, tzinfo=UTC)
SENT = ARRIVAL - timedelta(seconds=1)
FOLDER = FIXTURES / "webhooks" / "twitch"
twitch = Twitch()


def kind_of(name: str) -> str:
    if "revocation" in name:
        return "revocation"
    return "webhook_callback_verification" if "verification" in name else "notification"


def post(body: bytes, name: str = "", sent: datetime = SENT, secret: str = SECRET, mid: str = "m-1") -> Delivery:
    headers = twitch_headers(body, secret, kind_of(name), message_id=mid, timestamp=sent)
    return Delivery("twitch", body, ARRIVAL, headers={k.lower(): v for k, v in headers.items()})


EXPECTED: dict[str, Any] = {
    "twitch_api__channel.chat.message__notification.0.json": {
        "channel": "twitch.chat",
        "kind": "message",
        "native_id": "cc106a89-1814-919d-454c-f4f2f970aae7",
        "thread_id": "cc106a89-1814-919d-454c-f4f2f970aae7",
        "account_id": "1971641",  # the broadcaster's channel
        "author": {"id": "4145994", "handle": "viewer32", "name": "viewer32"},
        "from_brand": False,
        "text": "Hi chat",
        "created_at": "2025-11-26T19:59:59Z",  # the message timestamp Twitch signed
    },
    "synthetic__channel.chat.message-reply-by-broadcaster.json": {
        "channel": "twitch.chat",
        "kind": "message",
        "native_id": "d2a1f5c0-4b7e-4b55-9d0c-1e0f5c9a7b21",
        "thread_id": "cc106a89-1814-919d-454c-f4f2f970aae7",  # the thread it answers
        "parent_id": "cc106a89-1814-919d-454c-f4f2f970aae7",
        "account_id": "1971641",
        "author": {"id": "1971641", "handle": "acmelive", "name": "AcmeLive"},
        "from_brand": True,  # the broadcaster in their own chat
        "text": "@viewer32 the code is in the description!",
        "created_at": "2025-11-26T19:59:59Z",
    },
    "twitch_api__channel.chat.message_delete__notification.0.json": deleted(
        ("ab24e0b0-2260-4bac-94e4-05eedd4ecd0e", "2025-11-26T19:59:59Z")
    ),
    "twitch_api__mod__revocation.1.json": outcome(
        ignored=1,
        notices=[
            {
                "kind": "subscription.revoked",
                "ref": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
                "at": "2025-11-26T20:00:00+00:00",
                "account_id": "1337",
                "detail": {"type": "channel.follow", "status": "authorization_revoked"},
            }
        ],
    ),
    "twitch_api__mod_rs_test__notification_channel.follow.body.json": ignored(),  # a follow is not a message
    "twitch_api__mod_rs_test__webhook_callback_verification_channel.subscribe.body.json": outcome(
        answer={"body": "11535768-497e-14ec-8197-ba2cb5341a01", "type": "text/plain; charset=utf-8"}
    ),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == {
        "twitch_api__mod_rs_test__notification_channel.follow.headers.json",
        "twitch_api__mod_rs_test__webhook_callback_verification_channel.subscribe.headers.json",
    }


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_payload_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(twitch, FOLDER, name, expected, post)


@pytest.mark.parametrize(
    "stem",
    ["notification_channel.follow", "webhook_callback_verification_channel.subscribe"],
)
def test_the_signature_matches_the_published_vectors(stem: str) -> None:
    recorded = load_json(FOLDER / f"twitch_api__mod_rs_test__{stem}.headers.json")
    body = (FOLDER / f"twitch_api__mod_rs_test__{stem}.body.json").read_bytes()
    headers = {k.lower(): v for k, v in recorded["headers"].items()}
    arrival = eventsub_time(headers["twitch-eventsub-message-timestamp"]) + timedelta(seconds=3)
    delivery = Delivery("twitch", body, arrival, headers=headers)
    twitch.verify(delivery, SecretValues(platform={"twitch": recorded["secret"]}))
    with pytest.raises(InvalidSignature):
        twitch.verify(replace(delivery, body=body + b" "), SecretValues(platform={"twitch": recorded["secret"]}))


def test_tampered_or_unsigned_messages_are_refused() -> None:
    body = (FOLDER / "twitch_api__channel.chat.message__notification.0.json").read_bytes()
    twitch.verify(post(body), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        twitch.verify(replace(post(body), body=body.replace(b"Hi chat", b"Buy now")), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        twitch.verify(post(body, secret="another-secret-0123"), SECRETS)
    signed = post(body)
    other_id = {**signed.headers, "twitch-eventsub-message-id": "m-2"}  # the id is signed
    with pytest.raises(InvalidSignature, match="does not match"):
        twitch.verify(replace(signed, headers=other_id), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        twitch.verify(replace(signed, headers={"content-type": "application/json"}), SECRETS)


@pytest.mark.parametrize("age", [timedelta(minutes=10, seconds=1), timedelta(minutes=-11)])
def test_a_message_outside_ten_minutes_is_stale(age: timedelta) -> None:
    body = (FOLDER / "twitch_api__channel.chat.message__notification.0.json").read_bytes()
    with pytest.raises(StaleDelivery):
        twitch.verify(post(body, sent=ARRIVAL - age), SECRETS)
    twitch.verify(post(body, sent=ARRIVAL - timedelta(minutes=9, seconds=59)), SECRETS)


def test_a_retry_names_the_same_message() -> None:
    body = (FOLDER / "twitch_api__channel.chat.message__notification.0.json").read_bytes()
    first, retry = post(body, mid="m-9"), post(body, mid="m-9", sent=SENT + timedelta(seconds=30))
    assert twitch.delivery_id(first) == twitch.delivery_id(retry) == "m-9"
    assert [m.id for m in twitch.parse(first).mentions] == [m.id for m in twitch.parse(retry).mentions]


def test_timestamps_with_nanoseconds_are_read() -> None:
    assert eventsub_time("2021-02-19T23:47:00.809151234Z") == datetime(2021, 2, 19, 23, 47, 0, 809151, tzinfo=UTC)


def test_no_get_handshake_and_a_message_type_is_required() -> None:
    assert twitch.handshake(Handshake("twitch", {}), SECRETS) is None
    body = (FOLDER / "twitch_api__channel.chat.message__notification.0.json").read_bytes()
    with pytest.raises(InvalidHeader):
        twitch.parse(replace(post(body), headers={}))
    with pytest.raises(InvalidBody):
        twitch.parse(post(b'{"event": {}}'))
