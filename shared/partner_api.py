"""The partner REST API's contract: the submission models and the OpenAPI document built from the same pydantic
models the services use, so the published schema cannot drift from what the code accepts and returns."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, field_validator
from pydantic.json_schema import models_json_schema

from shared.events import (
    MAX_TEXT_CHARS,
    MAX_TEXT_JSON_BYTES,
    PLATFORMS,
    TASK_STATUSES,
    MentionKind,
    PlatformId,
    StoredMention,
    Task,
    text_json_bytes,
)

MAX_BATCH = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartnerAuthor(_Strict):
    id: str = Field(min_length=1, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    name: str | None = Field(default=None, max_length=512)
    followers: int | None = Field(default=None, ge=0)


class PartnerMention(_Strict):
    """A mention as a partner tool submits it. `native_id` is its id in the system it came from; submitting the
    same (`platform`, `native_id`) again is recognised as a duplicate."""

    platform: PlatformId = "generic"
    channel: str | None = Field(default=None, max_length=64)
    kind: MentionKind = "comment"
    native_id: str = Field(min_length=1, max_length=512)
    thread_id: str | None = Field(default=None, max_length=512)
    parent_id: str | None = Field(default=None, max_length=512)
    account_id: str | None = Field(default=None, max_length=512)
    author: PartnerAuthor
    from_brand: bool = False
    addressed: bool | None = Field(default=True, description="false or null for posts found by listening")
    text: str = Field(max_length=MAX_TEXT_CHARS)

    @field_validator("text")
    @classmethod
    def _fits(cls, text: str) -> str:
        if text_json_bytes(text) > MAX_TEXT_JSON_BYTES:
            raise ValueError(f"text is larger than {MAX_TEXT_JSON_BYTES} bytes once JSON-escaped")
        return text

    url: HttpUrl | None = None
    lang: str | None = Field(default=None, min_length=2, max_length=16)
    rating: int | None = Field(default=None, ge=1, le=5)
    created_at: AwareDatetime | None = None


class PartnerBatch(_Strict):
    mentions: list[PartnerMention] = Field(min_length=1, max_length=MAX_BATCH)


class SubmissionItem(BaseModel):
    id: str
    native_id: str
    status: str = Field(description="`accepted`, or `duplicate` when this mention was already submitted.")


class SubmissionResult(BaseModel):
    mentions: list[SubmissionItem]


class MentionPage(BaseModel):
    items: list[StoredMention]
    next_cursor: str | None


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": "Problem",
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        for s in statuses
    }


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


PAGING = [
    _query("cursor", {"type": "string"}, "`next_cursor` of the previous page."),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size."),
]
SECURED: list[dict[str, list[str]]] = [{"apiKey": []}]


def openapi() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [
        (PartnerMention, "validation"),
        (PartnerBatch, "validation"),
        (SubmissionResult, "serialization"),
        (StoredMention, "serialization"),
        (MentionPage, "serialization"),
        (Task, "serialization"),
        (TaskPage, "serialization"),
        (Problem, "serialization"),
    ]
    _, schemas = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hark partner API",
            "version": "1",
            "description": "Submit mentions from partner tools; read mentions, classifications and tasks. "
            "Errors are application/problem+json (RFC 9457).",
        },
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
        "paths": {
            "/v1/mentions": {
                "post": {
                    "summary": "Submit one mention or a batch of up to 100",
                    "security": SECURED,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"oneOf": [_ref("PartnerMention"), _ref("PartnerBatch")]}}
                        },
                    },
                    "responses": {
                        "202": _json("SubmissionResult", "Accepted (or recognised as duplicates)"),
                        **_problems(400, 401, 413, 415, 503),
                    },
                },
                "get": {
                    "summary": "Mentions, newest first",
                    "security": SECURED,
                    "parameters": [
                        _query("platform", {"type": "string", "enum": list(PLATFORMS)}, "Only this platform."),
                        _query("needs_response", {"type": "boolean"}, "Only mentions that need (or not) a human."),
                        _query("since", {"type": "string", "format": "date-time"}, "Received at or after."),
                        *PAGING,
                    ],
                    "responses": {"200": _json("MentionPage", "A page of mentions"), **_problems(400, 401)},
                },
            },
            "/v1/mentions/{mention_id}": {
                "get": {
                    "summary": "One mention with its classification and task",
                    "security": SECURED,
                    "parameters": [_path("mention_id")],
                    "responses": {"200": _json("StoredMention", "The mention"), **_problems(401, 404)},
                }
            },
            "/v1/tasks": {
                "get": {
                    "summary": "Tasks in work order: highest priority, then earliest due",
                    "security": SECURED,
                    "parameters": [
                        _query("status", {"type": "string", "enum": list(TASK_STATUSES)}, "Only this status."),
                        _query("queue", {"type": "string"}, "Only this queue (care, safety, moderation)."),
                        *PAGING,
                    ],
                    "responses": {"200": _json("TaskPage", "A page of tasks"), **_problems(400, 401)},
                }
            },
            "/v1/tasks/{task_id}": {
                "get": {
                    "summary": "One task",
                    "security": SECURED,
                    "parameters": [_path("task_id")],
                    "responses": {"200": _json("Task", "The task"), **_problems(401, 404)},
                }
            },
            "/webhooks/{platform}": {
                "get": {
                    "summary": "Subscription handshake (Meta hub.challenge)",
                    "parameters": [_path("platform")],
                    "responses": {
                        "200": {"description": "The challenge, verbatim"},
                        **_problems(400, 403, 404, 405),
                    },
                },
                "post": {
                    "summary": "A platform's signed webhook delivery",
                    "parameters": [_path("platform")],
                    "responses": {
                        "200": {"description": "Accepted; counts of accepted, duplicate and ignored events"},
                        **_problems(400, 401, 404, 413, 415, 503),
                    },
                },
            },
            "/health": {"get": {"summary": "Liveness", "responses": {"200": {"description": "OK"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OK"}}}},
            "/": {
                "get": {
                    "summary": "The command-center dashboard",
                    "responses": {"200": {"description": "HTML"}},
                }
            },
        },
    }
