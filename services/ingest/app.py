"""Lambda entry point of ingest (Chalice): webhooks, partner submissions, health. Each view adapts what the edge
validated, makes one call to the ingest core, and maps the result. Nothing here reads the environment or builds a
client (the composition root does, on the first request)."""

from __future__ import annotations

from chalice.app import Chalice

from services.ingest import bootstrap
from services.ingest.platforms.base import Answer, Delivery, Handshake
from shared.api import operations as ops
from shared.api.governance import ErasureQuery, ErasureReceipt
from shared.api.models import Health, Submission, SubmissionItem, SubmissionResult, WebhookReceipt
from shared.web import Call, Edge, Raw

SERVICE = "ingest"

# env={}: Chalice would otherwise stamp os.environ at import. configure_logs=False: Powertools owns the logger
# of the same name and formats every line as JSON.
app = Chalice(app_name="hark-ingest", env={}, configure_logs=False)
edge = Edge(app, SERVICE, bootstrap.root.get)


@edge.operation(ops.WEBHOOK_HANDSHAKE)
def webhook_handshake(call: Call[None, None]) -> Raw:
    request = call.request
    answer = bootstrap.root.get().service.handshake(
        Handshake(
            platform=call.path["platform"],
            query=request.query,
            headers=request.headers,
            received_at=request.received_at,
        )
    )
    return Raw(answer.body, answer.content_type)


@edge.operation(ops.WEBHOOK_DELIVERY)
def webhook_delivery(call: Call[None, None]) -> WebhookReceipt | Raw:
    request = call.request
    outcome = bootstrap.root.get().service.receive(
        Delivery(
            platform=call.path["platform"],
            body=request.body,
            received_at=request.received_at,
            headers=request.headers,
            query=request.query,
            request_id=request.request_id,
        )
    )
    if isinstance(outcome, Answer):
        return Raw(outcome.body, outcome.content_type)
    return WebhookReceipt(
        accepted=len(outcome.mentions),
        ignored=outcome.ignored,
        deleted=len(outcome.deletions),
        mention_ids=[m.id for m in outcome.mentions],
    )


@edge.operation(ops.SUBMIT_MENTIONS)
def submit_mentions(call: Call[None, Submission]) -> SubmissionResult:
    submitted = bootstrap.root.get().service.submit(
        call.caller,
        call.body.mentions,
        received_at=call.request.received_at,
        request_id=call.request.headers.get("x-request-id") or call.request.request_id,
    )
    return SubmissionResult(
        mentions=[
            SubmissionItem(
                id=s.mention.id, native_id=s.mention.native_id, status="duplicate" if s.repeat else "accepted"
            )
            for s in submitted
        ]
    )


@edge.operation(ops.ERASE_AUTHOR)
def erase_author(call: Call[ErasureQuery, None]) -> ErasureReceipt:
    erasure = bootstrap.root.get().service.erase(
        call.caller,
        call.path["platform"],
        call.path["author_id"],
        reference=call.query.reference,
        requested_at=call.request.received_at,
    )
    event = erasure.event
    return ErasureReceipt(
        erasure_id=event.erasure_id,
        platform=event.platform,
        author_id=event.author_id,
        requested_by=event.requested_by,
        requested_at=event.requested_at,
        reference=event.reference,
        archived_deliveries=erasure.archived_deliveries,
    )


def _health() -> Health:
    return Health(status="ok", service=SERVICE, stage=bootstrap.root.get().settings.stage)


@edge.operation(ops.HEALTH)
def health(_call: Call[None, None]) -> Health:
    return _health()


@edge.operation(ops.HEALTH_HEAD)
def health_head(_call: Call[None, None]) -> Health:
    return _health()  # the gateway sends the headers only
