"""`POST /v1/mentions`: partner tools (CRM, helpdesk, pollers) submit one mention or a batch of up to 100."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.ingest.platforms.base import Candidate, build_mention
from shared.errors import BadRequest, validation_errors
from shared.events import Author
from shared.http import HttpRequest
from shared.partner_api import PartnerBatch, PartnerMention


def parse_submission(document: Any) -> list[PartnerMention]:
    """One mention object, or `{"mentions": [...]}`."""
    try:
        if isinstance(document, dict) and "mentions" in document:
            return PartnerBatch.model_validate(document).mentions
        return [PartnerMention.model_validate(document)]
    except ValidationError as exc:
        raise BadRequest("the mention does not match the schema", errors=validation_errors(exc)) from exc


def to_candidate(submitted: PartnerMention, request: HttpRequest) -> Candidate:
    mention = build_mention(
        platform=submitted.platform,
        channel=submitted.channel or f"{submitted.platform}.api",
        kind=submitted.kind,
        native_id=submitted.native_id,
        thread_id=submitted.thread_id or submitted.native_id,
        parent_id=submitted.parent_id,
        account_id=submitted.account_id,
        author=Author(**submitted.author.model_dump()),
        from_brand=submitted.from_brand,
        addressed=submitted.addressed,
        text=submitted.text,
        url=str(submitted.url) if submitted.url else None,
        lang=submitted.lang,
        rating=submitted.rating,
        created_at=submitted.created_at or request.received_at,
        received_at=request.received_at,
    )
    return Candidate.new_message(mention)
