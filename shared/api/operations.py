"""Every operation of Hark's HTTP API, in one list. Each app's Chalice edge binds a view to each operation it
serves (`shared.web.Edge`); a contract test holds the routes the apps declare to exactly this list."""

from __future__ import annotations

from typing import Any

from shared.api import PUBLIC, Operation
from shared.api.governance import (
    REPORTS,
    AuditLogPage,
    AuditQuery,
    AuthorCountQuery,
    AuthorCounts,
    AuthorExport,
    AuthorView,
    DismissBody,
    ErasureQuery,
    ErasureReceipt,
    ExportQuery,
    FollowUpBody,
    IntakePacket,
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
    Health,
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
    Submission,
    SubmissionResult,
    Suggestions,
    TaskPage,
    TaskQuery,
    WebhookReceipt,
)
from shared.auth import Role
from shared.errors import (
    Conflict,
    InvalidBody,
    InvalidHeader,
    InvalidQuery,
    InvalidSignature,
    NoHandshake,
    NotConfigured,
    NotFound,
    NotPermitted,
    PlatformRefused,
    StaleDelivery,
    TooLarge,
    Unavailable,
    UnsupportedContentType,
)
from shared.events import PLATFORMS, StoredMention, Task

READERS: frozenset[Role] = frozenset({"viewer", "agent", "approver", "safety", "admin"})
SUBMITTERS: frozenset[Role] = frozenset({"partner", "agent", "admin"})
# Who works tasks (claim, draft, send, close...); a queue narrows it further (`queues.<name>.workers`).
WORKERS: frozenset[Role] = frozenset({"agent", "safety", "admin"})
APPROVERS: frozenset[Role] = frozenset({"approver", "safety", "admin"})
# Private notes: everyone who works with tasks, approvers included.
NOTERS: frozenset[Role] = WORKERS | APPROVERS
ADMINS: frozenset[Role] = frozenset({"admin"})

MENTION_ID = r"^m_[a-z2-7]{26}$"
TASK_ID = r"^t_[a-z2-7]{26}$"

WEBHOOK_HANDSHAKE = Operation(
    id="webhookHandshake",
    method="GET",
    path="/webhooks/{platform}",
    service="ingest",
    tag="webhooks",
    summary="A platform's subscription handshake (Meta hub.challenge, X CRC, WebSub verification)",
    content_type="text/plain",
    roles=PUBLIC,
    errors=(InvalidQuery, NotPermitted, NotFound, NoHandshake, NotConfigured),
)
WEBHOOK_DELIVERY = Operation(
    id="webhookDelivery",
    method="POST",
    path="/webhooks/{platform}",
    service="ingest",
    tag="webhooks",
    summary="A platform's signed webhook delivery",
    description="Checked in this order: size (413), signature on the raw bytes (401), content type (415), "
    "body (400). Nothing is kept unless all pass; what is acknowledged is archived and queued.",
    response=WebhookReceipt,
    roles=PUBLIC,
    raw_body=True,
    errors=(
        TooLarge,
        InvalidSignature,
        StaleDelivery,
        UnsupportedContentType,
        InvalidBody,
        InvalidHeader,
        NotFound,
        NotConfigured,
        Unavailable,  # the queue, or an API the platform's notification names (Google's reviews), is down
    ),
)
SUBMIT_MENTIONS = Operation(
    id="submitMentions",
    method="POST",
    path="/v1/mentions",
    service="ingest",
    summary="Submit one mention or a batch of up to 100 from a partner tool",
    body=Submission,
    response=SubmissionResult,
    status=202,
    roles=SUBMITTERS,
)
HEALTH = Operation(
    id="health",
    method="GET",
    path="/health",
    service="ingest",
    tag="meta",
    summary="Liveness",
    response=Health,
    roles=PUBLIC,
)
# Uptime monitors and load balancers probe with HEAD. API Gateway does not answer HEAD for a GET route by itself,
# so /health declares it: the same answer without a body.
HEALTH_HEAD = Operation(
    id="healthHead",
    method="HEAD",
    path="/health",
    service="ingest",
    tag="meta",
    summary="Liveness, headers only",
    response=Health,
    roles=PUBLIC,
)
LIST_MENTIONS = Operation(
    id="listMentions",
    method="GET",
    path="/v1/mentions",
    service="respond",
    summary="Mentions, newest first; or, with `after`, the live feed of what was stored since",
    query=MentionQuery,
    response=MentionPage,
    roles=READERS,
)
GET_MENTION = Operation(
    id="getMention",
    method="GET",
    path="/v1/mentions/{mention_id}",
    service="respond",
    summary="One mention with its classification and task",
    response=StoredMention,
    roles=READERS,
    errors=(NotFound,),
    path_patterns={"mention_id": MENTION_ID},
)
LIST_TASKS = Operation(
    id="listTasks",
    method="GET",
    path="/v1/tasks",
    service="respond",
    tag="tasks",
    summary="Tasks in work order: highest priority, then earliest due",
    query=TaskQuery,
    response=TaskPage,
    roles=READERS | {"partner"},
)
GET_TASK = Operation(
    id="getTask",
    method="GET",
    path="/v1/tasks/{task_id}",
    service="respond",
    tag="tasks",
    summary="One task",
    response=Task,
    roles=READERS | {"partner"},
    errors=(NotFound,),
    path_patterns={"task_id": TASK_ID},
)


