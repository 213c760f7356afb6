"""The classify core with an in-memory store that behaves like the DynamoDB one (conditional on revision and
deletion): store each mention once, tell respond about every one, never classify (or pay Comprehend for) a
redelivered mention twice, apply edits and deletions, erase people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from services.classify.service import ClassifyService
from services.classify.store import Stored
from shared.events import (
    Arrival,
    Author,
    AuthorErased,
    AuthorErasure,
    Classification,
    Envelope,
    Mention,
    MentionClassified,
    MentionDeleted,
    MentionDeletion,
    MentionReceived,
    MentionUpdated,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def mention(native_id: str, text: str, edited_at: datetime | None = None, author: str = "a") -> Mention:
    return Mention(
        id=f"m_{native_id}", platform="generic", channel="t", kind="comment", native_id=native_id,
        thread_id=native_id, author=Author(id=author), text=text, created_at=NOW, received_at=NOW, edited_at=edited_at,
    )  # fmt: skip


def received(m: Mention) -> MentionReceived:
    return MentionReceived.wrap(Arrival(mention=m), correlation_id="c", producer="test", occurred_at=NOW)


def classification(needs: bool, priority: int = 60) -> Classification:
    return Classification(
        language="en", sentiment="negative", sentiment_score=0.9, intent="complaint" if needs else "praise",
        toxic=False, needs_response=needs, priority=priority, analyzer="fake", classified_at=NOW,
    )  # fmt: skip


class FakeClassifier:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(self, mentions: Sequence[Mention], now: datetime) -> list[Classification | Exception]:
        self.seen += [m.text for m in mentions]
        return [
            RuntimeError("model failed") if "boom" in m.text else classification("refund" in m.text) for m in mentions
        ]


class FakeStore:
    """Keeps what `MentionStore` keeps, under the same conditions."""

    def __init__(self) -> None:
        self.items: dict[str, Stored] = {}

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, Stored]:
        return {i: self.items[i] for i in mention_ids if i in self.items}

    def get(self, mention_id: str) -> Stored | None:
        return self.items.get(mention_id)

    def save(self, m: Mention, c: Classification) -> bool:
        known = self.items.get(m.id)
        revision = m.edited_at.isoformat() if m.edited_at else ""
        if known is not None:
            stored_revision = known.mention.edited_at.isoformat() if known.mention.edited_at else ""
            if known.deleted_at is not None or not stored_revision < revision:
                return False
        self.items[m.id] = Stored(m, c)
        return True

    def mark_deleted(self, deletion: MentionDeletion) -> bool:
        known = self.items.get(deletion.id)
        if known is None or known.deleted_at is not None:
            return False
        self.items[deletion.id] = Stored(known.mention, known.classification, deletion.deleted_at)
        return True

    def erase_author(self, platform: str, author_id: str) -> int:
        gone = [k for k, v in self.items.items() if (v.mention.platform, v.mention.author.id) == (platform, author_id)]
        for key in gone:
            del self.items[key]
        return len(gone)


def run(service: ClassifyService, *envelopes: Envelope[Any]) -> list[Envelope[Any] | Exception]:
    """What the consumer does with a batch: prepare once, then process each record."""
    out: list[Envelope[Any] | Exception] = []
    for envelope, prepared in zip(envelopes, service.prepare(list(envelopes)), strict=True):
        if isinstance(prepared, Exception):
            out.append(prepared)
            continue
        out.extend(service.process(envelope, prepared))
    return out


def parts() -> tuple[ClassifyService, FakeClassifier, FakeStore]:
    classifier, store = FakeClassifier(), FakeStore()
    return ClassifyService(classifier, store, clock=lambda: NOW), classifier, store  # type: ignore[arg-type]


def test_every_new_mention_is_stored_once_and_told_to_respond_whether_or_not_it_needs_a_human() -> None:
    service, classifier, store = parts()
    out = run(service, received(mention("1", "I want a refund")), received(mention("2", "love it")))
    assert [type(e) for e in out] == [MentionClassified, MentionClassified]
    assert [e.data.classification.needs_response for e in out if isinstance(e, MentionClassified)] == [True, False]
    assert set(store.items) == {"m_1", "m_2"}
    assert classifier.seen == ["I want a refund", "love it"]


def test_a_redelivery_is_not_classified_again_but_is_told_again() -> None:
    service, classifier, store = parts()
    run(service, received(mention("1", "I want a refund")))
    first = store.items["m_1"].classification
    again = run(service, received(mention("1", "I want a refund")))
    assert classifier.seen == ["I want a refund"]  # Comprehend is not paid twice
    [event] = again
    assert isinstance(event, MentionClassified)
    assert event.data.classification == first  # respond sees what was stored, and drops it as a repeat


def test_a_failed_classification_fails_only_its_record() -> None:
    service, _, store = parts()
    out = run(service, received(mention("1", "boom")), received(mention("2", "refund please")))
    assert isinstance(out[0], RuntimeError)
    assert isinstance(out[1], MentionClassified)
    assert set(store.items) == {"m_2"}


def test_an_edit_is_classified_again_and_a_late_older_copy_changes_nothing() -> None:
    service, classifier, store = parts()
    run(service, received(mention("1", "love it")))
    edit = mention("1", "actually I want a refund", edited_at=NOW + timedelta(minutes=5))
    [updated] = run(service, received(edit))
    assert isinstance(updated, MentionUpdated)
    assert updated.data.classification.needs_response is True
    assert store.items["m_1"].mention.text == "actually I want a refund"
    [late] = run(service, received(mention("1", "love it")))
    assert classifier.seen == ["love it", "actually I want a refund"]
    assert isinstance(late, MentionUpdated)  # what is stored is the edit
    assert late.data.mention.text == "actually I want a refund"


def test_a_deletion_is_applied_then_passed_on_and_nothing_resurrects_the_message() -> None:
    service, _, store = parts()
    run(service, received(mention("1", "I want a refund")))
    deletion = MentionDeletion(id="m_1", platform="generic", native_id="1", deleted_at=NOW)
    [relayed] = run(service, MentionDeleted.wrap(deletion, correlation_id="c", producer="ingest", occurred_at=NOW))
    assert isinstance(relayed, MentionDeleted)
    assert relayed.producer == "classify"
    assert store.items["m_1"].deleted_at == NOW
    assert run(service, received(mention("1", "I want a refund"))) == []


def test_an_erasure_deletes_the_person_and_is_passed_on() -> None:
    service, _, store = parts()
    run(service, received(mention("1", "hi", author="x")), received(mention("2", "hello", author="y")))
    erasure = AuthorErasure(erasure_id="e1", platform="generic", author_id="x", requested_by="dpo", requested_at=NOW)
    [relayed] = run(service, AuthorErased.wrap(erasure, correlation_id="c", producer="ingest", occurred_at=NOW))
    assert isinstance(relayed, AuthorErased)
    assert set(store.items) == {"m_2"}


def test_a_redelivered_edit_is_not_classified_again() -> None:
    service, classifier, _ = parts()
    run(service, received(mention("1", "love it")))
    edit = mention("1", "actually I want a refund", edited_at=NOW + timedelta(minutes=5))
    run(service, received(edit))
    [again] = run(service, received(edit))
    assert classifier.seen == ["love it", "actually I want a refund"]
    assert isinstance(again, MentionUpdated)
