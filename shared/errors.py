"""The project's own errors: what went wrong, in the domain's words, with no transport in them.

Adapters translate AWS and library errors into these. Each transport decides what they mean in one place: the HTTP
edge maps each class to a status and a problem+json document (`shared.web.PROBLEMS`), the SQS edge decides retry
or dead-letter (`shared.consumer`). `extra` carries structured facts for the caller (the allowed values, the
holder of a task, the limit that was exceeded), never the rejected input itself.
"""

from __future__ import annotations

from typing import Any


class HarkError(Exception):
    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail or type(self).__name__
        self.extra = extra


class InvalidInput(HarkError):
    """The caller sent something Hark cannot accept; sending it again will not help."""


class InvalidBody(InvalidInput):
    """The body (a delivery, a submission, a command) is malformed or breaks a rule."""


class InvalidQuery(InvalidInput):
    """A query parameter is malformed or out of range."""


class InvalidHeader(InvalidInput):
    """A header the operation needs is missing or malformed."""


class Unauthenticated(HarkError):
    """No credentials, or credentials nobody issued."""


class InvalidSignature(Unauthenticated):
    """A webhook whose signature does not cover its bytes, or is missing."""


class StaleDelivery(InvalidSignature):
    """A signed delivery outside the platform's replay window (its timestamp is too old or in the future)."""


class NotPermitted(HarkError):
    """Authenticated, but this principal may not do this."""


class NotFound(HarkError):
    pass


class TooLarge(HarkError):
    pass


class UnsupportedContentType(HarkError):
    pass


class NoHandshake(HarkError):
    """The platform has no subscription handshake: its webhooks are only delivered."""


class Conflict(HarkError):
    """The resource changed while it was being updated, or is in a state that does not allow the change."""


class NotConfigured(HarkError):
    """A secret or setting this needs is missing: the operator must fix configuration."""


class CredentialRevoked(NotConfigured):
    """An outbound credential the platform refuses and will not refresh (revoked, expired for good): the source is
    unhealthy until someone stores a new one. `extra` names the platform and the credential's fingerprint."""


class Unavailable(HarkError):
    """A dependency failed in a way that a retry may fix (throttling, timeouts, 5xx from AWS or a platform)."""


class PlatformRefused(HarkError):
    """A platform refused what Hark sent it (an expired window, a rate limit, a deleted post, a bad token); `extra`
    carries the platform's own code and message and whether a retry may work."""


class ContractError(HarkError):
    """A message between services that matches no known envelope or version: retrying will never help."""


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
