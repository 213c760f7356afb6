"""SQS consumers: Powertools `BatchProcessor` with partial batch responses, plus a batch-wide preparation step
(classify analyses a whole batch in one Comprehend call per API before any record is processed).

A record that fails (bad envelope, failed analysis, failed write) is reported in `batchItemFailures`; SQS makes it
visible again after the visibility timeout, and after `maxReceiveCount` receives it moves to the dead-letter queue.
The other records of the batch are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from shared.observability import count, get_logger, instrument

T = TypeVar("T")
P = TypeVar("P")


class BatchWork(Protocol, Generic[T, P]):
    service: str

    def parse(self, body: str) -> T:
        """Raise for a body that is not this consumer's contract."""

    def prepare(self, items: Sequence[T]) -> Sequence[P | Exception]:
        """Work done once for the whole batch; one result per item, in order."""

    def process(self, item: T, prepared: P) -> None:
        """Handle one record; raise to have it retried."""


def sqs_handler(work: BatchWork[T, P]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of an SQS consumer: partial batch responses, log context, metrics flushed per call."""
    return instrument(work.service, lambda event, context: consume(event, context, work))


def consume(event: dict[str, Any], context: Any, work: BatchWork[T, P]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (  # noqa: PLC0415
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord  # noqa: PLC0415

    logger = get_logger(work.service)
    parsed: dict[str, T | Exception] = {}
    for record in event.get("Records", []):
        try:
            parsed[record["messageId"]] = work.parse(record["body"])
        except Exception as exc:
            parsed[record["messageId"]] = exc
    valid = [(message_id, item) for message_id, item in parsed.items() if not isinstance(item, Exception)]
    try:
        prepared_list: Sequence[P | Exception] = work.prepare([item for _, item in valid]) if valid else []
    except Exception as exc:  # the preparation itself failed: every record of the batch is retried
        prepared_list = [exc] * len(valid)
    prepared = {message_id: result for (message_id, _), result in zip(valid, prepared_list, strict=True)}

    def record_handler(record: SQSRecord) -> None:
        item = parsed[record.message_id]
        try:
            if isinstance(item, Exception):
                raise item
            result = prepared[record.message_id]
            if isinstance(result, Exception):
                raise result
            work.process(item, result)
        except Exception as exc:
            count(work.service, "RecordsFailed")
            logger.warning(
                "record failed",
                extra={
                    "message_id": record.message_id,
                    "receive_count": record.attributes.approximate_receive_count,
                    "error": type(exc).__name__,
                    "detail": str(exc)[:500],
                },
            )
            raise

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
