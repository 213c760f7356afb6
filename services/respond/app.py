"""Lambda entry points of respond (Chalice): the partner API, the web app, the OpenAPI document, and the consumer
of the respond queue. Each view adapts what the edge validated, makes one call to the respond core, and maps the
result. Nothing here reads the environment or builds a client."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from chalice.app import Chalice, SQSEvent

from services.respond import bootstrap
from services.respond.edge.site import site
from services.respond.service import RespondService
from shared.api import operations as ops
from shared.api.models import Me, MentionPage, MentionQuery, TaskPage, TaskQuery
from shared.events import StoredMention, Task
from shared.resources import RESPOND
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


@cache
def _openapi() -> str:
    return orjson.dumps(ops.openapi()).decode()


@edge.operation(ops.OPENAPI)
def openapi_document(_call: Call[None, None]) -> Raw:
    return Raw(_openapi(), "application/json")


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
