"""Recognising redeliveries: a conditional write per platform message id, remembered for the retry window.

A key is first *claimed* with a short lease, then *confirmed* once its mention is on the queue (kept for the
platform's retry window), or *released* if enqueueing failed. A claim whose lease ran out (the function died in
between) can be claimed again, so a crash never turns a message into a false duplicate; DynamoDB's TTL deletes
expired keys, and the condition treats an expired key as absent because TTL deletion lags by up to two days.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DeleteError, PutError

from shared.aws import translate_errors
from shared.errors import Unavailable
from shared.events import utcnow
from shared.settings import Settings
from shared.store.models import DedupeRecord, bind, is_conditional_failure

LEASE = timedelta(minutes=2)


class InFlight(Unavailable):
    slug = "delivery-in-progress"
    title = "The same message is being enqueued by another delivery; retry shortly"


class DynamoDedupe:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def claim(self, key: str, mention_id: str) -> bool:
        """True when this delivery is the first (or the first since an abandoned claim); False when it was already
        enqueued. Raises Unavailable while another delivery of the same message is still being enqueued: that one
        may yet fail, so this one must not be acknowledged as a duplicate."""
        now = utcnow()
        record = DedupeRecord(key=key, state="pending", expires_at=now + LEASE, mention_id=mention_id)
        with translate_errors("claim delivery"):
            try:
                record.save(condition=DedupeRecord.key.does_not_exist() | (DedupeRecord.expires_at < now))
            except PutError as exc:
                if not is_conditional_failure(exc):
                    raise
                current = DedupeRecord.get(key, consistent_read=True)
                if current.state == "pending":
                    raise InFlight(f"another delivery of {mention_id} is being enqueued; retry") from exc
                return False
        return True

    def confirm(self, key: str, ttl_s: int) -> None:
        with translate_errors("confirm delivery"):
            DedupeRecord(key=key).update(
                actions=[
                    DedupeRecord.state.set("done"),
                    DedupeRecord.expires_at.set(utcnow() + timedelta(seconds=ttl_s)),
                ]
            )

    def release(self, key: str) -> None:
        with translate_errors("release delivery"):
            try:
                DedupeRecord(key=key).delete(condition=DedupeRecord.state == "pending")
            except DeleteError as exc:
                if not is_conditional_failure(exc):  # already confirmed or gone: nothing to undo
                    raise
