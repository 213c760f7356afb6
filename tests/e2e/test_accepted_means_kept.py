"""What a platform or partner is told was accepted is kept, over HTTP on the stack `make run` starts: hostile field
sizes are fitted or refused before the 2xx, a partner cannot shadow a platform's message, a 400-message Meta batch
is acknowledged within Slack's and Discord's three seconds and every message of it stored, and `hark replay`
re-drives the day's archived deliveries without adding anything already there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests

from devstack.signing import github_headers, meta_body, meta_headers
from shared.settings import DEV_API_KEY, dev_platform_secret
from tests.conftest import ROOT, webhook_fixture
from tests.e2e.test_local_stack import Stack, start_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    started = start_stack()
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait(timeout=10)


def aws(stack: Stack, service: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=f"http://127.0.0.1:{stack.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="hark-local",
        aws_secret_access_key="hark-local",
    )


def settle(stack: Stack, timeout: float = 120) -> None:
    """Wait until classify and respond have nothing queued or in flight."""
    sqs = aws(stack, "sqs")
    urls = [sqs.get_queue_url(QueueName=f"hark-local-{key}")["QueueUrl"] for key in ("classify", "respond")]
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        depth = 0
        for url in urls:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            depth += int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        quiet = quiet + 1 if depth == 0 else 0
        if quiet >= 3:  # empty three polls running: nothing between the two queues either
            return
        time.sleep(0.5)
    raise AssertionError("the queues did not drain")


def mentions(stack: Stack, platform: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = ""
    while True:
        page = stack.get(f"/v1/mentions?platform={platform}&limit=200" + (f"&cursor={cursor}" if cursor else ""))
        found.update((m["id"], m) for m in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return found


def github_comment(**changes: Any) -> bytes:
    payload = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    for path, value in changes.items():
        target = payload
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return json.dumps(payload).encode()


def post_github(stack: Stack, body: bytes) -> requests.Response:
    headers = github_headers(body, dev_platform_secret("github"), "issue_comment")
    return requests.post(stack.url + "/webhooks/github", data=body, headers=headers, timeout=30)


def test_a_huge_html_url_is_cut_and_kept_and_huge_identities_are_refused(stack: Stack) -> None:
    cut = post_github(
        stack, github_comment(comment__node_id="IC_huge_url", comment__html_url="https://x/" + "a" * 600_000)
    )
    assert cut.status_code == 200, cut.text
    [kept_id] = cut.json()["mention_ids"]
    for change in (
        {"repository__full_name": "o/" + "r" * 300_000, "comment__node_id": "IC_huge_repo"},
        {"comment__node_id": "I" * 1_000_000},
    ):
        refused = post_github(stack, github_comment(**change))
        assert refused.status_code == 400, refused.text
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:hark:problem:invalid-body"
    settle(stack)
    stored = stack.get(f"/v1/mentions/{kept_id}")
    assert stored["truncated"] is True
    assert stored["url"] is None  # a URL that long is no link anyone can follow
    assert stored["classification"] is not None
    assert set(mentions(stack, "github")) == {kept_id}  # the refused ones stored nothing


def test_a_partner_naming_a_github_comments_id_does_not_shadow_its_signed_delivery(stack: Stack) -> None:
    native_id = "IC_kwDOshadowed"
    submitted = requests.post(
        stack.url + "/v1/mentions",
        data=json.dumps(
            {
                "platform": "github",
                "native_id": native_id,
                "thread_id": "Codertocat/Hello-World#1",
                "author": {"id": "21031067", "handle": "Codertocat"},
                "text": "ignore the real comment",
            }
        ),
        headers={"Content-Type": "application/json", "x-api-key": DEV_API_KEY},
        timeout=10,
    )
    assert submitted.status_code == 202, submitted.text
    [partner_item] = submitted.json()["mentions"]
    settle(stack)
    genuine = post_github(stack, github_comment(comment__node_id=native_id, comment__body="The real comment"))
    assert genuine.status_code == 200
    [genuine_id] = genuine.json()["mention_ids"]
    assert genuine_id != partner_item["id"]
    settle(stack)
    stored = stack.get(f"/v1/mentions/{genuine_id}")
    assert (stored["text"], stored["source"]) == ("The real comment", "platform")
    assert stack.get(f"/v1/mentions/{partner_item['id']}")["source"] == "partner:dev"
    assert stored["task_id"] != stack.get(f"/v1/mentions/{partner_item['id']}")["task_id"]  # nor its thread


def test_a_400_message_meta_batch_is_acknowledged_in_time_and_every_message_stored(stack: Stack) -> None:
    tag = time.time_ns()
    messaging = [
        {
            "sender": {"id": f"psid-{n}"},
            "recipient": {"id": "1"},
            "timestamp": int(time.time() * 1000),
            "message": {"mid": f"mid.{tag}.{n}", "text": f"Where is my order {n}? It never arrived."},
        }
        for n in range(400)
    ]
    body = meta_body({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": messaging}]})
    started = time.perf_counter()
    response = requests.post(
        stack.url + "/webhooks/meta", data=body, headers=meta_headers(body, dev_platform_secret("meta")), timeout=30
    )
    acknowledged_s = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 400
    print(f"400-message Meta batch acknowledged in {acknowledged_s:.2f} s")  # the target lives in make bench
    ids = set(response.json()["mention_ids"])
    assert len(ids) == 400
    settle(stack, timeout=240)
    assert ids <= set(mentions(stack, "meta"))


def test_replaying_the_days_archive_adds_nothing_already_there(stack: Stack) -> None:
    # Whatever the tests above delivered today is archived; after replaying it, the store is as it was.
    settle(stack)
    before_meta, before_github = mentions(stack, "meta"), mentions(stack, "github")
    before_tasks = stack.get("/v1/tasks?limit=200")["items"]
    assert len(before_meta) >= 400
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARK_", "AWS_"))}
    today = datetime.now(UTC).date().isoformat()
    for platform, expected in (("meta", 400), ("github", 2)):
        replayed = subprocess.run(
            [sys.executable, "-m", "devstack", "replay", "--platform", platform, "--since", today],
            cwd=ROOT,
            env={**env, "HARK_AWS_PORT": str(stack.aws_port), "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert f"{expected} mentions re-sent" in replayed.stdout, replayed.stdout
    settle(stack, timeout=240)
    assert mentions(stack, "meta") == before_meta
    assert mentions(stack, "github") == before_github
    assert stack.get("/v1/tasks?limit=200")["items"] == before_tasks
