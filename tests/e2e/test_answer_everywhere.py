"""Answer everywhere, over real HTTP: `hark up` in its own process (as `make run` starts it), every platform's API
faked on a free 127.0.0.1 port (HARK_API_BASE_* point at it), and a customer's message from each platform arriving
the way it really does (a signed webhook through its connector, or through the ingest core as its poller delivers
it), worked to `send` through the partner API. Each reply must reach its platform at the right thread, once; a
platform's 429 must leave the task `send_failed` with the retry time, and a retry after it must send once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from devstack.fakes import PLATFORMS, FakePlatforms
from services.ingest.platforms import CONNECTORS
from services.ingest.service import IngestService
from shared.queues import EnvelopePublisher
from shared.resources import CLASSIFY_QUEUE
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.arrivals import ARRIVALS, MENTIONS, WEBHOOKS, Where, by_webhook, platform_of
from tests.e2e.test_local_stack import Stack, start_stack, stop_stack
from tests.functional.test_workflow import CONFIG, KEY, KEYS

pytestmark = pytest.mark.e2e

# Platforms whose rate limit, as the fake gives it, names no time to wait (Meta's app-level code 4, TikTok's 40100):
# a retry may go at once. Meta's Business Use Case wait (minutes) is read in tests/unit/test_meta_rate_limits.py.
NO_RETRY_TIME = frozenset({"meta", "tiktok"})
WAIT_S = 2


class Everywhere:
    def __init__(self, stack: Stack, fake: FakePlatforms) -> None:
        self.stack = stack
        self.fake = fake
        settings = Settings.from_env(
            {"HARK_STAGE": "local", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{stack.aws_port}", "AWS_REGION": "us-east-1"}
        )
        sqs = boto3.session.Session().client(
            "sqs",
            endpoint_url=settings.aws_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="hark-local",
            aws_secret_access_key="hark-local",
        )
        # The ingest core as a poller calls it, publishing to the stack's own queue.
        self.ingest = IngestService(
            settings, EnvSecrets(settings), EnvelopePublisher(settings, CLASSIFY_QUEUE, sqs), CONNECTORS
        )

    def call(self, method: str, path: str, user: str = "alice", body: Any = None) -> requests.Response:
        headers = {"x-api-key": KEY[user]}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return requests.request(
            method,
            self.stack.url + path,
            headers=headers,
            data=json.dumps(body) if body is not None else None,
            timeout=10,
        )

    def arrive(self, arrival: str, n: int) -> tuple[str, Where]:
        """The customer's message, delivered as the platform delivers it; its mention id and where to answer."""
        if by_webhook(arrival):
            hook, where = WEBHOOKS[arrival](n)
            if hook.prepare is not None:
                hook.prepare(self.fake)
            response = requests.post(self.stack.url + hook.path, data=hook.body, headers=hook.headers, timeout=10)
            assert response.status_code == 200, response.text
            return hook.mention_id or str(response.json()["mention_ids"][0]), where
        mention, where = MENTIONS[arrival](n)
        self.ingest.admit([mention], correlation_id=f"e2e-{arrival}-{n}", delivery_id=None)
        return mention.id, where

    def task(self, mention_id: str) -> dict[str, Any]:
        def found() -> Any:
            response = self.call("GET", f"/v1/mentions/{mention_id}")
            return response.status_code == 200 and response.json().get("task_id")

        task_id = self.stack.wait_for(found, timeout=30)
        task: dict[str, Any] = self.call("GET", f"/v1/tasks/{task_id}").json()
        return task

    def ready(self, arrival: str, n: int) -> tuple[str, Where]:
        """A task from `arrival`, claimed, drafted and approved where its queue asks: ready to send."""
        mention_id, where = self.arrive(arrival, n)
        task = self.task(mention_id)
        task_id = task["id"]
        assert self.call("POST", f"/v1/tasks/{task_id}/claim").status_code == 200
        drafted = self.call("PUT", f"/v1/tasks/{task_id}/draft", body={"text": "Hi Sam, Alice here: I've refunded it."})
        assert drafted.status_code == 200, drafted.text
        if task["approval_tiers"]:
            assert self.call("POST", f"/v1/tasks/{task_id}/submit").status_code == 200
            assert self.call("POST", f"/v1/tasks/{task_id}/approve", "carol").status_code == 200
        return task_id, where

    def posted(self, platform: str, where: Where) -> list[Any]:
        return [
            r
            for r in self.fake.replies(platform)
            if r.method == where.method and r.path == where.path and where.matches(r.body)
        ]