def _command(
    op_id: str,
    action: str,
    summary: str,
    *,
    roles: frozenset[Role] = WORKERS,
    body: Any = None,
    query: Any = None,
    description: str = "",
    errors: tuple[Any, ...] = (NotFound, Conflict),
    optional_body: bool = False,
    method: str = "POST",
    response: Any = Task,
) -> Operation:
    return Operation(
        id=op_id,
        method=method,
        path=f"/v1/tasks/{{task_id}}/{action}",
        service="respond",
        tag="tasks",
        summary=summary,
        description=description,
        query=query,
        body=body,
        optional_body=optional_body,
        response=response,
        roles=roles,
        errors=errors,
        path_patterns={"task_id": TASK_ID},
    )


_INVALID = "An invalid transition answers 409 with `allowed` (what may be done now) and `status`."
CLAIM_TASK = _command(
    "claimTask",
    "claim",
    "Hold the task (a lease that expires); a colleague's claim then gets 409 with `holder`",
    query=ClaimQuery,
    description="`?takeover=true` lets an admin take a task another agent holds. " + _INVALID,
    errors=(NotFound, Conflict, NotPermitted),
)
RELEASE_TASK = _command("releaseTask", "release", "Let go of the task (back to the queue; the draft is kept)")
ASSIGN_TASK = _command(
    "assignTask",
    "assign",
    "Give the task to a colleague (an admin may take it from its holder)",
    body=AssignBody,
    errors=(NotFound, Conflict, NotPermitted),
)
ADD_NOTE = _command(
    "addNote",
    "notes",
    "Add a private note; `@user` notifies them",
    roles=NOTERS,
    body=NoteBody,
    response=Note,
    errors=(NotFound,),
)
LIST_NOTES = _command(
    "listNotes",
    "notes",
    "The task's private notes, oldest first",
    roles=READERS,
    query=Paging,
    method="GET",
    response=NotePage,
    errors=(NotFound,),
)
PUT_DRAFT = _command(
    "putDraft",
    "draft",
    "Write the reply (text, or a template with variables); answers the task with the voice check's `warnings`",
    body=DraftBody,
    method="PUT",
    description="A new revision drops earlier approvals. Warnings (stock phrases, jargon, another language, too "
    "long, no greeting or name, personal data in a public reply) never block: each carries the words that "
    "triggered it. " + _INVALID,
)
SUGGEST_REPLIES = _command(
    "suggestReplies",
    "suggestions",
    "Replies suggested from the templates for the task's intent and language",
    roles=WORKERS | APPROVERS,
    method="GET",
    response=Suggestions,
    errors=(NotFound,),
)
SUBMIT_DRAFT = _command("submitDraft", "submit", "Ask for approval of the draft (queues with approval tiers)")
APPROVE_DRAFT = _command(
    "approveDraft",
    "approve",
    "Approve the draft's current tier (never one's own draft: 403)",
    roles=APPROVERS,
    body=ApproveBody,
    optional_body=True,
    description="`draft_revision` (optional) guards against approving a text that changed meanwhile (409). "
    "Approving does not send: the holder sends.",
    errors=(NotFound, Conflict, NotPermitted),
)
REJECT_DRAFT = _command(
    "rejectDraft",
    "reject",
    "Send the draft back to its author with a reason",
    roles=APPROVERS,
    body=RejectBody,
    errors=(NotFound, Conflict, NotPermitted),
)
SEND_REPLY = _command(
    "sendReply",
    "send",
    "Send the (approved) draft back to the platform, once",
    body=SendBody,
    optional_body=True,
    description="Repeating the request never posts twice: it answers the task as sent. Messenger and Instagram "
    'messages older than 24 hours need `{"tag": "HUMAN_AGENT"}` (up to 7 days; 409 says so); WhatsApp after 24 '
    "hours only a template. A platform refusal answers 502 with the platform's `code` and `message`, and leaves "
    "the task `send_failed` (retry with `/retry`). Conversations a partner tool submitted are handed back to "
    "the partner (`via: partner`), never posted to a platform.",
    errors=(NotFound, Conflict, NotPermitted, PlatformRefused, NotConfigured),
)
RETRY_SEND = _command(
    "retrySend",
    "retry",
    "Send again after a refusal (still once only)",
    body=SendBody,
    optional_body=True,
    errors=(NotFound, Conflict, NotPermitted, PlatformRefused, NotConfigured),
)
CLOSE_TASK = _command("closeTask", "close", "Close the task (resolution clock stops)")
REOPEN_TASK = _command("reopenTask", "reopen", "Reopen a closed or snoozed task")
SNOOZE_TASK = _command(
    "snoozeTask", "snooze", "Put the task aside until a time (a customer message wakes it)", body=SnoozeBody
)
TASK_AUDIT = _command(
    "taskAudit",
    "audit",
    "The task's audit trail, oldest first, hash-chained",
    roles=READERS,
    query=Paging,
    method="GET",
    response=AuditPage,
    errors=(NotFound,),
    description="Every change with actor, time and before/after; `problems` lists what verifying the page's "
    "hash chain found (an edited entry, a gap). Nothing in the API edits or deletes it.",
)
TASK_THREAD = _command(
    "taskThread",
    "thread",
    "The conversation in order, the brand's replies included",
    roles=READERS | {"partner"},
    query=Paging,
    method="GET",
    response=MentionPage,
    errors=(NotFound,),
)
LIST_NOTIFICATIONS = Operation(
    id="listNotifications",
    method="GET",
    path="/v1/notifications",
    service="respond",
    tag="tasks",
    summary="What the caller was told (mentions in notes, assignments, SLA breaches, rejections), newest first",
    query=Paging,
    response=NotificationPage,
    roles=READERS,
)
GET_CONFIG = Operation(
    id="getConfig",
    method="GET",
    path="/v1/config",
    service="respond",
    tag="config",
    summary="The configuration in force, with its fingerprint",
    response=ConfigView,
    roles=ADMINS | {"viewer"},
)
CONFIG_AUDIT = Operation(
    id="configAudit",
    method="GET",
    path="/v1/config/audit",
    service="respond",
    tag="config",
    summary="Every configuration change, with before/after",
    query=Paging,
    response=AuditPage,
    roles=ADMINS,
)
LIST_SOURCES = Operation(
    id="listSources",
    method="GET",
    path="/v1/sources",
    service="respond",
    tag="sources",
    summary="Every source Hark hears and answers on, with its health",
    description="Each configured platform with its last webhook delivery, last poll, last reply sent and last "
    "error, and whether its credential works: `unhealthy` when the platform refused a token Hark cannot refresh "
    "(replies to it answer 503 until a new one is stored) or ended the subscription.",
    response=SourcePage,
    roles=READERS,
)
GET_OVERVIEW = Operation(
    id="getOverview",
    method="GET",
    path="/v1/overview",
    service="respond",
    tag="overview",
    summary="What was heard, hour by hour, and how fast it was answered (the overview and the wall screen)",
    description="Counted as mentions are stored (by network, sentiment and intent; needing a reply or not) and as "
    "SLA clocks stop (duration and whether in time); `usual_this_hour` is the mean of the same hour on the "
    "previous seven days Hark counted. Percentiles are estimated from duration buckets.",
    query=OverviewQuery,
    response=Overview,
    roles=READERS,
    errors=(NotConfigured,),
)
WHOAMI = Operation(
    id="whoami",
    method="GET",
    path="/v1/me",
    service="respond",
    tag="meta",
    summary="Who the key acts as, and with which roles",
    response=Me,
)
OPENAPI = Operation(
    id="openapi",
    method="GET",
    path="/openapi.json",
    service="respond",
    tag="meta",
    summary="This document",
    content_type="application/json",
    roles=PUBLIC,
)
DASHBOARD = Operation(
    id="dashboard",
    method="GET",
    path="/",
    service="respond",
    tag="meta",
    summary="The command-center web app",
    content_type="text/html",
    roles=PUBLIC,
)
WALL = Operation(
    id="wallScreen",
    method="GET",
    path="/wall",
    service="respond",
    tag="meta",
    summary="The wall screen for the command-center room (read-only, large type, refreshes itself)",
    content_type="text/html",
    roles=PUBLIC,
)
WEB_ASSET = Operation(
    id="webAsset",
    method="GET",
    path="/assets/{name}",
    service="respond",
    tag="meta",
    summary="A script, style sheet or image of the web app (content-hashed names, cached for a year)",
    content_type="text/javascript",
    more_content_types=("text/css", "image/svg+xml"),
    roles=PUBLIC,
    errors=(NotFound,),
    path_patterns={"name": r"^[A-Za-z0-9_-]{1,100}\.(js|css|svg)$"},
)

