"""A small JSON-over-HTTPS client for the senders (stdlib only: a reply is one request, and a cold start should not
pay for a bigger client). Network failures become retryable `PlatformRefused`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from shared.errors import PlatformRefused

TIMEOUT_S = 8.0


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: Any


def post_json(url: str, payload: Any, headers: dict[str, str], platform: str, timeout: float = TIMEOUT_S) -> HttpAnswer:
    data = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is a configured platform API base
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpAnswer(int(response.status), _headers(response.headers), _json(response.read()))
    except urllib.error.HTTPError as error:
        return HttpAnswer(int(error.code), _headers(error.headers), _json(error.read()))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PlatformRefused(
            f"{platform} could not be reached: {reason}",
            platform=platform,
            code="unreachable",
            message=str(reason)[:500],
            retryable=True,
            status=None,
        ) from error


def _headers(raw: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (raw.items() if raw is not None else [])}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"raw": raw[:500].decode("utf-8", "replace")}
