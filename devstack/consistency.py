"""What the embedded emulator must do as DynamoDB does when writers race.

DynamoDB applies each request to an item atomically: a conditional write is checked and applied as one step, so of
two `attribute_not_exists(id)` puts of the same key exactly one succeeds, and a read never sees half an update.
moto's server runs each request on its own thread and evaluates the condition, then writes, with nothing in
between held: measured here, 16 concurrent conditional puts of one key let two through for about one key in a
hundred. Hark's "nothing doubled" rests on those conditions, so the local stack (and the tests' emulator) runs each
DynamoDB request under one lock. That is stricter than DynamoDB (which serialises per item, not per table), and
changes no result a single writer sees.

SQS too: moto's server lets racing requests change one queue's messages at once. Two receivers of a message past
its `maxReceiveCount` both try to move it to the dead-letter queue and the second fails with a 500 (measured: 5
to 9 receives in about 320 answered 500, with eight receivers polling a queue with a redrive policy; botocore's
retries hide most of them); and, from reading moto's code, a delete rebuilds the queue's list while a send may be
appending to the old one. The local stack runs each SQS action that reads or changes messages under a lock of
its own, and a long poll waits outside it (one short receive at a time under the lock, waiting for a message in
between), so a receiver waiting for messages holds nobody up.
"""

from __future__ import annotations

import threading
import time
from typing import Any

_PATCHED = "_hark_atomic"
_lock = threading.RLock()
_sqs_lock = threading.RLock()
# The SQS backend's actions that read or change a queue's messages (a batch call goes through the single one).
_SQS_ACTIONS = (
    "send_message",
    "delete_message",
    "change_message_visibility",
    "purge_queue",
    "get_queue_attributes",
    "delete_queue",
)


def atomic_dynamodb() -> None:
    """Make every DynamoDB request to moto atomic. Idempotent; safe before or after the server starts."""
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415

    call = DynamoHandler.call_action
    if getattr(call, _PATCHED, False):
        return

    def call_action(handler: Any) -> Any:
        with _lock:
            return call(handler)

    setattr(call_action, _PATCHED, True)
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def atomic_sqs() -> None:
    """Make each SQS action on moto's queues atomic; a long poll waits between short receives, outside the lock.
    Idempotent; safe before or after the server starts."""
    from moto.sqs.models import SQSBackend  # noqa: PLC0415

    for name in _SQS_ACTIONS:
        action = getattr(SQSBackend, name)
        if not getattr(action, _PATCHED, False):
            setattr(SQSBackend, name, _locked(action))
    receive = SQSBackend.receive_message
    if getattr(receive, _PATCHED, False):
        return

    def receive_message(
        backend: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> Any:
        deadline = time.monotonic() + (wait_seconds_timeout or 0)
        while True:
            with _sqs_lock:
                received = receive(backend, queue_name, count, 0, visibility_timeout, message_attribute_names)
            remaining = deadline - time.monotonic()
            if received or remaining <= 0:
                return received
            # Woken by a send; a queue whose messages are all in flight would wake it at once, so wait a little.
            backend.get_queue(queue_name).wait_for_messages(min(1.0, remaining))
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    setattr(receive_message, _PATCHED, True)
    SQSBackend.receive_message = receive_message  # type: ignore[method-assign,assignment]


def _locked(action: Any) -> Any:
    def under_lock(*args: Any, **kwargs: Any) -> Any:
        with _sqs_lock:
            return action(*args, **kwargs)

    setattr(under_lock, _PATCHED, True)
    return under_lock
