"""`hark smoke` against the local stack (`hark up` on free ports, real HTTP), as an engineer runs it after a deploy:
credentials read from the stack's secret or given on the command line, each step timed, a clear pass or fail; and
an alarm as SNS delivers it, posted to the local stack, becomes an incident visible through the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from shared.settings import DEV_API_KEY, dev_platform_secret
from tests.conftest import FIXTURES, ROOT
from tests.e2e.test_local_stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    started = start_stack()
    yield started
    stop_stack(started)


def smoke(stack: Stack, *args: str, aws: bool = True, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """`hark smoke` in its own process, as a person types it (no HARK_ or AWS_ variables but the emulator's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARK_", "AWS_"))}
    if aws:
        env["HARK_AWS_PORT"] = str(stack.aws_port)  # where `hark up` put its emulator (and the secret)
    return subprocess.run(
        [sys.executable, "-m", "devstack", "smoke", "--url", url or stack.url, "--timeout", "30", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_smoke_reads_the_stacks_secret_and_follows_a_signed_delivery_to_its_task(stack: Stack) -> None:
    done = smoke(stack, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["platform"] == "generic"
    steps = {s["name"]: s for s in report["steps"]}
    assert list(steps) == [
        "health",
        "forged delivery refused",
        "signed delivery accepted",
        "classified",
        "task opened",
        "task closed",
    ]
    assert all(s["ok"] and s["seconds"] >= 0 for s in steps.values())
    assert steps["forged delivery refused"]["detail"] == "401 invalid-signature"
    mention_id = steps["signed delivery accepted"]["detail"].split("mention ")[1]
    mention = stack.get(f"/v1/mentions/{mention_id}")
    assert mention["platform"] == "generic" and mention["author"]["handle"] == "hark-smoke"
    assert "[hark smoke test" in mention["text"]
    task = stack.get(f"/v1/tasks/{mention['task_id']}")
    assert task["status"] == "closed" and mention_id in task["mention_ids"]  # it cleaned up after itself
    for secret in (DEV_API_KEY, dev_platform_secret("generic")):
        assert secret not in done.stdout + done.stderr


def test_smoke_over_github_with_credentials_on_the_command_line_keeps_its_task(stack: Stack) -> None:
    done = smoke(
        stack,
        "--platform",
        "github",
        "--key",
        DEV_API_KEY,
        "--secret",
        dev_platform_secret("github"),
        "--keep",
        aws=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"hark smoke {stack.url}/ (github; credentials from the command line)")
    assert lines[-1].startswith("PASS in ")
    [task_line] = [line for line in lines if "task opened" in line]
    task_id = task_line.split("task opened")[1].split()[2]
    assert stack.get(f"/v1/tasks/{task_id}")["status"] == "open"  # --keep
    assert not any("task closed" in line for line in lines)


def test_smoke_fails_at_the_step_that_breaks(stack: Stack) -> None:
    wrong_secret = smoke(stack, "--key", DEV_API_KEY, "--secret", "not-the-generic-secret", aws=False)
    assert wrong_secret.returncode == 1
    assert "FAIL  signed delivery accepted" in wrong_secret.stdout and "invalid-signature" in wrong_secret.stdout
    assert wrong_secret.stdout.splitlines()[-1] == "FAIL at signed delivery accepted"

    wrong_key = smoke(stack, "--key", "not-a-key-anyone-issued", "--secret", dev_platform_secret("generic"), aws=False)
    assert wrong_key.returncode == 1
    assert "FAIL  classified" in wrong_key.stdout and "401 unauthorized: the key cannot read" in wrong_key.stdout

    nobody = smoke(stack, "--key", "k" * 20, "--secret", "s", aws=False, url="http://127.0.0.1:9")
    assert nobody.returncode == 1 and "FAIL  reach the API" in nobody.stdout

    no_secret = smoke(stack, "--stage", "nowhere")
    assert no_secret.returncode == 2 and "could not read the secret hark/nowhere/secrets" in no_secret.stderr


def test_an_alarm_as_sns_delivers_it_becomes_an_incident_in_the_local_stack(stack: Stack) -> None:
    notification: dict[str, Any] = json.loads((FIXTURES / "alarms" / "dlq-alarm.sns.json").read_text())
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-api-key": DEV_API_KEY}
    response = requests.post(
        stack.url + "/v1/incidents/alarms", data=json.dumps(notification), headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    incident_id = response.json()["incident"]["id"]
    [listed] = [i for i in stack.get("/v1/incidents?status=open")["items"] if i["id"] == incident_id]
    alarm = json.loads(notification["Message"])
    assert listed["alarm"]["name"] == alarm["AlarmName"] and listed["kind"] == "alarm"
    assert stack.get(f"/v1/incidents/{incident_id}")["status"] == "open"
