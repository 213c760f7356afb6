"""Faults below the adapters (`tests/faults.py`: the error AWS answers, where botocore receives it), through the real
entry points and the emulator: throttling and server errors on a share of every write, spurious transaction
conflicts, a record that keeps failing, a consumer dying mid-batch. What was accepted is stored once, or waits in a
dead-letter queue with its reason, never half-stored; `hark dlq redrive` brings it back once the fault clears.

The queues' visibility timeout is set to 0 here, so a failed record is received again at once (in AWS it waits for
the timeout); everything else is the stack's own behaviour."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from devstack.cli import main
from devstack.demo import _github_issue
from shared.resources import CLASSIFY, CLASSIFY_QUEUE, RESPOND, RESPOND_QUEUE
from tests.faults import SERVER_ERROR, Faults, injected_faults  # noqa: F401 - the `faults` fixture
from tests.functional.conftest import Pipeline

COMPLAINT = "I was charged twice for my subscription and support never answered. I want a refund now."
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@pytest.fixture
def retry_at_once(pipeline: Pipeline) -> Pipeline:
    sqs = pipeline.aws.client("sqs")
    for key in (CLASSIFY_QUEUE.key, RESPOND_QUEUE.key):
        sqs.set_queue_attributes(QueueUrl=pipeline.aws.queue_urls[key], Attributes={"VisibilityTimeout": "0"})
    return pipeline


def github_issue(pipeline: Pipeline, number: int, text: str = COMPLAINT, attempts: int = 6) -> list[str]:
    """A signed issue delivery, redelivered on a 503 as GitHub does; the mention ids of its 2xx (none if every
    attempt was refused)."""
    body = json.dumps(_github_issue(number, "Charged twice", text, f"cust-{number}", 9000 + number)).encode()
    for _ in range(attempts):
        response = pipeline.github(body, "issues")
        if response.status_code == 200:
            return list(response.json["mention_ids"])
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Retry-After"]
    return []


def submit(pipeline: Pipeline, texts: list[str], prefix: str, attempts: int = 6) -> list[str]:
    payload = {
        "mentions": [
            {
                "native_id": f"{prefix}-{n}",
                "thread_id": f"{prefix}-thread-{n}",
                "author": {"id": f"{prefix}-a{n}", "handle": f"cust{n}"},
                "text": text,
                "created_at": "2026-11-26T09:00:00Z",
            }
            for n, text in enumerate(texts)
        ]
    }
    for _ in range(attempts):
        response = pipeline.submit(payload)
        if response.status_code == 202:
            return [m["id"] for m in response.json["mentions"]]
        assert response.status_code == 503, response.get_data(as_text=True)
    return []


def settle(pipeline: Pipeline) -> None:
    """Run both consumers until neither queue holds anything."""
    for _ in range(20):
        pipeline.drain(CLASSIFY.key, rounds=50)
        pipeline.drain(RESPOND.key, rounds=50)
        if pipeline.aws.queue_depth(CLASSIFY_QUEUE.key) == pipeline.aws.queue_depth(RESPOND_QUEUE.key) == 0:
            return
    raise AssertionError("the queues did not empty")


def ids(pipeline: Pipeline, table: str) -> Counter[str]:
    return Counter(item["id"]["S"] for item in pipeline.aws.scan(table))


def dead_letters(pipeline: Pipeline, key: str) -> list[dict[str, Any]]:
    sqs = pipeline.aws.client("sqs")
    url = pipeline.aws.queue_urls[key] + "-dlq"
    letters: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            break
        letters += got
    for letter in letters:  # looked at, left where they are
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=letter["ReceiptHandle"], VisibilityTimeout=0)
    return letters


def parked_mention_ids(pipeline: Pipeline) -> set[str]:
    found = set()
    for letter in dead_letters(pipeline, CLASSIFY_QUEUE.key):
        found.add(json.loads(letter["Body"])["data"]["mention"]["id"])
    return found


def tasks_by_mention(pipeline: Pipeline) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    for item in pipeline.aws.scan("tasks"):
        task = json.loads(item["doc"]["S"])
        for mention_id in task["mention_ids"]:
            held.setdefault(mention_id, []).append(task["id"])
    return held


def record_invocations(pipeline: Pipeline, key: str) -> list[list[str]]:
    """The message ids of each invocation of the consumer `key`, in order."""
    source = pipeline.sources[key]
    function = source._function
    seen: list[list[str]] = []
    invoke = function.invoke

    def recording(event: Any) -> Any:
        seen.append([r["messageId"] for r in event["Records"]])
        return invoke(event)

    function.invoke = recording  # type: ignore[method-assign]
    return seen


@pytest.mark.usefixtures("retry_at_once")
def test_throttling_and_server_errors_on_a_share_of_every_call_still_store_each_mention_once(
    pipeline: Pipeline, faults: Faults
) -> None:
    rules = [
        faults.fail("dynamodb", *WRITES, share=0.3),
        faults.fail("dynamodb", *WRITES, "GetItem", "Query", code="InternalServerError", status=500, share=0.1),
        faults.fail("sqs", "SendMessage", "SendMessageBatch", code="InternalError", status=500, share=0.25),
        faults.fail("s3", "PutObject", share=0.3),
    ]
    accepted = [i for n in range(20) for i in github_issue(pipeline, 6100 + n)]
    accepted += submit(pipeline, [f"{COMPLAINT} (order {n})" for n in range(10)], "faults")
    settle(pipeline)
    assert all(rule.failed for rule in rules), [(r.service, r.code, r.failed, r.seen) for r in rules]
    assert len(accepted) >= 25  # a delivery refused six times running is possible, and GitHub would keep trying
    with faults.cleared():
        stored = ids(pipeline, "mentions")
        assert stored == Counter(accepted)  # each once, nothing refused stored
        assert ids(pipeline, "inbox") == Counter(accepted)
        held = tasks_by_mention(pipeline)
        assert {m: len(t) for m, t in held.items()} == dict.fromkeys(accepted, 1)  # one task each, none doubled
        assert pipeline.aws.queue_depth(CLASSIFY_QUEUE.key, dlq=True) == 0
        assert pipeline.aws.queue_depth(RESPOND_QUEUE.key, dlq=True) == 0


@pytest.mark.usefixtures("retry_at_once")
def test_a_record_that_keeps_failing_is_retried_alone_and_parked_after_max_receives(
    pipeline: Pipeline, faults: Faults, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted = submit(pipeline, [f"{COMPLAINT} #{n}" for n in range(10)], "poison")
    poison = accepted[7]
    # Its store write is refused every time, as a malformed item would be (not retried by botocore).
    rule = faults.fail("dynamodb", "PutItem", code="ValidationException", status=400, when=lambda body: poison in body)
    invocations = record_invocations(pipeline, CLASSIFY.key)
    pipeline.drain(CLASSIFY.key, rounds=20)
    received = Counter(message for batch in invocations for message in batch)
    [poison_message] = [m for m, n in received.items() if n > 1]
    assert received[poison_message] == CLASSIFY_QUEUE.max_receive_count  # retried, then parked, never more
    assert sorted(received.values()) == [1] * 9 + [CLASSIFY_QUEUE.max_receive_count]  # the others ran once
    assert all(batch == [poison_message] for batch in invocations[1:])  # only the failed record came back
    assert rule.failed == CLASSIFY_QUEUE.max_receive_count
    stored = ids(pipeline, "mentions")
    assert set(stored) == set(accepted) - {poison}
    [letter] = dead_letters(pipeline, CLASSIFY_QUEUE.key)
    reasons = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
    assert reasons["hark_reason"].startswith("HarkError") or "ValidationException" in reasons["hark_reason"]
    assert reasons["hark_receive_count"] == str(CLASSIFY_QUEUE.max_receive_count)

    faults.clear()  # the cause is fixed
    assert main(["dlq", "redrive", "--queue", "classify", "--endpoint", pipeline.aws.url]) == 0
    capsys.readouterr()
    settle(pipeline)
    assert ids(pipeline, "mentions") == Counter(accepted)
    assert pipeline.aws.queue_depth(CLASSIFY_QUEUE.key, dlq=True) == 0


@pytest.mark.usefixtures("retry_at_once")
def test_a_consumer_dying_mid_batch_loses_nothing_and_doubles_nothing(pipeline: Pipeline) -> None:
    accepted = submit(pipeline, [f"{COMPLAINT} #{n}" for n in range(10)], "crash")
    function = pipeline.sources[CLASSIFY.key]._function
    invoke = function.invoke
    crashes = []

    def dies_half_way(event: Any) -> Any:
        if not crashes:  # the first environment stores half its batch, forwards it, then dies
            crashes.append(len(event["Records"]))
            invoke({"Records": event["Records"][: len(event["Records"]) // 2]})
            raise RuntimeError("the execution environment died")
        return invoke(event)

    function.invoke = dies_half_way  # type: ignore[method-assign]
    settle(pipeline)
    assert crashes == [10]
    assert ids(pipeline, "mentions") == Counter(accepted)
    assert ids(pipeline, "inbox") == Counter(accepted)
    held = tasks_by_mention(pipeline)
    assert {m: len(t) for m, t in held.items()} == dict.fromkeys(accepted, 1)
    for task_ids in held.values():
        trail = pipeline.get(f"/v1/tasks/{task_ids[0]}/audit").json["items"]
        assert [e["action"] for e in trail].count("task.opened") == 1


@pytest.mark.usefixtures("retry_at_once")
def test_task_writes_that_lose_a_race_are_read_again_and_retried(pipeline: Pipeline, faults: Faults) -> None:
    accepted = submit(pipeline, [f"{COMPLAINT} #{n}" for n in range(3)], "race")
    pipeline.drain(CLASSIFY.key)
    conflict = faults.fail(
        "dynamodb",
        "TransactWriteItems",
        code="TransactionCanceledException",
        status=400,
        times=4,
        CancellationReasons=[{"Code": "ConditionalCheckFailed", "Message": "injected"}, {"Code": "None"}],
    )
    settle(pipeline)
    assert conflict.failed == 4
    held = tasks_by_mention(pipeline)
    assert {m: len(t) for m, t in held.items()} == dict.fromkeys(accepted, 1)


@pytest.mark.usefixtures("retry_at_once")
def test_accepted_is_always_stored_or_dead_lettered_and_a_redrive_brings_the_rest_back(
    pipeline: Pipeline, faults: Faults, capsys: pytest.CaptureFixture[str]
) -> None:
    """Accounting under an outage: the mentions table refuses a third of the writes for as long as it lasts (AWS's
    500 on each of botocore's attempts), and a share of everything else is throttled. Every accepted message is
    stored (with its inbox item and task: nothing half-stored) or waits in a dead-letter queue; none is both, none
    is neither. Once the outage ends, one redrive brings the rest in, once."""
    outage: set[str] = set()
    code, status = SERVER_ERROR["dynamodb"]
    faults.fail("dynamodb", "PutItem", code=code, status=status, when=lambda body: any(m in body for m in outage))
    faults.fail("dynamodb", *WRITES, share=0.2)
    faults.fail("sqs", "SendMessageBatch", code="InternalError", status=500, share=0.1)
    partial = faults.fail("sqs", "SendMessageBatch", code="InternalError", share=0.3, entries=True)
    accepted = [i for n in range(9) for i in github_issue(pipeline, 6200 + n)]
    accepted += submit(pipeline, [f"{COMPLAINT} (order {n})" for n in range(12)], "books")
    outage.update(accepted[::3])
    settle(pipeline)

    assert partial.failed
    with faults.cleared():
        stored, parked = set(ids(pipeline, "mentions")), parked_mention_ids(pipeline)
        assert stored | parked == set(accepted)
        assert not stored & parked
        assert parked == outage
        assert set(ids(pipeline, "inbox")) == stored  # what classify stored, respond holds
        assert set(tasks_by_mention(pipeline)) == stored
        assert pipeline.aws.queue_depth(RESPOND_QUEUE.key, dlq=True) == 0

    faults.clear()
    assert main(["dlq", "redrive", "--endpoint", pipeline.aws.url]) == 0
    assert f"classify: {len(outage)} sent back" in capsys.readouterr().out
    settle(pipeline)
    assert ids(pipeline, "mentions") == Counter(accepted)
    assert ids(pipeline, "inbox") == Counter(accepted)
    assert {m: len(t) for m, t in tasks_by_mention(pipeline).items()} == dict.fromkeys(accepted, 1)
    assert pipeline.aws.queue_depth(CLASSIFY_QUEUE.key, dlq=True) == 0


@pytest.mark.usefixtures("retry_at_once")
def test_a_delivery_sqs_will_not_take_is_refused_with_503_and_accepted_only_when_queued(
    pipeline: Pipeline, faults: Faults
) -> None:
    """SQS fails a batch's entries one by one on a 200; the publisher tries the failed ones again once, and if they
    fail again the delivery is refused, so the platform sends it again: nothing is acknowledged unqueued."""
    refused = faults.fail(
        "sqs", "SendMessageBatch", code="InternalError", entries=True, times=2, when=lambda body: "classify" in body
    )
    body = json.dumps(_github_issue(6300, "Charged twice", COMPLAINT, "cust-6300", 96300)).encode()
    first = pipeline.github(body, "issues")
    assert first.status_code == 503, first.get_data(as_text=True)
    assert first.headers["Content-Type"] == "application/problem+json"
    assert refused.failed == 2
    again = pipeline.github(body, "issues")
    assert again.status_code == 200
    settle(pipeline)
    assert ids(pipeline, "mentions") == Counter(again.json["mention_ids"])
