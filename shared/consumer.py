"""The SQS edge: one place that decides, for each record, done, retry or dead-letter.

Powertools' `BatchProcessor` runs each record (typed as Powertools' `SqsRecordModel`) and builds the partial batch
response (`batchItemFailures`); Lambda makes the failed records visible again after the visibility timeout and
deletes the rest. On top of it:

- a record that can never succeed (`ContractError`: not an envelope, an event this consumer does not take, a newer
  major version) is parked in the queue's dead-letter queue at once, with its reason, instead of failing five
  identical times;
- a record failing on its last allowed receive is parked the same way, so every dead letter says why it is there
  (if parking fails, SQS's own redrive still moves it, without the reason);
- a batch-wide `prepare` step runs once before any record (classify analyses the whole batch with one Comprehend
  call per API);
- the events each record produces are sent together after the batch (ten per request), and a record whose events
  could not be sent is retried (every consumer's writes are idempotent, so a retry is safe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from shared.errors import ContractError, HarkError
from shared.events import Envelope
from shared.observability import count, get_logger, instrument

T = TypeVar("T")
P = TypeVar("P")
T_contra = TypeVar("T_contra", contravariant=True)
P_contra = TypeVar("P_contra", contravariant=True)
P_co = TypeVar("P_co", covariant=True)


class BatchWork(Protocol, Generic[T, P_contra]):
    service: str

    def parse(self, body: str) -> T:
        """The record's contract; raise `ContractError` for a body that can never be one."""

    def process(self, item: T, prepared: P_contra | None) -> Sequence[Envelope[Any]]:
        """Handle one record; raise to have it retried. Returns the events to send on."""


@runtime_checkable
class Preparing(Protocol, Generic[T_contra, P_co]):
    def prepare(self, items: Sequence[T_contra]) -> Sequence[P_co | Exception]:
        """Work done once for the whole batch, before any record; one result per item, in order."""


@runtime_checkable
class Batching(Protocol):
    def batch(self) -> AbstractContextManager[None]:
        """Around the records of one batch: what the work defers to the batch's end (merged counters) is done when
        the block ends, once for the whole batch instead of once per record."""


class Outbox(Protocol):
    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        """Send every envelope; the ids of those that could not be sent."""


class DeadLetters(Protocol):
    def park(self, body: str, *, message_id: str, reason: str, receive_count: int) -> None:
        """Put a record in the dead-letter queue with the reason it is there."""


@dataclass(frozen=True)
class Consumer(Generic[T, P]):
    work: BatchWork[T, P]
    outbox: Outbox | None
    dead_letters: DeadLetters
    max_receive_count: int

    def handler(self) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        """The Lambda handler: partial batch responses, log context, metrics flushed per call."""
        return instrument(self.work.service, self.consume)

    def consume(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType  # noqa: PLC0415
        from aws_lambda_powertools.utilities.parser.models import SqsRecordModel  # noqa: PLC0415

        records = list(event.get("Records", []))
        parsed: dict[str, T | Exception] = {}
        for record in records:
            try:
                parsed[record["messageId"]] = self.work.parse(record["body"])
            except Exception as exc:
                parsed[record["messageId"]] = exc
        valid = [(message_id, item) for message_id, item in parsed.items() if not isinstance(item, Exception)]
        results: Sequence[P | Exception | None] = [None] * len(valid)
        if valid and isinstance(self.work, Preparing):
            try:
                results = self.work.prepare([item for _, item in valid])
            except Exception as exc:  # the preparation itself failed: every record of the batch is retried
                results = [exc] * len(valid)
        prepared = {message_id: result for (message_id, _), result in zip(valid, results, strict=True)}
        produced: dict[str, Sequence[Envelope[Any]]] = {}

        def record_handler(record: SqsRecordModel) -> None:
            try:
                item = parsed[record.messageId]
                if isinstance(item, Exception):
                    raise item
                result = prepared[record.messageId]
                if isinstance(result, Exception):
                    raise result
                produced[record.messageId] = self.work.process(item, result)
            except Exception as exc:
                self._failed(record, exc)

        processor = BatchProcessor(event_type=EventType.SQS, model=SqsRecordModel, raise_on_entire_batch_failure=False)
        scope = self.work.batch() if isinstance(self.work, Batching) else nullcontext()
        with scope, processor(records=records, handler=record_handler, lambda_context=context):
            processor.process()
        response = processor.response()
        unsent = self._send(produced)
        if unsent:
            failures = response.setdefault("batchItemFailures", [])
            failures.extend({"itemIdentifier": message_id} for message_id in unsent)
        return dict(response)

    def _failed(self, record: Any, exc: Exception) -> None:
        """Park what will never succeed, or what has run out of receives; raise (retry) anything else."""
        receives = int(record.attributes.ApproximateReceiveCount)
        permanent = isinstance(exc, ContractError)
        logger = get_logger(self.work.service)
        reason = f"{type(exc).__name__}: {exc}"[:1000]
        logger.warning(
            "record failed",
            extra={
                "message_id": record.messageId,
                "receive_count": receives,
                "error": type(exc).__name__,
                "detail": str(exc)[:500],
                "permanent": permanent,
            },
        )
        count(self.work.service, "RecordsFailed")
        if permanent or receives >= self.max_receive_count:
            try:
                self.dead_letters.park(record.body, message_id=record.messageId, reason=reason, receive_count=receives)
            except HarkError as park_error:
                logger.error(
                    "could not park record", extra={"message_id": record.messageId, "error": park_error.detail}
                )
                raise exc from park_error
            count(self.work.service, "RecordsDeadLettered")
            return
        raise exc

    def _send(self, produced: dict[str, Sequence[Envelope[Any]]]) -> list[str]:
        """Send what the records produced; the ids of the records whose events did not all go."""
        pending = [(message_id, envelope) for message_id, envelopes in produced.items() for envelope in envelopes]
        if not pending:
            return []
        assert self.outbox is not None, f"{self.work.service} produced events but has no outbox"
        try:
            failed = set(self.outbox.publish([envelope for _, envelope in pending]))
        except HarkError as error:
            get_logger(self.work.service).warning("could not send events", extra={"error": error.detail})
            failed = {envelope.id for _, envelope in pending}
        unsent = sorted({message_id for message_id, envelope in pending if envelope.id in failed})
        if unsent:
            count(self.work.service, "EventsUnsent", len(unsent))
        return unsent
