"""How a poller signs its requests with the credential the one credentials port gave it (shared/tokens.py, the same
the senders use: refreshed before it expires and after a refusal, stored back in the secret): a fixed header, a key
in the query, HTTP Basic, or nothing (public listings). Nothing here obtains or keeps a token."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlencode

from services.ingest.pollers.base import Request
from shared.errors import NotConfigured

if TYPE_CHECKING:
    from shared.credentials import Credential


class Auth(Protocol):
    def sign(self, request: Request) -> Request: ...


class NoAuth:
    def sign(self, request: Request) -> Request:
        return request


class Header:
    """A fixed header: Discord's `Authorization: Bot <token>`, TikTok's `Access-Token`, a bearer token."""

    def __init__(self, name: str, value: str) -> None:
        self._name, self._value = name, value

    def sign(self, request: Request) -> Request:
        return replace(request, headers={**request.headers, self._name: self._value})


def bearer(token: str) -> Header:
    return Header("Authorization", f"Bearer {token}")


def basic(user: str, password: str) -> Header:
    return Header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


class QueryKey:
    """An API key in the query string (YouTube's `key=`)."""

    def __init__(self, name: str, value: str) -> None:
        self._name, self._value = name, value

    def sign(self, request: Request) -> Request:
        joiner = "&" if "?" in request.url else "?"
        return replace(request, url=request.url + joiner + urlencode({self._name: self._value}))


def access_token(credential: Credential | None, what: str) -> str:
    """The credential's access token, or NotConfigured naming what the platform wants."""
    if credential is None or not credential.access_token:
        raise NotConfigured(f"polling needs {what} in the source's credential")
    return credential.access_token
