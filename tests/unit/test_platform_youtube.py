"""YouTube WebSub: the verification of intent (with its lease), the X-Hub-Signature on the Atom body, and what a
notification means to Hark: notices for the comment poller, never mentions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import hub_headers
from services.ingest.platforms.base import Delivery, Handshake
from services.ingest.platforms.youtube import YouTube, channel_of
from shared.errors import InvalidBody, InvalidQuery, InvalidSignature, NotFound
from shared.secrets import SecretValues
from tests.conftest import FIXTURES
from tests.connectors import check_fixture, fixtures_without_expectation, outcome

SECRET = "websub-secret"
SECRETS = SecretValues(platform={"youtube": SECRET})
ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "youtube"
CHANNEL = "UCacmeChannel000000000000"
TOPIC = f"https://www.youtube.com/xml/feeds/videos.xml?channel_id={CHANNEL}"
youtube = YouTube()


def post(body: bytes, _name: str = "", secret: str = SECRET, algorithm: str = "sha1") -> Delivery:
    headers = {k.lower(): v for k, v in hub_headers(body, secret, algorithm).items()}
    return Delivery("youtube", body, ARRIVAL, headers=headers)


EXPECTED: dict[str, Any] = {
    "google-docs__push_notifications__video_published_or_updated.xml": outcome(
        ignored=1,
        notices=[
            {
                # Google's example: updated three days after publication, so a change of title or description.
                "kind": "video.updated",
                "ref": "VIDEO_ID",
                "at": "2015-03-09T19:05:24.552394+00:00",
                "account_id": "CHANNEL_ID",
                "detail": {
                    "title": "Video title",
                    "url": "http://www.youtube.com/watch?v=VIDEO_ID",
                    "published": "2015-03-06T21:40:57+00:00",
                },
            }
        ],
    ),
    "synthetic__two-videos.xml": outcome(
        ignored=2,
        notices=[
            {
                "kind": "video.published",
                "ref": "acmeWinter01",
                "at": "2025-11-26T10:00:05.551234+00:00",
                "account_id": CHANNEL,
                "detail": {
                    "title": "Winter collection: first look",
                    "url": "https://www.youtube.com/watch?v=acmeWinter01",
                    "published": "2025-11-26T10:00:00+00:00",
                },
            },
            {
                "kind": "video.updated",
                "ref": "acmeHowTo007",
                "at": "2025-11-26T09:59:00+00:00",
                "account_id": CHANNEL,
                "detail": {
                    "title": "How to reset your router (updated)",
                    "url": "https://www.youtube.com/watch?v=acmeHowTo007",
                    "published": "2025-10-01T08:00:00+00:00",
                },
            },
        ],
    ),
    "synthetic__video-deleted.xml": outcome(
        ignored=1,
        notices=[
            {
                "kind": "video.deleted",
                "ref": "dQw4w9WgXcQ",
                "at": "2025-11-26T11:00:00.123456+00:00",
                "account_id": CHANNEL,
            }
        ],
    ),
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED, "*.xml") == set()


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_feed_yields_notices_and_no_mention(name: str, expected: Any) -> None:
    check_fixture(youtube, FOLDER, name, expected, post)


def test_the_verification_echoes_the_challenge_and_tells_of_the_lease() -> None:
    query = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "1a2b3c", "hub.lease_seconds": "432000"}
    answer = youtube.handshake(Handshake("youtube", query, received_at=ARRIVAL), SECRETS)
    assert answer is not None
    assert (answer.body, answer.content_type) == ("1a2b3c", "text/plain; charset=utf-8")
    [notice] = answer.notices
    assert (notice.kind, notice.ref, notice.account_id) == ("subscription.verified", TOPIC, CHANNEL)
    assert notice.detail == {"lease_seconds": "432000", "expires_at": "2025-12-01T12:00:00+00:00"}


def test_unsubscribing_and_denials_are_answered_too() -> None:
    query = {"hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.challenge": "bye"}
    answer = youtube.handshake(Handshake("youtube", query, received_at=ARRIVAL), SECRETS)
    assert answer is not None
    assert answer.body == "bye"
    assert [n.kind for n in answer.notices] == ["subscription.ended"]
    denied = youtube.handshake(
        Handshake("youtube", {"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "no"}, received_at=ARRIVAL),
        SECRETS,
    )
    assert denied is not None
    assert [(n.kind, n.detail["reason"]) for n in denied.notices] == [("subscription.denied", "no")]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c"}, InvalidQuery),  # no lease
        ({"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.lease_seconds": "60"}, InvalidQuery),  # no challenge
        (
            {
                "hub.mode": "subscribe",
                "hub.topic": "https://evil.example/feed",
                "hub.challenge": "c",
                "hub.lease_seconds": "60",
            },
            NotFound,
        ),
        ({"hub.challenge": "c"}, InvalidQuery),
    ],
)
def test_a_verification_hark_did_not_ask_for_is_refused(query: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        youtube.handshake(Handshake("youtube", query, received_at=ARRIVAL), SECRETS)


def test_only_configured_channels_are_agreed_when_there_are_some() -> None:
    query = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c", "hub.lease_seconds": "60"}
    with pytest.raises(NotFound):
        YouTube(channels={"UCsomeoneElse"}).handshake(Handshake("youtube", query), SECRETS)
    assert YouTube(channels={CHANNEL}).handshake(Handshake("youtube", query), SECRETS) is not None
    assert channel_of(TOPIC) == CHANNEL
    assert channel_of("https://www.youtube.com/xml/feeds/videos.xml?playlist_id=PL1") is None


def test_the_signature_covers_the_body_with_the_algorithm_it_names() -> None:
    body = (FOLDER / "synthetic__two-videos.xml").read_bytes()
    youtube.verify(post(body), SECRETS)
    youtube.verify(post(body, algorithm="sha256"), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        youtube.verify(replace(post(body), body=body.replace(b"first look", b"last look")), SECRETS)
    with pytest.raises(InvalidSignature, match="does not match"):
        youtube.verify(post(body, secret="other"), SECRETS)
    with pytest.raises(InvalidSignature, match="algorithm"):
        youtube.verify(replace(post(body), headers={"x-hub-signature": "md5=00"}), SECRETS)
    with pytest.raises(InvalidSignature, match="missing"):
        youtube.verify(replace(post(body), headers={}), SECRETS)


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<rss/>",
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom">&a;</feed>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>no id</title></entry></feed>',
    ],
)
def test_what_is_not_a_youtube_feed_is_refused_entities_included(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        youtube.parse(post(body))
