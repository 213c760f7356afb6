"""Google Business Profile reviews, through a Pub/Sub push subscription.

The Business Profile API publishes `NEW_REVIEW` and `UPDATED_REVIEW` notifications to the brand's Pub/Sub topic
(`notificationSetting`); a push subscription with authentication POSTs each to `/webhooks/google` as
`{"message": {"data": <base64 JSON>, "attributes", "messageId", "publishTime"}, "subscription"}` with
`Authorization: Bearer <Google-signed OIDC token>`. Hark verifies the token with PyJWT against the keys of
`HARK_GOOGLE_JWKS` (Google's certificate URL in AWS, a file or URL anywhere): RS256 signature, `aud` (the audience
set on the subscription, `HARK_GOOGLE_AUDIENCE`), `iss` (accounts.google.com), and the push service account's
verified `email` (`HARK_GOOGLE_SERVICE_ACCOUNT`). A token expired (or issued in the future) at the delivery's arrival
is stale. Pub/Sub redelivers until acknowledged (for up to 7 days); `messageId` names the message.

The notification only names the review; Hark fetches it through the Business Profile API (`Reviews` port; the
HTTP adapter's base URL is `HARK_API_BASE_GOOGLE`). A review is a mention; an update is the same mention with
`edited_at`; a review the API no longer has was deleted; the brand's reply on it is the brand's own mention in the
review's conversation. Other notification types (questions, media, Google updates) are acknowledged and ignored.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    from_iso,
    from_unix,
    parse_json,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature, NotConfigured, StaleDelivery
from shared.events import Mention
from shared.secrets import SecretValues

ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
REVIEW_TYPES = frozenset({"NEW_REVIEW", "UPDATED_REVIEW"})
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
CLOCK_LEEWAY = timedelta(minutes=1)
GOOGLE_CERTS = "https://www.googleapis.com/oauth2/v3/certs"


@dataclass(frozen=True)
class Review:
    """A review as the Business Profile API returns it (`accounts/*/locations/*/reviews/*`)."""

    name: str
    reviewer_name: str | None
    anonymous: bool
    stars: int | None
    comment: str
    created_at: datetime
    updated_at: datetime
    reply: str | None = None
    reply_updated_at: datetime | None = None

    @classmethod
    def from_api(cls, document: Mapping[str, Any]) -> Review:
        raw_reviewer, raw_reply = document.get("reviewer"), document.get("reviewReply")
        reviewer: dict[str, Any] = raw_reviewer if isinstance(raw_reviewer, dict) else {}
        reply: dict[str, Any] | None = raw_reply if isinstance(raw_reply, dict) else None
        name = document.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidBody("the Business Profile API returned a review without its name")
        created = from_iso(document.get("createTime"))
        return cls(
            name=name,
            reviewer_name=text_or_none(reviewer.get("displayName")),
            anonymous=reviewer.get("isAnonymous") is True,
            stars=STARS.get(str(document.get("starRating"))),
            comment=text_or_none(document.get("comment")) or "",
            created_at=created,
            updated_at=from_iso(document["updateTime"]) if document.get("updateTime") else created,
            reply=text_or_none(reply.get("comment")) if reply else None,
            reply_updated_at=from_iso(reply["updateTime"]) if reply and reply.get("updateTime") else None,
        )


class Reviews(Protocol):
    def fetch(self, review_name: str) -> Review | None:
        """The review, or None when the API no longer has it (deleted). Raises Unavailable or NotConfigured."""


class Keys(Protocol):
    def key(self, kid: str) -> Any:
        """The public key with this `kid`; raises InvalidSignature when there is none."""


@dataclass(frozen=True)
class Audience:
    """Who the push tokens must be for and from."""

    audience: str
    service_account: str


class Google:
    platform: Literal["google"] = "google"
    content_types = frozenset({"application/json"})

    def __init__(
        self,
        keys: Keys | None = None,
        reviews: Reviews | None = None,
        expect: Audience | None = None,
    ) -> None:
        self._keys = keys
        self._reviews = reviews
        self._expect = expect

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        import jwt  # noqa: PLC0415 - only this connector needs PyJWT

        if self._keys is None or self._expect is None:
            raise NotConfigured("Google push is not configured (HARK_GOOGLE_JWKS, HARK_GOOGLE_AUDIENCE)")
        header = delivery.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise InvalidSignature("the Authorization header does not carry a bearer token")
        token = header[7:].strip()
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.key(str(kid))
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._expect.audience,
                # Times are checked against the delivery's arrival below, not the clock of the moment.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["exp", "iat"]},
            )
        except jwt.InvalidAudienceError as exc:
            raise InvalidSignature("the token is for another audience") from exc
        except jwt.PyJWTError as exc:
            raise InvalidSignature(f"the token does not verify: {type(exc).__name__}") from exc
        if claims.get("iss") not in ISSUERS:
            raise InvalidSignature("the token was not issued by Google")
        if claims.get("email") != self._expect.service_account or claims.get("email_verified") is not True:
            raise InvalidSignature("the token is not the push subscription's service account")
        issued, expires = from_unix(claims["iat"]), from_unix(claims["exp"])
        if delivery.received_at > expires + CLOCK_LEEWAY:
            raise StaleDelivery("the token had expired when the delivery arrived")
        if issued > delivery.received_at + CLOCK_LEEWAY:
            raise StaleDelivery("the token was issued after the delivery arrived")

    def delivery_id(self, delivery: Delivery) -> str | None:
        try:
            message = parse_json(delivery.body).get("message")
        except InvalidBody:
            return None
        return text_or_none(message.get("messageId")) if isinstance(message, dict) else None

    def parse(self, delivery: Delivery) -> Parsed:
        push = parse_json(delivery.body, "Pub/Sub push")
        message = push.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("data"), str):
            raise InvalidBody("a Pub/Sub push carries a message with data")
        try:
            notification = parse_json(base64.b64decode(message["data"], validate=True), "notification")
        except (binascii.Error, ValueError) as exc:
            raise InvalidBody("the message data is not base64") from exc
        kind = _first(notification, "type", "notificationType", "notification_type")
        if kind not in REVIEW_TYPES:
            return Parsed(ignored=1)
        name = _first(notification, "review", "reviewName", "review_name")
        if not name or not name.startswith("accounts/") or "/reviews/" not in name:
            raise InvalidBody("a review notification names its review (accounts/*/locations/*/reviews/*)")
        if self._reviews is None:
            raise NotConfigured("no Business Profile API client is configured")
        review = self._reviews.fetch(name)
        if review is None:
            return Parsed(deletions=[build_deletion(self.platform, name, delivery.received_at, delivery.received_at)])
        return Parsed(mentions=self._mentions(review, delivery))

    def _mentions(self, review: Review, delivery: Delivery) -> list[Mention]:
        location = review.name.split("/reviews/", 1)[0]
        reviewer_id = review.name  # Google names no reviewer id; each review is its reviewer's
        mentions = [
            build_mention(
                platform=self.platform,
                channel="google.review",
                kind="review",
                native_id=review.name,
                thread_id=review.name,
                account_id=location,
                author=Person(id=reviewer_id, name=None if review.anonymous else review.reviewer_name),
                text=review.comment,
                rating=review.stars,
                created_at=review.created_at,
                received_at=delivery.received_at,
                edited_at=review.updated_at if review.updated_at > review.created_at else None,
            )
        ]
        if review.reply is not None:
            mentions.append(
                build_mention(
                    platform=self.platform,
                    channel="google.review",
                    kind="comment",
                    native_id=f"{review.name}/reply",
                    thread_id=review.name,
                    parent_id=review.name,
                    account_id=location,
                    author=Person(id=location, name="owner"),
                    from_brand=True,  # the business's own reply
                    text=review.reply,
                    created_at=review.reply_updated_at or review.updated_at,
                    received_at=delivery.received_at,
                )
            )
        return mentions


def _first(document: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        if isinstance(document.get(key), str):
            return str(document[key])
    return None
