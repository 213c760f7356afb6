"""Mastodon admin webhooks: the X-Hub-Signature, statuses read from their HTML, edits, the brand's own accounts,
and the events that carry no message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import hub_headers
from services.ingest.platforms.base import Delivery
from services.ingest.platforms.mastodon import Mastodon, html_text
from shared.errors import InvalidBody, InvalidSignature
from shared.secrets import SecretValues
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, fixtures_without_expectation, ignored

SECRET = "mastodon-webhook-secret"
SECRETS = SecretValues(platform={"mastodon": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "mastodon"
mastodon = Mastodon(brand_accounts={"acme"})


def post(body: bytes, _name: str = "", secret: str = SECRET) -> Delivery:
    headers = hub_headers(body, secret, "sha256", "application/json")
    return Delivery("mastodon", body, ARRIVAL, headers={k.lower(): v for k, v in headers.items()})


MIA = {"id": "109348743534", "handle": "mia", "name": "Mia 🌿", "followers": 310}
STATUS = {
    "channel": "mastodon.status",
    "kind": "post",
    "native_id": "social.acme.example:113456789012345678",
    "thread_id": "social.acme.example:113456789012345678",
    "account_id": "social.acme.example",
    "author": MIA,
    "from_brand": False,
    "url": "https://social.acme.example/@mia/113456789012345678",
    "created_at": "2025-11-26T10:00:00Z",
}
EXPECTED: dict[str, Any] = {
    "synthetic__status-created.json": {
        **STATUS,
        # Mentions and links as people read them: the hidden parts of long links dropped, entities decoded.
        "text": "@acme my order & refund are both stuck.\nAny news? status.acme.example/incidents/42",
    },
    "synthetic__status-updated.json": {
        **STATUS,
        "text": "@acme my order and my refund are both stuck since Monday.\n\nAny news?",
        "edited_at": "2025-11-26T10:01:30Z",
    },
    "synthetic__status-created-by-brand.json": {
        "channel": "mastodon.status",
        "kind": "comment",
        "native_id": "social.acme.example:113456789012345699",
        "thread_id": "social.acme.example:113456789012345678",
        "parent_id": "social.acme.example:113456789012345678",
        "account_id": "social.acme.example",
        "author": {"id": "1", "handle": "acme", "name": "Acme", "followers": 9000},
        "from_brand": True,  # one of the brand's accounts
        "text": "@mia we are on it, sorry!",
        "url": "https://social.acme.example/@acme/113456789012345699",
        "created_at": "2025-11-26T10:03:00Z",
    },
    "synthetic__report-created.json": ignored(),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_event_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(mastodon, FOLDER, name, expected, post)


def test_a_status_mentioning_the_brand_is_addressed_to_it() -> None:
    [mention] = mastodon.parse(post((FOLDER / "synthetic__status-created.json").read_bytes())).mentions
    assert mention.addressed is True
    [unknown] = Mastodon().parse(post((FOLDER / "synthetic__status-created.json").read_bytes())).mentions
    assert (unknown.addressed, unknown.from_brand) == (None, False)


def test_the_signature_covers_the_body() -> None:
    body = (FOLDER / "synthetic__status-created.json").read_bytes()
    mastodon.verify(post(body), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        mastodon.verify(replace(post(body), body=body.replace(b"stuck", b"fine!")), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        mastodon.verify(post(body, secret="other"), SECRETS)
    with pytest.raises(InvalidSignature):
        mastodon.verify(replace(post(body), headers={}), SECRETS)


def test_html_becomes_text() -> None:
    assert html_text("<p>a<br>b</p><p>c &lt;3</p>") == "a\nb\n\nc <3"


@pytest.mark.parametrize(
    "body",
    [b"[]", b"{}", b'{"event": "status.created"}', b'{"event": "status.created", "object": {"account": {}}}'],
)
def test_malformed_events_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        mastodon.parse(post(body))
