"""Slack Events API: url_verification, the v0 signature (Slack's published vector) and its 5-minute window, each
payload with what it must yield, threads, the app's own replies, edits, deletions and what carries no message."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.signing import slack_headers
from services.ingest.platforms.base import Delivery, Handshake, hmac_hex
from services.ingest.platforms.slack import Slack
from shared.errors import InvalidBody, InvalidSignature, StaleDelivery
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, load_json
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored, outcome

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SECRETS = SecretValues(platform={"slack": SECRET})
ARRIVAL = datetime(2025, 11, 26, 11, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "slack"
slack = Slack()


def post(body: bytes, _name: str = "", sent: datetime | None = None, secret: str = SECRET) -> Delivery:
    stamp = int((sent or ARRIVAL - timedelta(seconds=2)).timestamp())
    headers = {k.lower(): v for k, v in slack_headers(body, secret, timestamp=stamp).items()}
    return Delivery("slack", body, ARRIVAL, headers=headers)


MIA_MESSAGE = {
    "channel": "slack.message",
    "kind": "message",
    "native_id": "C0HELP:1764151200.000100",
    "thread_id": "C0HELP:1764151200.000100",
    "account_id": "T0ACME",
    "author": {"id": "U0MIA"},
    "from_brand": False,
    "created_at": "2025-11-26T10:00:00.000100Z",
}
EXPECTED: dict[str, Any] = {
    "python-slack-events-api__url_challenge.json": outcome(
        answer={"body": "valid_challenge_token", "type": "text/plain; charset=utf-8"}
    ),
    "python-slack-events-api__reaction_added.json": ignored(),
    "synthetic__message-channel.json": {
        **MIA_MESSAGE,
        "text": "Is the status page right? Login fails for our whole team.",
    },
    "synthetic__message-thread-reply-by-app.json": {
        "channel": "slack.message",
        "kind": "message",
        "native_id": "C0HELP:1764151300.000200",
        "thread_id": "C0HELP:1764151200.000100",  # the thread it replies in
        "parent_id": "C0HELP:1764151200.000100",
        "account_id": "T0ACME",
        "author": {"id": "U0HARKBOT"},
        "from_brand": True,  # the app's own bot user (authorizations)
        "text": "Thanks Mia, we are looking into it.",
        "created_at": "2025-11-26T10:01:40.000200Z",
    },
    "synthetic__app-mention.json": {
        "channel": "slack.message",
        "kind": "message",
        "native_id": "C0HELP:1764151400.000300",
        "thread_id": "C0HELP:1764151200.000100",
        "parent_id": "C0HELP:1764151200.000100",
        "account_id": "T0ACME",
        "author": {"id": "U0RAJ"},
        "from_brand": False,
        "text": "<@U0HARKBOT> same here, SSO loops back to the login page",
        "created_at": "2025-11-26T10:03:20.000300Z",
    },
    "synthetic__message-im.json": {
        "channel": "slack.dm",
        "kind": "message",
        "native_id": "D0MIA:1764151500.000400",
        "thread_id": "D0MIA:1764151500.000400",
        "account_id": "T0ACME",
        "author": {"id": "U0MIA"},
        "from_brand": False,
        "text": "Can I get a refund for the downtime?",
        "attachments": [{"type": "png", "url": "https://acme.slack.com/files/U0MIA/F1/screenshot.png"}],
        "created_at": "2025-11-26T10:05:00.000400Z",
    },
    "synthetic__message-changed.json": {
        **MIA_MESSAGE,  # the same message, so the same mention
        "text": "Is the status page right? Login fails for our whole team since 9:00.",
        "edited_at": "2025-11-26T10:06:30Z",
    },
    "synthetic__message-deleted.json": deleted(("C0HELP:1764151400.000300", "2025-11-26T10:08:20.000600Z")),
    "synthetic__message-channel-join.json": ignored(),
    "synthetic__message-other-bot.json": ignored(),  # another app's alerts are not the community speaking
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    names = set(EXPECTED) | {"slack__signature-vector.json"}
    assert fixtures_without_expectation(FOLDER, dict.fromkeys(names)) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_payload_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(slack, FOLDER, name, expected, post)


def test_the_signature_matches_slacks_published_vector() -> None:
    vector = load_json(FOLDER / "slack__signature-vector.json")
    stamp = vector["X-Slack-Request-Timestamp"]
    base = f"v0:{stamp}:{vector['body']}".encode()
    assert "v0=" + hmac_hex(vector["signing_secret"], base) == vector["X-Slack-Signature"]
    sent = datetime.fromtimestamp(int(stamp), UTC)
    delivery = Delivery(
        "slack",
        vector["body"].encode(),
        sent + timedelta(seconds=30),
        headers={"x-slack-request-timestamp": stamp, "x-slack-signature": vector["X-Slack-Signature"]},
    )
    slack.verify(delivery, SECRETS)


def test_tampered_or_unsigned_deliveries_are_refused() -> None:
    body = (FOLDER / "synthetic__message-channel.json").read_bytes()
    slack.verify(post(body), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        slack.verify(replace(post(body), body=body.replace(b"Login", b"Logout")), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        slack.verify(post(body, secret="another-workspace"), SECRETS)
    headers = dict(post(body).headers)
    headers["x-slack-request-timestamp"] = str(int(headers["x-slack-request-timestamp"]) + 1)
    with pytest.raises(InvalidSignature, match="does not match"):  # the timestamp is signed too
        slack.verify(replace(post(body), headers=headers), SECRETS)
    with pytest.raises(InvalidSignature, match="Timestamp"):
        slack.verify(replace(post(body), headers={"x-slack-signature": headers["x-slack-signature"]}), SECRETS)


@pytest.mark.parametrize("offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=6)])
def test_a_delivery_outside_five_minutes_is_stale(offset: timedelta) -> None:
    body = (FOLDER / "synthetic__message-channel.json").read_bytes()
    with pytest.raises(StaleDelivery):
        slack.verify(post(body, sent=ARRIVAL + offset), SECRETS)
    slack.verify(post(body, sent=ARRIVAL - timedelta(minutes=4, seconds=59)), SECRETS)


def test_a_retry_is_read_like_the_first_attempt_and_names_the_same_event() -> None:
    body = (FOLDER / "synthetic__message-channel.json").read_bytes()
    first = post(body)
    retry = replace(first, headers={**first.headers, "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    slack.verify(retry, SECRETS)
    assert slack.parse(retry).mentions == slack.parse(first).mentions
    assert slack.delivery_id(retry) == slack.delivery_id(first) == "Ev0001"


def test_the_app_mention_and_message_events_of_one_message_are_one_mention() -> None:
    mention = json.loads((FOLDER / "synthetic__app-mention.json").read_bytes())
    message = json.loads(json.dumps(mention))
    message["event"]["type"] = "message"
    [a] = slack.parse(post(json.dumps(mention).encode())).mentions
    [b] = slack.parse(post(json.dumps(message).encode())).mentions
    assert a.id == b.id


def test_slack_has_no_get_handshake() -> None:
    assert slack.handshake(Handshake("slack", {}), SECRETS) is None


@pytest.mark.parametrize(
    "body",
    [b"[1]", b"{oops", b'{"type": "event_callback"}', b'{"type": "url_verification"}'],
)
def test_malformed_deliveries_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        slack.parse(post(body))