INCIDENT_ID = r"^i_[a-z2-7]{26}$"
ON_CALL: frozenset[Role] = frozenset({"admin", "agent", "safety"})

RECEIVE_ALARM = Operation(
    id="receiveAlarm",
    method="POST",
    path="/v1/incidents/alarms",
    service="respond",
    tag="incidents",
    summary="A CloudWatch alarm state change, wrapped by SNS exactly as AWS delivers it",
    description="In AWS the alarm topic invokes respond directly; this route takes the same document (the SNS "
    "notification whose `Message` is the alarm JSON) from the local stack, a relay or a test. An alarm going to "
    "ALARM opens an incident (or adds an occurrence to the open one); going to OK resolves it. A redelivered "
    "message (same MessageId) changes nothing.",
    body=SnsNotification,
    # SNS labels the JSON it posts to HTTP(S) subscribers text/plain.
    body_types=("application/json", "text/plain"),
    response=AlarmReceipt,
    roles=frozenset({"admin"}),
    errors=(InvalidBody,),
)
LIST_INCIDENTS = Operation(
    id="listIncidents",
    method="GET",
    path="/v1/incidents",
    service="respond",
    tag="incidents",
    summary="Incidents, newest first",
    query=IncidentQuery,
    response=IncidentPage,
    roles=READERS,
)
GET_INCIDENT = Operation(
    id="getIncident",
    method="GET",
    path="/v1/incidents/{incident_id}",
    service="respond",
    tag="incidents",
    summary="One incident with its timeline and, for a spike, why it spiked",
    response=Incident,
    roles=READERS,
    errors=(NotFound,),
    path_patterns={"incident_id": INCIDENT_ID},
)
ACK_INCIDENT = Operation(
    id="acknowledgeIncident",
    method="POST",
    path="/v1/incidents/{incident_id}/ack",
    service="respond",
    tag="incidents",
    summary="Acknowledge an incident (someone is on it); optionally put its brand into crisis mode",
    body=IncidentAction,
    response=Incident,
    roles=ON_CALL,
    errors=(NotFound, Conflict),
    path_patterns={"incident_id": INCIDENT_ID},
)
RESOLVE_INCIDENT = Operation(
    id="resolveIncident",
    method="POST",
    path="/v1/incidents/{incident_id}/resolve",
    service="respond",
    tag="incidents",
    summary="Resolve an incident; ends the crisis mode it started",
    body=IncidentAction,
    response=Incident,
    roles=ON_CALL,
    errors=(NotFound, Conflict),
    path_patterns={"incident_id": INCIDENT_ID},
)

