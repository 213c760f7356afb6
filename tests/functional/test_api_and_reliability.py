"""Handlers against the emulator: answers to every kind of input, the partner API's reads, and what happens
when messages are redelivered, poisoned or cannot be queued."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.provision import create_queue
from devstack.signing import meta_body
from shared.events import ClassifiedMention, MentionClassified, MentionReceived
from shared.resources import CLASSIFY, RESPOND
from tests.conftest import ROOT, webhook_fixture
from tests.functional.conftest import Pipeline


def partner(native_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"native_id": native_id, "author": {"id": "c-1", "handle": "jo"}, "text": text, **extra}


def test_meta_handshake_and_batched_delivery(pipeline: Pipeline) -> None:
    handshake = pipeline.http.get(
        "/webhooks/meta?hub.mode=subscribe&hub.verify_token=hark-dev-verify-token&hub.challenge=8675309"
    )
    assert (handshake.status_code, handshake.text) == (200, "8675309")
    refused = pipeline.http.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"

    payload = json.loads(webhook_fixture("meta", "restfb__messaging-message-basic.json"))
    second = json.loads(json.dumps(payload["entry"][0]))
    second["messaging"][0]["message"] = {"mid": "mid.second", "text": "Where is my order? It never arrived."}
    payload["entry"].append(second)
    response = pipeline.meta(meta_body(payload))
    assert response.json["accepted"] == 2
    pipeline.flow()
    texts = sorted(m["text"] for m in pipeline.get("/v1/mentions?platform=meta").json["items"])
    assert texts == ["Where is my order? It never arrived.", "hello, world!"]
    [task] = pipeline.get("/v1/tasks").json["items"]
    assert len(task["mention_ids"]) == 1  # only the complaint needs a human


def test_every_refusal_is_a_problem_document(pipeline: Pipeline) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    unknown = pipeline.http.post("/webhooks/myspace", data=body)
    too_big = pipeline.http.post("/webhooks/github", data=b"x" * (5 * 1024 * 1024 + 1))
    wrong_type = pipeline.http.post(
        "/v1/mentions",
        data="native_id=x",
        headers={"Content-Type": "application/x-www-form-urlencoded", "x-api-key": "hark-dev-api-key"},
    )
    broken = pipeline.http.post(
        "/v1/mentions", data="{oops", headers={"Content-Type": "application/json", "x-api-key": "hark-dev-api-key"}
    )
    no_key = pipeline.get("/v1/mentions", api_key=None)
    bad_key = pipeline.get("/v1/tasks", api_key="guess")
    missing = pipeline.get("/v1/mentions/m_doesnotexist")
    bad_filter = pipeline.get("/v1/mentions?since=yesterday")
    for response, status in [
        (unknown, 404),
        (too_big, 413),
        (wrong_type, 415),
        (broken, 400),
        (no_key, 401),
        (bad_key, 401),
        (missing, 404),
        (bad_filter, 400),
    ]:
        assert response.status_code == status, (status, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = response.json
        assert problem["status"] == status
        assert problem["type"].startswith("urn:hark:problem:")
        assert problem["title"] and problem["detail"]
    assert pipeline.aws.queue_depth("classify") == 0
    assert pipeline.aws.scan("mentions") == pipeline.aws.scan("inbox") == []


def test_listing_filters_and_pages_without_repeats(pipeline: Pipeline) -> None:
    for n in range(7):
        text = "How do I reset my password?" if n % 2 else "Great release, thanks!"
        assert pipeline.submit(partner(f"p-{n}", text, platform="reddit" if n < 3 else "generic")).status_code == 202
    pipeline.flow()
    seen: list[str] = []
    cursor = ""
    while True:
        page = pipeline.get(f"/v1/mentions?limit=3{'&cursor=' + cursor if cursor else ''}").json
        seen.extend(m["id"] for m in page["items"])
        assert len(page["items"]) <= 3
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 7
    received = [pipeline.get(f"/v1/mentions/{i}").json["received_at"] for i in seen]
    assert received == sorted(received, reverse=True)
    assert len(pipeline.get("/v1/mentions?platform=reddit").json["items"]) == 3
    needing = pipeline.get("/v1/mentions?needs_response=true").json["items"]
    assert {m["text"] for m in needing} == {"How do I reset my password?"}
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert pipeline.get(f"/v1/mentions?since={future}").json["items"] == []
    assert len(pipeline.get("/v1/mentions?since=2020-01-01T00:00:00%2B00:00").json["items"]) == 7


def test_a_thread_gets_one_task_in_work_order(pipeline: Pipeline) -> None:
    pipeline.submit(partner("a-1", "Why is my invoice wrong?", thread_id="ticket-1"))
    pipeline.submit(partner("a-2", "Still broken, I want a refund now!", thread_id="ticket-1"))
    pipeline.submit(partner("b-1", "Can you help me with the export?", thread_id="ticket-2"))
    pipeline.flow()
    tasks = pipeline.get("/v1/tasks?status=open").json["items"]
    assert len(tasks) == 2
    assert [len(t["mention_ids"]) for t in tasks] == [2, 1]  # the complaint thread ranks first
    assert tasks[0]["priority"] >= tasks[1]["priority"]
    assert pipeline.get("/v1/tasks?status=closed").json["items"] == []
    assert pipeline.get("/v1/tasks?queue=safety").json["items"] == []
    assert pipeline.get("/v1/tasks?status=pending").status_code == 400


def test_redeliveries_to_classify_and_respond_change_nothing(pipeline: Pipeline) -> None:
    pipeline.submit(partner("r-1", "My parcel never arrived, refund please"))
    sqs = pipeline.aws.client("sqs")
    # Keep a copy of the envelope before classify consumes it, then deliver it again.
    [message] = sqs.receive_message(QueueUrl=pipeline.aws.queue_urls["classify"], VisibilityTimeout=0)["Messages"]
    envelope = MentionReceived.model_validate_json(message["Body"])
    mention = envelope.data.mention
    pipeline.drain(CLASSIFY.key)
    sqs.send_message(QueueUrl=pipeline.aws.queue_urls["classify"], MessageBody=envelope.model_dump_json())
    assert pipeline.drain(CLASSIFY.key) == (1, 0)
    assert len(pipeline.aws.scan("mentions")) == 1
    assert pipeline.drain(RESPOND.key) == (2, 0)  # told twice, kept once
    assert len(pipeline.aws.scan("inbox")) == 1
    [task] = pipeline.get("/v1/tasks").json["items"]
    assert task["mention_ids"] == [mention.id]
    stored = pipeline.get(f"/v1/mentions/{mention.id}").json
    assert stored["task_id"] == task["id"]
    forwarded = MentionClassified.wrap(
        ClassifiedMention.model_validate({"mention": mention.model_dump(), "classification": stored["classification"]}),
        correlation_id="again",
        producer="test",
        occurred_at=envelope.occurred_at,
    )
    sqs.send_message(QueueUrl=pipeline.aws.queue_urls["respond"], MessageBody=forwarded.model_dump_json())
    assert pipeline.drain(RESPOND.key) == (1, 0)
    assert pipeline.get(f"/v1/tasks/{task['id']}").json == task


def test_a_poison_message_is_parked_at_once_with_its_reason(pipeline: Pipeline) -> None:
    sqs = pipeline.aws.client("sqs")
    url = pipeline.aws.queue_urls["classify"]
    sqs.send_message(QueueUrl=url, MessageBody='{"event": "mention.received", "version": 99}')
    valid = (ROOT / "tests/contract/fixtures/mention.received.v1.json").read_text()  # an older version: upcast
    sqs.send_message(QueueUrl=url, MessageBody=valid)
    assert pipeline.drain(CLASSIFY.key) == (2, 0)  # both done on the first receive: one kept, one parked
    assert pipeline.aws.queue_depth("classify") == 0
    [dead] = sqs.receive_message(QueueUrl=url + "-dlq", MessageAttributeNames=["All"])["Messages"]
    assert json.loads(dead["Body"])["version"] == 99
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["hark_reason"].startswith("ContractError: mention.received v99 is newer")
    assert (attributes["hark_source_queue"], attributes["hark_receive_count"]) == ("classify", "1")
    assert len(pipeline.aws.scan("mentions")) == 1


def test_a_queue_outage_answers_503_and_loses_nothing(pipeline: Pipeline) -> None:
    sqs = pipeline.aws.client("sqs")
    sqs.delete_queue(QueueUrl=pipeline.aws.queue_urls["classify"])
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    failed = pipeline.github(body, "issue_comment")
    assert failed.status_code == 503
    assert failed.headers["Retry-After"]
    assert failed.headers["Content-Type"] == "application/problem+json"
    create_queue(sqs, CLASSIFY.sqs_source.queue, "local")  # type: ignore[union-attr]
    retried = pipeline.github(body, "issue_comment")
    assert retried.status_code == 200
    assert retried.json["accepted"] == 1


def test_health_openapi_and_dashboard(pipeline: Pipeline) -> None:
    assert pipeline.http.get("/health").json == {"status": "ok", "service": "ingest", "stage": "local"}
    document = pipeline.http.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    page = pipeline.http.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert b'src="/assets/' in page.data  # the built app (make web), not a placeholder


def test_head_on_health_answers_like_get_without_a_body(pipeline: Pipeline) -> None:
    # Uptime monitors probe with HEAD; a 405 there pages someone for nothing.
    head = pipeline.http.head("/health")
    assert head.status_code == 200
    assert head.headers["Content-Type"] == "application/json"
    assert head.data == b""
    assert pipeline.http.head("/v1/tasks").status_code == 405  # only /health declares HEAD


def test_a_redelivered_webhook_becomes_one_mention_and_one_task(pipeline: Pipeline) -> None:
    payload = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    payload["comment"]["author_association"] = "NONE"
    payload["comment"]["body"] = "The export crashes every time and I need a refund"
    body = json.dumps(payload).encode()
    first, again = pipeline.github(body, "issue_comment"), pipeline.github(body, "issue_comment")
    assert first.json["mention_ids"] == again.json["mention_ids"]
    pipeline.flow()
    assert len(pipeline.aws.scan("mentions")) == len(pipeline.aws.scan("inbox")) == 1
    [task] = pipeline.get("/v1/tasks").json["items"]
    assert task["mention_ids"] == first.json["mention_ids"]


def test_the_local_stack_refuses_a_busy_emulator_port_at_once() -> None:
    import socket

    from devstack.stack import LocalStack, StackOptions

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        stack = LocalStack(StackOptions(port=0, aws_port=port))
        with pytest.raises(OSError, match="already in use"):
            stack.start()
        assert time.monotonic() - started < 5


def port_in_time_wait() -> int:
    """A port with nothing listening but a closed connection in TIME_WAIT on it, as a stopped stack leaves."""
    import socket

    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server side closes first, so its end waits in TIME_WAIT on `port`
            client.recv(1)
    return port


def test_the_local_stack_starts_on_a_port_its_last_run_left_in_time_wait() -> None:
    import socket

    from devstack.stack import _check_free

    port = port_in_time_wait()
    with socket.socket() as naive, pytest.raises(OSError, match="in use"):
        naive.bind(("127.0.0.1", port))  # what the check did: "already in use" while nothing listens
    _check_free("127.0.0.1", port)
