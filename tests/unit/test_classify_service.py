"""The classify domain with in-memory fakes: store once, forward what needs a human, never classify (or pay
Comprehend for) a redelivered mention twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from services.classify.service import ClassifyService
from shared.errors import Unavailable
from shared.events import Author, Classification, Envelope, Mention, MentionClassified, MentionReceived, StoredMention

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def envelope(native_id: str, text: str) -> MentionReceived:
    mention = Mention(
        id=f"m_{native_id}", platform="generic", channel="t", kind="comment", native_id=native_id,
        thread_id=native_id, author=Author(id="a"), text=text, created_at=NOW, received_at=NOW,
    )  # fmt: skip
    return MentionReceived.wrap(mention, correlation_id="c", producer="test", occurred_at=NOW)


def classification(needs: bool, priority: int = 60) -> Classification:
    return Classification(
        language="en", sentiment="negative", sentiment_score=0.9, intent="complaint" if needs else "praise",
        toxic=False, needs_response=needs, priority=priority, analyzer="fake", classified_at=NOW,
    )  # fmt: skip


class FakeClassifier:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(self, mentions: Sequence[Mention], now: datetime) -> list[Classification | Exception]:
        self.seen += [m.id for m in mentions]
        return [
            RuntimeError("model failed") if "boom" in m.text else classification("refund" in m.text) for m in mentions
        ]


class FakeStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredMention] = {}

    def save_classified(self, mention: Mention, c: Classification) -> bool:
        if mention.id in self.items:
            return False
        self.items[mention.id] = StoredMention(**mention.model_dump(), classification=c)
        return True

    def get(self, mention_id: str) -> StoredMention | None:
        return self.items.get(mention_id)

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, StoredMention]:
        return {i: self.items[i] for i in mention_ids if i in self.items}


class FakePublisher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[MentionClassified] = []
        self.fail = fail

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        if self.fail:
            return [e.id for e in envelopes]
        self.sent += [e for e in envelopes if isinstance(e, MentionClassified)]
        return []


def test_store_once_forward_needs_and_skip_redeliveries() -> None:
    classifier, store, publisher = FakeClassifier(), FakeStore(), FakePublisher()
    service = ClassifyService(classifier, store, publisher, clock=lambda: NOW)  # type: ignore[arg-type]
    batch = [envelope("1", "I want a refund"), envelope("2", "lovely"), envelope("3", "boom")]
    results = service.prepare(batch)
    assert isinstance(results[2], RuntimeError)
    for item, result in zip(batch[:2], results[:2], strict=True):
        service.process(item, result)  # type: ignore[arg-type]
    assert set(store.items) == {"m_1", "m_2"}
    assert [e.data.mention.id for e in publisher.sent] == ["m_1"]

    again = service.prepare([batch[0], envelope("4", "another refund")])
    assert classifier.seen == ["m_1", "m_2", "m_3", "m_4"]  # m_1 was not classified a second time
    assert again[0] == store.items["m_1"].classification
    service.process(batch[0], again[0])  # type: ignore[arg-type]
    assert len(store.items) == 2
    assert [e.data.mention.id for e in publisher.sent] == ["m_1", "m_1"]  # respond absorbs the repeat


def test_a_failed_forward_fails_the_record() -> None:
    service = ClassifyService(FakeClassifier(), FakeStore(), FakePublisher(fail=True), clock=lambda: NOW)  # type: ignore[arg-type]
    item = envelope("1", "I want a refund")
    [result] = service.prepare([item])
    with pytest.raises(Unavailable):
        service.process(item, result)  # type: ignore[arg-type]