# Governance: safety cases, a person's data, reports, the audit log (docs/governance.md).
CASE_ID = r"^sc_[a-z2-7]{26}$"
PLATFORM = "^(" + "|".join(PLATFORMS) + ")$"
AUTHOR_ID = r"^[^/]{1,512}$"
# Drug safety works the cases; an admin sees everything. Erasure and access exports are the data protection
# officer's (admin); the audit log too. Reports are aggregates: anyone who may read the command center.
SAFETY: frozenset[Role] = frozenset({"safety", "admin"})
_CASE = {"case_id": CASE_ID}
_AUTHOR = {"platform": PLATFORM, "author_id": AUTHOR_ID}

LIST_SAFETY_CASES = Operation(
    id="listSafetyCases",
    method="GET",
    path="/v1/safety-cases",
    service="respond",
    tag="safety",
    summary="Safety cases, the earliest reporting deadline first",
    query=SafetyCaseQuery,
    response=SafetyCasePage,
    roles=SAFETY,
)
GET_SAFETY_CASE = Operation(
    id="getSafetyCase",
    method="GET",
    path="/v1/safety-cases/{case_id}",
    service="respond",
    tag="safety",
    summary="One safety case: criteria and why, product, verbatim, reporter, day 0 and the clock, follow-ups",
    response=SafetyCase,
    roles=SAFETY,
    errors=(NotFound,),
    path_patterns=_CASE,
)
_CASE_CONFLICT = "A command the status does not allow answers 409 with `allowed` and `status`."
FOLLOW_UP_CASE = Operation(
    id="followUpSafetyCase",
    method="POST",
    path="/v1/safety-cases/{case_id}/follow-ups",
    service="respond",
    tag="safety",
    summary="Record a follow-up attempt and its outcome; `confirms` the criteria it established",
    description=_CASE_CONFLICT,
    body=FollowUpBody,
    response=SafetyCase,
    roles=SAFETY,
    errors=(NotFound, Conflict),
    path_patterns=_CASE,
)
REPORT_CASE = Operation(
    id="reportSafetyCase",
    method="POST",
    path="/v1/safety-cases/{case_id}/report",
    service="respond",
    tag="safety",
    summary="Record the report to the safety database or authority (within the deadline or not)",
    description="Needs the four minimum criteria (409 lists what is missing; a follow-up may confirm them). A "
    "reported case that received new information takes a follow-up report. " + _CASE_CONFLICT,
    body=ReportBody,
    optional_body=True,
    response=SafetyCase,
    roles=SAFETY,
    errors=(NotFound, Conflict),
    path_patterns=_CASE,
)
DISMISS_CASE = Operation(
    id="dismissSafetyCase",
    method="POST",
    path="/v1/safety-cases/{case_id}/dismiss",
    service="respond",
    tag="safety",
    summary="Not a case, with a reason (a later message in the thread opens it again)",
    description=_CASE_CONFLICT,
    body=DismissBody,
    response=SafetyCase,
    roles=SAFETY,
    errors=(NotFound, Conflict),
    path_patterns=_CASE,
)
EXPORT_CASE = Operation(
    id="exportSafetyCase",
    method="GET",
    path="/v1/safety-cases/{case_id}/export",
    service="respond",
    tag="safety",
    summary="The case as an intake packet (E2B-minded names), JSON or CSV, as a download",
    query=ExportQuery,
    response=IntakePacket,
    formats=("text/csv",),
    roles=SAFETY,
    errors=(NotFound,),
    path_patterns=_CASE,
)
ERASE_AUTHOR = Operation(
    id="eraseAuthor",
    method="DELETE",
    path="/v1/authors/{platform}/{author_id}",
    service="ingest",
    tag="authors",
    summary="Erase a person (GDPR Art. 17): their mentions, their copies in tasks and the raw archive",
    description="Ingest erases the raw deliveries that carried their messages, then tells classify and respond, "
    "which erase theirs (202: under way, usually done within seconds). The audit shows the erasure with counts "
    "and without content (`GET /v1/audit?action=author.erased`). Safety cases they reported keep what "
    "pharmacovigilance law requires and record the request.",
    query=ErasureQuery,
    response=ErasureReceipt,
    status=202,
    roles=ADMINS,
    errors=(NotFound,),
    path_patterns=_AUTHOR,
)
GET_AUTHOR = Operation(
    id="getAuthor",
    method="GET",
    path="/v1/authors/{platform}/{author_id}",
    service="respond",
    tag="authors",
    summary="A person and their conversations, newest first (the agent's author panel)",
    query=Paging,
    response=AuthorView,
    roles=READERS,
    errors=(NotFound,),
    path_patterns=_AUTHOR,
)
COUNT_AUTHORS = Operation(
    id="countAuthors",
    method="GET",
    path="/v1/author-counts",
    service="respond",
    tag="authors",
    summary="How many messages Hark holds from each of up to 50 people (the inbox's author history count)",
    query=AuthorCountQuery,
    response=AuthorCounts,
    roles=READERS,
)
EXPORT_AUTHOR = Operation(
    id="exportAuthor",
    method="GET",
    path="/v1/authors/{platform}/{author_id}/export",
    service="respond",
    tag="authors",
    summary="Everything Hark holds of a person, as a JSON download (access request, GDPR Art. 15 and 20)",
    response=AuthorExport,
    roles=ADMINS,
    errors=(NotFound,),
    path_patterns=_AUTHOR,
)
GET_REPORT = Operation(
    id="getReport",
    method="GET",
    path="/v1/reports/{name}",
    service="respond",
    tag="reports",
    summary="A report: first-response, resolution, sla, volume, sentiment, intent or safety; JSON or CSV",
    description="Times in seconds with percentiles (p50, p90, p95, p99); SLA attainment per clock; volume by "
    "platform, queue and agent; sentiment and intent per hour, day or week; safety cases opened and reported "
    "within their deadline. Default window: the 30 days before now.",
    query=ReportQuery,
    response=Report,
    formats=("text/csv",),
    roles=READERS,
    errors=(NotFound,),
    path_patterns={"name": "^(" + "|".join(REPORTS) + ")$"},
)
LIST_AUDIT = Operation(
    id="listAudit",
    method="GET",
    path="/v1/audit",
    service="respond",
    tag="audit",
    summary="The audit log of what is not a task's: configuration changes, erasures, safety cases",
    description="Newest first, filtered by kind, action, actor and time; `stream` gives one stream oldest first "
    "with its hash chain verified. Entries never hold people's words: those are kept apart, shown while kept "
    "(`content: kept`) and gone once erased (`content: erased`).",
    query=AuditQuery,
    response=AuditLogPage,
    roles=ADMINS,
    errors=(NotFound,),
)

