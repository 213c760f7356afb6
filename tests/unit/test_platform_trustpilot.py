"""Trustpilot: no signature, so a secret in the webhook URL (Basic credentials or ?token=); batched review events,
updates, deletions and the events that carry no review."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import trustpilot_headers
from services.ingest.platforms.base import Delivery
from services.ingest.platforms.trustpilot import Trustpilot
from shared.errors import InvalidBody, InvalidSignature
from shared.secrets import SecretValues
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, fixtures_without_expectation, outcome

SECRET = "tp-url-secret-0123456789"
SECRETS = SecretValues(platform={"trustpilot": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "trustpilot"
trustpilot = Trustpilot()


def post(body: bytes, _name: str = "", secret: str = SECRET) -> Delivery:
    headers = {k.lower(): v for k, v in trustpilot_headers(secret).items()}
    return Delivery("trustpilot", body, ARRIVAL, headers=headers)


OKAFOR = {"id": "5c0000000000000000000001", "name": "R. Okafor"}
UNIT = "46d6a890000064000500e0c3"
EXPECTED: dict[str, Any] = {
    "synthetic__service-reviews-created.json": [
        {
            "channel": "trustpilot.review",
            "kind": "review",
            "native_id": "6745a1b2c3d4e5f600000001",
            "thread_id": "6745a1b2c3d4e5f600000001",
            "account_id": UNIT,  # the business unit reviewed
            "author": OKAFOR,
            "from_brand": False,
            "text": "Three weeks for a reply\n\nSupport took three weeks to reply and the issue is still not fixed.",
            "url": "https://www.trustpilot.com/reviews/6745a1b2c3d4e5f600000001",
            "rating": 1,
            "created_at": "2025-11-26T09:00:00Z",
        },
        {
            "channel": "trustpilot.review",
            "kind": "review",
            "native_id": "6745a1b2c3d4e5f600000002",
            "thread_id": "6745a1b2c3d4e5f600000002",
            "account_id": UNIT,
            "author": {"id": "5c0000000000000000000002", "name": "Jana"},
            "from_brand": False,
            "text": "Super\n\nSchnelle Lieferung, gerne wieder.",
            "url": "https://www.trustpilot.com/reviews/6745a1b2c3d4e5f600000002",
            "rating": 5,
            "created_at": "2025-11-26T09:30:00Z",
        },
    ],
    "synthetic__service-review-updated.json": {
        "channel": "trustpilot.review",
        "kind": "review",
        "native_id": "6745a1b2c3d4e5f600000001",
        "thread_id": "6745a1b2c3d4e5f600000001",
        "account_id": UNIT,
        "author": OKAFOR,
        "from_brand": False,
        "text": "Finally sorted\n\nThey called me and fixed it. Two stars for the wait.",
        "url": "https://www.trustpilot.com/reviews/6745a1b2c3d4e5f600000001",
        "rating": 2,
        "created_at": "2025-11-26T09:00:00Z",
        "edited_at": "2025-11-26T11:00:00Z",
    },
    "synthetic__service-review-deleted.json": outcome(
        deleted=[{"native_id": "6745a1b2c3d4e5f600000002", "deleted_at": "2025-11-26T12:00:00Z"}], ignored=1
    ),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_delivery_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(trustpilot, FOLDER, name, expected, post)


def test_the_url_secret_comes_as_basic_credentials_or_a_token() -> None:
    body = (FOLDER / "synthetic__service-reviews-created.json").read_bytes()
    trustpilot.verify(post(body), SECRETS)
    trustpilot.verify(Delivery("trustpilot", body, ARRIVAL, query={"token": SECRET}), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        trustpilot.verify(post(body, secret="guess"), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        trustpilot.verify(Delivery("trustpilot", body, ARRIVAL, query={"token": "guess"}), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        trustpilot.verify(replace(post(body), headers={}), SECRETS)
    garbled = {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()}
    with pytest.raises(InvalidSignature):
        trustpilot.verify(replace(post(body), headers=garbled), SECRETS)


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"events": [1]}', b'{"events": [{"eventName": "x"}]}'])
def test_malformed_deliveries_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        trustpilot.parse(post(body))
