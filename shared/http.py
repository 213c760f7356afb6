"""A small HTTPS client for calls to platform APIs (replies, token refreshes, polls): stdlib only, because one call is
one request and a cold start should not pay for a bigger client. JSON or form bodies, any method; the answer's
status, lower-cased headers and parsed body come back whatever the status. Network failures become a retryable
`PlatformRefused` (`code` `unreachable`).

`retry_at` reads when a platform says a refused request may be tried again: `Retry-After` (seconds or an HTTP date)
or the platform's own reset header (an epoch second, seconds from now, or an ISO time)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from shared.errors import PlatformRefused

TIMEOUT_S = 8.0
WEB_SCHEMES = frozenset({"http", "https"})
# A platform may ask for a wait; beyond a day it is a quota reset, kept as said but never further than a week.
MAX_WAIT = timedelta(days=7)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def object(self) -> dict[str, Any]:
        """The body when it is a JSON object, else an empty one (error bodies are not always objects)."""
        return self.body if isinstance(self.body, dict) else {}


def open_url(request: urllib.request.Request | str, timeout: float) -> Any:
    """`urllib.request.urlopen` for the web only. Every URL Hark opens comes from configuration or an operator (an
    API base, a callback, a credentials source); one with another scheme (`file:`, `ftp:`, `data:`) is refused
    before anything is opened, so a wrong setting cannot read a local file into a request or a log."""
    url = request.full_url if isinstance(request, urllib.request.Request) else request
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in WEB_SCHEMES:
        raise ValueError(f"only http and https URLs are opened, not {scheme or 'a relative'} URLs")
    return urllib.request.urlopen(request, timeout=timeout)  # nosec B310 # noqa: S310 - the scheme is checked above


def call(
    method: str,
    url: str,
    platform: str,
    *,
    json_body: Any = None,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> HttpAnswer:
    data: bytes | None = None
    sent = {"Accept": "application/json", **(headers or {})}
    if json_body is not None:
        data = json.dumps(json_body).encode()
        sent.setdefault("Content-Type", "application/json")
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310 - a configured API base
    try:
        with open_url(request, timeout=timeout) as response:
            return HttpAnswer(int(response.status), _headers(response.headers), _parse(response.read()))
    except urllib.error.HTTPError as error:
        return HttpAnswer(int(error.code), _headers(error.headers), _parse(error.read()))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PlatformRefused(
            f"{platform} could not be reached ({reason}); the reply was not sent, try again",
            platform=platform,
            code="unreachable",
            message=str(reason)[:500],
            retryable=True,
            status=None,
        ) from error


def post_json(url: str, payload: Any, headers: dict[str, str], platform: str, timeout: float = TIMEOUT_S) -> HttpAnswer:
    return call("POST", url, platform, json_body=payload, headers=headers, timeout=timeout)


def _headers(raw: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (raw.items() if raw is not None else [])}


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"raw": raw[:500].decode("utf-8", "replace")}


ResetKind = Literal["seconds", "epoch", "iso"]


def retry_at(
    headers: Mapping[str, str],
    now: datetime,
    *,
    reset: str | None = None,
    reset_kind: ResetKind = "epoch",
    seconds: float | None = None,
) -> datetime | None:
    """When the platform said to try again: a wait it gave in the body (`seconds`), `Retry-After`, or its own reset
    header (`reset`, read as `reset_kind`). None when it said nothing."""
    if seconds is not None and seconds >= 0:
        return _bounded(now, now + timedelta(seconds=seconds))
    after = headers.get("retry-after")
    if after:
        stripped = after.strip()
        try:
            return _bounded(now, now + timedelta(seconds=float(stripped)))
        except ValueError:
            try:
                return _bounded(now, parsedate_to_datetime(stripped).astimezone(UTC))
            except (TypeError, ValueError):
                pass
    value = headers.get(reset.lower()) if reset else None
    if value:
        try:
            if reset_kind == "seconds":
                return _bounded(now, now + timedelta(seconds=float(value)))
            if reset_kind == "epoch":
                return _bounded(now, datetime.fromtimestamp(float(value), UTC))
            return _bounded(now, datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC))
        except (ValueError, OverflowError, OSError):
            return None
    return None


def _bounded(now: datetime, at: datetime) -> datetime:
    return min(max(at, now), now + MAX_WAIT)
