from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.respond.tasks import absorb, first_response_sla, open_task, route
from shared.events import Author, Classification, Mention
from shared.ids import mention_id, task_id

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def mention(text: str = "hi", native: str = "n1", **fields: object) -> Mention:
    values: dict[str, object] = {
        "id": mention_id("generic", native),
        "platform": "generic",
        "channel": "generic.api",
        "kind": "comment",
        "native_id": native,
        "thread_id": "thread-1",
        "author": Author(id="a1", handle="jo"),
        "text": text,
        "created_at": NOW,
        "received_at": NOW,
    }
    values.update(fields)
    return Mention.model_validate(values)


def classification(priority: int, **fields: object) -> Classification:
    values: dict[str, object] = {
        "language": "en",
        "sentiment": "negative",
        "sentiment_score": 0.9,
        "intent": "complaint",
        "toxic": False,
        "needs_response": True,
        "priority": priority,
        "reasons": (f"p{priority}",),
        "analyzer": "local",
        "classified_at": NOW,
    }
    values.update(fields)
    return Classification.model_validate(values)


def test_a_thread_opens_one_task_and_later_mentions_join_it() -> None:
    first = mention("first", "n1")
    task = open_task(first, classification(40), NOW)
    assert task.id == task_id("generic", "thread-1")
    assert (task.status, task.priority, task.queue, task.mention_ids) == ("open", 40, "care", (first.id,))
    assert task.due_at == NOW + timedelta(hours=24)
    assert absorb(task, first, classification(40), NOW) is None  # a redelivery changes nothing

    later = mention("worse", "n2", received_at=NOW + timedelta(minutes=10))
    joined = absorb(task, later, classification(85), NOW + timedelta(minutes=10))
    assert joined is not None
    assert joined.mention_ids == (first.id, later.id)
    assert joined.priority == 85
    assert joined.reasons == ("p85",)
    assert joined.due_at == NOW + timedelta(minutes=10) + timedelta(hours=1)

    assert joined.mention_count == 2
    calmer = absorb(joined, mention("ok", "n3"), classification(10), NOW)
    assert calmer is not None
    assert (calmer.priority, calmer.reasons, calmer.due_at) == (85, ("p85",), joined.due_at)


def test_a_closed_task_reopens_when_the_thread_speaks_again() -> None:
    task = open_task(mention(), classification(40), NOW).model_copy(update={"status": "closed"})
    reopened = absorb(task, mention("again", "n9"), classification(40), NOW)
    assert reopened is not None
    assert reopened.status == "open"


@pytest.mark.parametrize(("priority", "hours"), [(95, 1), (80, 1), (79, 4), (50, 4), (49, 24), (0, 24)])
def test_first_response_sla_by_priority(priority: int, hours: int) -> None:
    assert first_response_sla(priority) == timedelta(hours=hours)


def test_routing_sends_safety_and_moderation_cases_to_their_queues() -> None:
    assert route(mention(), classification(50, adverse_event=True)) == "safety"
    assert route(mention(), classification(50, toxic=True)) == "moderation"
    assert route(mention(), classification(50)) == "care"


def test_a_long_thread_keeps_its_latest_mentions_and_a_count() -> None:
    from services.respond.tasks import MAX_TASK_MENTIONS

    task = open_task(mention("first", "n0"), classification(40), NOW)
    for n in range(1, MAX_TASK_MENTIONS + 50):
        updated = absorb(task, mention(f"again {n}", f"n{n}"), classification(40), NOW)
        assert updated is not None
        task = updated
    assert len(task.mention_ids) == MAX_TASK_MENTIONS
    assert task.mention_count == MAX_TASK_MENTIONS + 50
    assert task.mention_ids[-1] == mention("x", f"n{MAX_TASK_MENTIONS + 49}").id
