"""The local API Gateway stand-in: routing from the apps' own route tables, events as API Gateway builds them,
and gateway-level refusals in problem+json."""

from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.app import Chalice, Response
from werkzeug.test import Client

from devstack.front import MAX_REQUEST_LINE_AND_HEADERS, Front, Gateway, build_routes, compile_template
from devstack.lambda_runtime import Function, LambdaContext, Throttled
from shared.resources import FunctionSpec


class AppFunction:
    def __init__(self, app: Chalice) -> None:
        self.handler = app
        self.name = app.app_name
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        return self.handler(event, LambdaContext(self.name, 128, 10))


def make_app(name: str) -> AppFunction:
    app = Chalice(app_name=name, env={}, configure_logs=False)

    @app.route("/things/{thing_id}", methods=["GET", "POST"], content_types=["*/*"])
    def thing(thing_id: str) -> Response:
        request = app.current_request
        assert request is not None
        return Response(
            body={"id": thing_id, "raw": base64.b64encode(request.raw_body).decode(), "q": request.query_params},
            status_code=200,
        )

    @app.route("/things/special", methods=["GET"])
    def special() -> dict[str, str]:
        return {"special": "yes"}

    return AppFunction(app)


def test_templates_become_anchored_patterns() -> None:
    pattern = compile_template("/webhooks/{platform}")
    assert pattern.match("/webhooks/github")["platform"] == "github"  # type: ignore[index]
    assert pattern.match("/webhooks/github/extra") is None
    assert pattern.match("/webhooks/") is None


def test_two_apps_may_share_a_path_but_not_a_method() -> None:
    one, two = make_app("one"), make_app("two")
    with pytest.raises(ValueError, match="declared by two apps"):
        build_routes([one, two])  # type: ignore[list-item]


def test_literal_routes_win_over_parameters_and_bodies_arrive_byte_exact() -> None:
    function = make_app("things")
    client = Client(Gateway([function]))  # type: ignore[list-item]
    assert client.get("/things/special").json == {"special": "yes"}
    raw = b"\xff\xfe not utf-8"
    response = client.post("/things/abc?x=1&x=2", data=raw, headers={"Content-Type": "text/plain"})
    assert response.json["id"] == "abc"
    assert base64.b64decode(response.json["raw"]) == raw
    event = function.events[-1]
    assert event["isBase64Encoded"] is True
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["requestContext"]["resourcePath"] == "/things/{thing_id}"
    assert event["requestContext"]["requestTimeEpoch"] > 0
    text = client.post("/things/t", data="héllo".encode(), headers={"Content-Type": "application/json"})
    assert base64.b64decode(text.json["raw"]).decode() == "héllo"
    assert function.events[-1]["isBase64Encoded"] is False


def test_unknown_paths_and_methods_are_problems() -> None:
    client = Client(Gateway([make_app("things")]))  # type: ignore[list-item]
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    wrong = client.delete("/things/abc")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET, POST"
    assert wrong.json["type"] == "urn:hark:problem:method-not-allowed"


def test_a_crashing_function_is_a_502_problem() -> None:
    function = make_app("things")

    def crash(event: dict[str, Any]) -> Any:
        raise RuntimeError("init failed")

    function.invoke = crash  # type: ignore[method-assign]
    response = Client(Gateway([function])).get("/things/x")  # type: ignore[list-item]
    assert response.status_code == 502
    assert response.json["detail"] == "RuntimeError"


def test_a_throttled_function_is_a_retryable_429_problem() -> None:
    function = make_app("things")

    def throttled(event: dict[str, Any]) -> Any:
        raise Throttled("hark-local-things: all 1 environments busy")

    function.invoke = throttled  # type: ignore[method-assign]
    response = Client(Gateway([function])).get("/things/x")  # type: ignore[list-item]
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json["type"] == "urn:hark:problem:too-many-requests"
    assert response.headers["Content-Type"] == "application/problem+json"


# Served over a real socket by a pool of two environments: each request waits inside the view until the other has
# arrived, so both are answered only if the front serves them at the same time.
together = Chalice(app_name="together", env={}, configure_logs=False)
_both_inside = threading.Barrier(2)


@together.route("/meet", methods=["GET"])
def meet() -> dict[str, int]:
    return {"waiting": _both_inside.wait(timeout=5) + 1}


def test_the_front_serves_requests_side_by_side() -> None:
    spec = FunctionSpec(
        key="together", service="probe", handler="tests.unit.test_front.together", timeout_s=5, memory_mb=128
    )
    function = Function(spec, concurrency=2)
    front = Front(Gateway([function]), "127.0.0.1", 0)
    front.start()
    try:
        url = f"http://127.0.0.1:{front.port}/meet"
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: urllib.request.urlopen(url, timeout=10), range(2)))
        assert [a.status for a in answers] == [200, 200]
        assert sorted(json.loads(a.read())["waiting"] for a in answers) == [1, 2]
        assert function.peak == 2
    finally:
        front.stop()


@pytest.fixture
def served() -> Any:
    """The gateway over real HTTP on a free port, with the `things` app behind it."""
    front = Front(Gateway([make_app("things")]), "127.0.0.1", 0)  # type: ignore[list-item]
    front.start()
    yield front
    front.stop()


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes exactly as given (no client library normalises them) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_a_raw_utf8_path_reaches_the_app_as_the_client_meant_it(served: Any) -> None:
    # curl sends non-ASCII paths as raw UTF-8; http.server reads the request line as latin-1.
    for target in ("/things/été", "/things/%C3%A9t%C3%A9"):
        status, _, body = raw_exchange(
            served.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        assert status == 200
        assert json.loads(body)["id"] == "été"


def test_headers_over_api_gateways_limit_are_a_431_problem(served: Any) -> None:
    within = "a" * (MAX_REQUEST_LINE_AND_HEADERS - 200)
    status, _, _ = raw_exchange(
        served.port, f"GET /things/x HTTP/1.1\r\nX-Big: {within}\r\nConnection: close\r\n\r\n".encode()
    )
    assert status == 200
    for extra in (
        f"X-Big: {'a' * (MAX_REQUEST_LINE_AND_HEADERS + 1)}\r\n",  # over API Gateway's 10,240 bytes
        f"X-Huge: {'a' * 70_000}\r\n",  # over http.server's 65,536-byte line
        "".join(f"X-H{n}: 1\r\n" for n in range(120)),  # over http.server's 100 headers
    ):
        status, headers, body = raw_exchange(
            served.port, f"GET /things/x HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode()
        )
        assert status == 431
        assert headers["content-type"] == "application/problem+json"
        problem = json.loads(body)
        assert (problem["status"], problem["type"]) == (431, "urn:hark:problem:headers-too-large")


def test_what_the_http_layer_refuses_is_a_problem_that_does_not_echo_the_input(served: Any) -> None:
    status, headers, body = raw_exchange(served.port, b"GET /things/x <script> HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert b"script" not in body
    assert json.loads(body)["type"] == "urn:hark:problem:invalid-input"
