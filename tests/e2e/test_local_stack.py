"""The local stack as a newcomer runs it: `hark up` in its own process, real HTTP on 127.0.0.1, signed platform
payloads in, mentions and tasks read back through the partner API, and a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from devstack.signing import github_headers, meta_headers
from shared.settings import DEV_API_KEY, dev_platform_secret
from tests import stackproc
from tests.conftest import webhook_fixture

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    url: str
    process: subprocess.Popen[bytes]
    aws_port: int = 0
    running: stackproc.Running | None = None

    def get(self, path: str) -> Any:
        response = requests.get(self.url + path, headers={"x-api-key": DEV_API_KEY}, timeout=10)
        response.raise_for_status()
        return response.json()

    def find(self, path: str) -> Any:
        """The resource, or {} while it does not exist yet."""
        response = requests.get(self.url + path, headers={"x-api-key": DEV_API_KEY}, timeout=10)
        if response.status_code == 404:
            return {}
        response.raise_for_status()
        return response.json()

    def wait_for(self, what: Callable[[], Any], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = what()
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError("timed out waiting")


def start_stack(extra_env: dict[str, str] | None = None, options: Sequence[str] = (), *, pipe: bool = False) -> Stack:
    """`hark up --no-demo` in its own process on free ports, once it answers /health."""
    try:
        running = stackproc.start(extra_env, options, pipe=pipe, ready_within=60)
    except RuntimeError as failed:
        pytest.fail(str(failed))
    return Stack(running.url, running.process, running.aws_port, running)


def stop_stack(stack: Stack) -> None:
    if stack.running is not None:
        stackproc.stop(stack.running, grace=10)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    started = start_stack()
    yield started
    stop_stack(started)


def test_signed_github_comment_round_trip(stack: Stack) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    headers = github_headers(body, dev_platform_secret("github"), "issue_comment")
    first = requests.post(stack.url + "/webhooks/github", data=body, headers=headers, timeout=10)
    assert first.status_code == 200, first.text
    [mention_id] = first.json()["mention_ids"]
    mention = stack.wait_for(lambda: (m := stack.find(f"/v1/mentions/{mention_id}")).get("classification") and m)
    assert mention["platform"] == "github"
    assert mention["classification"]["language"] == "en"

    again = requests.post(stack.url + "/webhooks/github", data=body, headers=headers, timeout=10)
    assert again.json()["mention_ids"] == [mention_id]
    tampered = requests.post(
        stack.url + "/webhooks/github", data=body.replace(b"right", b"wrong"), headers=headers, timeout=10
    )
    assert tampered.status_code == 401
    assert tampered.headers["Content-Type"] == "application/problem+json"
    time.sleep(1.5)  # give a wrongly accepted delivery the time to show up
    github_mentions = stack.get("/v1/mentions?platform=github")["items"]
    assert [m["id"] for m in github_mentions] == [mention_id]


def test_signed_meta_message_round_trip(stack: Stack) -> None:
    body = webhook_fixture("meta", "restfb__webhook-incoming-message-text.json")
    response = requests.post(
        stack.url + "/webhooks/meta", data=body, headers=meta_headers(body, dev_platform_secret("meta")), timeout=10
    )
    assert response.status_code == 200, response.text
    [mention_id] = response.json()["mention_ids"]
    mention = stack.wait_for(lambda: (m := stack.find(f"/v1/mentions/{mention_id}")).get("classification") and m)
    assert (mention["channel"], mention["text"], mention["author"]["name"]) == ("whatsapp", "Test", "TestUser")


def test_a_clear_complaint_becomes_a_task_within_seconds(stack: Stack) -> None:
    response = requests.post(
        stack.url + "/v1/mentions",
        data=json.dumps(
            {
                "native_id": "e2e-complaint-1",
                "author": {"id": "cust-1", "handle": "angry_customer"},
                "text": "I was charged twice this month and support never answered. I want my money back.",
            }
        ),
        headers={"Content-Type": "application/json", "x-api-key": DEV_API_KEY},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    [accepted] = response.json()["mentions"]
    task_id = stack.wait_for(lambda: stack.find(f"/v1/mentions/{accepted['id']}").get("task_id"), timeout=10)
    task = stack.get(f"/v1/tasks/{task_id}")
    assert task["status"] == "open"
    assert accepted["id"] in task["mention_ids"]


def test_ctrl_c_stops_everything(stack: Stack) -> None:
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=30) == 0
    output = stack.running.output(last=None) if stack.running else ""
    assert "Hark is up." in output
    assert "Stopped." in output
    with pytest.raises(requests.ConnectionError):
        requests.get(stack.url + "/health", timeout=2)


def test_a_closed_output_pipe_does_not_stop_signals_from_stopping_the_stack() -> None:
    stack = start_stack(options=["--verbose"], pipe=True)  # every request prints a line
    try:
        assert stack.process.stdout is not None
        stack.process.stdout.close()  # `hark up | head`: the reader is gone
        assert requests.get(stack.url + "/health", timeout=10).status_code == 200  # printed into the closed pipe
        assert requests.get(stack.url + "/health", timeout=10).status_code == 200  # and still served
        stack.process.send_signal(signal.SIGTERM)
        assert stack.process.wait(timeout=30) == 0  # a clean stop, not rich's SystemExit(1) half-way
        with pytest.raises(requests.ConnectionError):
            requests.get(stack.url + "/health", timeout=2)
    finally:
        if stack.process.poll() is None:
            stack.process.kill()
            stack.process.wait(timeout=10)
