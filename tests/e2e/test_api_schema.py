"""Schemathesis against the OpenAPI document the local stack serves (`hark up`, real HTTP): requests generated from
the document for every route, valid and invalid, with an admin key. Nothing may answer a 5xx, every answer must
match the document (status, content type, body), what the document refuses must be refused, and what it allows must
be accepted — except the refusals no JSON schema can state, each listed below with its reason.

`make test` runs a bounded number of examples per operation; `make fuzz` (the `fuzz` hypothesis profile) adds
schemathesis' coverage phase and many more examples."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.e2e.test_local_stack import Stack, start_stack, stop_stack
from tests.functional.test_workflow import CONFIG, KEYS

pytestmark = pytest.mark.e2e

ADMIN = next(key for key, grant in KEYS.items() if "admin" in grant["roles"])
# Rejections of schema-valid requests that a schema cannot express, operation by operation.
ALLOWED_REFUSALS = {
    # A cursor is opaque: any token of its alphabet is schema-valid, only the ones the API issued are accepted.
    **dict.fromkeys(
        [
            "GET /v1/mentions",
            "GET /v1/tasks",
            "GET /v1/notifications",
            "GET /v1/config/audit",
            "GET /v1/incidents",
            "GET /v1/safety-cases",
            "GET /v1/audit",
            "GET /v1/authors/{platform}/{author_id}",
        ],
        ("400",),
    ),
    "GET /v1/author-counts": ("400",),  # at most 50 people at once (a pattern cannot count them)
    "GET /v1/reports/{name}": ("400",),  # a report covers at most 400 days, `since` before `until`
    "POST /v1/incidents/alarms": ("400",),  # the SNS Message must be a CloudWatch alarm (JSON inside a string)
    "POST /v1/safety-cases/{case_id}/dismiss": ("400",),  # reason `other` needs a comment
    "PUT /v1/tasks/{task_id}/draft": ("400",),  # a draft has its text or a template
    "GET /webhooks/{platform}": ("400", "405"),  # only Meta, X and WebSub platforms have a GET handshake
}


def config() -> str:
    blocks = []
    for name, statuses in ALLOWED_REFUSALS.items():
        expected = ["2xx", "3xx", "401", "403", "404", "409", "429", *statuses]
        blocks.append(
            f'[[operations]]\ninclude-name = "{name}"\n'
            f"checks.positive_data_acceptance.expected-statuses = {json.dumps(expected)}\n"
        )
    return "\n".join(blocks)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("schema")
    (folder / "hark.yaml").write_text(CONFIG)
    started = start_stack({"HARK_CONFIG": str(folder / "hark.yaml"), "HARK_API_KEYS": json.dumps(KEYS)})
    yield started
    stop_stack(started)


def test_schemathesis_finds_nothing_on_any_route(stack: Stack, tmp_path: Path) -> None:
    deep = settings.default.max_examples > 100  # the `fuzz` profile
    (tmp_path / "schemathesis.toml").write_text(config())
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "--no-color",
        "run",
        f"{stack.url}/openapi.json",
        "--header",
        f"x-api-key: {ADMIN}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing" if deep else "examples,fuzzing",
        "--max-examples",
        "100" if deep else "6",
        "--seed",
        "16",
        "--request-timeout",
        "30",
        "--workers",
        "2",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1500, check=False)
    failures = run.stdout.find("FAILURES")
    summary = run.stdout[failures : failures + 8000] if failures >= 0 else run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "Tested: " in run.stdout, summary