@pytest.fixture(scope="module")
def everywhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Everywhere]:
    config = tmp_path_factory.mktemp("everywhere") / "hark.yaml"
    config.write_text(CONFIG)
    with FakePlatforms() as fake:
        env = {
            "HARK_CONFIG": str(config),
            "HARK_API_KEYS": json.dumps(KEYS),
            "HARK_SCHEDULE_SECONDS": "3600",
            **{f"HARK_API_BASE_{p.upper()}": fake.base(p) for p in PLATFORMS},
        }
        stack = start_stack(env)
        try:
            yield Everywhere(stack, fake)
        finally:
            stop_stack(stack)


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_task_from_each_platform_is_answered_at_its_thread_once(everywhere: Everywhere, arrival: str) -> None:
    platform = platform_of(arrival)
    task_id, where = everywhere.ready(arrival, 1)
    for _ in range(3):
        sent = everywhere.call("POST", f"/v1/tasks/{task_id}/send")
        assert sent.status_code == 200, sent.text
    task = sent.json()
    assert task["status"] == "sent" and len(task["replies"]) == 1
    [post] = everywhere.posted(platform, where)
    assert post.body, post
    thread = everywhere.call("GET", f"/v1/tasks/{task_id}/thread").json()["items"]
    assert [m["from_brand"] for m in thread][-1] is True  # the reply is in the conversation, as the brand's


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_429_leaves_send_failed_with_the_retry_time_and_a_retry_after_it_sends_once(
    everywhere: Everywhere, arrival: str
) -> None:
    platform = platform_of(arrival)
    task_id, where = everywhere.ready(arrival, 2)
    everywhere.fake.refuse_as(platform, "rate_limited", retry_after_s=WAIT_S)
    refused = everywhere.call("POST", f"/v1/tasks/{task_id}/send")
    assert refused.status_code == 502, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    task = everywhere.call("GET", f"/v1/tasks/{task_id}").json()
    assert task["status"] == "send_failed", task
    error = task["send_error"]
    assert (error["code"], error["retryable"]) == ("rate_limited", True)
    if platform in NO_RETRY_TIME:
        assert error["retry_at"] is None
    else:
        retry_at = datetime.fromisoformat(error["retry_at"])
        assert timedelta(0) < retry_at - datetime.fromisoformat(error["at"]) <= timedelta(seconds=WAIT_S + 1)
        if datetime.now(UTC) < retry_at - timedelta(seconds=0.5):  # a loaded machine may have let the time pass
            early = everywhere.call("POST", f"/v1/tasks/{task_id}/retry")
            assert early.status_code == 409 and early.json()["reason"] == "retry_too_early"
        time.sleep(max(0.0, (retry_at - datetime.now(UTC)).total_seconds()) + 0.2)
    assert len(everywhere.posted(platform, where)) == 1  # the refused attempt, nothing more
    for _ in range(2):
        retried = everywhere.call("POST", f"/v1/tasks/{task_id}/retry")
        assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "sent"
    assert len(everywhere.posted(platform, where)) == 2  # then exactly one post that went through


def test_every_source_shows_its_last_send_and_last_delivery(everywhere: Everywhere) -> None:
    def all_seen() -> Any:
        items = everywhere.call("GET", "/v1/sources", "boss").json()["items"]
        by_id = {s["id"]: s for s in items}
        done = all(by_id.get(platform_of(a), {}).get("last_send_at") for a in ARRIVALS)
        return done and by_id

    sources = everywhere.stack.wait_for(all_seen, timeout=30)
    for arrival in ARRIVALS:
        source = sources[platform_of(arrival)]
        assert source["health"] == "ok" and source["sends"] >= 2 and source["send_failures"] >= 1
        assert source["last_error"]["code"] == "rate_limited"
        if by_webhook(arrival):
            assert source["last_delivery_at"], source
