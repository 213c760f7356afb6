"""The ingest domain: from an HTTP request to mentions on the classify queue, with every refusal explicit.

Order of checks for a webhook: size (413), signature on the raw bytes (401), content type (415), body (400).
Nothing is written before all of them pass. Then each mention's delivery id is claimed, the new ones are
enqueued, and only what was enqueued stays claimed: a partial failure answers 503 so the platform retries, and
the retry finds the enqueued ones as duplicates and the rest as new.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.ingest.partner import parse_submission, to_candidate
from services.ingest.platforms.base import WEEK, Candidate, Connector
from shared.errors import (
    BadRequest,
    HarkError,
    InvalidSignature,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMediaType,
)
from shared.events import Envelope, MentionReceived
from shared.http import HttpRequest, Reply, parse_json, require_api_key
from shared.observability import count, dimension, get_logger
from shared.secrets import SecretSource
from shared.settings import Settings

SERVICE = "ingest"


class Dedupe(Protocol):
    def claim(self, key: str, mention_id: str) -> bool: ...
    def confirm(self, key: str, ttl_s: int) -> None: ...
    def release(self, key: str) -> None: ...


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]: ...


@dataclass(frozen=True)
class Admission:
    accepted: tuple[Candidate, ...]
    duplicates: tuple[Candidate, ...]


class IngestService:
    def __init__(
        self,
        settings: Settings,
        secrets: SecretSource,
        dedupe: Dedupe,
        publisher: Publisher,
        connectors: Mapping[str, Connector],
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._dedupe = dedupe
        self._publisher = publisher
        self._connectors = connectors

    def webhook(self, platform: str, request: HttpRequest) -> Reply:
        connector = self._connectors.get(platform)
        if connector is None:
            raise NotFound(f"there is no webhook for platform {platform!r}")
        dimension(SERVICE, "platform", platform)
        secrets = self._secrets.get()
        if request.method == "GET":
            reply = connector.handshake(request, secrets)
            if reply is None:
                raise MethodNotAllowed(f"{platform} webhooks are delivered with POST")
            count(SERVICE, "HandshakesAnswered")
            return reply
        if request.method != "POST":
            raise MethodNotAllowed(f"{platform} webhooks are delivered with POST")
        _check_size(request, self._settings.max_webhook_bytes)
        try:
            connector.verify(request, secrets)
        except InvalidSignature:
            count(SERVICE, "SignaturesRejected")
            raise
        _check_content_type(request, connector.content_types)
        try:
            parsed = connector.parse(request)
        except HarkError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # A shape the parser did not foresee is still the sender's malformed body, not our 500.
            get_logger(SERVICE).warning("unparsed delivery", extra={"platform": platform, "error": repr(exc)[:300]})
            raise BadRequest(f"the body is not a {platform} delivery Hark can read") from exc
        if parsed.reply is not None:
            return parsed.reply
        correlation_id = _correlation(connector.correlation_id(request) or request.request_id)
        admission = self.admit(parsed.candidates, correlation_id, connector.dedupe_ttl_s)
        if parsed.ignored:
            count(SERVICE, "EventsIgnored", parsed.ignored)
        get_logger(SERVICE).info(
            "webhook delivery",
            extra={
                "platform": platform,
                "correlation_id": correlation_id,
                "accepted": len(admission.accepted),
                "duplicates": len(admission.duplicates),
                "ignored": parsed.ignored,
            },
        )
        return Reply(
            json={
                "accepted": len(admission.accepted),
                "duplicates": len(admission.duplicates),
                "ignored": parsed.ignored,
                "mention_ids": [c.mention.id for c in admission.accepted + admission.duplicates],
            }
        )

    def submit(self, request: HttpRequest) -> Reply:
        require_api_key(request, self._secrets.get().api_key_valid)
        _check_size(request, self._settings.max_api_bytes)
        _check_content_type(request, frozenset({"application/json"}))
        submitted = parse_submission(parse_json(request.body))
        candidates = [to_candidate(item, request) for item in submitted]
        correlation_id = _correlation(request.headers.get("x-request-id") or request.request_id)
        admission = self.admit(candidates, correlation_id, WEEK)
        accepted = {c.dedupe_key for c in admission.accepted}
        answered: set[str] = set()
        items = []
        for candidate in candidates:  # in submission order; a repeat within the batch is a duplicate
            fresh = candidate.dedupe_key in accepted and candidate.dedupe_key not in answered
            answered.add(candidate.dedupe_key)
            items.append(
                {
                    "id": candidate.mention.id,
                    "native_id": candidate.mention.native_id,
                    "status": "accepted" if fresh else "duplicate",
                }
            )
        return Reply(status=202, json={"mentions": items})

    def admit(self, candidates: Sequence[Candidate], correlation_id: str, ttl_s: int) -> Admission:
        unique: dict[str, Candidate] = {}
        repeats: list[Candidate] = []
        for candidate in candidates:
            if candidate.dedupe_key in unique:
                repeats.append(candidate)  # the same message twice in one delivery
            else:
                unique[candidate.dedupe_key] = candidate
        claimed: list[Candidate] = []
        duplicates: list[Candidate] = list(repeats)
        try:
            for candidate in unique.values():
                if self._dedupe.claim(candidate.dedupe_key, candidate.mention.id):
                    claimed.append(candidate)
                else:
                    duplicates.append(candidate)
            envelopes = {
                c.dedupe_key: MentionReceived.wrap(
                    c.mention,
                    correlation_id=correlation_id,
                    producer=SERVICE,
                    occurred_at=c.mention.created_at,
                )
                for c in claimed
            }
            failed_ids = set(self._publisher.publish(list(envelopes.values()))) if envelopes else set()
        except HarkError:
            self._release(claimed)
            raise
        failed = [c for c in claimed if envelopes[c.dedupe_key].id in failed_ids]
        queued = [c for c in claimed if envelopes[c.dedupe_key].id not in failed_ids]
        self._release(failed)
        for candidate in queued:
            try:
                self._dedupe.confirm(candidate.dedupe_key, ttl_s)
            except HarkError:
                # The mention is queued; an unconfirmed claim only lapses after its lease, and downstream is
                # idempotent, so a later redelivery costs a classification, never a second task.
                get_logger(SERVICE).warning("could not confirm delivery", extra={"key": candidate.dedupe_key})
        count(SERVICE, "MentionsAccepted", len(queued))
        if duplicates:
            count(SERVICE, "DuplicatesDropped", len(duplicates))
        if failed:
            count(SERVICE, "EnqueueFailures", len(failed))
            raise Unavailable(f"{len(failed)} of {len(claimed)} mentions could not be queued; retry the delivery")
        return Admission(tuple(queued), tuple(duplicates))

    def _release(self, candidates: Sequence[Candidate]) -> None:
        for candidate in candidates:
            try:
                self._dedupe.release(candidate.dedupe_key)
            except HarkError:
                get_logger(SERVICE).warning("could not release claim", extra={"key": candidate.dedupe_key})


def _correlation(candidate: str | None) -> str:
    """A caller-supplied id, kept only if it is a short printable token."""
    if candidate and len(candidate) <= 128 and candidate.isprintable():
        return candidate
    return str(uuid.uuid4())


def _check_size(request: HttpRequest, limit: int) -> None:
    if len(request.body) > limit:
        raise PayloadTooLarge(f"the body is {len(request.body)} bytes; the limit is {limit}", limit=limit)


def _check_content_type(request: HttpRequest, allowed: frozenset[str]) -> None:
    if request.content_type not in allowed:
        raise UnsupportedMediaType(
            f"content type {request.content_type or '(none)'} is not accepted here",
            accepted=sorted(allowed),
        )
