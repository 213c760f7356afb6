"""The SQS consumer contract (partial batch responses) and the local event-source mapping's reading of it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.esm import failed_ids, sqs_record
from devstack.lambda_runtime import LambdaContext
from shared.consumer import Consumer
from shared.errors import ContractError, Unavailable
from shared.events import Envelope, MentionDeleted, MentionDeletion

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def deleted(native_id: str) -> MentionDeleted:
    deletion = MentionDeletion(id=f"m_{native_id}", platform="generic", native_id=native_id, deleted_at=NOW)
    return MentionDeleted.wrap(deletion, correlation_id="c", producer="test", occurred_at=NOW)


class Work:
    """A consumer's domain side: parses, prepares the whole batch, processes each record into events to send."""

    service = "test"

    def __init__(self, prepare_fails: bool = False) -> None:
        self.processed: list[str] = []
        self.prepare_fails = prepare_fails

    def parse(self, body: str) -> str:
        if body.startswith("bad"):
            raise ContractError("not our contract")
        return body

    def prepare(self, items: Sequence[str]) -> Sequence[int | Exception]:
        if self.prepare_fails:
            raise RuntimeError("comprehend down")
        return [RuntimeError("analysis failed") if i.startswith("unlucky") else len(i) for i in items]

    def process(self, item: str, prepared: int | None) -> list[Envelope[Any]]:
        if item.startswith("crash"):
            raise Unavailable("write failed")
        self.processed.append(f"{item}:{prepared}")
        return [deleted(item)] if item.startswith("emit") else []


class Outbox:
    def __init__(self, refuse: set[str] | None = None) -> None:
        self.sent: list[Envelope[Any]] = []
        self.refuse = refuse or set()

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        failed = [e.id for e in envelopes if e.data.native_id in self.refuse]
        self.sent += [e for e in envelopes if e.id not in failed]
        return failed


class Parking:
    def __init__(self) -> None:
        self.parked: list[tuple[str, str, int]] = []

    def park(self, body: str, *, message_id: str, reason: str, receive_count: int) -> None:
        self.parked.append((message_id, reason, receive_count))


def event(*bodies: str, receives: int = 1) -> dict[str, Any]:
    messages = [
        {
            "MessageId": f"id-{n}",
            "ReceiptHandle": f"rh-{n}",
            "Body": body,
            "Attributes": {"ApproximateReceiveCount": str(receives)},
        }
        for n, body in enumerate(bodies)
    ]
    return {"Records": [sqs_record(m, "arn:aws:sqs:us-east-1:000000000000:q") for m in messages]}


CONTEXT = LambdaContext("hark-test", 128, 30)


def consumer(work: Work, outbox: Outbox | None = None, parking: Parking | None = None) -> Consumer[str, int]:
    return Consumer(work, outbox or Outbox(), parking or Parking(), max_receive_count=5)


def failures(result: dict[str, Any]) -> list[str]:
    return sorted(f["itemIdentifier"] for f in result["batchItemFailures"])


def test_only_the_failed_records_are_retried_and_the_poison_one_is_parked_at_once() -> None:
    work, parking = Work(), Parking()
    result = consumer(work, parking=parking).consume(
        event("fine", "bad body", "unlucky", "crash", "also fine"), CONTEXT
    )
    assert failures(result) == ["id-2", "id-3"]
    assert [(m, r.split(":")[0]) for m, r, _ in parking.parked] == [("id-1", "ContractError")]
    assert work.processed == ["fine:4", "also fine:9"]


def test_a_record_failing_on_its_last_receive_is_parked_with_its_reason() -> None:
    parking = Parking()
    result = consumer(Work(), parking=parking).consume(event("crash", receives=5), CONTEXT)
    assert failures(result) == []
    assert parking.parked == [("id-0", "Unavailable: write failed", 5)]


def test_a_clean_batch_reports_no_failures() -> None:
    assert consumer(Work()).consume(event("a", "b"), CONTEXT) == {"batchItemFailures": []}


def test_a_failed_preparation_fails_every_record_it_covered() -> None:
    result = consumer(Work(prepare_fails=True)).consume(event("a", "b"), CONTEXT)
    assert failures(result) == ["id-0", "id-1"]


def test_events_are_sent_after_the_batch_and_a_record_whose_events_failed_is_retried() -> None:
    outbox = Outbox(refuse={"emit-2"})
    result = consumer(Work(), outbox).consume(event("emit-1", "plain", "emit-2"), CONTEXT)
    assert [e.data.native_id for e in outbox.sent] == ["emit-1"]
    assert failures(result) == ["id-2"]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"batchItemFailures": []}, set()),
        (None, set()),
        ({"batchItemFailures": [{"itemIdentifier": "a"}]}, {"a"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),  # unknown id: the whole batch fails
        ({"batchItemFailures": [{"itemIdentifier": None}]}, {"a", "b"}),
        ({"batchItemFailures": ["a"]}, {"a", "b"}),
    ],
)
def test_partial_batch_response_reading(result: Any, expected: set[str]) -> None:
    assert failed_ids(result, {"a", "b"}) == expected


def test_sqs_records_look_like_lambdas() -> None:
    record = sqs_record(
        {
            "MessageId": "m",
            "ReceiptHandle": "r",
            "Body": "{}",
            "Attributes": {"ApproximateReceiveCount": "3"},
            "MessageAttributes": {"event": {"DataType": "String", "StringValue": "mention.received"}},
        },
        "arn:aws:sqs:us-east-1:000000000000:q",
    )
    assert record["eventSource"] == "aws:sqs"
    assert record["attributes"]["ApproximateReceiveCount"] == "3"
    assert record["messageAttributes"]["event"]["stringValue"] == "mention.received"
    assert record["md5OfBody"] == "99914b932bd37a50b983c5e7c90ae93b"


class BatchingWork(Work):
    """Defers something to the batch's end (respond merges its overview counters there)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    @contextmanager
    def batch(self) -> Iterator[None]:
        self.log.append("begin")
        try:
            yield
        finally:
            self.log.append(f"end after {len(self.processed)}")


def test_a_batching_work_sees_one_scope_around_every_record_of_the_batch_even_a_failing_one() -> None:
    work = BatchingWork()
    response = consumer(work).handler()(event("a", "crash", "b"), LambdaContext("f", 128, 3))
    assert work.log == ["begin", "end after 2"]
    assert response["batchItemFailures"] == [{"itemIdentifier": "id-1"}]
