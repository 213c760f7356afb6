"""`generic`: partner tools (a helpdesk, a CRM, a listening tool) that push mentions signed with Standard Webhooks.

Signature (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
space-separated list of `v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + raw body)>`, several while a key
is rotated (any one that matches is enough). The key is Hark's `generic` secret: `whsec_<base64>` as the standard
prints it, or, without the prefix, the secret's own bytes. A timestamp more than 5 minutes from arrival is refused,
as the standard asks. `webhook-id` names the message, and a retry carries the same one.

The body is `{"type": "mention.created" | "mention.updated" | "mention.deleted", "timestamp": <ISO 8601>, "data":
<the mention POST /v1/mentions takes>}`; for `mention.deleted`, `data` needs only `native_id` (and `platform`, if
not `generic`). Mentions live in the partner namespace (`partner:webhook`), like the partner API's: a partner can
neither claim a platform's message ids nor its threads. An update is the same mention with `edited_at` (the event's
timestamp). The signing secret is set by an administrator, so a signed delivery may write as the brand
(`from_brand`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    check_window,
    from_iso,
    from_unix,
    hmac_digest,
    parse_json,
)
from shared.api.models import PartnerMention
from shared.errors import InvalidBody, InvalidSignature, validation_errors
from shared.events import MAX_ID_CHARS, Mention, PlatformId
from shared.secrets import SecretValues

REPLAY_WINDOW = timedelta(minutes=5)
SOURCE = "partner:webhook"
EVENTS = ("mention.created", "mention.updated", "mention.deleted")


def signing_key(secret: str) -> bytes:
    """A Standard Webhooks secret: `whsec_` and base64, or (without the prefix) the secret's bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    digest = hmac_digest(signing_key(secret), f"{message_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(digest).decode()


class Deleted(BaseModel):
    model_config = ConfigDict(extra="ignore")

    platform: PlatformId = "generic"
    native_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)


class Generic:
    platform: Literal["generic"] = "generic"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        message_id = delivery.headers.get("webhook-id", "")
        stamp = delivery.headers.get("webhook-timestamp", "")
        given = delivery.headers.get("webhook-signature", "")
        if not message_id or not stamp.isdigit() or not given:
            raise InvalidSignature("the webhook-id, webhook-timestamp or webhook-signature header is missing")
        check_window(from_unix(stamp), delivery.received_at, REPLAY_WINDOW)
        expected = sign(secrets.platform_secret(self.platform), message_id, stamp, delivery.body).encode()
        # Compare against every signature offered (key rotation), each in constant time.
        matched = False
        for candidate in given.split():
            matched |= hmac.compare_digest(candidate.encode(), expected)
        if not matched:
            raise InvalidSignature("no signature matches the body")

    def delivery_id(self, delivery: Delivery) -> str | None:
        return delivery.headers.get("webhook-id")

    def parse(self, delivery: Delivery) -> Parsed:
        payload = parse_json(delivery.body, "Standard Webhooks message")
        kind = payload.get("type")
        if kind not in EVENTS:
            raise InvalidBody(f"the type must be one of {', '.join(EVENTS)}")
        data = payload.get("data")
        at = from_iso(payload["timestamp"]) if payload.get("timestamp") else delivery.received_at
        try:
            if kind == "mention.deleted":
                gone = Deleted.model_validate(data)
                return Parsed(
                    deletions=[build_deletion(gone.platform, gone.native_id, at, delivery.received_at, SOURCE)]
                )
            submitted = PartnerMention.model_validate(data)
        except ValidationError as exc:
            raise InvalidBody("the data is not a mention", errors=validation_errors(exc)) from exc
        return Parsed(
            mentions=[partner_mention(submitted, SOURCE, delivery, edited_at=at if kind == "mention.updated" else None)]
        )


def partner_mention(
    submitted: PartnerMention, source: str, delivery: Delivery, edited_at: datetime | None = None
) -> Mention:
    return build_mention(
        platform=submitted.platform,
        channel=submitted.channel or f"{submitted.platform}.webhook",
        kind=submitted.kind,
        native_id=submitted.native_id,
        thread_id=submitted.thread_id or submitted.native_id,
        parent_id=submitted.parent_id,
        account_id=submitted.account_id,
        author=Person(**submitted.author.model_dump()),
        from_brand=submitted.from_brand,
        addressed=submitted.addressed,
        text=submitted.text,
        url=str(submitted.url) if submitted.url else None,
        lang=submitted.lang,
        rating=submitted.rating,
        created_at=submitted.created_at or delivery.received_at,
        received_at=delivery.received_at,
        edited_at=edited_at,
        source=source,
    )
