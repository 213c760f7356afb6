"""`generic` (Standard Webhooks): the specification's own test vector, key rotation, the 5-minute window, and the
three event types in the partner namespace."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.signing import standard_webhooks_headers
from services.ingest.platforms.base import Delivery
from services.ingest.platforms.generic import SOURCE, Generic, sign, signing_key
from shared.errors import InvalidBody, InvalidSignature, StaleDelivery
from shared.ids import mention_id
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, load_json
from tests.connectors import deleted, expected_outcome, fixtures_without_expectation, outcome_of

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRETS = SecretValues(platform={"generic": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "generic"
generic = Generic()


def post(body: bytes, _name: str = "", sent: datetime | None = None, secret: str = SECRET) -> Delivery:
    stamp = int((sent or ARRIVAL - timedelta(seconds=1)).timestamp())
    headers = standard_webhooks_headers(body, secret, message_id="msg_1", timestamp=stamp)
    return Delivery("generic", body, ARRIVAL, headers={k.lower(): v for k, v in headers.items()})


TICKET = {
    "channel": "helpdesk.ticket",
    "kind": "comment",
    "native_id": "zd-9001",
    "thread_id": "zd-9001",
    "account_id": None,
    "from_brand": False,
    "created_at": "2025-11-26T09:58:00Z",
}
EXPECTED: dict[str, Any] = {
    "synthetic__mention-created.json": {
        **TICKET,
        "author": {"id": "cust-88", "handle": "techwithsam", "followers": 120000},
        "text": "The app crashes every time I open Settings on Android 14.",
    },
    "synthetic__mention-updated.json": {
        **TICKET,
        "author": {"id": "cust-88", "handle": "techwithsam"},
        "text": "The app crashes every time I open Settings on Android 14 and 15.",
        "edited_at": "2025-11-26T10:10:00Z",  # the event's timestamp
    },
    "synthetic__mention-deleted.json": deleted(("zd-9001", "2025-11-26T10:20:00Z")),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == {"standard-webhooks__spec-vector.json"}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_event_yields_what_it_should_in_the_partner_namespace(name: str, expected: Any) -> None:
    parsed = generic.parse(post((FOLDER / name).read_bytes()))
    for mention in parsed.mentions:
        assert (mention.source, mention.id) == (SOURCE, mention_id("generic", "zd-9001", SOURCE))
    for deletion in parsed.deletions:
        assert deletion.id == mention_id("generic", "zd-9001", SOURCE)  # the same id its mention has
    assert outcome_of(parsed) == expected_outcome(expected)


def test_the_signature_matches_the_specifications_vector() -> None:
    vector = load_json(FOLDER / "standard-webhooks__spec-vector.json")
    body = vector["body"].encode()
    assert (
        sign(vector["secret"], vector["webhook-id"], vector["webhook-timestamp"], body) == vector["webhook-signature"]
    )
    sent = datetime.fromtimestamp(int(vector["webhook-timestamp"]), UTC)
    headers = {k: vector[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    generic.verify(Delivery("generic", body, sent + timedelta(seconds=5), headers=headers), SECRETS)


def test_during_key_rotation_any_offered_signature_may_match() -> None:
    body = (FOLDER / "synthetic__mention-created.json").read_bytes()
    signed = post(body)
    old = post(body, secret="whsec_b2xkLXNlY3JldC1vZi1hLXJvdGF0ZWQtZW5kcG9pbnQ=").headers["webhook-signature"]
    both = {**signed.headers, "webhook-signature": f"{old} {signed.headers['webhook-signature']}"}
    generic.verify(replace(signed, headers=both), SECRETS)
    with pytest.raises(InvalidSignature, match="no signature"):
        generic.verify(replace(signed, headers={**signed.headers, "webhook-signature": old}), SECRETS)


def test_tampered_stale_or_unsigned_messages_are_refused() -> None:
    body = (FOLDER / "synthetic__mention-created.json").read_bytes()
    with pytest.raises(InvalidSignature):
        generic.verify(replace(post(body), body=body.replace(b"crashes", b"shines!")), SECRETS)
    with pytest.raises(InvalidSignature):
        generic.verify(replace(post(body), headers={**post(body).headers, "webhook-id": "msg_2"}), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        generic.verify(replace(post(body), headers={}), SECRETS)
    with pytest.raises(StaleDelivery):
        generic.verify(post(body, sent=ARRIVAL - timedelta(minutes=5, seconds=1)), SECRETS)
    assert generic.delivery_id(post(body)) == "msg_1"


def test_a_secret_without_the_prefix_is_its_own_bytes() -> None:
    assert signing_key("plain-secret") == b"plain-secret"
    assert signing_key("whsec_aGk=") == b"hi"


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "mention.liked", "data": {}}',
        b'{"type": "mention.created", "data": {"native_id": "x"}}',  # no author, no text
        b'{"type": "mention.deleted", "data": {}}',
        b'{"type": "mention.created", "timestamp": "soon", "data": {}}',
    ],
)
def test_malformed_events_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        generic.parse(post(body))
