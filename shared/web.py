"""The HTTP edge shared by the Chalice apps. A view is bound to one `Operation` (`shared.api.operations`) with
`Edge.operation`; the edge then does everything HTTP so the view does not: it resolves the caller's API key to a
`Principal` and checks the operation's roles, validates the query and the body with the operation's models, calls
the view with typed values, serialises what it returns, and maps every Hark error to its status and RFC 9457
problem+json document through the one table in `shared.api.problems`. Anything unexpected is a logged 500 of the
same shape, never a stack trace. Every answer carries the security headers below (a page or an asset may bring
its own, stricter, Content-Security-Policy)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import orjson
from chalice.app import Chalice, Request, Response
from pydantic import BaseModel, ValidationError

from shared.api import Operation
from shared.api.problems import (
    INTERNAL,
    METHOD_NOT_ALLOWED,
    PROBLEM_JSON,
    PROBLEMS,
    ProblemType,
    problem_document,
    problem_type,
)
from shared.auth import Principal
from shared.errors import (
    HarkError,
    InvalidBody,
    InvalidQuery,
    NotFound,
    NotPermitted,
    TooLarge,
    UnsupportedContentType,
    validation_errors,
)
from shared.observability import get_logger, instrument
from shared.secrets import SecretSource
from shared.settings import Settings

# On every answer of both HTTP apps. API Gateway serves HTTPS only, so HSTS holds there (over the local stack's
# plain HTTP a browser ignores it, as RFC 6797 says). An API answer is data, never a document: it may not be
# sniffed into HTML, framed, run as a script or load anything, and it is not kept in any cache (it holds people's
# messages).
SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
API_HEADERS: Mapping[str, str] = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
}

Q = TypeVar("Q", bound=BaseModel | None)
B = TypeVar("B", bound=BaseModel | None)


@dataclass(frozen=True)
class RequestInfo:
    """What the edge passes on of the request itself. Header names lower-cased (API Gateway v2 does, v1 does not);
    the body as the exact bytes sent, which is what every webhook signature covers."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_id: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Call(Generic[Q, B]):
    """One call of an operation, validated: who, with which query and body, on which path."""

    principal: Principal | None
    query: Q
    body: B
    path: Mapping[str, str]
    request: RequestInfo

    @property
    def caller(self) -> Principal:
        assert self.principal is not None, "only operations with roles have a caller"
        return self.principal


@dataclass(frozen=True)
class Raw:
    """A non-JSON answer: the dashboard's HTML, a handshake's challenge."""

    body: str
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


class EdgeRoot(Protocol):
    """What the edge needs of a service's composition root."""

    @property
    def settings(self) -> Settings: ...

    @property
    def secrets(self) -> SecretSource: ...


View = Callable[[Call[Any, Any]], BaseModel | Raw]


class Edge:
    def __init__(self, app: Chalice, service: str, root: Callable[[], EdgeRoot]) -> None:
        self.app = app
        self.service = service
        self._root = root
        self.operations: dict[tuple[str, str], Operation] = {}
        _install(app, service)

    def operation(self, op: Operation) -> Callable[[View], View]:
        """Serve `op` with this view."""
        if op.service != self.service:
            raise ValueError(f"{op.id} is served by {op.service}, not {self.service}")

        def bind(view: View) -> View:
            @functools.wraps(view)
            def handler(**path: str) -> Response:
                assert self.app.current_request is not None
                return self._handle(op, view, self.app.current_request, path)

            self.app.route(op.path, methods=[op.method], content_types=["*/*"], name=op.id)(handler)
            self.operations[(op.method, op.path)] = op
            return view

        return bind

    def _handle(self, op: Operation, view: View, request: Request, path: Mapping[str, str]) -> Response:
        log = get_logger(self.service)
        try:
            info = request_info(request)
            root = self._root()
            principal = _authenticate(op, info, root)
            _check_path(op, path)
            call: Call[Any, Any] = Call(
                principal=principal,
                query=_query(op, info),
                body=_body(op, info, root.settings.max_api_bytes),
                path=path,
                request=info,
            )
            return _answer(op, view(call))
        except HarkError as error:
            kind = problem_type(error)
            if kind.status >= 500:
                log.error("request failed", extra={"problem": kind.slug, "detail": error.detail})
            else:
                log.info("request refused", extra={"problem": kind.slug, "detail": error.detail})
            return error_response(error)
        except Exception:
            log.exception("unhandled error in view", extra={"operation": op.id})
            return problem_response(INTERNAL, "the request could not be completed")


def request_info(request: Request) -> RequestInfo:
    context = request.context or {}
    query: Mapping[str, Any] = request.query_params or {}
    raw = request.raw_body
    return RequestInfo(
        headers={str(k).lower(): str(v) for k, v in request.headers.items()},
        query={str(k): str(v) for k, v in query.items()},
        body=raw if isinstance(raw, bytes) else raw.encode(),
        request_id=str(context.get("requestId", "")),
        received_at=_arrival(context),
    )


