"""Lambda entry points of respond (Chalice): the partner API, the dashboard, the OpenAPI document, and the consumer
of the respond queue. Each view adapts what the edge validated, makes one call to the respond core, and maps the
result. Nothing here reads the environment or builds a client."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from chalice.app import Chalice, CloudWatchEvent, SNSEvent, SQSEvent
from pydantic import ValidationError

from services.respond import bootstrap, incident_bootstrap
from services.respond.service import RespondService
from shared.api import operations as ops
from shared.api.models import (
    AlarmReceipt,
    Incident,
    IncidentAction,
    IncidentPage,
    IncidentQuery,
    MentionPage,
    MentionQuery,
    SnsNotification,
    TaskPage,
    TaskQuery,
)
from shared.errors import InvalidInput
from shared.events import StoredMention, Task
from shared.observability import get_logger, instrument
from shared.resources import RESPOND, RESPOND_ALARMS, RESPOND_WATCH
from shared.web import Call, Edge, Raw

SERVICE = "respond"
STATIC = Path(__file__).parent / "static"

assert RESPOND.sqs_source is not None
_source = RESPOND.sqs_source

# env={}: Chalice would otherwise stamp os.environ at import. configure_logs=False: Powertools owns the logger
# of the same name and formats every line as JSON.
app = Chalice(app_name="hark-respond", env={}, configure_logs=False)
edge = Edge(app, SERVICE, bootstrap.root.get)


def _service() -> RespondService:
    return bootstrap.root.get().service


@edge.operation(ops.LIST_MENTIONS)
def list_mentions(call: Call[MentionQuery, None]) -> MentionPage:
    page = _service().list_mentions(call.caller, call.query)
    return MentionPage(items=page.items, next_cursor=page.next_cursor)


@edge.operation(ops.GET_MENTION)
def get_mention(call: Call[None, None]) -> StoredMention:
    mention: StoredMention = _service().get_mention(call.caller, call.path["mention_id"])
    return mention


@edge.operation(ops.LIST_TASKS)
def list_tasks(call: Call[TaskQuery, None]) -> TaskPage:
    page = _service().list_tasks(call.caller, call.query)
    return TaskPage(items=page.items, next_cursor=page.next_cursor)


@edge.operation(ops.GET_TASK)
def get_task(call: Call[None, None]) -> Task:
    task: Task = _service().get_task(call.caller, call.path["task_id"])
    return task


@cache
def _openapi() -> str:
    return orjson.dumps(ops.openapi()).decode()


@edge.operation(ops.OPENAPI)
def openapi_document(_call: Call[None, None]) -> Raw:
    return Raw(_openapi(), "application/json")


@edge.operation(ops.DASHBOARD)
def dashboard(_call: Call[None, None]) -> Raw:
    return Raw(
        (STATIC / "index.html").read_text(encoding="utf-8"),
        "text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


# The queue named here is nominal: the CDK app points the event source at the real queue's ARN and turns on
# ReportBatchItemFailures, which Chalice cannot express.
@app.on_sqs_message(
    queue=_source.queue.key,
    batch_size=_source.batch_size,
    maximum_batching_window_in_seconds=_source.max_batching_window_s,
)
def on_respond_queue(event: SQSEvent) -> dict[str, Any]:
    return bootstrap.root.get().handler(event.to_dict(), event.context)


# Incidents: CloudWatch alarms (through SNS), the spike detector, on-call's acknowledgements.
@edge.operation(ops.RECEIVE_ALARM)
def receive_alarm(call: Call[None, SnsNotification]) -> AlarmReceipt:
    return incident_bootstrap.root.get().service.receive_alarm(call.body, by=call.caller.user)


@edge.operation(ops.LIST_INCIDENTS)
def list_incidents(call: Call[IncidentQuery, None]) -> IncidentPage:
    page = incident_bootstrap.root.get().service.list(call.caller, call.query)
    return IncidentPage(items=page.items, next_cursor=page.next_cursor)


@edge.operation(ops.GET_INCIDENT)
def get_incident(call: Call[None, None]) -> Incident:
    return incident_bootstrap.root.get().service.get(call.caller, call.path["incident_id"])


@edge.operation(ops.ACK_INCIDENT)
def acknowledge_incident(call: Call[None, IncidentAction]) -> Incident:
    return incident_bootstrap.root.get().service.acknowledge(call.caller, call.path["incident_id"], call.body)


@edge.operation(ops.RESOLVE_INCIDENT)
def resolve_incident(call: Call[None, IncidentAction]) -> Incident:
    return incident_bootstrap.root.get().service.resolve(call.caller, call.path["incident_id"], call.body)


def _alarm_records(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    outcomes: list[str] = []
    for record in event.get("Records", []):
        try:
            notification = SnsNotification.model_validate(record.get("Sns", {}))
            receipt = incident_bootstrap.root.get().service.receive_alarm(notification)
            outcomes.append(receipt.outcome)
        except (ValidationError, InvalidInput) as exc:
            # Retrying cannot fix a message that is not an alarm: log it and let it go.
            get_logger(SERVICE).error("not an alarm notification", extra={"error": str(exc)[:500]})
            outcomes.append("refused")
    return {"outcomes": outcomes}


# The topic named here is nominal: the CDK app subscribes this function to the alarm topic.
@app.on_sns_message(topic=RESPOND_ALARMS.sns_source.key if RESPOND_ALARMS.sns_source else "alarms")
def on_alarm(event: SNSEvent) -> dict[str, Any]:
    return instrument(SERVICE, _alarm_records)(event.to_dict(), event.context)


def _watch(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    result = incident_bootstrap.root.get().watch.run()
    return {"counted": result.counted, "raised": result.raised}


@app.schedule(RESPOND_WATCH.schedule or "rate(1 minute)", name="on_watch")
def on_watch(event: CloudWatchEvent) -> dict[str, Any]:
    return instrument(SERVICE, _watch)(event.to_dict(), event.context)
