"""The project's own errors. Adapters translate AWS and library errors into these; each transport (HTTP, SQS)
maps them to its responses in one place (`shared.web` for HTTP)."""

from __future__ import annotations

from typing import Any


class HarkError(Exception):
    """Base class. `status` and `slug` are what the HTTP edge needs to build a problem+json answer."""

    status = 500
    slug = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequest(HarkError):
    status = 400
    slug = "bad-request"
    title = "The request body could not be understood"


class Unauthorized(HarkError):
    status = 401
    slug = "unauthorized"
    title = "Missing or invalid credentials"


class InvalidSignature(Unauthorized):
    slug = "invalid-signature"
    title = "The webhook signature does not match the body"


class Forbidden(HarkError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(HarkError):
    status = 404
    slug = "not-found"
    title = "Not found"


class MethodNotAllowed(HarkError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class PayloadTooLarge(HarkError):
    status = 413
    slug = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaType(HarkError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported content type"


class NotConfigured(HarkError):
    """A secret or setting this request needs is missing: the operator must fix configuration."""

    status = 503
    slug = "not-configured"
    title = "This endpoint is not configured"


class Unavailable(HarkError):
    """A dependency failed in a way that a retry may fix (throttling, timeouts, 5xx from AWS)."""

    status = 503
    slug = "unavailable"
    title = "A dependency is temporarily unavailable; retry later"


class Conflict(HarkError):
    status = 409
    slug = "conflict"
    title = "The resource changed while it was being updated"


class ContractError(HarkError):
    """A message between services does not match any known envelope version: retrying will not help."""

    status = 422
    slug = "contract-error"
    title = "Message does not match the event contract"


def validation_errors(exc: Any) -> list[dict[str, Any]]:
    """A pydantic ValidationError as plain JSON: where, what, which rule (never the rejected input itself)."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": error.get("type"),
        }
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
