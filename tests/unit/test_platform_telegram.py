"""Telegram Bot API: the secret-token header, each update with what it must yield (private chats, forum topics,
channels, business chats), edits, business deletions and updates that carry no message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import telegram_headers
from services.ingest.platforms.base import Delivery, Handshake
from services.ingest.platforms.telegram import Telegram
from shared.errors import InvalidBody, InvalidSignature, NotConfigured
from shared.secrets import SecretValues
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored

SECRET = "tg-secret_token-42"
SECRETS = SecretValues(platform={"telegram": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "telegram"
telegram = Telegram()


def post(body: bytes, _name: str = "", token: str = SECRET) -> Delivery:
    return Delivery("telegram", body, ARRIVAL, headers={k.lower(): v for k, v in telegram_headers(token).items()})


MIA = {"id": "5550001", "handle": "mialang", "name": "Mia Lang"}
PRIVATE = {
    "channel": "telegram.private",
    "kind": "message",
    "native_id": "5550001:41",
    "thread_id": "5550001",  # a private chat is one conversation
    "account_id": "5550001",
    "author": MIA,
    "from_brand": False,
    "created_at": "2025-11-26T10:00:00Z",
}
EXPECTED: dict[str, Any] = {
    "synthetic__message-private.json": {**PRIVATE, "text": "Hallo, meine Bestellung 5521 ist nicht angekommen."},
    "synthetic__edited-message.json": {
        **PRIVATE,
        "text": "Hallo, meine Bestellung 5521 ist seit einer Woche nicht angekommen.",
        "edited_at": "2025-11-26T10:01:00Z",
    },
    "synthetic__message-forum-reply-photo.json": {
        "channel": "telegram.supergroup",
        "kind": "message",
        "native_id": "-1001234567890:9001",
        "thread_id": "-1001234567890:12",  # the forum topic
        "parent_id": "-1001234567890:8990",
        "account_id": "-1001234567890",
        "author": {"id": "5550002", "handle": "rajp", "name": "Raj"},
        "from_brand": False,
        "text": "Same error here, screenshot attached",  # the caption
        "url": "https://t.me/acme_community/9001",
        "attachments": [{"type": "photo", "url": None}],
        "created_at": "2025-11-26T10:01:40Z",
    },
    "synthetic__channel-post.json": {
        "channel": "telegram.channel",
        "kind": "post",
        "native_id": "-1009876543210:77",
        "thread_id": "-1009876543210",
        "account_id": "-1009876543210",
        "author": {"id": "-1009876543210", "handle": "acme_news", "name": "Acme News"},
        "from_brand": True,  # a channel's posts are its administrators'
        "text": "Our support hours change next week: 8:00 to 20:00.",
        "url": "https://t.me/acme_news/77",
        "created_at": "2025-11-26T10:03:20Z",
    },
    "synthetic__business-message-by-owner.json": {
        "channel": "telegram.private",
        "kind": "message",
        "native_id": "5550001:5",
        "thread_id": "5550001",
        "account_id": "BCabc123",  # the business connection
        "author": {"id": "8880001", "handle": "acme_shop", "name": "Acme"},
        "from_brand": True,  # not the customer the chat is with
        "text": "Hi Mia, we have shipped a replacement today.",
        "created_at": "2025-11-26T10:05:00Z",
    },
    "synthetic__deleted-business-messages.json": deleted(
        ("5550001:3", "2025-11-26T12:00:00Z"), ("5550001:4", "2025-11-26T12:00:00Z")
    ),
    "synthetic__callback-query.json": ignored(),
    "synthetic__new-chat-members.json": ignored(),  # a service message, not words
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_update_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(telegram, FOLDER, name, expected, post)


def test_the_secret_token_must_match() -> None:
    body = (FOLDER / "synthetic__message-private.json").read_bytes()
    telegram.verify(post(body), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        telegram.verify(post(body, token="guess"), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        telegram.verify(replace(post(body), headers={}), SECRETS)
    with pytest.raises(NotConfigured):
        telegram.verify(post(body), SecretValues())


def test_a_redelivered_update_names_the_same_update_and_message() -> None:
    body = (FOLDER / "synthetic__message-private.json").read_bytes()
    assert telegram.delivery_id(post(body)) == "700000001"
    assert telegram.parse(post(body)).mentions == telegram.parse(post(body)).mentions
    assert telegram.handshake(Handshake("telegram", {}), SECRETS) is None


@pytest.mark.parametrize(
    "body",
    [b"[]", b"{", b'{"message": {}}', b'{"update_id": 1, "message": "hi"}', b'{"update_id": 1, "message": {}}'],
)
def test_malformed_updates_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        telegram.parse(post(body))
