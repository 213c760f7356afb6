"""Lambda entry points of respond (Chalice): the partner API, the web app, the OpenAPI document, and the consumer
of the respond queue. Each view adapts what the edge validated, makes one call to the respond core, and maps the
result. Nothing here reads the environment or builds a client."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from chalice.app import Chalice, CloudWatchEvent, SNSEvent, SQSEvent
from pydantic import ValidationError

from services.respond import audit_export, bootstrap, incident_bootstrap
from services.respond.edge.site import site
from services.respond.governance import Governance
from services.respond.service import RespondService
from shared.api import operations as ops
from shared.api.governance import (
    AuditLogPage,
    AuditQuery,
    AuthorCountQuery,
    AuthorCounts,
    AuthorView,
    DismissBody,
    ExportQuery,
    FollowUpBody,
    Report,
    ReportBody,
    ReportQuery,
    SafetyCase,
    SafetyCasePage,
    SafetyCaseQuery,
)
from shared.api.models import (
    AlarmReceipt,
    ApproveBody,
    AssignBody,
    AuditPage,
    ClaimQuery,
    ConfigView,
    DraftBody,
    Incident,
    IncidentAction,
    IncidentPage,
    IncidentQuery,
    Me,
    MentionPage,
    MentionQuery,
    Note,
    NoteBody,
    NotePage,
    NotificationPage,
    Overview,
    OverviewQuery,
    Paging,
    RejectBody,
    SendBody,
    SnoozeBody,
    SnsNotification,
    SourcePage,
    Suggestions,
    SweepResult,
    TaskPage,
    TaskQuery,
)
from shared.errors import InvalidInput
from shared.events import StoredMention, Task
from shared.observability import get_logger, instrument
from shared.resources import RESPOND, RESPOND_ALARMS, RESPOND_AUDIT_EXPORT, RESPOND_SLA, RESPOND_WATCH
from shared.web import Call, Edge, Raw

SERVICE = "respond"

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
    feed = _service().read_feed(call.caller, call.query)
    return MentionPage(items=feed.items, next_cursor=feed.next_cursor, feed_cursor=feed.feed_cursor)


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


def _task(call: Call[Any, Any]) -> str:
    return call.path["task_id"]


@edge.operation(ops.CLAIM_TASK)
def claim_task(call: Call[ClaimQuery, None]) -> Task:
    return _service().claim(call.caller, _task(call), takeover=call.query.takeover)


@edge.operation(ops.RELEASE_TASK)
def release_task(call: Call[None, None]) -> Task:
    return _service().release(call.caller, _task(call))


@edge.operation(ops.ASSIGN_TASK)
def assign_task(call: Call[None, AssignBody]) -> Task:
    return _service().assign_to(call.caller, _task(call), call.body.user)


@edge.operation(ops.ADD_NOTE)
def add_note(call: Call[None, NoteBody]) -> Note:
    return _service().add_note(call.caller, _task(call), call.body.text)


@edge.operation(ops.LIST_NOTES)
def list_notes(call: Call[Paging, None]) -> NotePage:
    page = _service().notes(call.caller, _task(call), call.query.cursor, call.query.limit)
    return NotePage(items=page.items, next_cursor=page.next_cursor)


@edge.operation(ops.PUT_DRAFT)
def put_draft(call: Call[None, DraftBody]) -> Task:
    return _service().put_draft(call.caller, _task(call), call.body)


@edge.operation(ops.SUGGEST_REPLIES)
def suggest_replies(call: Call[None, None]) -> Suggestions:
    return Suggestions(items=_service().suggestions(call.caller, _task(call)))


@edge.operation(ops.SUBMIT_DRAFT)
def submit_draft(call: Call[None, None]) -> Task:
    return _service().submit(call.caller, _task(call))


@edge.operation(ops.APPROVE_DRAFT)
def approve_draft(call: Call[None, ApproveBody]) -> Task:
    return _service().approve(call.caller, _task(call), call.body.draft_revision)


@edge.operation(ops.REJECT_DRAFT)
def reject_draft(call: Call[None, RejectBody]) -> Task:
    return _service().reject(call.caller, _task(call), call.body.reason, call.body.comment)


@edge.operation(ops.SEND_REPLY)
def send_reply(call: Call[None, SendBody]) -> Task:
    return _service().send(call.caller, _task(call), call.body.tag, public=call.body.public)


@edge.operation(ops.RETRY_SEND)
def retry_send(call: Call[None, SendBody]) -> Task:
    return _service().send(call.caller, _task(call), call.body.tag, retry=True, public=call.body.public)


@edge.operation(ops.CLOSE_TASK)
def close_task(call: Call[None, None]) -> Task:
    return _service().close(call.caller, _task(call))


@edge.operation(ops.REOPEN_TASK)
def reopen_task(call: Call[None, None]) -> Task:
    return _service().reopen(call.caller, _task(call))


@edge.operation(ops.SNOOZE_TASK)
def snooze_task(call: Call[None, SnoozeBody]) -> Task:
    return _service().snooze(call.caller, _task(call), call.body.until)


@edge.operation(ops.TASK_AUDIT)
def task_audit(call: Call[Paging, None]) -> AuditPage:
    return _service().audit_trail(call.caller, _task(call), call.query.cursor, call.query.limit)


@edge.operation(ops.TASK_THREAD)
def task_thread(call: Call[Paging, None]) -> MentionPage:
    page = _service().thread(call.caller, _task(call), call.query.cursor, call.query.limit)
    return MentionPage(items=page.items, next_cursor=page.next_cursor)


@edge.operation(ops.LIST_NOTIFICATIONS)
def list_notifications(call: Call[Paging, None]) -> NotificationPage:
    page = _service().notifications(call.caller, call.query.cursor, call.query.limit)
    return NotificationPage(items=page.items, next_cursor=page.next_cursor)


@edge.operation(ops.GET_CONFIG)
def get_config(call: Call[None, None]) -> ConfigView:
    return _service().config_view(call.caller)


@edge.operation(ops.LIST_SOURCES)
def list_sources(call: Call[None, None]) -> SourcePage:
    return SourcePage(items=_service().list_sources(call.caller))


@edge.operation(ops.CONFIG_AUDIT)
def config_audit(call: Call[Paging, None]) -> AuditPage:
    return _service().config_trail(call.caller, call.query.cursor, call.query.limit)


@cache
def _openapi() -> str:
    return orjson.dumps(ops.openapi()).decode()


@edge.operation(ops.OPENAPI)
def openapi_document(_call: Call[None, None]) -> Raw:
    return Raw(_openapi(), "application/json")


@edge.operation(ops.GET_OVERVIEW)
def get_overview(call: Call[OverviewQuery, None]) -> Overview:
    return _service().overview(call.caller, call.query.hours)


@edge.operation(ops.WHOAMI)
def whoami(call: Call[None, None]) -> Me:
    caller = call.caller
    return Me(user=caller.user, roles=sorted(caller.roles), key_id=caller.key_id)


@edge.operation(ops.DASHBOARD)
def dashboard(_call: Call[None, None]) -> Raw:
    return site.page("app")


@edge.operation(ops.WALL)
def wall(_call: Call[None, None]) -> Raw:
    return site.page("wall")


@edge.operation(ops.WEB_ASSET)
def web_asset(call: Call[None, None]) -> Raw:
    return site.asset(call.path["name"])


# The queue named here is nominal: the CDK app points the event source at the real queue's ARN and turns on
# ReportBatchItemFailures, which Chalice cannot express.
@app.on_sqs_message(
    queue=_source.queue.key,
    batch_size=_source.batch_size,
    maximum_batching_window_in_seconds=_source.max_batching_window_s,
)
def on_respond_queue(event: SQSEvent) -> dict[str, Any]:
    return bootstrap.root.get().handler(event.to_dict(), event.context)


def _sweep(_event: Any, _context: Any) -> dict[str, Any]:
    result: SweepResult = _service().sweep()
    return result.model_dump(mode="json")


# The scheduled SLA sweep: the CDK app adds its EventBridge schedule from the function spec (`RESPOND_SLA.schedule`),
# `hark up` runs a timer at the same rate.
@app.schedule(RESPOND_SLA.schedule or "rate(1 minute)", name="on_sla_sweep")
def on_sla_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    return instrument(SERVICE, _sweep)(event.to_dict(), event.context)


def _export(_event: Any, _context: Any) -> dict[str, Any]:
    return audit_export.root.get().run().as_dict()


# The hourly audit export to the Object Lock bucket (services/respond/audit_export.py).
@app.schedule(RESPOND_AUDIT_EXPORT.schedule or "rate(1 hour)", name="on_audit_export")
def on_audit_export(event: CloudWatchEvent) -> dict[str, Any]:
    return instrument(SERVICE, _export)(event.to_dict(), event.context)


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


# Governance: safety cases, a person's data, reports, the audit log.
def _governance() -> Governance:
    return _service().governance


def _download(body: str, content_type: str, name: str) -> Raw:
    return Raw(body, content_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@edge.operation(ops.LIST_SAFETY_CASES)
def list_safety_cases(call: Call[SafetyCaseQuery, None]) -> SafetyCasePage:
    return _governance().list_cases(call.caller, call.query)


@edge.operation(ops.GET_SAFETY_CASE)
def get_safety_case(call: Call[None, None]) -> SafetyCase:
    return _governance().get_case(call.caller, call.path["case_id"])


@edge.operation(ops.FOLLOW_UP_CASE)
def follow_up_safety_case(call: Call[None, FollowUpBody]) -> SafetyCase:
    return _governance().follow_up(call.caller, call.path["case_id"], call.body)


@edge.operation(ops.REPORT_CASE)
def report_safety_case(call: Call[None, ReportBody]) -> SafetyCase:
    return _governance().report_case(call.caller, call.path["case_id"], call.body)


@edge.operation(ops.DISMISS_CASE)
def dismiss_safety_case(call: Call[None, DismissBody]) -> SafetyCase:
    return _governance().dismiss(call.caller, call.path["case_id"], call.body)


@edge.operation(ops.EXPORT_CASE)
def export_safety_case(call: Call[ExportQuery, None]) -> Raw:
    return _download(*_governance().export_case(call.caller, call.path["case_id"], call.query.format))


@edge.operation(ops.GET_AUTHOR)
def get_author(call: Call[Paging, None]) -> AuthorView:
    return _governance().author(
        call.caller, call.path["platform"], call.path["author_id"], call.query.cursor, call.query.limit
    )


@edge.operation(ops.COUNT_AUTHORS)
def count_authors(call: Call[AuthorCountQuery, None]) -> AuthorCounts:
    return AuthorCounts(counts=_service().count_authors(call.caller, call.query.authors.split(",")))


@edge.operation(ops.EXPORT_AUTHOR)
def export_author(call: Call[None, None]) -> Raw:
    platform, author_id = call.path["platform"], call.path["author_id"]
    exported = _service().export_author(call.caller, platform, author_id)
    return _download(exported.model_dump_json(), "application/json", f"hark-{platform}-author-export.json")


@edge.operation(ops.GET_REPORT)
def get_report(call: Call[ReportQuery, None]) -> Report | Raw:
    name = call.path["name"]
    report = _governance().build_report(name, call.query)
    if call.query.format == "csv":
        day = report.until.date().isoformat()
        return _download(_governance().report_csv(report), "text/csv; charset=utf-8", f"hark-{name}-{day}.csv")
    return report


@edge.operation(ops.LIST_AUDIT)
def list_audit(call: Call[AuditQuery, None]) -> AuditLogPage:
    return _governance().audit_log(call.caller, call.query)


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
