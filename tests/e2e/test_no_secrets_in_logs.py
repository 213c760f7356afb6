"""No secret and no person's data in the logs: `hark up --verbose` (every request, batch and service log at INFO,
the console included) with a webhook secret and an API key of its own, a customer's message carrying an email
address and a phone number worked through the whole flow, refusals included; then every line the stack printed
is scanned for any of them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from devstack.demo import _github_issue
from devstack.signing import github_headers
from tests import stackproc

pytestmark = pytest.mark.e2e

SECRET = "whsec-proof-7c1f0a9e3b5d4f2a"
API_KEY = "key-proof-admin-5e8b2c9d1a7f"
EMAIL = "jo.storm.proof@example.com"
PHONE = "+1 415 555 0199"
COMPLAINT = f"I was charged twice and nobody answers. Call me on {PHONE} or write to {EMAIL}, refund now!"


def test_a_full_run_logs_no_secret_and_no_personal_data(tmp_path: Path) -> None:
    env = {
        "HARK_SECRET_GITHUB": SECRET,
        "HARK_API_KEYS": json.dumps({API_KEY: {"user": "boss", "roles": ["admin", "agent"]}}),
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    log = tmp_path / "stack.log"
    running = stackproc.start(env, ["--verbose"], log=log)
    try:
        url = running.url
        body = json.dumps(_github_issue(7201, "Charged twice", COMPLAINT, "jo-storm", 7201)).encode()
        accepted = requests.post(
            url + "/webhooks/github", data=body, headers=github_headers(body, SECRET, "issues"), timeout=30
        )
        assert accepted.status_code == 200, accepted.text
        [mention_id] = accepted.json()["mention_ids"]
        forged = requests.post(
            url + "/webhooks/github", data=body + b" ", headers=github_headers(body, SECRET, "issues"), timeout=30
        )
        assert forged.status_code == 401
        assert requests.get(url + "/v1/tasks", headers={"x-api-key": API_KEY + "x"}, timeout=30).status_code == 401
        submitted = requests.post(
            url + "/v1/mentions",
            headers={"x-api-key": API_KEY, "Content-Type": "application/json"},
            data=json.dumps({"mentions": [{"native_id": "p-1", "author": {"id": "a1", "handle": "jo"},
                                           "text": COMPLAINT}]}),
            timeout=30,
        )  # fmt: skip
        assert submitted.status_code == 202, submitted.text
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = requests.get(url + f"/v1/mentions/{mention_id}", headers={"x-api-key": API_KEY}, timeout=30)
            if found.status_code == 200 and found.json().get("task_id"):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the mention never reached its task")
        time.sleep(2)  # the last batches' logs
    finally:
        stackproc.stop(running, grace=30)
    printed = log.read_text(errors="replace")
    assert "webhook delivery" in printed or "POST /webhooks/github" in printed  # the logs were really on
    for seeded in (SECRET, API_KEY, EMAIL, PHONE, "415 555 0199", "jo.storm.proof"):
        lines = [line for line in printed.splitlines() if seeded in line]
        assert lines == [], f"{seeded!r} is in the logs: {lines[:3]}"
