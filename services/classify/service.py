"""The classify domain: classify a batch, store each mention once, forward those that need a human."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.classify.pipeline import Classifier
from shared.errors import Unavailable
from shared.events import (
    Classification,
    ClassifiedMention,
    Envelope,
    Mention,
    MentionClassified,
    MentionReceived,
    StoredMention,
    parse_envelope,
    utcnow,
)
from shared.observability import count, get_logger

SERVICE = "classify"


class MentionWriter(Protocol):
    def save_classified(self, mention: Mention, classification: Classification) -> bool: ...
    def get(self, mention_id: str) -> StoredMention | None: ...
    def get_many(self, mention_ids: Sequence[str]) -> dict[str, StoredMention]: ...


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]: ...


class ClassifyService:
    service = SERVICE

    def __init__(
        self,
        classifier: Classifier,
        store: MentionWriter,
        publisher: Publisher,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.classifier = classifier
        self._store = store
        self._publisher = publisher
        self._clock = clock

    # BatchWork: parse / prepare / process
    def parse(self, body: str) -> MentionReceived:
        return parse_envelope(body, MentionReceived)

    def prepare(self, items: Sequence[MentionReceived]) -> Sequence[Classification | Exception]:
        """Classify the batch, except mentions already stored (redeliveries): they keep what they were given, and
        Comprehend is not paid twice for them."""
        stored = self._store.get_many([e.data.id for e in items])
        fresh = [e.data for e in items if not _classified(stored.get(e.data.id))]
        results = iter(self.classifier.classify(fresh, self._clock()) if fresh else [])
        out: list[Classification | Exception] = []
        for envelope in items:
            known = stored.get(envelope.data.id)
            if known is not None and known.classification is not None:
                out.append(known.classification)
            else:
                out.append(next(results))
        return out

    def process(self, envelope: MentionReceived, classification: Classification) -> None:
        self.store_and_route(envelope, classification)

    def store_and_route(self, envelope: MentionReceived, classification: Classification) -> Classification:
        mention = envelope.data
        if not self._store.save_classified(mention, classification):
            # A redelivery: what was stored the first time is what respond must see (and what was billed).
            stored = self._store.get(mention.id)
            if stored is not None and stored.classification is not None:
                classification = stored.classification
            count(SERVICE, "RedeliveriesSeen")
        else:
            count(SERVICE, "MentionsClassified")
            if classification.comprehend_units:
                count(SERVICE, "ComprehendUnits", classification.comprehend_units)
        if classification.needs_response:
            forward = MentionClassified.wrap(
                ClassifiedMention(mention=mention, classification=classification),
                correlation_id=envelope.correlation_id,
                producer=SERVICE,
                occurred_at=mention.created_at,
            )
            if self._publisher.publish([forward]):
                raise Unavailable("could not forward to the respond queue")
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
        return classification


def _classified(stored: StoredMention | None) -> bool:
    return stored is not None and stored.classification is not None
