"""What each Hark error means over HTTP: one table, used by the Chalice edge to answer and by the OpenAPI builder
to document. RFC 9457 problem details: `type` is a stable URN per kind of problem, `title` never varies for a type,
`detail` says what happened this time."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import (
    Conflict,
    ContractError,
    HarkError,
    InvalidBody,
    InvalidHeader,
    InvalidInput,
    InvalidQuery,
    InvalidSignature,
    NoHandshake,
    NotConfigured,
    NotFound,
    NotPermitted,
    PlatformRefused,
    StaleDelivery,
    TooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedContentType,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:hark:problem:"


@dataclass(frozen=True)
class ProblemType:
    status: int
    slug: str
    title: str
    # Seconds a client should wait before retrying (answered as Retry-After), for problems a retry can fix.
    retry_after_s: int | None = None

    @property
    def type(self) -> str:
        return PROBLEM_TYPE + self.slug


INTERNAL = ProblemType(500, "internal-error", "Internal error")

# Most specific first: the first class in an error's MRO that is listed here decides.
PROBLEMS: dict[type[HarkError], ProblemType] = {
    InvalidBody: ProblemType(400, "invalid-body", "The request body could not be understood"),
    InvalidQuery: ProblemType(400, "invalid-query", "A query parameter is invalid"),
    InvalidHeader: ProblemType(400, "invalid-header", "A request header is missing or invalid"),
    InvalidInput: ProblemType(400, "invalid-input", "The request could not be understood"),
    StaleDelivery: ProblemType(401, "stale-delivery", "The delivery is outside the platform's replay window"),
    InvalidSignature: ProblemType(401, "invalid-signature", "The webhook signature does not match the body"),
    Unauthenticated: ProblemType(401, "unauthorized", "Missing or invalid credentials"),
    NotPermitted: ProblemType(403, "forbidden", "Not permitted"),
    NotFound: ProblemType(404, "not-found", "Not found"),
    NoHandshake: ProblemType(405, "method-not-allowed", "Method not allowed"),
    Conflict: ProblemType(409, "conflict", "The resource is not in a state that allows this"),
    TooLarge: ProblemType(413, "payload-too-large", "The request body is too large"),
    UnsupportedContentType: ProblemType(415, "unsupported-media-type", "Unsupported content type"),
    ContractError: ProblemType(422, "contract-error", "Message does not match the event contract"),
    PlatformRefused: ProblemType(502, "platform-refused", "The platform refused the reply"),
    NotConfigured: ProblemType(503, "not-configured", "This endpoint is not configured"),
    Unavailable: ProblemType(503, "unavailable", "A dependency is temporarily unavailable; retry later", 5),
}

# Problems the edge itself answers, before any Hark code runs (routing, HTTP framing).
METHOD_NOT_ALLOWED = PROBLEMS[NoHandshake]
ROUTE_NOT_FOUND = PROBLEMS[NotFound]
HEADERS_TOO_LARGE = ProblemType(431, "headers-too-large", "The request headers are too large")
# Answered by API Gateway (a key's usage plan, the stage's throttle) and the WAF (the per-address rate rule).
TOO_MANY_REQUESTS = ProblemType(429, "too-many-requests", "Too many requests; slow down and retry", 1)


def problem_type(error: HarkError) -> ProblemType:
    for cls in type(error).__mro__:
        found = PROBLEMS.get(cls)
        if found is not None:
            return found
    return INTERNAL


def problem_document(kind: ProblemType, detail: str, **extra: object) -> dict[str, object]:
    return {"type": kind.type, "title": kind.title, "status": kind.status, "detail": detail, **extra}
