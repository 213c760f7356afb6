"""SQS adapter: publishes envelopes in batches of up to 10 messages and 1 MiB, and reports which ones failed."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from shared.aws import client, translate_errors
from shared.errors import HarkError
from shared.events import Envelope
from shared.observability import get_logger
from shared.resources import QueueSpec
from shared.settings import Settings

MAX_BATCH_MESSAGES = 10
MAX_BATCH_BYTES = 1024 * 1024
# What a message's attributes add to a batch's size at most (three short attributes, correlation id capped).
ATTRIBUTES_BYTES = 512


def _batches(bodies: Sequence[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    size = 0
    for entry in bodies:
        length = len(entry[1].encode()) + ATTRIBUTES_BYTES
        if batch and (len(batch) == MAX_BATCH_MESSAGES or size + length > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += length
    if batch:
        yield batch


class EnvelopePublisher:
    def __init__(self, settings: Settings, queue: QueueSpec, sqs: Any = None) -> None:
        self._settings = settings
        self._queue = queue
        self._sqs = sqs
        self._url: str | None = settings.queue_url(queue)
        self._lock = threading.Lock()

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = client("sqs", self._settings)
        return self._sqs

    @property
    def url(self) -> str:
        with self._lock:
            if self._url is None:
                with translate_errors(f"find queue {self._queue.key}"):
                    response = self.sqs.get_queue_url(QueueName=self._queue.physical_name(self._settings.stage))
                self._url = str(response["QueueUrl"])
            return self._url

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        """Send every envelope; returns the ids of those SQS did not take (after one retry of each). A batch whose
        call fails counts as failed without stopping the others, so the caller knows exactly what was sent."""
        pending = [(e.id, sqs_safe(e.model_dump_json())) for e in envelopes]
        attributes = {e.id: _attributes(e) for e in envelopes}
        failed: list[str] = []
        for batch in _batches(pending):
            try:
                rejected = self._send(batch, attributes)
                if rejected:
                    retry = [entry for entry in batch if entry[0] in rejected]
                    failed.extend(self._send(retry, attributes))
            except HarkError as error:
                get_logger("queues").warning("send failed", extra={"queue": self._queue.key, "error": error.detail})
                failed.extend(entry[0] for entry in batch)
        return failed

    def _send(self, batch: list[tuple[str, str]], attributes: dict[str, dict[str, Any]]) -> set[str]:
        entries = [
            {"Id": str(n), "MessageBody": body, "MessageAttributes": attributes[envelope_id]}
            for n, (envelope_id, body) in enumerate(batch)
        ]
        with translate_errors(f"send to {self._queue.key}"):
            response = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
        return {batch[int(f["Id"])][0] for f in response.get("Failed", [])}


_NOT_XML = re.compile("[\ufffe\uffff\ud800-\udfff]")


def sqs_safe(body: str) -> str:
    """SQS refuses characters XML does not allow; inside JSON strings they can travel as escapes instead."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", body)


def _attributes(envelope: Envelope[Any]) -> dict[str, dict[str, Any]]:
    # Lets operators filter and redrive by event without parsing bodies.
    return {
        "event": {"DataType": "String", "StringValue": envelope.event},
        "version": {"DataType": "Number", "StringValue": str(envelope.version)},
        "correlation_id": {"DataType": "String", "StringValue": envelope.correlation_id[:128]},
    }
