"""Discord interactions: Ed25519 over timestamp + body (a fresh key pair, as Discord's own SDK tests do), PING/PONG,
slash commands and modals as mentions answered in the same response, components and autocomplete answered with
no message, and the 401 Discord probes for."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devstack.signing import DEV_DISCORD_PRIVATE_KEY, discord_headers
from services.ingest.platforms.base import Delivery, Handshake
from services.ingest.platforms.discord import Discord, snowflake_time
from shared.errors import InvalidBody, InvalidSignature, NotConfigured, StaleDelivery
from shared.secrets import SecretValues
from shared.settings import DEV_DISCORD_PUBLIC_KEY
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, fixtures_without_expectation, outcome

PRIVATE = Ed25519PrivateKey.generate()
PUBLIC_HEX = PRIVATE.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
PRIVATE_HEX = PRIVATE.private_bytes(
    serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
).hex()
SECRETS = SecretValues(discord_public_key=PUBLIC_HEX)
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "discord"
discord = Discord()


def post(body: bytes, _name: str = "", sent: datetime | None = None, key: str = PRIVATE_HEX) -> Delivery:
    stamp = int((sent or ARRIVAL - timedelta(seconds=1)).timestamp())
    headers = {k.lower(): v for k, v in discord_headers(body, key, timestamp=stamp).items()}
    return Delivery("discord", body, ARRIVAL, headers=headers)


PONG = {"body": '{"type":1}', "type": "application/json"}
ACK = {
    "body": '{"type":4,"data":{"content":"Thanks, we have your message and will get back to you here.","flags":64}}',
    "type": "application/json",
}
NELLY = {"id": "80351110224678912", "handle": "nelly", "name": "Nelly"}
EXPECTED: dict[str, Any] = {
    "discord-interactions-js__SharedTestUtils__pingRequestBody.json": outcome(answer=PONG),
    "discord-interactions-js__SharedTestUtils__applicationCommandRequestBody.json": outcome(
        mentions=[
            {
                "channel": "discord.command",
                "kind": "message",
                "native_id": "787053080478613556",
                "thread_id": "dm:unknown",  # the SDK's minimal body names no channel and no user
                "account_id": None,
                "author": {"id": "unknown"},
                "from_brand": False,
                "text": "/test",
                "created_at": "2020-12-11T20:27:57.125000Z",  # from the snowflake
            }
        ],
        answer=ACK,
    ),
    "synthetic__slash-command-with-options.json": outcome(
        mentions=[
            {
                "channel": "discord.command",
                "kind": "message",
                "native_id": "1312345678901234567",
                "thread_id": "645027906669510667:80351110224678912",  # this person in this channel
                "account_id": "290926798626357999",  # the server
                "author": NELLY,
                "from_brand": False,
                "text": "/support ticket order: 5521 problem: My package never arrived",
                "created_at": "2024-11-30T09:13:12.053000Z",
            }
        ],
        answer=ACK,
    ),
    "synthetic__modal-submit.json": outcome(
        mentions=[
            {
                "channel": "discord.modal",
                "kind": "message",
                "native_id": "1312345678901234999",
                "thread_id": "1111111111111111111:80351110224678912",
                "account_id": "1300000000000000000",  # a DM: the application
                "author": NELLY,
                "from_brand": False,
                "text": "Refund\nI was charged twice for the same order.",
                "created_at": "2024-11-30T09:13:12.053000Z",
            }
        ],
        answer=ACK,
    ),
    "synthetic__message-component.json": outcome(ignored=1, answer={"body": '{"type":6}', "type": "application/json"}),
    "synthetic__autocomplete.json": outcome(
        ignored=1, answer={"body": '{"type":8,"data":{"choices":[]}}', "type": "application/json"}
    ),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_interaction_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(discord, FOLDER, name, expected, post)


def test_a_signed_interaction_verifies_and_any_change_is_401() -> None:
    body = (FOLDER / "discord-interactions-js__SharedTestUtils__pingRequestBody.json").read_bytes()
    signed = post(body)
    discord.verify(signed, SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        discord.verify(replace(signed, body=body.replace(b'"type":1', b'"type":2')), SECRETS)
    later = {**signed.headers, "x-signature-timestamp": str(int(signed.headers["x-signature-timestamp"]) + 1)}
    with pytest.raises(InvalidSignature, match="does not match"):  # the timestamp is signed
        discord.verify(replace(signed, headers=later), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        discord.verify(post(body, key=Ed25519PrivateKey.generate().private_bytes_raw().hex()), SECRETS)
    with pytest.raises(InvalidSignature, match="not hex"):
        discord.verify(replace(signed, headers={**signed.headers, "x-signature-ed25519": "zz"}), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        discord.verify(replace(signed, headers={}), SECRETS)


def test_an_interaction_signed_more_than_five_minutes_ago_is_stale() -> None:
    body = (FOLDER / "discord-interactions-js__SharedTestUtils__pingRequestBody.json").read_bytes()
    with pytest.raises(StaleDelivery):
        discord.verify(post(body, sent=ARRIVAL - timedelta(minutes=5, seconds=1)), SECRETS)
    discord.verify(post(body, sent=ARRIVAL - timedelta(minutes=4, seconds=59)), SECRETS)


def test_without_a_public_key_nothing_verifies() -> None:
    body = b'{"type":1}'
    with pytest.raises(NotConfigured):
        discord.verify(post(body), SecretValues())
    with pytest.raises(NotConfigured):
        discord.verify(post(body), SecretValues(discord_public_key="not-hex"))


def test_the_development_key_pair_matches() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(DEV_DISCORD_PRIVATE_KEY))
    assert key.public_key().public_bytes_raw().hex() == DEV_DISCORD_PUBLIC_KEY
    discord.verify(
        post(b'{"type":1}', key=DEV_DISCORD_PRIVATE_KEY), SecretValues(discord_public_key=DEV_DISCORD_PUBLIC_KEY)
    )


def test_the_interaction_id_names_the_delivery() -> None:
    body = (FOLDER / "synthetic__slash-command-with-options.json").read_bytes()
    assert discord.delivery_id(post(body)) == "1312345678901234567"
    assert snowflake_time("175928847299117063") == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)
    assert discord.handshake(Handshake("discord", {}), SECRETS) is None


@pytest.mark.parametrize("body", [b"[]", b'{"type": 9}', b'{"type": 2}', b"{"])
def test_malformed_interactions_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        discord.parse(post(body))


def test_the_answer_is_valid_json_discord_reads() -> None:
    body = (FOLDER / "synthetic__slash-command-with-options.json").read_bytes()
    answer = discord.parse(post(body)).answer
    assert answer is not None
    assert json.loads(answer.body)["data"]["flags"] == 64  # only the person who asked sees it
