"""Concurrency below the HTTP front: the emulator's conditional writes hold under racing writers (as DynamoDB's do),
an event-source mapping runs several batches at once, and racing copies of the same events through the real
consumers store one mention, one inbox item and one task."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from devstack import consistency
from devstack.esm import SqsEventSource
from devstack.lambda_runtime import Function
from shared.resources import CLASSIFY, CLASSIFY_QUEUE, RESPOND, FunctionSpec
from tests.conftest import Aws
from tests.functional.conftest import Pipeline


@pytest.fixture
def slow_conditions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the emulator's window between checking a condition and writing, so a race shows every time."""
    from moto.dynamodb.models import table

    original = table.get_filter_expression

    def slowed(*args: Any, **kwargs: Any) -> Any:
        condition = original(*args, **kwargs)
        expr = condition.expr

        def slow_expr(item: Any) -> Any:
            result = expr(item)
            time.sleep(0.02)
            return result

        condition.expr = slow_expr
        return condition

    monkeypatch.setattr(table, "get_filter_expression", slowed)


def racing_puts(aws: Aws, key: str, writers: int = 8) -> int:
    dynamodb = aws.client("dynamodb")
    start = threading.Barrier(writers, timeout=10)

    def put(n: int) -> int:
        start.wait()
        try:
            dynamodb.put_item(
                TableName="hark-local-mentions",
                Item={"id": {"S": key}, "author_key": {"S": "x#1"}, "doc": {"S": str(n)}},
                ConditionExpression="attribute_not_exists(id)",
            )
            return 1
        except dynamodb.exceptions.ConditionalCheckFailedException:
            return 0

    with ThreadPoolExecutor(writers) as pool:
        return sum(pool.map(put, range(writers)))


@pytest.mark.usefixtures("slow_conditions")
def test_racing_conditional_puts_let_exactly_one_through(aws: Aws) -> None:
    assert [racing_puts(aws, f"race-{n}") for n in range(3)] == [1, 1, 1]


