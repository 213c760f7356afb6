"""The pollers' HTTP client: stdlib `urllib` (a poll is a handful of GETs a minute; a bigger client would only add
cold start). Every answer, whatever its status, comes back as a `Response`; only a failure to get one (no route,
refused, timed out) raises, as `Unavailable`."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any, Protocol

from services.ingest.pollers.base import Request, Response
from shared.errors import Unavailable
from shared.http import open_url

TIMEOUT_S = 10.0
MAX_BODY_BYTES = 8 * 1024 * 1024  # a listing page is tens of kilobytes; anything this big is not one
USER_AGENT = "hark-poller/0.1 (+https://github.com/hark)"


class Http(Protocol):
    def send(self, request: Request) -> Response: ...


class UrllibHttp:
    def __init__(self, timeout: float = TIMEOUT_S, user_agent: str = USER_AGENT) -> None:
        self._timeout = timeout
        self._user_agent = user_agent

    def send(self, request: Request) -> Response:
        headers = {"Accept": "application/json", "User-Agent": self._user_agent, **request.headers}
        outgoing = urllib.request.Request(  # noqa: S310 - a configured platform API base
            request.url, data=request.body, method=request.method, headers=headers
        )
        try:
            with open_url(outgoing, timeout=self._timeout) as answer:
                return Response(int(answer.status), _headers(answer.headers), answer.read(MAX_BODY_BYTES))
        except urllib.error.HTTPError as error:
            body = error.read(MAX_BODY_BYTES) if error.fp is not None else b""
            return Response(int(error.code), _headers(error.headers), body)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise Unavailable(f"{_host(request.url)} could not be reached: {type(error).__name__}: {reason}") from error


def _headers(raw: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (raw.items() if raw is not None else [])}


def _host(url: str) -> str:
    return url.split("/", 3)[2] if url.count("/") >= 2 else url[:64]