OPERATIONS: tuple[Operation, ...] = (
    WEBHOOK_HANDSHAKE,
    WEBHOOK_DELIVERY,
    SUBMIT_MENTIONS,
    HEALTH,
    HEALTH_HEAD,
    LIST_MENTIONS,
    GET_MENTION,
    LIST_TASKS,
    GET_TASK,
    CLAIM_TASK,
    RELEASE_TASK,
    ASSIGN_TASK,
    ADD_NOTE,
    LIST_NOTES,
    PUT_DRAFT,
    SUGGEST_REPLIES,
    SUBMIT_DRAFT,
    APPROVE_DRAFT,
    REJECT_DRAFT,
    SEND_REPLY,
    RETRY_SEND,
    CLOSE_TASK,
    REOPEN_TASK,
    SNOOZE_TASK,
    TASK_AUDIT,
    TASK_THREAD,
    LIST_NOTIFICATIONS,
    GET_CONFIG,
    CONFIG_AUDIT,
    LIST_SOURCES,
    GET_OVERVIEW,
    WHOAMI,
    OPENAPI,
    DASHBOARD,
    WALL,
    WEB_ASSET,
    RECEIVE_ALARM,
    LIST_INCIDENTS,
    GET_INCIDENT,
    ACK_INCIDENT,
    RESOLVE_INCIDENT,
    LIST_SAFETY_CASES,
    GET_SAFETY_CASE,
    FOLLOW_UP_CASE,
    REPORT_CASE,
    DISMISS_CASE,
    EXPORT_CASE,
    ERASE_AUTHOR,
    GET_AUTHOR,
    COUNT_AUTHORS,
    EXPORT_AUTHOR,
    GET_REPORT,
    LIST_AUDIT,
)


def openapi() -> dict[str, Any]:
    from shared.api.openapi import build  # noqa: PLC0415

    return build(
        OPERATIONS,
        title="Hark API",
        version="1",
        description="Webhooks from platforms; the partner API for mentions, classifications and tasks. Every route "
        "but /health, /openapi.json, the web app (/, /wall, /assets) and the webhooks needs an `x-api-key`. Errors "
        "are application/problem+json (RFC 9457).",
    )
