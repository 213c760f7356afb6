"""The HTTP edge shared by the Chalice apps: one place that maps Hark errors to RFC 9457 problem+json answers,
an adapter from Chalice's request to a plain `HttpRequest` the domain code can take, and the middleware that
gives every request its log context and flushes its metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from chalice.app import Chalice, Request, Response

from shared.errors import HarkError
from shared.http import HttpRequest, Reply
from shared.observability import get_logger, instrument

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:hark:problem:"

F = TypeVar("F", bound=Callable[..., Any])


def from_chalice(request: Request) -> HttpRequest:
    context = request.context or {}
    query: Mapping[str, Any] = request.query_params or {}
    return HttpRequest(
        method=request.method.upper(),
        path=str(context.get("path") or request.path),
        headers={str(k).lower(): str(v) for k, v in request.headers.items()},
        query={str(k): str(v) for k, v in query.items()},
        body=_raw_body(request),
        request_id=str(context.get("requestId", "")),
        received_at=_arrival(context),
    )


def _arrival(context: Mapping[str, Any]) -> datetime:
    """API Gateway stamps when the request arrived; that, not when the function got to it, is `received_at`."""
    epoch_ms = context.get("requestTimeEpoch")
    if isinstance(epoch_ms, int | float) and epoch_ms > 0:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return datetime.now(UTC)


def _raw_body(request: Request) -> bytes:
    raw = request.raw_body
    return raw if isinstance(raw, bytes) else raw.encode()


def reply_response(reply: Reply) -> Response:
    if reply.json is not None:
        return json_response(reply.json, reply.status, reply.headers)
    return Response(
        body=reply.text,
        status_code=reply.status,
        headers={"Content-Type": reply.content_type, **reply.headers},
    )


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail, **extra}
    return Response(
        body=orjson.dumps(body, default=_default).decode(),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def error_response(error: HarkError) -> Response:
    headers = {"Retry-After": "5"} if error.status == 503 else {}
    return problem(error.status, error.slug, error.title, error.detail, headers=headers, **error.extra)


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        body=orjson.dumps(payload, default=_default).decode(),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def api_view(service: str) -> Callable[[F], F]:
    """Turn Hark errors raised by a view into problem+json answers, and anything unexpected into a logged 500
    with the same shape (never a stack trace, never Chalice's own error format)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except HarkError as error:
                log = get_logger(service)
                if error.status >= 500:
                    log.error("request failed", extra={"problem": error.slug, "detail": error.detail})
                else:
                    log.info("request refused", extra={"problem": error.slug, "detail": error.detail})
                return error_response(error)
            except Exception:
                get_logger(service).exception("unhandled error in view")
                return problem(500, "internal-error", "Internal error", "the request could not be completed")

        return wrapped  # type: ignore[return-value]

    return decorate


_CHALICE_ERRORS = {
    405: ("method-not-allowed", "Method not allowed"),
    415: ("unsupported-media-type", "Unsupported content type"),
    400: ("bad-request", "The request could not be understood"),
    500: ("internal-error", "Internal error"),
}


def install(app: Chalice, service: str) -> None:
    """Log context and metrics for every request; Chalice's own error bodies rewritten as problem+json."""

    @app.middleware("http")
    def observe(request: Request, get_response: Callable[[Request], Response]) -> Response:
        def call(_event: Any, _context: Any) -> Response:
            get_logger(service).append_keys(method=request.method, path=request.path)
            return _as_problem(get_response(request))

        return instrument(service, call)(request.to_original_event(), request.lambda_context)


def _as_problem(response: Response) -> Response:
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        slug, title = _CHALICE_ERRORS.get(response.status_code, ("error", "Error"))
        extra_headers = {k: str(v) for k, v in response.headers.items() if k.lower() == "allow"}
        return problem(response.status_code, slug, title, str(body["Message"]), headers=extra_headers)
    return response


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
