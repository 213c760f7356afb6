"""The HTTP contract of Hark: every operation the apps serve, declared once (`shared.api.operations`), with the
pydantic models that validate it (`shared.api.models`) and what each error means over HTTP
(`shared.api.problems`). The Chalice edge binds views to these operations; the OpenAPI document is generated from
them (`shared.api.openapi`). Nothing here imports Chalice or a service."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from shared.auth import Role
from shared.errors import (
    HarkError,
    InvalidBody,
    InvalidQuery,
    NotPermitted,
    TooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedContentType,
)

Service = str  # "ingest" | "respond" | ...: the app that serves an operation

PUBLIC = None
ANY_ROLE: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    service: Service
    summary: str
    description: str = ""
    tag: str = "mentions"
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Non-JSON answers (the dashboard's HTML, a handshake's challenge) name their content type instead of a model.
    content_type: str | None = None
    # Other content types the answer may have (the web app's assets: scripts, styles, images).
    more_content_types: tuple[str, ...] = ()
    # None: no key needed (health, webhooks, the dashboard). Empty: any valid key. Otherwise one of these roles.
    roles: frozenset[Role] | None = ANY_ROLE
    errors: tuple[type[HarkError], ...] = ()
    # The body is passed through as bytes (webhooks: the signature covers the exact bytes).
    raw_body: bool = False
    # The body may be left out (an empty body is read as `{}`): commands whose body only has optional fields.
    optional_body: bool = False
    path_patterns: dict[str, str] = field(default_factory=dict)
    # Other content types the success answer may have (`?format=csv` → text/csv), besides the response model's JSON.
    formats: tuple[str, ...] = ()
    # The content types a JSON body may be labelled with (SNS posts its JSON notifications as text/plain).
    body_types: tuple[str, ...] = ("application/json",)

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{([^}]+)\}", self.path))

    @property
    def all_errors(self) -> tuple[type[HarkError], ...]:
        """What the operation can answer besides success: its own errors and those the edge adds."""
        implied: list[type[HarkError]] = []
        if self.roles is not None:
            implied.append(Unauthenticated)
            if self.roles:
                implied.append(NotPermitted)
        if self.query is not None:
            implied.append(InvalidQuery)
        if self.body is not None:
            implied += [InvalidBody, TooLarge, UnsupportedContentType]
        if self.roles is not None or self.body is not None or self.raw_body:
            implied.append(Unavailable)
        return tuple(dict.fromkeys([*implied, *self.errors]))
