"""Lambda entry point of ingest (Chalice): webhooks, partner submissions, health. Each view adapts what the edge
validated, makes one call to the ingest core, and maps the result. Nothing here reads the environment or builds a
client (the composition root does, on the first request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Chalice, CloudWatchEvent

from services.ingest import bootstrap, poll_bootstrap
from services.ingest.platforms.base import Answer, Delivery, Handshake
from shared.api import operations as ops
from shared.api.governance import ErasureQuery, ErasureReceipt
from shared.api.models import Health, Submission, SubmissionItem, SubmissionResult, WebhookReceipt
from shared.events import utcnow
from shared.observability import count, instrument
from shared.resources import INGEST_ARCHIVE_SWEEP, INGEST_WEBSUB, POLLERS
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


# The pollers: one scheduled function per platform (the CDK app gives each its EventBridge schedule from the
# function spec, `hark up` a timer at the same rate). Each polls its platform's configured sources through the poll
# core, which hands what is new to the same ingest core a webhook reaches, and stops starting requests when the
# invocation's time runs short.
_SCHEDULES = {spec.key.removeprefix("ingest-poll-"): spec.schedule or "rate(1 minute)" for spec in POLLERS}


def _poll(platform: str) -> Any:
    def run(_event: Any, context: Any) -> dict[str, Any]:
        def time_left() -> float:
            return float(context.get_remaining_time_in_millis()) / 1000

        return poll_bootstrap.root.get().service.poll(platform, time_left).as_dict()

    return instrument(SERVICE, run)


def _renew(_event: Any, _context: Any) -> dict[str, Any]:
    return poll_bootstrap.root.get().websub.renew().as_dict()


@app.schedule(INGEST_WEBSUB.schedule or "rate(6 hours)", name="on_websub_renew")
def on_websub_renew(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = instrument(SERVICE, _renew)(event.to_dict(), event.context)
    return result


def _sweep(_event: Any, _context: Any) -> dict[str, Any]:
    return sweep_archive(bootstrap.root.get())


def sweep_archive(root: bootstrap.IngestRoot, now: datetime | None = None) -> dict[str, Any]:
    """The config's retention.archive, applied: raw deliveries older than it are deleted (unset: the bucket's
    lifecycle rule alone decides)."""
    keep = root.config.get().config.retention.archive
    if keep is None:
        return {"deleted": 0, "before": None}
    before = (now or utcnow()) - keep
    deleted = root.archive.expire(before)
    count(SERVICE, "DeliveriesExpired", deleted)
    return {"deleted": deleted, "before": before.isoformat()}


@app.schedule(INGEST_ARCHIVE_SWEEP.schedule or "rate(1 hour)", name="on_archive_sweep")
def on_archive_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = instrument(SERVICE, _sweep)(event.to_dict(), event.context)
    return result


@app.schedule(_SCHEDULES["reddit"], name="on_poll_reddit")
def on_poll_reddit(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = _poll("reddit")(event.to_dict(), event.context)
    return result


@app.schedule(_SCHEDULES["wordpress"], name="on_poll_wordpress")
def on_poll_wordpress(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = _poll("wordpress")(event.to_dict(), event.context)
    return result


@app.schedule(_SCHEDULES["youtube"], name="on_poll_youtube")
def on_poll_youtube(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = _poll("youtube")(event.to_dict(), event.context)
    return result


@app.schedule(_SCHEDULES["bluesky"], name="on_poll_bluesky")
def on_poll_bluesky(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = _poll("bluesky")(event.to_dict(), event.context)
    return result


@app.schedule(_SCHEDULES["discord"], name="on_poll_discord")
def on_poll_discord(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = _poll("discord")(event.to_dict(), event.context)
    return result


@app.schedule(_SCHEDULES["tiktok"], name="on_poll_tiktok")
def on_poll_tiktok(event: CloudWatchEvent) -> dict[str, Any]:
    result: dict[str, Any] = _poll("tiktok")(event.to_dict(), event.context)
    return result
