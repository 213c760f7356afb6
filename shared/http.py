"""Transport-neutral HTTP shapes that domain code takes and returns (the Chalice adapter is `shared.web`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from shared.errors import BadRequest, Unauthorized


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HttpRequest:
    """Header names lower-cased (API Gateway v2 does, v1 does not); the body as the exact bytes sent, which is
    what every webhook signature covers."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_id: str = ""
    received_at: datetime = field(default_factory=_now)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Reply:
    """An answer decided by domain code: JSON when `json` is set, otherwise `text` with `content_type`."""

    status: int = 200
    json: Any = None
    text: str = ""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("the request body is empty")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc


def require_api_key(request: HttpRequest, is_valid: Callable[[str | None], bool]) -> None:
    if not is_valid(request.headers.get("x-api-key")):
        raise Unauthorized("send a valid partner API key in the x-api-key header")
