"""Every operation of Hark's HTTP API, in one list. Each app's Chalice edge binds a view to each operation it
serves (`shared.web.Edge`); a contract test holds the routes the apps declare to exactly this list."""

from __future__ import annotations

from typing import Any

from shared.api import PUBLIC, Operation
from shared.api.models import (
    Health,
    MentionPage,
    MentionQuery,
    Submission,
    SubmissionResult,
    TaskPage,
    TaskQuery,
    WebhookReceipt,
)
from shared.auth import Role
from shared.errors import (
    InvalidBody,
    InvalidHeader,
    InvalidQuery,
    InvalidSignature,
    NoHandshake,
    NotConfigured,
    NotFound,
    NotPermitted,
    StaleDelivery,
    TooLarge,
    UnsupportedContentType,
)
from shared.events import StoredMention, Task

READERS: frozenset[Role] = frozenset({"viewer", "agent", "approver", "safety", "admin"})
SUBMITTERS: frozenset[Role] = frozenset({"partner", "agent", "admin"})

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
    summary="Mentions, newest first",
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
    roles=READERS,
)
GET_TASK = Operation(
    id="getTask",
    method="GET",
    path="/v1/tasks/{task_id}",
    service="respond",
    tag="tasks",
    summary="One task",
    response=Task,
    roles=READERS,
    errors=(NotFound,),
    path_patterns={"task_id": TASK_ID},
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
    OPENAPI,
    DASHBOARD,
)


def openapi() -> dict[str, Any]:
    from shared.api.openapi import build  # noqa: PLC0415

    return build(
        OPERATIONS,
        title="Hark API",
        version="1",
        description="Webhooks from platforms; the partner API for mentions, classifications and tasks. Every route "
        "but /health, /openapi.json, / and the webhooks needs an `x-api-key`. Errors are application/problem+json "
        "(RFC 9457).",
    )
