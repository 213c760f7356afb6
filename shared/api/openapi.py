"""The OpenAPI 3.1 document, generated from the operations and their models: one source for the code and the
published schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.api import Operation
from shared.api.models import Problem
from shared.api.problems import HEADERS_TOO_LARGE, PROBLEM_JSON, TOO_MANY_REQUESTS, problem_type

REF = "#/components/schemas/{model}"


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {(Problem, "serialization"): None}
    for op in operations:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        if op.response is not None:
            wanted[(op.response, "serialization")] = None
    return [(model, "validation" if mode == "validation" else "serialization") for model, mode in wanted]


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in op.path_params:
        schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 512}
        if name in op.path_patterns:
            schema["pattern"] = op.path_patterns[name]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        schema = op.query.model_json_schema(mode="validation")
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            description = prop.pop("description", "")
            prop.pop("title", None)
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": prop,
                    **({"description": description} if description else {}),
                }
            )
    return params


def _responses(
    op: Operation, refs: dict[tuple[type[BaseModel], Literal["validation", "serialization"]], Any]
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.response is not None:
        responses[str(op.status)] = {
            "description": op.response.__doc__.strip().splitlines()[0] if op.response.__doc__ else "OK",
            "content": {
                "application/json": {"schema": refs[(op.response, "serialization")]},
                **{kind: {"schema": {"type": "string"}} for kind in op.formats},
            },
        }
    else:
        types = (op.content_type, *op.more_content_types) if op.content_type else ()
        content = {t: {"schema": {"type": "string"}} for t in types}
        responses[str(op.status)] = {"description": "OK", **({"content": content} if content else {})}
    problem = {"content": {PROBLEM_JSON: {"schema": refs[(Problem, "serialization")]}}}
    for error in op.all_errors:
        kind = problem_type(error("x"))
        responses.setdefault(str(kind.status), {"description": kind.title, **problem})
    # API Gateway answers these for any operation, before it is invoked (its throttle, its header limit).
    for kind in (TOO_MANY_REQUESTS, HEADERS_TOO_LARGE):
        responses.setdefault(str(kind.status), {"description": kind.title, **problem})
    return dict(sorted(responses.items()))


def build(operations: Iterable[Operation], *, title: str, version: str, description: str) -> dict[str, Any]:
    ops = list(operations)
    refs, schemas = models_json_schema(_models(ops), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        item: dict[str, Any] = {
            "operationId": op.id,
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": _parameters(op),
            "responses": _responses(op, refs),  # type: ignore[arg-type]
        }
        if op.description:
            item["description"] = op.description
        if op.roles is not None:
            item["security"] = [{"apiKey": []}]
            if op.roles:
                item["x-hark-roles"] = sorted(op.roles)
        if op.body is not None:
            item["requestBody"] = {
                "required": not op.optional_body,
                "content": {t: {"schema": refs[(op.body, "validation")]} for t in op.body_types},
            }
        elif op.raw_body:
            item["requestBody"] = {
                "required": True,
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        if not item["parameters"]:
            del item["parameters"]
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
        "paths": paths,
    }
