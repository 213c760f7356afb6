"""Lambda entry point of ingest (Chalice): webhooks, partner submissions, health. Each view adapts what the edge
validated, makes one call to the ingest core, and maps the result. Nothing here reads the environment or builds a
client (the composition root does, on the first request)."""

from __future__ import annotations

from chalice.app import Chalice

from services.ingest import bootstrap
from services.ingest.platforms.base import Answer, Delivery, Handshake
from shared.api import operations as ops
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


@edge.operation(ops.HEALTH)
def health(_call: Call[None, None]) -> Health:
    return Health(status="ok", service=SERVICE, stage=bootstrap.root.get().settings.stage)
