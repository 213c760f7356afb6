"""How a poller signs its requests: a fixed header or key, HTTP Basic, an OAuth 2 access token it refreshes, or a
Bluesky session it opens. Tokens are kept in memory for as long as the platform says they last (a minute less), per
execution environment, and never written anywhere; a platform that refuses a cached token makes it forget it, and
the poller retries the request once with a fresh one."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

import orjson

from services.ingest.pollers.base import Request, Response
from services.ingest.pollers.http import Http
from shared.errors import NotConfigured, Unavailable

EARLY = timedelta(minutes=1)  # refresh a token this long before the platform would refuse it
SESSION_LIFETIME = timedelta(minutes=90)  # Bluesky access JWTs live about two hours


class Auth(Protocol):
    def sign(self, request: Request, http: Http, now: datetime) -> Request: ...

    def refused(self) -> bool:
        """The platform refused the credentials; True when a cached token was dropped (a retry may work)."""


class NoAuth:
    def sign(self, request: Request, http: Http, now: datetime) -> Request:
        return request

    def refused(self) -> bool:
        return False


class Header:
    """A fixed header: Discord's `Authorization: Bot <token>`, TikTok's `Access-Token`, a bearer token."""

    def __init__(self, name: str, value: str) -> None:
        self._name, self._value = name, value

    def sign(self, request: Request, http: Http, now: datetime) -> Request:
        return replace(request, headers={**request.headers, self._name: self._value})

    def refused(self) -> bool:
        return False


def basic(user: str, password: str) -> Header:
    return Header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


class QueryKey:
    """An API key in the query string (YouTube's `key=`)."""

    def __init__(self, name: str, value: str) -> None:
        self._name, self._value = name, value

    def sign(self, request: Request, http: Http, now: datetime) -> Request:
        joiner = "&" if "?" in request.url else "?"
        return replace(request, url=request.url + joiner + urlencode({self._name: self._value}))

    def refused(self) -> bool:
        return False


class _Cached:
    """A token obtained from the platform, kept until shortly before it expires."""

    def __init__(self) -> None:
        self._token: str | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def token(self, http: Http, now: datetime) -> str:
        with self._lock:
            if self._token is None or now >= self._expires - EARLY:
                self._token, lifetime = self._obtain(http)
                self._expires = now + lifetime
            return self._token

    def refused(self) -> bool:
        with self._lock:
            had = self._token is not None
            self._token = None
            return had

    def _obtain(self, http: Http) -> tuple[str, timedelta]:
        raise NotImplementedError


def _token_answer(response: Response, what: str) -> dict[str, object]:
    if response.status in (400, 401, 403):
        raise NotConfigured(f"{what} refused the credentials ({response.status})")
    if response.status == 429 or response.status >= 500:
        raise Unavailable(f"{what} answered {response.status}")
    document = response.json()
    if response.status != 200 or not isinstance(document, dict):
        raise Unavailable(f"{what} answered {response.status} without a token")
    return document


class OAuthToken(_Cached):
    """An OAuth 2 access token from a token endpoint (refresh-token or password grant), sent as a bearer token.
    `client_auth="basic"` sends the client id and secret as HTTP Basic (Reddit); `"body"` in the form (Google)."""

    def __init__(
        self,
        token_url: str,
        grant: Mapping[str, str],
        client_id: str,
        client_secret: str,
        client_auth: str = "basic",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._url, self._grant = token_url, dict(grant)
        self._client = (client_id, client_secret)
        self._client_auth = client_auth
        self._headers = dict(headers or {})

    def sign(self, request: Request, http: Http, now: datetime) -> Request:
        return replace(request, headers={**request.headers, "Authorization": f"Bearer {self.token(http, now)}"})

    def _obtain(self, http: Http) -> tuple[str, timedelta]:
        form = dict(self._grant)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self._headers}
        if self._client_auth == "basic":
            pair = f"{self._client[0]}:{self._client[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form.update(client_id=self._client[0], client_secret=self._client[1])
        answer = _token_answer(
            http.send(Request("POST", self._url, headers, urlencode(form).encode())), "the token endpoint"
        )
        token, lifetime = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token:
            raise NotConfigured("the token endpoint answered without an access_token")
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 3600.0
        return token, timedelta(seconds=seconds)


class BlueskySession(_Cached):
    """`com.atproto.server.createSession` with the handle and an app password; the access JWT as a bearer token."""

    def __init__(self, base: str, identifier: str, password: str, on_did: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self._base, self._identifier, self._password = base, identifier, password
        self._on_did = on_did

    def sign(self, request: Request, http: Http, now: datetime) -> Request:
        return replace(request, headers={**request.headers, "Authorization": f"Bearer {self.token(http, now)}"})

    def _obtain(self, http: Http) -> tuple[str, timedelta]:
        body = orjson.dumps({"identifier": self._identifier, "password": self._password})
        request = Request(
            "POST", f"{self._base}/xrpc/com.atproto.server.createSession", {"Content-Type": "application/json"}, body
        )
        answer = _token_answer(http.send(request), "Bluesky's createSession")
        token = answer.get("accessJwt")
        if not isinstance(token, str) or not token:
            raise NotConfigured("Bluesky's createSession answered without an accessJwt")
        if self._on_did is not None and isinstance(answer.get("did"), str):
            self._on_did(str(answer["did"]))
        return token, SESSION_LIFETIME
