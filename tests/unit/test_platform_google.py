"""Google Business Profile over Pub/Sub push: the OIDC token (PyJWT against a local key: signature, audience,
issuer, service account, expiry at arrival), the notification naming a review, and the review fetched through the
`Reviews` port (an in-memory fake here; the HTTP adapter is tested against a local server in
tests/functional/test_google_reviews_api.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.signing import DEV_GOOGLE_PRIVATE_KEY, google_push
from services.ingest.http.google import JwksKeys
from services.ingest.platforms.base import Delivery
from services.ingest.platforms.google import Audience, Google, Review
from shared.errors import InvalidBody, InvalidSignature, NotConfigured, StaleDelivery
from shared.secrets import SecretValues
from shared.settings import DEV_GOOGLE_AUDIENCE, DEV_GOOGLE_JWKS, DEV_GOOGLE_SERVICE_ACCOUNT
from tests.conftest import FIXTURES, load_json
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored

ARRIVAL = datetime(2025, 11, 26, 10, 0, 2, tzinfo=UTC)
ISSUED = int(datetime(2025, 11, 26, 10, 0, tzinfo=UTC).timestamp())
FOLDER = FIXTURES / "webhooks" / "google"
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
JWK = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PRIVATE.public_key())), "kid": "test-key", "alg": "RS256"}
AUDIENCE = "https://hark.example/webhooks/google"
PUSHER = "gbp-push@acme-hark.iam.gserviceaccount.com"
SECRETS = SecretValues(platform={"google": "ya29.token"})
REVIEW = "accounts/111/locations/222/reviews/AbFvOqn"


class FakeReviews:
    """Like the Business Profile API: the reviews it has, None for the ones it no longer has."""

    def __init__(self, reviews: dict[str, dict[str, Any]]) -> None:
        self.reviews = reviews
        self.asked: list[str] = []

    def fetch(self, review_name: str) -> Review | None:
        self.asked.append(review_name)
        document = self.reviews.get(review_name)
        return Review.from_api(document) if document else None


def connector(review: str = "synthetic__api-review.json") -> tuple[Google, FakeReviews]:
    reviews = FakeReviews({REVIEW: load_json(FOLDER / review)})
    return Google(JwksKeys({"keys": [JWK]}), reviews, Audience(AUDIENCE, PUSHER)), reviews


def signed(
    body: bytes, *, key: str = PEM, audience: str = AUDIENCE, email: str = PUSHER, issued: int = ISSUED, **claims: Any
) -> Delivery:
    token_claims = {
        "aud": audience,
        "email": email,
        "email_verified": True,
        "iss": "https://accounts.google.com",
        "iat": issued,
        "exp": issued + 3600,
        "sub": "1",
        **claims,
    }
    token = jwt.encode(token_claims, key, algorithm="RS256", headers={"kid": "test-key"})
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return Delivery("google", body, ARRIVAL, headers=headers)


def post(body: bytes, _name: str = "") -> Delivery:
    return signed(body)


SAM_REVIEW = {
    "channel": "google.review",
    "kind": "review",
    "native_id": REVIEW,
    "thread_id": REVIEW,
    "account_id": "accounts/111/locations/222",  # the location reviewed
    "author": {"id": REVIEW, "name": "Sam Ortiz"},  # Google names no reviewer id
    "from_brand": False,
    "created_at": "2025-11-26T09:50:00Z",
}
EXPECTED: dict[str, Any] = {
    "synthetic__push-new-review.json": {
        **SAM_REVIEW,
        "text": "Waited 40 minutes for a table that was reserved.",
        "rating": 2,
    },
    "synthetic__push-updated-review.json": {  # the v4 key names (reviewName, notificationType) read too
        **SAM_REVIEW,
        "text": "Waited 40 minutes for a table that was reserved.",
        "rating": 2,
    },
    "synthetic__push-deleted-review.json": deleted(
        ("accounts/111/locations/222/reviews/GoneGone", "2025-11-26T10:00:02Z")
    ),
    "synthetic__push-new-question.json": ignored(),
}
NOT_PUSHES = {
    "synthetic__api-review.json",  # what the fake API returns
    "synthetic__api-review-replied.json",
    "google-cloudevents__examples_binary_events_cloud_pubsub__MessagePublishedData-text.json",
}


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED) == NOT_PUSHES


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_push_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(connector()[0], FOLDER, name, expected, post)


def test_an_edited_review_with_the_owners_reply_is_the_review_edited_and_the_brands_reply() -> None:
    google, reviews = connector("synthetic__api-review-replied.json")
    body = (FOLDER / "synthetic__push-updated-review.json").read_bytes()
    review, reply = google.parse(post(body)).mentions
    assert reviews.asked == [REVIEW]
    assert (review.native_id, review.rating, review.edited_at) == (
        REVIEW,
        3,
        datetime(2025, 11, 26, 10, 20, tzinfo=UTC),
    )
    assert review.text == "Waited 40 minutes, but the manager apologised."
    assert (reply.native_id, reply.thread_id, reply.parent_id) == (f"{REVIEW}/reply", REVIEW, REVIEW)
    assert (reply.from_brand, reply.kind, reply.text) == (
        True,
        "comment",
        "Sorry Sam, we have changed how we hold reservations.",
    )


def test_a_pubsub_example_whose_data_is_not_a_notification_is_refused() -> None:
    body = (
        FOLDER / "google-cloudevents__examples_binary_events_cloud_pubsub__MessagePublishedData-text.json"
    ).read_bytes()
    google, _ = connector()
    assert google.delivery_id(post(body)) == "message-id"
    with pytest.raises(InvalidBody):
        google.parse(post(body))


def test_a_token_from_google_for_this_subscription_verifies() -> None:
    body = (FOLDER / "synthetic__push-new-review.json").read_bytes()
    google, _ = connector()
    google.verify(signed(body), SECRETS)
    google.verify(signed(body, iss="accounts.google.com"), SECRETS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"audience": "https://elsewhere.example"}, "audience"),
        ({"email": "someone@evil.example"}, "service account"),
        ({"email_verified": False}, "service account"),
        ({"iss": "https://evil.example"}, "Google"),
        (
            {
                "key": rsa.generate_private_key(public_exponent=65537, key_size=2048)
                .private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                .decode()
            },
            "does not verify",
        ),
    ],
)
def test_a_token_for_another_audience_sender_or_key_is_refused(change: dict[str, Any], message: str) -> None:
    body = (FOLDER / "synthetic__push-new-review.json").read_bytes()
    with pytest.raises(InvalidSignature, match=message):
        connector()[0].verify(signed(body, **change), SECRETS)


def test_a_token_expired_at_arrival_is_stale_and_a_missing_one_is_refused() -> None:
    body = (FOLDER / "synthetic__push-new-review.json").read_bytes()
    google, _ = connector()
    with pytest.raises(StaleDelivery):
        google.verify(signed(body, issued=ISSUED - 7300), SECRETS)
    with pytest.raises(StaleDelivery):  # issued in the future
        google.verify(signed(body, issued=ISSUED + 600), SECRETS)
    with pytest.raises(InvalidSignature, match="bearer"):
        google.verify(replace(signed(body), headers={}), SECRETS)
    with pytest.raises(InvalidSignature):
        google.verify(replace(signed(body), headers={"authorization": "Bearer not.a.jwt"}), SECRETS)


def test_without_configuration_nothing_verifies() -> None:
    body = (FOLDER / "synthetic__push-new-review.json").read_bytes()
    with pytest.raises(NotConfigured):
        Google().verify(signed(body), SECRETS)


def test_the_development_key_signs_what_the_local_stack_accepts() -> None:
    notification = {"type": "NEW_REVIEW", "review": REVIEW}
    body, headers = google_push(
        notification, DEV_GOOGLE_PRIVATE_KEY, audience=DEV_GOOGLE_AUDIENCE, email=DEV_GOOGLE_SERVICE_ACCOUNT
    )
    local = Google(
        JwksKeys(DEV_GOOGLE_JWKS), FakeReviews({}), Audience(DEV_GOOGLE_AUDIENCE, DEV_GOOGLE_SERVICE_ACCOUNT)
    )
    delivery = Delivery("google", body, datetime.now(UTC), headers={k.lower(): v for k, v in headers.items()})
    local.verify(delivery, SECRETS)
    assert [d.native_id for d in local.parse(delivery).deletions] == [REVIEW]  # the fake has no such review


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"{}",
        b'{"message": {"data": "***"}}',
        json.dumps({"message": {"data": "eyJ0eXBlIjoiTkVXX1JFVklFVyJ9"}}).encode(),
    ],
)
def test_malformed_pushes_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidBody):
        connector()[0].parse(post(body))
