"""The HTTP edge on its own (a tiny Chalice app, a fake root, no AWS): keys to principals and roles, query and body
validation, the problem table, and that nothing unexpected leaks out as anything but a problem document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Chalice
from pydantic import BaseModel, Field
from werkzeug.test import Client

from devstack.front import Gateway
from devstack.lambda_runtime import LambdaContext
from shared.api import PUBLIC, Operation
from shared.api.models import Paging
from shared.auth import Grant
from shared.errors import Conflict, NotConfigured
from shared.secrets import SecretValues
from shared.settings import Settings
from shared.web import Call, Edge, Raw

KEYS = {
    "agent-key-1": Grant("ana", frozenset({"agent"})),
    "viewer-key-1": Grant("vic", frozenset({"viewer"})),
}


class Root:
    settings = Settings(max_api_bytes=200)

    class secrets:
        @staticmethod
        def get() -> SecretValues:
            return SecretValues(api_keys=KEYS)


class Echo(BaseModel):
    who: str
    limit: int | None = None
    text: str | None = None


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=50)


AGENTS_ONLY = Operation(
    id="agentsOnly", method="POST", path="/things/{thing_id}", service="test", summary="s",
    query=Paging, body=Note, response=Echo, roles=frozenset({"agent"}), path_patterns={"thing_id": r"^t_[a-z]+$"},
)  # fmt: skip
ANY_KEY = Operation(id="anyKey", method="GET", path="/things", service="test", summary="s", response=Echo)
OPEN = Operation(id="open", method="GET", path="/open", service="test", summary="s", roles=PUBLIC,
                 content_type="text/plain")  # fmt: skip
BROKEN = Operation(id="broken", method="GET", path="/broken", service="test", summary="s", roles=PUBLIC)
REFUSED = Operation(id="refused", method="GET", path="/refused", service="test", summary="s", roles=PUBLIC)


class AppFunction:
    def __init__(self, app: Chalice) -> None:
        self.handler = app

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.handler(event, LambdaContext("test", 128, 10))


def make_client() -> Client:
    app = Chalice(app_name="edge-test", env={}, configure_logs=False)
    edge = Edge(app, "test", Root)  # type: ignore[arg-type]

    @edge.operation(AGENTS_ONLY)
    def agents_only(call: Call[Paging, Note]) -> Echo:
        return Echo(who=call.caller.user, limit=call.query.limit, text=call.body.text + call.path["thing_id"])

    @edge.operation(ANY_KEY)
    def any_key(call: Call[None, None]) -> Echo:
        return Echo(who=call.caller.user)

    @edge.operation(OPEN)
    def open_view(call: Call[None, None]) -> Raw:
        return Raw("hello", "text/plain")

    @edge.operation(BROKEN)
    def broken(call: Call[None, None]) -> Raw:
        raise RuntimeError("a bug with a secret in it: sk-live-123")

    @edge.operation(REFUSED)
    def refused(call: Call[None, None]) -> Raw:
        raise Conflict("task t_abc is held by ana", holder="ana")

    return Client(Gateway([AppFunction(app)]))  # type: ignore[list-item]


@pytest.fixture(scope="module")
def http() -> Client:
    return make_client()


def post(http: Client, path: str, body: Any, key: str | None = "agent-key-1", **headers: str) -> Any:
    sent = {"content-type": "application/json", **headers}
    if key:
        sent["x-api-key"] = key
    return http.post(path, data=body if isinstance(body, bytes) else json.dumps(body), headers=sent)


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    document: dict[str, Any] = response.json
    assert (document["status"], document["type"]) == (status, f"urn:hark:problem:{slug}")
    assert document["title"] and document["detail"]
    return document


def test_a_valid_call_reaches_the_view_typed(http: Client) -> None:
    response = post(http, "/things/t_abc?limit=7", {"text": "hi "})
    assert response.status_code == 200
    assert response.json == {"who": "ana", "limit": 7, "text": "hi t_abc"}


def test_keys_and_roles(http: Client) -> None:
    problem(post(http, "/things/t_abc", {"text": "x"}, key=None), 401, "unauthorized")
    problem(post(http, "/things/t_abc", {"text": "x"}, key="guess-key"), 401, "unauthorized")
    refused = problem(post(http, "/things/t_abc", {"text": "x"}, key="viewer-key-1"), 403, "forbidden")
    assert refused["needs"] == ["agent"]
    assert http.get("/things", headers={"x-api-key": "viewer-key-1"}).json["who"] == "vic"
    assert http.get("/open").text == "hello"


def test_bodies_are_checked_before_the_view(http: Client) -> None:
    problem(post(http, "/things/t_abc", b"{oops"), 400, "invalid-body")
    problem(post(http, "/things/t_abc", b""), 400, "invalid-body")
    invalid = problem(post(http, "/things/t_abc", {"text": ""}), 400, "invalid-body")
    assert invalid["errors"][0]["loc"] == ["text"]
    problem(post(http, "/things/t_abc", {"text": "x"}, **{"content-type": "text/csv"}), 415, "unsupported-media-type")
    problem(post(http, "/things/t_abc", {"text": "x" * 300}), 413, "payload-too-large")


def test_queries_and_paths_are_checked_before_the_view(http: Client) -> None:
    bad_limit = problem(post(http, "/things/t_abc?limit=0", {"text": "x"}), 400, "invalid-query")
    assert bad_limit["title"] == "A query parameter is invalid"
    problem(post(http, "/things/t_abc?cursor=", {"text": "x"}), 400, "invalid-query")
    problem(post(http, "/things/NOT-AN-ID", {"text": "x"}), 404, "not-found")


def test_domain_errors_map_through_the_table_and_bugs_leak_nothing(http: Client) -> None:
    held = problem(http.get("/refused"), 409, "conflict")
    assert held["holder"] == "ana"
    crashed = problem(http.get("/broken"), 500, "internal-error")
    assert "sk-live" not in json.dumps(crashed)


def test_an_unusable_configuration_is_a_503_with_retry_after_only_for_transient_trouble() -> None:
    from shared.errors import Unavailable
    from shared.web import error_response

    assert error_response(NotConfigured("no key")).status_code == 503
    assert "Retry-After" in error_response(Unavailable("throttled")).headers
    assert "Retry-After" not in error_response(NotConfigured("no key")).headers
