"""The SQS consumer contract (partial batch responses) and the local event-source mapping's reading of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from devstack.esm import failed_ids, sqs_record
from devstack.lambda_runtime import LambdaContext
from shared.consumer import consume


class Work:
    service = "test"

    def __init__(self, prepare_fails: bool = False) -> None:
        self.processed: list[str] = []
        self.prepare_fails = prepare_fails

    def parse(self, body: str) -> str:
        if body.startswith("bad"):
            raise ValueError("not our contract")
        return body

    def prepare(self, items: Sequence[str]) -> Sequence[int | Exception]:
        if self.prepare_fails:
            raise RuntimeError("comprehend down")
        return [RuntimeError("analysis failed") if i.startswith("unlucky") else len(i) for i in items]

    def process(self, item: str, prepared: int) -> None:
        if item.startswith("crash"):
            raise RuntimeError("write failed")
        self.processed.append(f"{item}:{prepared}")


def event(*bodies: str) -> dict[str, Any]:
    messages = [
        {
            "MessageId": f"id-{n}",
            "ReceiptHandle": f"rh-{n}",
            "Body": body,
            "Attributes": {"ApproximateReceiveCount": "1"},
        }
        for n, body in enumerate(bodies)
    ]
    return {"Records": [sqs_record(m, "arn:aws:sqs:us-east-1:000000000000:q") for m in messages]}


CONTEXT = LambdaContext("hark-test", 128, 30)


def test_only_the_failed_records_are_reported() -> None:
    work = Work()
    result = consume(event("fine", "bad body", "unlucky", "crash", "also fine"), CONTEXT, work)
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["id-1", "id-2", "id-3"]
    assert work.processed == ["fine:4", "also fine:9"]


def test_a_clean_batch_reports_no_failures() -> None:
    assert consume(event("a", "b"), CONTEXT, Work()) == {"batchItemFailures": []}


def test_a_failed_preparation_fails_the_batch_records_it_covered() -> None:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):  # every record failed: the whole invocation fails, as Lambda expects
        consume(event("a", "b"), CONTEXT, Work(prepare_fails=True))


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
