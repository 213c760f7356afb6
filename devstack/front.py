"""An API Gateway (REST, proxy integration) stand-in: real HTTP on 127.0.0.1, each request turned into the event
API Gateway would send, dispatched to the Chalice app that declares the route, and the function's answer turned
back into HTTP. Routes are read from the apps themselves, so there is no second list to keep in step.

Like API Gateway it refuses, in problem+json, what never reaches a function: an unknown route or method, a body
over 10 MB, a request line and headers over 10,240 bytes (431); and so does the HTTP layer under it (a malformed
request line, a URI too long), where Python's server would answer an HTML page."""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from devstack.lambda_runtime import ACCOUNT, Function, Throttled
from shared.api.problems import (
    HEADERS_TOO_LARGE,
    METHOD_NOT_ALLOWED,
    PROBLEM_JSON,
    PROBLEMS,
    ROUTE_NOT_FOUND,
    TOO_MANY_REQUESTS,
    ProblemType,
    problem_document,
)
from shared.errors import InvalidInput, TooLarge
from shared.web import problem_response

# API Gateway's own limits; the functions enforce their own, smaller ones.
MAX_BODY = 10 * 1024 * 1024
MAX_REQUEST_LINE_AND_HEADERS = 10_240
BAD_GATEWAY = ProblemType(502, "bad-gateway", "The function failed")
# Every local environment of the function stayed busy past the function's timeout: the retryable 429 the deployed
# API answers when its throttle refuses a request (Lambda's own throttle reaches a caller through API Gateway as a
# 500 unless mapped; the CDK app maps what it can to this problem).
THROTTLED = TOO_MANY_REQUESTS
# What the HTTP layer refuses before there is a request to route.
HTTP_PROBLEMS: dict[int, ProblemType] = {
    400: PROBLEMS[InvalidInput],
    414: ProblemType(414, "uri-too-long", "The request URI is too long"),
    431: HEADERS_TOO_LARGE,
    501: ProblemType(501, "not-implemented", "The method is not implemented"),
    505: ProblemType(505, "http-version-not-supported", "The HTTP version is not supported"),
}
# Characters a request target may carry as they are; anything else (raw UTF-8 sent by curl) is percent-encoded.
_TARGET_SAFE = "/:?#[]@!$&'()*+,;=%-._~"


@dataclass
class Route:
    template: str
    pattern: re.Pattern[str]
    methods: dict[str, Function] = field(default_factory=dict)


def compile_template(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def build_routes(functions: Iterable[Function]) -> list[Route]:
    routes: dict[str, Route] = {}
    for function in functions:
        for template, methods in function.handler.routes.items():
            route = routes.setdefault(template, Route(template, compile_template(template)))
            for method in methods:
                if method in route.methods:
                    raise ValueError(f"{method} {template} is declared by two apps")
                route.methods[method] = function
    # Literal segments win over parameters, as in API Gateway.
    return sorted(routes.values(), key=lambda r: (r.template.count("{"), -len(r.template)))


def _is_binary(content_type: str, binary_types: list[str]) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return any(t == main or (t.endswith("/*") and main.startswith(t[:-1])) for t in binary_types)


def to_event(request: Request, route: Route, params: dict[str, str], binary_types: list[str]) -> dict[str, Any]:
    body = request.get_data(cache=False)
    encoded = False
    text: str | None = None
    if body:
        if _is_binary(request.content_type or "", binary_types):
            text, encoded = base64.b64encode(body).decode(), True
        else:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text, encoded = base64.b64encode(body).decode(), True
    multi_headers: dict[str, list[str]] = {}
    for key, value in request.headers.items():
        multi_headers.setdefault(key, []).append(value)
    multi_query = {k: request.args.getlist(k) for k in request.args}
    return {
        "resource": route.template,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.template,
            "httpMethod": request.method,
            "path": request.path,
            "stage": "local",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "accountId": ACCOUNT,
            "apiId": "local",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "identity": {
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def from_result(result: dict[str, Any]) -> Response:
    body: Any = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body)
    response = Response(body, status=int(result.get("statusCode", 200)))
    response.headers.clear()
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = str(value)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(key, str(value))
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"  # API Gateway's default for proxy responses
    return response


def _problem(kind: ProblemType, detail: str, **headers: str) -> Response:
    return from_result(problem_response(kind, detail, headers=headers).to_dict())


class Gateway:
    """The WSGI application: routing and the event/response translation (tests drive it without a socket)."""

    def __init__(
        self, functions: Iterable[Function], on_request: Callable[[str, str, int, float], None] | None = None
    ) -> None:
        self.routes = build_routes(functions)
        self._on_request = on_request

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        request = Request(environ)
        response = self.dispatch(request)
        if self._on_request:
            self._on_request(request.method, request.path, response.status_code, time.perf_counter() - started)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if (request.content_length or 0) > MAX_BODY:
            return _problem(PROBLEMS[TooLarge], f"limit {MAX_BODY} bytes")
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            function = route.methods.get(request.method)
            if function is None:
                allowed = ", ".join(sorted(route.methods))
                return _problem(METHOD_NOT_ALLOWED, f"{request.method} is not served here", Allow=allowed)
            event = to_event(request, route, match.groupdict(), function.handler.api.binary_types)
            try:
                return from_result(function.invoke(event))
            except Throttled as exc:
                return _problem(THROTTLED, str(exc), **{"Retry-After": str(THROTTLED.retry_after_s)})
            except Exception as exc:  # what API Gateway answers when the function itself crashes
                return _problem(BAD_GATEWAY, type(exc).__name__)
        return _problem(ROUTE_NOT_FOUND, f"nothing is served at {request.path}")


class _Handler(WSGIRequestHandler):
    """werkzeug's request handler, with API Gateway's limit on headers, UTF-8 request targets, and problem+json
    for what the HTTP layer refuses on its own."""

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        # http.server decodes the request line as latin-1, so a raw UTF-8 target ("/v1/tasks/é") would reach the
        # app as mojibake; percent-encoded, as a browser sends it, it decodes to what the client meant.
        if not self.path.isascii():
            self.path = quote(self.path.encode("latin-1"), safe=_TARGET_SAFE)
        size = len(self.requestline) + sum(len(name) + len(value) for name, value in self.headers.items())
        if size > MAX_REQUEST_LINE_AND_HEADERS:
            self.send_error(
                431, f"the request line and headers are {size} bytes; the limit is {MAX_REQUEST_LINE_AND_HEADERS}"
            )
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        kind = HTTP_PROBLEMS.get(code) or ProblemType(code, "http-error", "The request could not be served")
        # http.server's 400 messages quote the offending request line; the problem never echoes input.
        detail = "the request line or a header is malformed" if code == 400 else (message or kind.title)
        body = orjson.dumps(problem_document(kind, detail))
        self.log_error("code %d, message %s", code, message)
        self.send_response(code)
        self.send_header("Content-Type", PROBLEM_JSON)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)
        self.close_connection = True


class Front:
    """The gateway served over real HTTP on a background thread."""

    def __init__(self, gateway: Gateway, host: str, port: int) -> None:
        self._server: BaseWSGIServer = make_server(host, port, gateway, threaded=True, request_handler=_Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="hark-front", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