@pytest.mark.usefixtures("slow_conditions")
def test_without_the_emulators_lock_racing_puts_both_win(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the lock is there: moto on its own checks, then writes, and two writers pass the same check."""
    monkeypatch.setattr(consistency, "_lock", contextlib.nullcontext())
    assert racing_puts(aws, "unguarded") > 1


SLOW = FunctionSpec(
    key="slow", service="probe", handler="tests.functional.test_concurrency.slow_batch", timeout_s=10, memory_mb=128
)
_seen: list[str] = []
_running = [0, 0]  # now, peak
_guard = threading.Lock()


def slow_batch(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    with _guard:
        _running[0] += 1
        _running[1] = max(_running[1], _running[0])
        _seen.extend(r["messageId"] for r in event["Records"])
    time.sleep(0.3)
    with _guard:
        _running[0] -= 1
    return {"batchItemFailures": []}


def test_a_mapping_runs_several_batches_at_once_and_each_message_once(aws: Aws) -> None:
    _seen.clear()
    _running[:] = [0, 0]
    sqs = aws.client("sqs")
    url = aws.queue_urls[CLASSIFY_QUEUE.key]
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)]
        )
    function = Function(SLOW, concurrency=3)
    source = SqsEventSource(
        sqs,
        url,
        aws.queue_arns[CLASSIFY_QUEUE.key],
        function,
        replace(CLASSIFY.sqs_source, batch_size=5, max_batching_window_s=0),  # type: ignore[arg-type]
        poll_wait_s=1,
        pollers=3,
    )
    source.start()
    try:
        deadline = time.monotonic() + 30
        while len(_seen) < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        source.stop()
    assert len(_seen) == 30 and len(set(_seen)) == 30
    assert _running[1] == 3 == function.peak
    assert aws.queue_depth(CLASSIFY_QUEUE.key) == 0


def copies(pipeline: Pipeline, count: int) -> Callable[[], Iterator[dict[str, Any]]]:
    """Every message now on the classify queue, read off it and handed back `count` times."""
    sqs = pipeline.aws.client("sqs")
    url = pipeline.aws.queue_urls[CLASSIFY_QUEUE.key]
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        bodies += [m["Body"] for m in got]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)]
        )

    def records() -> Iterator[dict[str, Any]]:
        for round_ in range(count):
            for n, body in enumerate(bodies):
                yield {
                    "messageId": f"copy-{round_}-{n}",
                    "receiptHandle": "local",
                    "body": body,
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": "0",
                        "SenderId": "local",
                        "ApproximateFirstReceiveTimestamp": "0",
                    },
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:hark-local-classify",
                    "awsRegion": "us-east-1",
                }

    return records


def test_copies_of_a_thread_racing_through_classify_and_respond_make_one_of_each(pipeline: Pipeline) -> None:
    """Three messages of one conversation, each delivered six times, all copies processed at the same instant by
    six classify environments, then everything they sent on by six respond environments: one stored mention per
    message, one inbox item per message, one task holding all three, and its audit trail opened once."""
    thread = {"native_id": "storm-root", "thread_id": "storm-thread", "author": {"id": "c1", "handle": "jo"}}
    texts = ["My order never arrived and nobody answers.", "Still nothing, I want a refund.", "Hello??"]
    payload = {
        "mentions": [
            {**thread, "native_id": f"storm-{n}", "text": text, "created_at": f"2026-11-26T09:0{n}:00Z"}
            for n, text in enumerate(texts)
        ]
    }
    response = pipeline.submit(payload)
    assert response.status_code == 202, response.get_data(as_text=True)
    ids = [m["id"] for m in response.get_json()["mentions"]]
    records = list(copies(pipeline, 6)())

    classify = Function(CLASSIFY, concurrency=6)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda r: classify.invoke({"Records": [r]}), records))
    assert all(r == {"batchItemFailures": []} for r in results), results
    assert classify.peak > 1

    respond = Function(RESPOND, concurrency=6)
    sqs = pipeline.aws.client("sqs")
    url = pipeline.aws.queue_urls["respond"]
    forwarded = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        forwarded += got
    assert len(forwarded) == len(records)  # every copy is told on: the first telling may be what failed
    events = [
        {"Records": [dict(r, body=m["Body"], messageId=m["MessageId"])]}
        for r, m in zip(records, forwarded, strict=True)
    ]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(respond.invoke, events))
    assert all(r == {"batchItemFailures": []} for r in results), results

    mentions = pipeline.aws.scan("mentions")
    assert sorted(m["id"]["S"] for m in mentions) == sorted(ids)
    inbox = pipeline.aws.scan("inbox")
    assert sorted(i["id"]["S"] for i in inbox) == sorted(ids)
    tasks = pipeline.aws.scan("tasks")
    assert len(tasks) == 1
    task = pipeline.get(f"/v1/tasks/{tasks[0]['id']['S']}").get_json()
    assert sorted(task["mention_ids"]) == sorted(ids)
    audit = pipeline.get(f"/v1/tasks/{task['id']}/audit").get_json()["items"]
    actions = [entry["action"] for entry in audit]
    assert actions.count("task.opened") == 1
    assert actions.count("mention.joined") == 2, json.dumps(actions)


@pytest.fixture
def slow_scans(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Once set: widen the emulator's window between a receive finding messages past their receive count and
    moving them to the dead-letter queue, so racing receivers overlap every time."""
    from moto.sqs.models import Message

    visible = Message.visible
    slow = threading.Event()

    def slowed(message: Any) -> bool:
        caller = sys._getframe(1).f_code
        if slow.is_set() and caller.co_name == "receive_message" and caller.co_filename.endswith("models.py"):
            time.sleep(0.02)  # only in the receive's own scan, where it decides what to park
        return bool(visible.fget(message))  # type: ignore[attr-defined]

    monkeypatch.setattr(Message, "visible", property(slowed))
    return slow


def racing_receivers(
    moto_url: str, slow: threading.Event, receivers: int = 4, messages: int = 10
) -> tuple[list[int], Counter[str]]:
    """Messages that have used up their receives, then several receivers at the same instant: the status of each
    receive (no retries: botocore's would hide a 500) and the bodies the dead-letter queue holds."""
    import uuid

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def client() -> Any:
        return boto3.client(
            "sqs",
            endpoint_url=moto_url,
            region_name="us-east-1",
            aws_access_key_id="hark-test",
            aws_secret_access_key="hark-test",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )

    sqs = client()
    name = f"race-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "1"})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    for start in range(0, messages, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"} for n in range(10)]
        )
    received = 0
    while received < messages:  # each received once and left: once visible again, the next receive parks it
        received += len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"])
    time.sleep(1.1)
    barrier = threading.Barrier(receivers, timeout=10)
    clients = [client() for _ in range(receivers)]
    for each in clients:  # connected before the race
        each.get_queue_url(QueueName=name)

    def receive(n: int) -> int:
        barrier.wait()
        slow.set()
        try:
            clients[n].receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        except ClientError as error:
            return int(error.response["ResponseMetadata"]["HTTPStatusCode"])
        return 200

    with ThreadPoolExecutor(receivers) as pool:
        statuses = list(pool.map(receive, range(receivers)))
    slow.clear()
    parked: Counter[str] = Counter()
    while got := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        parked.update(m["Body"] for m in got)
    return statuses, parked


def test_racing_receivers_of_spent_messages_each_get_an_answer_and_park_each_once(
    moto_url: str, slow_scans: threading.Event
) -> None:
    statuses, parked = racing_receivers(moto_url, slow_scans)
    assert statuses == [200] * 4
    assert parked == Counter(f"m{n}" for n in range(10))  # each in the dead-letter queue, once


def test_without_the_emulators_sqs_lock_racing_receivers_get_500s(
    moto_url: str, slow_scans: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the lock is there: moto on its own lets two receivers move the same message, and the second fails."""
    monkeypatch.setattr(consistency, "_sqs_lock", contextlib.nullcontext())
    statuses, _ = racing_receivers(moto_url, slow_scans)
    assert 500 in statuses
