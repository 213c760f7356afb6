"""SQS adapters: publishing envelopes in batches of up to 10 messages and 1 MiB (several batches at once for a big
delivery), reporting which ones failed; and parking a record in a queue's dead-letter queue with its reason."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

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
# Batches sent at once: a 400-message Meta delivery is 40 requests, which one after another would take most of
# the three seconds Slack and Discord allow; the client's connection pool holds 10.
PARALLEL_SENDS = 8

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


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


class _Queue:
    """A queue's URL, configured or looked up by name once."""

    def __init__(self, settings: Settings, name: str, url: str | None, sqs: SQSClient | None) -> None:
        self._settings = settings
        self._name = name
        self._url = url
        self._sqs = sqs
        self._lock = threading.Lock()

    @property
    def sqs(self) -> SQSClient:
        if self._sqs is None:
            self._sqs = client("sqs", self._settings)
        return self._sqs

    @property
    def url(self) -> str:
        with self._lock:
            if self._url is None:
                with translate_errors(f"find queue {self._name}"):
                    response = self.sqs.get_queue_url(QueueName=self._name)
                self._url = str(response["QueueUrl"])
            return self._url


class EnvelopePublisher(_Queue):
    def __init__(self, settings: Settings, queue: QueueSpec, sqs: SQSClient | None = None) -> None:
        super().__init__(settings, queue.physical_name(settings.stage), settings.queue_url(queue), sqs)
        self._queue = queue

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        """Send every envelope; returns the ids of those SQS did not take (after one retry of each). A batch whose
        call fails counts as failed without stopping the others, so the caller knows exactly what was sent."""
        pending = [(e.id, sqs_safe(e.model_dump_json())) for e in envelopes]
        attributes = {e.id: _attributes(e) for e in envelopes}
        batches = list(_batches(pending))
        if len(batches) <= 2:
            return [envelope_id for batch in batches for envelope_id in self._send_batch(batch, attributes)]
        with ThreadPoolExecutor(max_workers=PARALLEL_SENDS, thread_name_prefix="sqs-send") as pool:
            outcomes = pool.map(lambda batch: self._send_batch(batch, attributes), batches)
            return [envelope_id for failed in outcomes for envelope_id in failed]

    def _send_batch(self, batch: list[tuple[str, str]], attributes: dict[str, dict[str, Any]]) -> list[str]:
        try:
            rejected = self._send(batch, attributes)
            if rejected:
                return sorted(self._send([entry for entry in batch if entry[0] in rejected], attributes))
            return []
        except HarkError as error:
            get_logger("queues").warning("send failed", extra={"queue": self._queue.key, "error": error.detail})
            return [entry[0] for entry in batch]

    def _send(self, batch: list[tuple[str, str]], attributes: dict[str, dict[str, Any]]) -> set[str]:
        entries = [
            {"Id": str(n), "MessageBody": body, "MessageAttributes": attributes[envelope_id]}
            for n, (envelope_id, body) in enumerate(batch)
        ]
        with translate_errors(f"send to {self._queue.key}"):
            response = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)  # type: ignore[arg-type]
        return {batch[int(f["Id"])][0] for f in response.get("Failed", [])}


class QueueDeadLetters(_Queue):
    """A consumer's dead-letter queue: what it parks there carries its reason, source queue and receive count, so
    `hark dlq inspect` can say why and `hark dlq redrive` can send it back."""

    def __init__(self, settings: Settings, queue: QueueSpec, sqs: SQSClient | None = None) -> None:
        super().__init__(settings, queue.dlq_name(settings.stage), settings.dlq_url(queue), sqs)
        self._queue = queue

    def park(self, body: str, *, message_id: str, reason: str, receive_count: int) -> None:
        attributes = {
            "hark_reason": reason[:1000],
            "hark_source_queue": self._queue.key,
            "hark_source_message_id": message_id[:128],
            "hark_receive_count": str(receive_count),
        }
        with translate_errors(f"park in {self._queue.key} dead-letter queue"):
            self.sqs.send_message(
                QueueUrl=self.url,
                MessageBody=sqs_safe(body) or "(empty)",
                MessageAttributes={k: {"DataType": "String", "StringValue": v or "-"} for k, v in attributes.items()},
            )


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
