"""SQS adapters: publishing envelopes in batches of up to 10 messages and 1 MiB (several batches at once for a big
delivery), reporting which ones failed; and parking a record in a queue's dead-letter queue with its reason."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


# Attributes the SQS edge adds when it parks a record; everything else a message carried goes back on redrive.
PARKING_ATTRIBUTES = frozenset({"hark_reason", "hark_source_queue", "hark_source_message_id", "hark_receive_count"})


@dataclass(frozen=True)
class DeadLetter:
    """One message in a dead-letter queue, with why it is there. Messages SQS itself moved (after maxReceiveCount
    receives, when parking failed) carry no reason."""

    message_id: str
    receipt_handle: str
    body: str
    parked_at: datetime | None
    reason: str | None
    source_queue: str | None
    source_message_id: str | None
    receive_count: int | None  # receives in the source queue before it was parked
    attributes: dict[str, Any] = field(default_factory=dict)  # the message's own attributes (event, version, ...)

    @property
    def event(self) -> str | None:
        value = self.attributes.get("event", {}).get("StringValue")
        return str(value) if value else None


@dataclass(frozen=True)
class Redriven:
    moved: int
    failed: int


class QueueDeadLetters(_Queue):
    """A consumer's dead-letter queue: what it parks there carries its reason, source queue and receive count, so
    `hark dlq inspect` can say why and `hark dlq redrive` can send it back."""

    def __init__(self, settings: Settings, queue: QueueSpec, sqs: SQSClient | None = None) -> None:
        super().__init__(settings, queue.dlq_name(settings.stage), settings.dlq_url(queue), sqs)
        self._queue = queue
        self._source = _Queue(settings, queue.physical_name(settings.stage), settings.queue_url(queue), sqs)

    @property
    def queue(self) -> QueueSpec:
        return self._queue

    def depth(self) -> int:
        """Messages waiting in the dead-letter queue (SQS's approximate count)."""
        with translate_errors(f"count {self._queue.key} dead letters"):
            response = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(response["Attributes"].get("ApproximateNumberOfMessages", 0))

    def peek(self, limit: int, *, hold_s: int = 30) -> list[DeadLetter]:
        """Up to `limit` dead letters, each once, left in the queue: they are held invisible while being listed (so
        a page never repeats) and made visible again before this returns."""
        letters = self._receive(limit, hold_s=hold_s)
        self._release(letters)
        return letters

    def redrive(
        self, limit: int, *, on_progress: Callable[[int, int], None] | None = None, hold_s: int = 60
    ) -> Redriven:
        """Send up to `limit` dead letters back to the queue they came from, and delete from here only what was
        sent. Only letters parked before the redrive began are moved, so a message that fails again at once is
        not redriven twice by the same run."""
        started_ms = time.time() * 1000
        moved = failed = 0
        held: list[DeadLetter] = []  # kept invisible until the run ends, so no page returns them twice
        try:
            while moved + failed < limit:
                page = self._receive(min(MAX_BATCH_MESSAGES, limit - moved - failed), hold_s=hold_s, pages=1)
                if not page:
                    break
                due = [d for d in page if d.parked_at is None or d.parked_at.timestamp() * 1000 <= started_ms]
                held += [d for d in page if d not in due]
                if not due:
                    break
                sent = self._send_back(due)
                self._delete([d for d in due if d.message_id in sent])
                refused = [d for d in due if d.message_id not in sent]
                held += refused
                moved, failed = moved + len(sent), failed + len(refused)
                if on_progress is not None:
                    on_progress(len(sent), len(refused))
        finally:
            self._release(held)
        return Redriven(moved, failed)

    def _receive(self, limit: int, *, hold_s: int, pages: int | None = None) -> list[DeadLetter]:
        letters: dict[str, DeadLetter] = {}
        rounds = 0
        while len(letters) < limit and (pages is None or rounds < pages):
            rounds += 1
            with translate_errors(f"read {self._queue.key} dead letters"):
                response = self.sqs.receive_message(
                    QueueUrl=self.url,
                    MaxNumberOfMessages=min(MAX_BATCH_MESSAGES, limit - len(letters)),
                    VisibilityTimeout=hold_s,
                    WaitTimeSeconds=0,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            messages = response.get("Messages", [])
            if not messages:
                break
            for message in messages:
                letter = _dead_letter(message)
                letters.setdefault(letter.message_id, letter)
        return list(letters.values())

    def _release(self, letters: Sequence[DeadLetter]) -> None:
        for start in range(0, len(letters), MAX_BATCH_MESSAGES):
            chunk = letters[start : start + MAX_BATCH_MESSAGES]
            entries = [
                {"Id": str(n), "ReceiptHandle": d.receipt_handle, "VisibilityTimeout": 0} for n, d in enumerate(chunk)
            ]
            with translate_errors(f"release {self._queue.key} dead letters"):
                self.sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)  # type: ignore[arg-type]

    def _delete(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        entries = [{"Id": str(n), "ReceiptHandle": d.receipt_handle} for n, d in enumerate(letters)]
        with translate_errors(f"delete redriven {self._queue.key} dead letters"):
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)  # type: ignore[arg-type]

    def _send_back(self, letters: Sequence[DeadLetter]) -> set[str]:
        """The message ids of the letters the source queue took."""
        entries = [
            {
                "Id": str(n),
                "MessageBody": d.body,
                "MessageAttributes": {k: v for k, v in d.attributes.items() if k not in PARKING_ATTRIBUTES},
            }
            for n, d in enumerate(letters)
        ]
        try:
            with translate_errors(f"redrive to {self._queue.key}"):
                response = self.sqs.send_message_batch(QueueUrl=self._source.url, Entries=entries)  # type: ignore[arg-type]
        except HarkError as error:
            get_logger("queues").warning("redrive failed", extra={"queue": self._queue.key, "error": error.detail})
            return set()
        return {letters[int(ok["Id"])].message_id for ok in response.get("Successful", [])}

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


def _dead_letter(message: Mapping[str, Any]) -> DeadLetter:
    attributes: dict[str, Any] = dict(message.get("MessageAttributes", {}))

    def text(name: str) -> str | None:
        value = attributes.get(name, {}).get("StringValue")
        return str(value) if value not in (None, "", "-") else None

    sent = message.get("Attributes", {}).get("SentTimestamp")
    count = text("hark_receive_count")
    return DeadLetter(
        message_id=str(message["MessageId"]),
        receipt_handle=str(message["ReceiptHandle"]),
        body=str(message.get("Body", "")),
        parked_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
        reason=text("hark_reason"),
        source_queue=text("hark_source_queue"),
        source_message_id=text("hark_source_message_id"),
        receive_count=int(count) if count and count.isdigit() else None,
        attributes={
            k: {kk: vv for kk, vv in v.items() if kk in ("DataType", "StringValue", "BinaryValue")}
            for k, v in attributes.items()
        },
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
