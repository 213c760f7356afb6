"""Lambda entry points of respond (Chalice): the partner API's reads, the dashboard, the OpenAPI document, and
the consumer of the respond queue. Nothing here reads the environment or builds a client."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from chalice.app import Chalice, Response, SQSEvent

from services.respond import bootstrap
from shared.partner_api import openapi
from shared.resources import RESPOND
from shared.web import api_view, from_chalice, install, json_response, reply_response

SERVICE = "respond"
STATIC = Path(__file__).parent / "static"

assert RESPOND.sqs_source is not None
_source = RESPOND.sqs_source

# env={}: Chalice would otherwise stamp os.environ at import. configure_logs=False: Powertools owns the logger
# of the same name and formats every line as JSON.
app = Chalice(app_name="hark-respond", env={}, configure_logs=False)
install(app, SERVICE)


def _request() -> Any:
    assert app.current_request is not None
    return from_chalice(app.current_request)


@app.route("/v1/mentions", methods=["GET"])
@api_view(SERVICE)
def list_mentions() -> Response:
    return reply_response(bootstrap.root.get().service.list_mentions(_request()))


@app.route("/v1/mentions/{mention_id}", methods=["GET"])
@api_view(SERVICE)
def get_mention(mention_id: str) -> Response:
    return reply_response(bootstrap.root.get().service.get_mention(_request(), mention_id))


@app.route("/v1/tasks", methods=["GET"])
@api_view(SERVICE)
def list_tasks() -> Response:
    return reply_response(bootstrap.root.get().service.list_tasks(_request()))


@app.route("/v1/tasks/{task_id}", methods=["GET"])
@api_view(SERVICE)
def get_task(task_id: str) -> Response:
    return reply_response(bootstrap.root.get().service.get_task(_request(), task_id))


@cache
def _openapi() -> dict[str, Any]:
    return openapi()


@app.route("/openapi.json", methods=["GET"])
@api_view(SERVICE)
def openapi_document() -> Response:
    return json_response(_openapi())


@app.route("/", methods=["GET"])
@api_view(SERVICE)
def dashboard() -> Response:
    return Response(
        body=(STATIC / "index.html").read_text(encoding="utf-8"),
        status_code=200,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"},
    )


# The queue named here is nominal: the CDK app points the event source at the real queue's ARN and turns on
# ReportBatchItemFailures, which Chalice cannot express.
@app.on_sqs_message(
    queue=_source.queue.key,
    batch_size=_source.batch_size,
    maximum_batching_window_in_seconds=_source.max_batching_window_s,
)
def on_mention_classified(event: SQSEvent) -> dict[str, Any]:
    return bootstrap.root.get().handler(event.to_dict(), event.context)
