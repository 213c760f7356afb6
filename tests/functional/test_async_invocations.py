"""Asynchronous invocation in the local stack, as SNS and EventBridge get it from Lambda: a failing event is
retried, then parked in the failure queue as Lambda's destination record instead of being dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.lambda_runtime import Function
from devstack.scheduler import Schedule
from devstack.stack import failure_sender
from shared.resources import FAILED_INVOCATIONS, FUNCTIONS, FunctionSpec
from tests.conftest import Aws

CALLS: list[dict[str, Any]] = []
FAILING_FIRST = {"n": 0}


def broken(event: dict[str, Any], _context: Any) -> None:
    CALLS.append(event)
    raise RuntimeError("the sweep could not reach its table")


def flaky(event: dict[str, Any], _context: Any) -> str:
    CALLS.append(event)
    if len(CALLS) <= FAILING_FIRST["n"]:
        raise RuntimeError("transient")
    return "ok"


def _spec(handler: str) -> FunctionSpec:
    return FunctionSpec("tick", "respond", f"{__name__}.{handler}", 10, 128, schedule="rate(1 minute)")


def _drain(aws: Aws) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=FAILED_INVOCATIONS.physical_name("local"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAILING_FIRST["n"] = 0


def test_every_asynchronously_invoked_function_has_a_failure_destination() -> None:
    invoked_async = [f for f in FUNCTIONS if f.sns_source or f.schedule]
    assert {f.key for f in invoked_async} >= {"respond-alarms", "respond-sla", "respond-watch"}
    assert all(f.on_failure == FAILED_INVOCATIONS for f in invoked_async)
    assert all(f.on_failure is None for f in FUNCTIONS if f not in invoked_async)


def test_a_tick_that_keeps_failing_is_retried_twice_then_parked_with_its_error(aws: Aws) -> None:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=FAILED_INVOCATIONS.physical_name("local"))["QueueUrl"]
    function = Function(_spec("broken"))
    assert Schedule(function, on_failure=failure_sender(sqs, url)).run_once() is False
    assert len(CALLS) == 3  # the first attempt and Lambda's two retries
    [record] = _drain(aws)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:hark-local-tick:$LATEST")
    assert record["requestPayload"] == CALLS[0] and record["requestPayload"]["detail-type"] == "Scheduled Event"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "the sweep could not reach its table"


def test_a_tick_that_succeeds_on_a_retry_parks_nothing(aws: Aws) -> None:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=FAILED_INVOCATIONS.physical_name("local"))["QueueUrl"]
    FAILING_FIRST["n"] = 2
    assert Schedule(Function(_spec("flaky")), on_failure=failure_sender(sqs, url)).run_once() is True
    assert len(CALLS) == 3
    assert _drain(aws) == []
