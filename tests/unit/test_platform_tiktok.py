"""TikTok for Developers webhooks: the t=,s= signature and its window, and events that are notices, never mentions
(TikTok pushes no comments)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.signing import tiktok_headers
from services.ingest.platforms.base import Delivery, Handshake
from services.ingest.platforms.tiktok import TikTok, tiktok_signature
from shared.errors import InvalidBody, InvalidSignature, StaleDelivery
from shared.secrets import SecretValues
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, fixtures_without_expectation, outcome

SECRET = "tiktok-client-secret"
SECRETS = SecretValues(platform={"tiktok": SECRET})
ARRIVAL = datetime(2025, 11, 26, 10, 1, 5, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "tiktok"
ACCOUNT = "act.acmeBrandAccount000000000001"
tiktok = TikTok()


def post(body: bytes, _name: str = "", sent: datetime | None = None, secret: str = SECRET) -> Delivery:
    stamp = int((sent or ARRIVAL - timedelta(seconds=2)).timestamp())
    headers = {k.lower(): v for k, v in tiktok_headers(body, secret, timestamp=stamp).items()}
    return Delivery("tiktok", body, ARRIVAL, headers=headers)


EXPECTED: dict[str, Any] = {
    "synthetic__authorization-removed.json": outcome(
        ignored=1,
        notices=[
            {
                "kind": "app.revoked",
                "ref": ACCOUNT,
                "at": "2025-11-26T10:00:00+00:00",
                "account_id": ACCOUNT,
                "detail": {"reason": "1"},
            }
        ],
    ),
    "synthetic__video-publish-completed.json": outcome(
        ignored=1,
        notices=[
            {
                "kind": "video.published",  # the comment poller's cue
                "ref": "v_pub_url~v2.7342000000000000001",
                "at": "2025-11-26T10:01:00+00:00",
                "account_id": ACCOUNT,
                "detail": {"publish_id": "v_pub_url~v2.7342000000000000001", "publish_type": "DIRECT_PUBLISH"},
            }
        ],
    ),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_event_is_a_notice(name: str, expected: Any) -> None:
    check_fixture(tiktok, FOLDER, name, expected, post)


def test_the_signature_covers_the_time_and_the_body() -> None:
    body = (FOLDER / "synthetic__authorization-removed.json").read_bytes()
    signed = post(body)
    tiktok.verify(signed, SECRETS)
    stamp = signed.headers["tiktok-signature"].split(",")[0].removeprefix("t=")
    assert signed.headers["tiktok-signature"] == f"t={stamp},s={tiktok_signature(SECRET, stamp, body)}"
    with pytest.raises(InvalidSignature, match="does not match"):
        tiktok.verify(replace(signed, body=body + b" "), SECRETS)
    moved = signed.headers["tiktok-signature"].replace(f"t={stamp}", f"t={int(stamp) - 1}")
    with pytest.raises(InvalidSignature, match="does not match"):
        tiktok.verify(replace(signed, headers={"tiktok-signature": moved}), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        tiktok.verify(replace(signed, headers={}), SECRETS)
    with pytest.raises(StaleDelivery):
        tiktok.verify(post(body, sent=ARRIVAL - timedelta(minutes=6)), SECRETS)


def test_a_retry_names_the_same_event() -> None:
    body = (FOLDER / "synthetic__authorization-removed.json").read_bytes()
    assert tiktok.delivery_id(post(body)) == f"authorization.removed:{ACCOUNT}:1764151200"
    assert tiktok.handshake(Handshake("tiktok", {}), SECRETS) is None


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"event": "x", "content": "{not json"}'])
def test_malformed_events_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        tiktok.parse(post(body))
