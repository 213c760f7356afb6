"""Zendesk event webhooks: the timestamped base64 signature and its window, public comments (a customer's and an
agent's), internal notes and the events that carry no message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.signing import zendesk_headers
from services.ingest.platforms.base import Delivery
from services.ingest.platforms.zendesk import Zendesk, zendesk_signature
from shared.errors import InvalidBody, InvalidSignature, StaleDelivery
from shared.secrets import SecretValues
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, fixtures_without_expectation, ignored

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
SECRETS = SecretValues(platform={"zendesk": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "zendesk"
zendesk = Zendesk()


def post(body: bytes, _name: str = "", sent: datetime | None = None, secret: str = SECRET) -> Delivery:
    headers = zendesk_headers(body, secret, timestamp=sent or ARRIVAL - timedelta(seconds=2))
    return Delivery("zendesk", body, ARRIVAL, headers={k.lower(): v for k, v in headers.items()})


COMMENT = {
    "channel": "zendesk.ticket_comment",
    "kind": "comment",
    "thread_id": "12514403/ticket/35436",  # the ticket is the conversation
    "account_id": "12514403",
}
EXPECTED: dict[str, Any] = {
    "synthetic__ticket-comment-added-customer.json": {
        **COMMENT,
        "native_id": "12514403/comment/30064117810589",
        "author": {"id": "6596848315901", "name": "Mia Lang"},
        "from_brand": False,
        "text": "It has now been ten days. I want a refund.",
        "created_at": "2025-11-26T10:00:00Z",
    },
    "synthetic__ticket-comment-added-agent.json": {
        **COMMENT,
        "native_id": "12514403/comment/30064117810600",
        "author": {"id": "900001", "name": "Ana (Acme)"},
        "from_brand": True,  # an agent: the brand's own reply
        "text": "Hi Mia, the refund is on its way.",
        "created_at": "2025-11-26T10:05:00Z",
    },
    "synthetic__ticket-comment-added-internal-note.json": ignored(),
    "synthetic__ticket-status-changed.json": ignored(),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_event_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(zendesk, FOLDER, name, expected, post)


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    body = (FOLDER / "synthetic__ticket-comment-added-customer.json").read_bytes()
    signed = post(body)
    zendesk.verify(signed, SECRETS)
    assert signed.headers["x-zendesk-webhook-signature"] == zendesk_signature(
        SECRET, signed.headers["x-zendesk-webhook-signature-timestamp"], body
    )
    with pytest.raises(InvalidSignature, match="does not match"):
        zendesk.verify(replace(signed, body=body.replace(b"refund", b"pony")), SECRETS)
    moved = {**signed.headers, "x-zendesk-webhook-signature-timestamp": "2025-11-26T11:59:00Z"}
    with pytest.raises(InvalidSignature, match="does not match"):
        zendesk.verify(replace(signed, headers=moved), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        zendesk.verify(post(body, secret="another"), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        zendesk.verify(replace(signed, headers={}), SECRETS)


def test_a_signature_older_than_an_hour_is_stale() -> None:
    body = (FOLDER / "synthetic__ticket-comment-added-customer.json").read_bytes()
    with pytest.raises(StaleDelivery):
        zendesk.verify(post(body, sent=ARRIVAL - timedelta(hours=1, seconds=1)), SECRETS)
    zendesk.verify(post(body, sent=ARRIVAL - timedelta(minutes=59)), SECRETS)


def test_a_retry_carries_the_event_id() -> None:
    body = (FOLDER / "synthetic__ticket-comment-added-customer.json").read_bytes()
    assert zendesk.delivery_id(post(body)) == "5f3a3c5e-0b8e-4d45-9b6c-0c9a1f0e9a01"


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"type": "zen:event-type:ticket.comment_added", "event": {}}', b"{"])
def test_malformed_events_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        zendesk.parse(post(body))