def _arrival(context: Mapping[str, Any]) -> datetime:
    """API Gateway stamps when the request arrived; that, not when the function got to it, is `received_at`."""
    epoch_ms = context.get("requestTimeEpoch")
    if isinstance(epoch_ms, int | float) and epoch_ms > 0:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return datetime.now(UTC)


def _authenticate(op: Operation, info: RequestInfo, root: EdgeRoot) -> Principal | None:
    if op.roles is None:
        return None
    principal = root.secrets.get().keys().authenticate(info.headers.get("x-api-key"))
    if op.roles and not principal.has_any(op.roles):
        raise NotPermitted(
            f"{principal.user} may not call {op.id}; it needs one of the roles {', '.join(sorted(op.roles))}",
            needs=sorted(op.roles),
        )
    return principal


def _check_path(op: Operation, path: Mapping[str, str]) -> None:
    import re  # noqa: PLC0415 - only operations with patterned ids need it

    for name, pattern in op.path_patterns.items():
        value = path.get(name, "")
        if not re.fullmatch(pattern.strip("^$"), value):
            raise NotFound(f"there is no {name.removesuffix('_id')} {value[:128]}")


def _query(op: Operation, info: RequestInfo) -> BaseModel | None:
    if op.query is None:
        return None
    try:
        return op.query.model_validate(dict(info.query))
    except ValidationError as exc:
        raise InvalidQuery(
            f"{exc.error_count()} query parameter(s) are invalid", errors=validation_errors(exc)
        ) from exc


def _body(op: Operation, info: RequestInfo, limit: int) -> BaseModel | None:
    if op.body is None:
        return None
    if len(info.body) > limit:
        raise TooLarge(f"the body is {len(info.body)} bytes; the limit is {limit}", limit=limit)
    if op.optional_body and not info.body.strip():
        return op.body.model_validate({})
    if info.content_type not in op.body_types:
        raise UnsupportedContentType(
            f"content type {info.content_type or '(none)'} is not accepted here", accepted=list(op.body_types)
        )
    if not info.body.strip():
        raise InvalidBody("the request body is empty")
    try:
        document = orjson.loads(info.body)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"the body is not valid JSON: {exc}") from exc
    try:
        return op.body.model_validate(document)
    except ValidationError as exc:
        raise InvalidBody("the body does not match the schema", errors=validation_errors(exc)) from exc
    except RecursionError as exc:
        raise InvalidBody("the body is nested too deeply") from exc


def _answer(op: Operation, result: BaseModel | Raw) -> Response:
    if isinstance(result, Raw):
        return Response(
            body=result.body, status_code=op.status, headers={"Content-Type": result.content_type, **result.headers}
        )
    return Response(body=result.model_dump_json(), status_code=op.status, headers={"Content-Type": "application/json"})


def problem_response(
    kind: ProblemType, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response:
    extra_headers = dict(headers or {})
    if kind.retry_after_s is not None:
        extra_headers.setdefault("Retry-After", str(kind.retry_after_s))
    return Response(
        body=orjson.dumps(problem_document(kind, detail, **extra), default=_default).decode(),
        status_code=kind.status,
        headers={"Content-Type": PROBLEM_JSON, **extra_headers},
    )


def error_response(error: HarkError) -> Response:
    # A wait the error knows (a platform's rate-limit reset) is said as Retry-After too.
    wait = error.extra.get("retry_after_s")
    headers = {"Retry-After": str(int(wait))} if isinstance(wait, int | float) and wait > 0 else None
    return problem_response(problem_type(error), error.detail, headers, **error.extra)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(
        body=orjson.dumps(payload, default=_default).decode(),
        status_code=status,
        headers={"Content-Type": "application/json"},
    )


# Chalice answers some requests itself (an unknown method on a known path, a body it cannot decode); those answers
# are rewritten to the same problem documents.
_CHALICE_ERRORS: dict[int, ProblemType] = {
    405: METHOD_NOT_ALLOWED,
    415: PROBLEMS[UnsupportedContentType],
    400: PROBLEMS[InvalidBody],
    500: INTERNAL,
}


def _install(app: Chalice, service: str) -> None:
    """Log context and metrics for every request; Chalice's own error bodies rewritten as problem+json."""

    @app.middleware("http")
    def observe(request: Request, get_response: Callable[[Request], Response]) -> Response:
        def call(_event: Any, _context: Any) -> Response:
            get_logger(service).append_keys(method=request.method, path=request.path)
            return _secured(_as_problem(get_response(request)))

        return instrument(service, call)(request.to_original_event(), request.lambda_context)


def _secured(response: Response) -> Response:
    for name, value in API_HEADERS.items():
        if not any(name.lower() == present.lower() for present in response.headers):
            response.headers[name] = value
    return response


def _as_problem(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        kind = _CHALICE_ERRORS.get(response.status_code, INTERNAL)
        extra_headers = {k: str(v) for k, v in response.headers.items() if k.lower() == "allow"}
        return problem_response(kind, str(body["Message"]), headers=extra_headers)
    return response


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
