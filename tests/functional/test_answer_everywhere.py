"""Answering on every platform through the real entry points (API Gateway events, the queues) against the moto server
and the platforms' local fakes: the reply lands in the thread once, a rate limit leaves the task `send_failed` with
the platform's retry time (an earlier retry is refused without calling the platform, a later one sends once), an
expired token is refreshed and stored back in the secret, a revoked one makes the source unhealthy and pauses its
replies instead of failing them one by one, and `GET /v1/sources` shows what ingest and respond saw."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.fakes import PLATFORMS, FakePlatforms, dev_refresh_token
from devstack.provision import put_secret
from devstack.signing import slack_headers
from services.ingest import bootstrap as ingest_bootstrap
from services.respond import bootstrap as respond_bootstrap
from shared.events import Mention
from shared.secrets import EnvSecrets, to_document
from shared.settings import Settings
from tests.arrivals import MENTIONS, WEBHOOKS, Webhook, Where
from tests.functional.conftest import Pipeline
from tests.functional.test_workflow import CONFIG, KEY, KEYS

CONFIG_WITH_ADMIN = CONFIG.replace("  boss: {roles: [admin, agent]}", "  boss: {name: Boss, roles: [admin, agent]}")


@dataclass
class World:
    pipeline: Pipeline
    fake: FakePlatforms
    monkeypatch: pytest.MonkeyPatch

    def call(self, method: str, path: str, user: str = "alice", body: Any = None) -> Any:
        headers = {"x-api-key": KEY[user]}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        return self.pipeline.http.open(path, method=method, headers=headers, data=data)

    def arrive(self, hook: Webhook) -> str:
        response = self.pipeline.http.post(hook.path, data=hook.body, headers=hook.headers)
        assert response.status_code == 200, response.text
        self.pipeline.flow()
        return hook.mention_id or str(response.get_json()["mention_ids"][0])

    def admit(self, mention: Mention) -> str:
        ingest_bootstrap.root.get().service.admit([mention], correlation_id="test", delivery_id=None)
        self.pipeline.flow()
        return mention.id

    def drafted(self, mention_id: str, text: str = "Hi Sam, Alice here: I've refunded the second charge.") -> str:
        found = self.call("GET", f"/v1/mentions/{mention_id}").get_json()
        assert found.get("task_id"), found
        task_id = str(found["task_id"])
        assert self.call("POST", f"/v1/tasks/{task_id}/claim").status_code == 200
        assert self.call("PUT", f"/v1/tasks/{task_id}/draft", body={"text": text}).status_code == 200
        return task_id

    def approved(self, task_id: str) -> None:
        assert self.call("POST", f"/v1/tasks/{task_id}/submit").status_code == 200
        assert self.call("POST", f"/v1/tasks/{task_id}/approve", "carol").status_code == 200

    def replies(self, platform: str, where: Where) -> list[Any]:
        return [r for r in self.fake.replies(platform) if r.method == where.method and r.path == where.path]

    def store_secret(self, tokens: dict[str, Any]) -> None:
        settings = Settings.from_env({**self.pipeline.aws.env, "HARK_API_KEYS": json.dumps(KEYS)})
        document = to_document(EnvSecrets(settings).get())
        document["tokens"] = {**document.get("tokens", {}), **tokens}
        put_secret(self.pipeline.aws.client("secretsmanager"), self.pipeline.aws.env["HARK_SECRETS_NAME"], document)
        respond_bootstrap.root.override(None)  # a cold start reads the secret anew

    def sources(self) -> dict[str, Any]:
        response = self.call("GET", "/v1/sources", "boss")
        assert response.status_code == 200, response.text
        return {s["id"]: s for s in response.get_json()["items"]}


@pytest.fixture
def world(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    config = tmp_path / "hark.yaml"
    config.write_text(CONFIG_WITH_ADMIN)
    with FakePlatforms() as fake:
        monkeypatch.setenv("HARK_CONFIG", str(config))
        for platform in PLATFORMS:
            monkeypatch.setenv(f"HARK_API_BASE_{platform.upper()}", fake.base(platform))
        built = World(pipeline, fake, monkeypatch)
        built.store_secret({})
        ingest_bootstrap.root.override(None)
        yield built
        respond_bootstrap.root.override(None)
        ingest_bootstrap.root.override(None)


def test_a_slack_message_is_answered_in_its_thread_once_and_the_source_shows_it(world: World) -> None:
    hook, where = WEBHOOKS["slack"](1)
    task_id = world.drafted(world.arrive(hook), "Hi Sam, **Alice** here: it's [refunded](https://help.example/r).")
    world.approved(task_id)
    for _ in range(3):
        sent = world.call("POST", f"/v1/tasks/{task_id}/send")
        assert sent.status_code == 200, sent.text
    [posted] = world.replies("slack", where)
    assert where.matches(posted.body)
    assert posted.body["text"] == "Hi Sam, *Alice* here: it's <https://help.example/r|refunded>."
    task = sent.get_json()
    assert task["status"] == "sent" and task["replies"][0]["platform_id"].startswith("C0HELP:")
    world.pipeline.flow()
    slack = world.sources()["slack"]
    assert slack["health"] == "ok"
    assert slack["last_delivery_at"] and slack["last_send_at"] and slack["sends"] == 1
    assert slack["credential"]["configured"] is True


def test_a_rate_limit_leaves_send_failed_with_the_retry_time_and_a_later_retry_sends_once(world: World) -> None:
    hook, where = WEBHOOKS["x"](2)
    task_id = world.drafted(world.arrive(hook))
    world.approved(task_id)
    world.fake.refuse_as("x", "rate_limited", retry_after_s=5)
    refused = world.call("POST", f"/v1/tasks/{task_id}/send")
    assert refused.status_code == 502
    problem = refused.get_json()
    assert (problem["code"], problem["retryable"], problem["task_status"]) == ("rate_limited", True, "send_failed")
    assert 1 <= int(refused.headers["Retry-After"]) <= 6
    task = world.call("GET", f"/v1/tasks/{task_id}").get_json()
    error = task["send_error"]
    assert task["status"] == "send_failed" and error["code"] == "rate_limited"
    retry_at = datetime.fromisoformat(error["retry_at"])
    assert timedelta(0) < retry_at - datetime.now(UTC) <= timedelta(seconds=6)
    assert "takes replies again from" in error["reason"]
    early = world.call("POST", f"/v1/tasks/{task_id}/retry")
    assert early.status_code == 409 and early.get_json()["reason"] == "retry_too_early"
    assert len(world.replies("x", where)) == 1  # the refused attempt only: nothing sent early
    time.sleep(max(0.0, (retry_at - datetime.now(UTC)).total_seconds()) + 0.1)
    for _ in range(2):
        again = world.call("POST", f"/v1/tasks/{task_id}/retry")
        assert again.status_code == 200, again.text
    assert again.get_json()["status"] == "sent"
    posts = world.replies("x", where)
    assert len(posts) == 2 and all(where.matches(p.body) for p in posts)


def test_an_expiring_token_is_refreshed_and_stored_back_before_the_reply_goes(world: World) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    world.store_secret(
        {
            "x": {
                "access_token": "x-old",
                "refresh_token": dev_refresh_token("x"),
                "expires_at": soon,
                "client_id": "x-client",
                "client_secret": "x-secret",
            }
        }
    )
    hook, where = WEBHOOKS["x"](3)
    task_id = world.drafted(world.arrive(hook))
    world.approved(task_id)
    assert world.call("POST", f"/v1/tasks/{task_id}/send").status_code == 200
    [post] = world.replies("x", where)
    token = post.headers["authorization"].removeprefix("Bearer ")
    assert token.startswith("x-access-")
    secret = world.pipeline.aws.client("secretsmanager").get_secret_value(
        SecretId=world.pipeline.aws.env["HARK_SECRETS_NAME"]
    )
    stored = json.loads(secret["SecretString"])["tokens"]["x"]
    assert stored["access_token"] == token and stored["refresh_token"] != dev_refresh_token("x")
    x = world.sources()["x"]
    assert x["credential"]["refreshable"] is True and x["credential"]["refreshed_at"]


def test_a_token_that_cannot_be_refreshed_pauses_the_source_instead_of_failing_each_send(world: World) -> None:
    world.store_secret(
        {
            "reddit": {
                "access_token": "r-old",
                "refresh_token": dev_refresh_token("reddit"),
                "client_id": "c",
                "client_secret": "s",
            }
        }
    )
    world.fake.expire("reddit")
    world.fake.revoke("reddit")
    first, _ = MENTIONS["reddit"](4)
    second, where = MENTIONS["reddit"](5)
    task_id = world.drafted(world.admit(first))
    world.approved(task_id)
    refused = world.call("POST", f"/v1/tasks/{task_id}/send")
    assert refused.status_code == 503 and "connect the account again" in refused.get_json()["detail"]
    task = world.call("GET", f"/v1/tasks/{task_id}").get_json()
    assert task["status"] == "approved" and task["send_error"] is None  # not a send failure of this task
    reddit = world.sources()["reddit"]
    assert reddit["health"] == "unhealthy" and reddit["last_error"]["where"] == "token"
    assert "invalid_grant" in reddit["last_error"]["message"]
    told = world.call("GET", "/v1/notifications", "boss").get_json()["items"]
    assert [n["kind"] for n in told] == ["source_unhealthy"]

    calls = len(world.fake.sent("reddit"))
    other = world.drafted(world.admit(second))
    world.approved(other)
    paused = world.call("POST", f"/v1/tasks/{other}/send")
    assert paused.status_code == 503 and paused.get_json()["reason"] == "source_unhealthy"
    assert len(world.fake.sent("reddit")) == calls  # not even tried
    warned = world.call("GET", f"/v1/tasks/{other}").get_json()["warnings"]
    assert "source_unhealthy" in [w["code"] for w in warned]

    world.store_secret({"reddit": {"access_token": "hark-dev-reddit-token", "user_agent": "hark-test/1.0"}})
    world.fake.accept("reddit", access_token="hark-dev-reddit-token")
    resumed = world.call("POST", f"/v1/tasks/{other}/send")
    assert resumed.status_code == 200, resumed.text
    assert len([r for r in world.replies("reddit", where) if where.matches(r.body)]) == 1
    assert world.sources()["reddit"]["health"] == "ok"


def test_a_zendesk_internal_note_keeps_the_response_clock_running(world: World) -> None:
    mention, where = MENTIONS["zendesk"](6)
    task_id = world.drafted(world.admit(mention))
    world.approved(task_id)
    noted = world.call("POST", f"/v1/tasks/{task_id}/send", body={"public": False})
    assert noted.status_code == 200, noted.text
    task = noted.get_json()
    assert task["replies"][-1]["tag"] == "internal" and task["responded_at"] is None
    assert any(c["stopped_at"] is None and c["name"] == "first_response" for c in task["sla"])
    [note] = [r for r in world.fake.replies("zendesk") if r.path == where.path]
    assert note.body["ticket"]["comment"]["public"] is False
    elsewhere = world.drafted(world.arrive(WEBHOOKS["slack"](7)[0]))
    world.approved(elsewhere)
    assert world.call("POST", f"/v1/tasks/{elsewhere}/send", body={"public": False}).status_code == 400


def test_what_ingest_saw_of_a_source_reaches_its_health(world: World) -> None:
    hook, _ = WEBHOOKS["slack"](8)
    forged = {**hook.headers, **slack_headers(hook.body, "not-the-secret")}
    assert world.pipeline.http.post(hook.path, data=hook.body, headers=forged).status_code == 401
    world.pipeline.flow()
    slack = world.sources()["slack"]
    assert slack["last_error"]["code"] == "invalid_signature" and slack["last_error"]["where"] == "delivery"
    assert slack["last_delivery_at"] is None and slack["health"] == "ok"


def test_the_api_never_shows_a_discord_interaction_token(world: World) -> None:
    mention, _ = MENTIONS["discord.command"](9)
    mention_id = world.admit(mention)
    shown = world.call("GET", f"/v1/mentions/{mention_id}").get_json()
    assert shown["reply_context"] == {"application_id": "1200000000000000001"}
    listed = world.call("GET", "/v1/mentions?platform=discord").get_json()["items"]
    assert all("interaction_token" not in m["reply_context"] for m in listed)
