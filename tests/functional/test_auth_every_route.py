"""Authentication and roles, route by route, as the served OpenAPI document lists them: every operation but the
public ones refuses a request without a key, with a key nobody was given, and with a valid key of a role it does not
take (401, 401, 403, problem documents), and lets a key of a role it takes past the door (whatever it answers then).
The document and the declared operations must agree on which routes are public."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from devstack.provision import put_secret
from services.ingest import bootstrap as ingest_bootstrap
from services.respond import bootstrap as respond_bootstrap
from shared.api import Operation
from shared.api.operations import OPERATIONS
from shared.auth import ROLES
from shared.secrets import EnvSecrets, to_document
from shared.settings import Settings
from tests.functional.conftest import Pipeline

KEYS = {f"key-only-{role}-1234": {"user": f"only-{role}", "roles": [role]} for role in ROLES}
GUARDED = [op for op in OPERATIONS if op.roles is not None]


@pytest.fixture
def keyed(pipeline: Pipeline) -> Pipeline:
    settings = Settings.from_env({**pipeline.aws.env, "HARK_API_KEYS": json.dumps(KEYS)})
    put_secret(
        pipeline.aws.client("secretsmanager"),
        pipeline.aws.env["HARK_SECRETS_NAME"],
        to_document(EnvSecrets(settings).get()),
    )
    for root in (ingest_bootstrap.root, respond_bootstrap.root):
        root.override(None)
    return pipeline


# A value each path parameter's pattern allows, so routing and validation let the request reach the key check.
PATH_VALUES = {
    "task_id": "t_" + "a" * 26,
    "mention_id": "m_" + "a" * 26,
    "incident_id": "i_" + "a" * 26,
    "case_id": "sc_" + "a" * 26,
    "author_id": "12345",
    "platform": "github",
    "name": "first-response",
}


def concrete(op: Operation) -> str:
    path = op.path
    for name in op.path_params:
        value = PATH_VALUES[name]
        pattern = op.path_patterns.get(name)
        assert pattern is None or re.fullmatch(pattern, value), (op.id, name, pattern)
        path = path.replace("{" + name + "}", value)
    return path


def call(pipeline: Pipeline, op: Operation, key: str | None) -> Any:
    headers = {"x-api-key": key} if key is not None else {}
    if op.body is not None:
        headers["Content-Type"] = op.body_types[0]
    return pipeline.http.open(concrete(op), method=op.method, headers=headers, data=b"{}" if op.body else None)


def refused(response: Any, status: int) -> str | None:
    """Why the answer is not the expected refusal (None when it is)."""
    if response.status_code != status:
        return f"{response.status_code} instead of {status}: {response.get_data(as_text=True)[:200]}"
    if response.headers["Content-Type"] != "application/problem+json" or response.get_json()["status"] != status:
        return f"{status} without its problem document"
    return None


def test_the_served_document_marks_exactly_the_public_operations_as_open(keyed: Pipeline) -> None:
    document = keyed.get("/openapi.json").get_json()
    served = {
        (method.upper(), path): spec
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
        if method in {"get", "post", "put", "patch", "delete", "head"}
    }
    declared = {(op.method, op.path): op for op in OPERATIONS}
    assert set(served) == set(declared)
    for route, spec in served.items():
        public = declared[route].roles is None
        assert spec.get("security") == (None if public else [{"apiKey": []}]), route


def test_no_key_an_unknown_key_and_a_role_it_does_not_take_are_refused_on_every_guarded_route(
    keyed: Pipeline,
) -> None:
    """One stack for every route (a fresh emulator per route would cost minutes); every miss is reported."""
    misses: list[str] = []
    for op in GUARDED:
        assert op.roles is not None
        outside = [role for role in ROLES if role not in op.roles]
        checks = [
            (None, 401),
            ("key-nobody-was-given-1", 401),
            ("KEY-ONLY-ADMIN-1234", 401),  # keys compare exactly
        ]
        if op.roles and outside:  # an operation any key may call has no role to be outside of
            checks.append((f"key-only-{outside[0]}-1234", 403))
        for key, status in checks:
            why = refused(call(keyed, op, key), status)
            if why:
                misses.append(f"{op.method} {op.path} with {key!r}: {why}")
        allowed = sorted(op.roles) or ["viewer"]
        let_in = call(keyed, op, f"key-only-{allowed[0]}-1234")
        if let_in.status_code in (401, 403):
            misses.append(f"{op.method} {op.path} refuses its own role {allowed[0]}: {let_in.status_code}")
    assert len(GUARDED) > 30
    assert misses == []
