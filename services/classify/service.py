"""The classify core: classify each new mention (or new edit) once, store it, and tell respond.

Events in (classify queue): `mention.received` (new messages and edits), `mention.deleted`, `author.erased`.
Events out (respond queue): `mention.classified` for every mention stored for the first time, whether or not it
needs a human; `mention.updated` after an edit was classified again; `mention.deleted` and `author.erased` passed
on once this service has applied them to its own table.

A redelivery is classified from what is stored (Comprehend is not paid twice) and published again: the first
publication may be what failed, and respond drops what it already has. What a record produces is sent by the
consumer for the whole batch at once (`shared.consumer`), ten messages a request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.classify.pipeline import Classifier
from services.classify.store import Stored
from shared.events import (
    AuthorErased,
    Classification,
    ClassifiedMention,
    Envelope,
    Mention,
    MentionClassified,
    MentionDeleted,
    MentionDeletion,
    MentionReceived,
    MentionUpdated,
    parse_envelope,
    utcnow,
)
from shared.observability import count, get_logger

SERVICE = "classify"
ACCEPTS: tuple[type[Envelope[Any]], ...] = (MentionReceived, MentionDeleted, AuthorErased)


class Mentions(Protocol):
    def get_many(self, mention_ids: Sequence[str]) -> dict[str, Stored]: ...
    def get(self, mention_id: str) -> Stored | None: ...
    def save(self, mention: Mention, classification: Classification) -> bool: ...
    def mark_deleted(self, deletion: MentionDeletion) -> bool: ...
    def erase_author(self, platform: str, author_id: str) -> int: ...


def is_newer(mention: Mention, stored: Stored | None) -> bool:
    """Whether `mention` is news to the store: never seen, or an edit later than the stored one (and not deleted)."""
    if stored is None:
        return True
    if stored.deleted_at is not None or mention.edited_at is None:
        return False
    return stored.mention.edited_at is None or mention.edited_at > stored.mention.edited_at


class ClassifyService:
    service = SERVICE

    def __init__(
        self,
        classifier: Classifier,
        store: Mentions,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.classifier = classifier
        self._store = store
        self._clock = clock

    # BatchWork: parse / prepare / process
    def parse(self, body: str) -> Envelope[Any]:
        return parse_envelope(body, ACCEPTS)

    def prepare(self, items: Sequence[Envelope[Any]]) -> Sequence[Classification | Exception | None]:
        """Classify, in one pass over the batch, the mentions that are news; the rest keep what is stored."""
        arrivals = [e.data.mention for e in items if isinstance(e, MentionReceived)]
        stored = self._store.get_many([m.id for m in arrivals]) if arrivals else {}
        fresh = [m for m in arrivals if is_newer(m, stored.get(m.id))]
        results = dict(
            zip((m.id for m in fresh), self.classifier.classify(fresh, self._clock()) if fresh else [], strict=True)
        )
        out: list[Classification | Exception | None] = []
        for envelope in items:
            if not isinstance(envelope, MentionReceived):
                out.append(None)
                continue
            mention = envelope.data.mention
            known = stored.get(mention.id)
            out.append(results.get(mention.id, known.classification if known else None))
        return out

    def process(self, envelope: Envelope[Any], prepared: Classification | None) -> list[Envelope[Any]]:
        """Apply one event to the store; the events to send on (the consumer sends them for the whole batch)."""
        if isinstance(envelope, MentionReceived):
            assert prepared is not None
            return self.store(envelope, prepared)
        if isinstance(envelope, MentionDeleted):
            if self._store.mark_deleted(envelope.data):
                count(SERVICE, "MentionsDeleted")
            return [MentionDeleted.wrap(envelope.data, **_relay(envelope))]
        if isinstance(envelope, AuthorErased):
            erased = self._store.erase_author(envelope.data.platform, envelope.data.author_id)
            count(SERVICE, "MentionsErased", erased)
            # respond records the erasure: it learns here what classify erased.
            relayed = envelope.data.model_copy(update={"classified_mentions": erased})
            return [AuthorErased.wrap(relayed, **_relay(envelope))]
        return []

    def store(self, envelope: MentionReceived, classification: Classification) -> list[Envelope[Any]]:
        mention = envelope.data.mention
        event: type[MentionClassified | MentionUpdated]
        if self._store.save(mention, classification):
            event = MentionUpdated if mention.edited_at else MentionClassified
            count(SERVICE, "MentionsReclassified" if mention.edited_at else "MentionsClassified")
            if classification.comprehend_units:
                count(SERVICE, "ComprehendUnits", classification.comprehend_units)
            # What the crisis and safety alarms watch (infra/monitoring.py).
            if not mention.edited_at and classification.sentiment == "negative":
                count(SERVICE, "MentionsNegative")
            if not mention.edited_at and classification.adverse_event:
                count(SERVICE, "AdverseEventsSuspected")
        else:
            # A redelivery, a late copy of an older edit, or a deleted message: respond sees what is stored.
            stored = self._store.get(mention.id)
            count(SERVICE, "RedeliveriesSeen")
            if stored is None or stored.deleted_at is not None:
                return []
            mention, classification = stored.mention, stored.classification
            event = MentionUpdated if mention.edited_at else MentionClassified
        if classification.needs_response:
            count(SERVICE, "MentionsNeedingResponse")
        get_logger(SERVICE).info(
            "mention classified",
            extra={
                "mention_id": mention.id,
                "correlation_id": envelope.correlation_id,
                "platform": mention.platform,
                "intent": classification.intent,
                "needs_response": classification.needs_response,
                "priority": classification.priority,
                "analyzer": classification.analyzer,
                "comprehend_units": classification.comprehend_units,
            },
        )
        return [
            event.wrap(
                ClassifiedMention(mention=mention, classification=classification),
                correlation_id=envelope.correlation_id,
                producer=SERVICE,
                occurred_at=mention.edited_at or mention.created_at,
            )
        ]


def _relay(envelope: Envelope[Any]) -> dict[str, Any]:
    return {"correlation_id": envelope.correlation_id, "producer": SERVICE, "occurred_at": envelope.occurred_at}
