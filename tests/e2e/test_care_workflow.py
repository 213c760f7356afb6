"""The care workflow's "done when", over real HTTP: `hark up` in its own process, a local fake of the GitHub and Meta
APIs on a free 127.0.0.1 port (HARK_API_BASE_* point at it), signed webhooks in, the partner API for every step,
and `hark sla sweep --at` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.demo import _github_issue
from devstack.fakes import FakePlatforms, github_rate_limited
from devstack.signing import github_headers, meta_body, meta_headers
from shared.settings import dev_platform_secret
from tests.conftest import ROOT
from tests.e2e.test_local_stack import Stack, start_stack, stop_stack
from tests.functional.test_workflow import COMPLAINT, CONFIG, KEY, KEYS

pytestmark = pytest.mark.e2e


class Care:
    def __init__(self, stack: Stack, fake: FakePlatforms, config: Path) -> None:
        self.stack = stack
        self.fake = fake
        self.config = config

    def call(self, method: str, path: str, user: str, body: Any = None) -> requests.Response:
        headers = {"x-api-key": KEY[user]}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return requests.request(
            method, self.stack.url + path, headers=headers, data=json.dumps(body) if body else None, timeout=10
        )

    def task_of(self, mention_id: str) -> dict[str, Any]:
        def found() -> Any:
            response = self.call("GET", f"/v1/mentions/{mention_id}", "alice")
            return response.status_code == 200 and response.json().get("task_id")

        task_id = self.stack.wait_for(found, timeout=20)
        task: dict[str, Any] = self.call("GET", f"/v1/tasks/{task_id}", "alice").json()
        return task

    def github_issue(self, number: int) -> dict[str, Any]:
        body = json.dumps(_github_issue(number, "Charged twice", COMPLAINT, "dana-ops", 501)).encode()
        headers = github_headers(body, dev_platform_secret("github"), "issues")
        response = requests.post(self.stack.url + "/webhooks/github", data=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return self.task_of(response.json()["mention_ids"][0])


@pytest.fixture(scope="module")
def care(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Care]:
    config = tmp_path_factory.mktemp("care") / "hark.yaml"
    config.write_text(CONFIG)
    with FakePlatforms() as fake:
        stack = start_stack(
            {
                "HARK_CONFIG": str(config),
                "HARK_API_KEYS": json.dumps(KEYS),
                "HARK_API_BASE_GITHUB": fake.base("github"),
                "HARK_API_BASE_META": fake.base("meta"),
                "HARK_SCHEDULE_SECONDS": "3600",
            }
        )
        try:
            yield Care(stack, fake, config)
        finally:
            stop_stack(stack)


def test_a_signed_github_complaint_is_worked_end_to_end_and_sent_exactly_once(care: Care) -> None:
    task = care.github_issue(5101)
    tid = task["id"]
    assert task["due_at"] and task["queue"] == "care"
    assert care.call("POST", f"/v1/tasks/{tid}/claim", "alice").status_code == 200
    second = care.call("POST", f"/v1/tasks/{tid}/claim", "bob")
    assert second.status_code == 409 and second.json()["holder"] == "alice"
    drafted = care.call("PUT", f"/v1/tasks/{tid}/draft", "alice", {"text": "We apologise for any inconvenience."})
    assert "we apologise for any inconvenience" in [w for x in drafted.json()["warnings"] for w in x["words"]]
    care.call("POST", f"/v1/tasks/{tid}/submit", "alice")
    assert care.call("POST", f"/v1/tasks/{tid}/approve", "alice").status_code == 403
    assert care.call("POST", f"/v1/tasks/{tid}/approve", "carol").json()["status"] == "approved"
    for _ in range(3):
        assert care.call("POST", f"/v1/tasks/{tid}/send", "alice").status_code == 200
    posted = [r for r in care.fake.sent("github") if r.path.endswith("/issues/5101/comments")]
    assert len(posted) == 1
    assert posted[0].path == "/repos/acme/acme-app/issues/5101/comments"
    trail = care.call("GET", f"/v1/tasks/{tid}/audit", "carol").json()
    assert trail["problems"] == []
    assert [(e["action"], e["actor"]) for e in trail["items"]] == [
        ("task.opened", "hark"),
        ("claim", "alice"),
        ("draft", "alice"),
        ("submit", "alice"),
        ("approve", "carol"),
        ("send", "alice"),
    ]


def test_a_platform_refusal_is_send_failed_with_its_reason_and_retry_sends_once(care: Care) -> None:
    tid = care.github_issue(5102)["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "alice")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "alice", {"text": "Hi Dana, your refund is on its way."})
    care.call("POST", f"/v1/tasks/{tid}/submit", "alice")
    care.call("POST", f"/v1/tasks/{tid}/approve", "carol")
    status, body, headers = github_rate_limited()
    care.fake.refuse("github", status, body, **headers)
    refused = care.call("POST", f"/v1/tasks/{tid}/send", "alice")
    assert refused.status_code == 502
    assert refused.headers["Content-Type"] == "application/problem+json"
    task = care.call("GET", f"/v1/tasks/{tid}", "alice").json()
    assert (task["status"], task["send_error"]["code"]) == ("send_failed", "rate_limited")
    assert care.call("POST", f"/v1/tasks/{tid}/retry", "alice").json()["status"] == "sent"
    assert care.call("POST", f"/v1/tasks/{tid}/retry", "alice").json()["status"] == "sent"
    posted = [r for r in care.fake.sent("github") if r.path.endswith("/issues/5102/comments")]
    assert len(posted) == 2  # the refused attempt, then exactly one post


def test_a_messenger_message_older_than_a_day_needs_the_human_agent_tag(care: Care) -> None:
    old = datetime.now(UTC) - timedelta(hours=30)
    ms = int(old.timestamp() * 1000)
    event = {
        "sender": {"id": "7007"},
        "recipient": {"id": "104559"},
        "timestamp": ms,
        "message": {"mid": "m_e2e_old", "text": "My parcel never arrived and nobody answers my messages!"},
    }
    body = meta_body({"object": "page", "entry": [{"id": "104559", "time": ms, "messaging": [event]}]})
    response = requests.post(
        care.stack.url + "/webhooks/meta",
        data=body,
        headers=meta_headers(body, dev_platform_secret("meta")),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    task = care.task_of(response.json()["mention_ids"][0])
    tid = task["id"]
    why = [w for w in task["warnings"] if w["code"] == "window_closed"]
    assert why and "HUMAN_AGENT" in why[0]["message"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "bob")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "bob", {"text": "Hi, Bob here: I'm tracking your parcel now."})
    plain = care.call("POST", f"/v1/tasks/{tid}/send", "bob")
    assert plain.status_code == 409 and plain.json()["needs_tag"] == "HUMAN_AGENT"
    tagged = care.call("POST", f"/v1/tasks/{tid}/send", "bob", {"tag": "HUMAN_AGENT"})
    assert tagged.status_code == 200, tagged.text
    [request] = [r for r in care.fake.sent("meta") if (r.body.get("recipient") or {}).get("id") == "7007"]
    assert request.body["tag"] == "HUMAN_AGENT"


def test_hark_sla_sweep_at_a_time_past_due_marks_the_task_breached_and_counts_it(care: Care) -> None:
    task = care.github_issue(5103)
    at = (datetime.fromisoformat(task["due_at"]) + timedelta(minutes=5)).isoformat()
    env = {
        "PATH": "/usr/bin:/bin",
        "HARK_AWS_PORT": str(care.stack.aws_port),
        "HARK_CONFIG": str(care.config),
        "HARK_API_KEYS": json.dumps(KEYS),
    }
    swept = subprocess.run(
        [sys.executable, "-m", "devstack", "sla", "sweep", "--at", at],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert swept.returncode == 0, swept.stderr
    assert f"breached: {task['id']}" in swept.stdout
    assert " breached," in swept.stdout and " 0 breached," not in swept.stdout
    after = care.call("GET", f"/v1/tasks/{task['id']}", "alice").json()
    assert after["sla_state"] == "breached"
