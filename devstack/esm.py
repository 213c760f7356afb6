"""A local SQS event-source mapping, behaving like Lambda's: long-polls the queue, gathers up to `batch_size`
messages within the batching window, invokes the function with an `aws:sqs` event, deletes what succeeded and
leaves the `batchItemFailures` (or, if the function raised, the whole batch) to reappear after the queue's
visibility timeout. The queue's redrive policy moves a message to its dead-letter queue after `maxReceiveCount`
receives, exactly as in AWS, because the emulator implements it.

Like Lambda's, a mapping runs several batches at once (`pollers`, up to the source's `MaximumConcurrency`): each
poller gathers its own batch and invokes the function, whose pool of environments (`devstack.lambda_runtime`)
serves them side by side, so two copies of a message, or two messages of one thread, can be processed at the same
instant, as they are in AWS."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from devstack.lambda_runtime import REGION, Function
from shared.resources import SqsSource

MAX_RECEIVE = 10  # SQS hands out at most 10 messages per ReceiveMessage


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attributes.get("SenderId", "local"),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
            ),
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def failed_ids(result: Any, batch_ids: set[str]) -> set[str]:
    """Lambda's reading of a partial batch response: a malformed one fails the whole batch."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    ids = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    if len(ids) != len(failures) or not ids <= batch_ids:
        return set(batch_ids)
    return {str(i) for i in ids}


class SqsEventSource:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        function: Function,
        source: SqsSource,
        on_batch: Callable[[str, int, int], None] | None = None,
        poll_wait_s: int = 1,
        pollers: int = 1,
    ) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._arn = queue_arn
        self._function = function
        self._source = source
        self._on_batch = on_batch
        self._poll_wait_s = poll_wait_s
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"esm-{function.name}-{n}", daemon=True) for n in range(pollers)
        ]
        self._count = threading.Lock()
        self.invocations = 0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self._poll_wait_s + 10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # the emulator went away or a call failed: back off, as the real poller does
                if not self._stop.wait(1.0):
                    continue

    def poll_once(self) -> tuple[int, int]:
        """Gather one batch and invoke the function with it: (messages, failed). (0, 0) when the queue was idle."""
        messages = self._gather()
        if not messages:
            return 0, 0
        return len(messages), self._invoke(messages)

    def _gather(self) -> list[dict[str, Any]]:
        """Long-poll for a first message, then keep collecting until the batch is full or the window closes."""
        window = self._source.max_batching_window_s
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(messages) < self._source.batch_size and not self._stop.is_set():
            if deadline is None:
                wait = self._poll_wait_s
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(self._poll_wait_s, int(remaining))
            received = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(MAX_RECEIVE, self._source.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if deadline is None:
                if not received:
                    return []  # an idle long poll
                deadline = time.monotonic() + window
            messages.extend(received)
            if window == 0:
                break  # no batching window: invoke with what this receive returned
            if not received and wait == 0:
                time.sleep(0.05)  # short polls inside the last second of the window
        return messages

    def _invoke(self, messages: list[dict[str, Any]]) -> int:
        event = {"Records": [sqs_record(m, self._arn) for m in messages]}
        batch_ids = {m["MessageId"] for m in messages}
        with self._count:
            self.invocations += 1
        try:
            result = self._function.invoke(event)
            failed = failed_ids(result, batch_ids)
        except Exception:
            failed = batch_ids
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), MAX_RECEIVE):
            chunk = done[start : start + MAX_RECEIVE]
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)],
            )
        if self._on_batch:
            self._on_batch(self._function.name, len(messages), len(failed))
        return len(failed)
