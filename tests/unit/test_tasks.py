"""Task intake: one task per thread, routing by the config, clocks, the brand's own replies, edits, deletions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.respond.tasks import MAX_TASK_MENTIONS, absorb, brand_replied, deleted, edited, open_task
from shared.config import DEFAULT_FILE, HarkConfig, load_file
from shared.events import Author, Classification, Mention, MentionDeletion
from shared.ids import mention_id, task_id

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CONFIG: HarkConfig = load_file(DEFAULT_FILE).config


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
    task = open_task(first, classification(40), NOW, CONFIG)
    assert task.id == task_id("generic", "thread-1")
    assert (task.status, task.priority, task.queue, task.mention_ids) == ("open", 40, "care", (first.id,))
    assert task.due_at == NOW + timedelta(hours=24)
    assert [c.name for c in task.sla] == ["first_response", "resolution"]
    assert absorb(task, first, classification(40), NOW, CONFIG) is None  # a redelivery changes nothing

    later = mention("worse", "n2", received_at=NOW + timedelta(minutes=10))
    joined = absorb(task, later, classification(85), NOW + timedelta(minutes=10), CONFIG)
    assert joined is not None
    assert joined.mention_ids == (first.id, later.id)
    assert (joined.priority, joined.reasons, joined.reply_to) == (85, ("p85",), later.id)
    assert joined.mention_count == 2
    calmer = absorb(joined, mention("ok", "n3"), classification(10), NOW, CONFIG)
    assert calmer is not None
    assert (calmer.priority, calmer.reasons) == (85, ("p85",))


@pytest.mark.parametrize(("priority", "hours"), [(95, 1), (80, 1), (79, 4), (50, 4), (49, 24), (0, 24)])
def test_first_response_due_by_priority(priority: int, hours: int) -> None:
    assert open_task(mention(), classification(priority), NOW, CONFIG).due_at == NOW + timedelta(hours=hours)


def test_routing_follows_the_config_rules_in_order() -> None:
    assert open_task(mention(), classification(50, adverse_event=True), NOW, CONFIG).queue == "safety"
    assert open_task(mention(), classification(50, toxic=True), NOW, CONFIG).queue == "moderation"
    assert open_task(mention(), classification(50), NOW, CONFIG).queue == "care"


def test_a_later_adverse_event_moves_the_thread_to_safety_and_praise_does_not_move_it_back() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    moved = absorb(task, mention("my hands swell", "n2"), classification(90, adverse_event=True), NOW, CONFIG)
    assert moved is not None and moved.queue == "safety"
    stays = absorb(moved, mention("thanks", "n3"), classification(5), NOW, CONFIG)
    assert stays is not None and stays.queue == "safety"


def test_a_closed_task_reopens_soon_after_and_starts_a_new_cycle_much_later() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    closed = task.model_copy(update={"status": "closed", "closed_at": NOW + timedelta(hours=1)})
    reopened = absorb(closed, mention("again", "n9"), classification(40), NOW + timedelta(hours=2), CONFIG)
    assert reopened is not None
    assert (reopened.status, reopened.cycle) == ("open", 1)
    much_later = NOW + timedelta(days=30)
    fresh = absorb(closed, mention("new issue", "n10", received_at=much_later), classification(40), much_later, CONFIG)
    assert fresh is not None
    assert (fresh.status, fresh.cycle, fresh.mention_count) == ("open", 2, 2)
    assert fresh.sla[0].started_at == much_later


def test_the_brands_own_reply_stops_the_clock_and_the_next_customer_message_starts_another() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    reply = mention("We're on it", "b1", from_brand=True, created_at=NOW + timedelta(minutes=30))
    answered = brand_replied(task, reply, NOW + timedelta(minutes=31))
    assert answered is not None
    assert answered.status == "sent"
    assert answered.responded_at == NOW + timedelta(minutes=30)
    assert answered.sla[0].stopped_at == NOW + timedelta(minutes=30)
    assert answered.annotations[-1].kind == "brand_replied"
    assert brand_replied(answered, reply, NOW) is None  # the echo of the same reply
    back = NOW + timedelta(hours=2)
    again = absorb(answered, mention("still broken", "n2", received_at=back), classification(40), back, CONFIG)
    assert again is not None
    assert again.status == "open"
    assert again.sla[-1].name == "next_response"
    assert again.due_at == back + timedelta(hours=24)


def test_an_edit_updates_the_preview_and_a_deletion_annotates_once() -> None:
    first = mention("original", "n1")
    task = open_task(first, classification(40), NOW, CONFIG)
    changed = edited(task, mention("edited text", "n1", edited_at=NOW), classification(40), NOW)
    assert changed is not None and changed.preview.text == "edited text"
    gone = MentionDeletion(id=first.id, platform="generic", native_id="n1", deleted_at=NOW)
    marked = deleted(task, gone, NOW)
    assert marked is not None and marked.annotations[-1].kind == "mention_deleted"
    assert deleted(marked, gone, NOW) is None


def test_messenger_tasks_carry_the_platform_window() -> None:
    dm = mention("hello?", "m1", platform="meta", channel="messenger", kind="message")
    task = open_task(dm, classification(40), NOW, CONFIG)
    assert task.window is not None
    assert task.window_closes_at == NOW + timedelta(hours=24)
    assert task.window.tag_closes_at == NOW + timedelta(days=7)
    assert task.due_at <= task.window_closes_at


def test_a_long_thread_keeps_its_latest_mentions_and_a_count() -> None:
    task = open_task(mention("first", "n0"), classification(40), NOW, CONFIG)
    for n in range(1, MAX_TASK_MENTIONS + 50):
        updated = absorb(task, mention(f"again {n}", f"n{n}"), classification(40), NOW, CONFIG)
        assert updated is not None
        task = updated
    assert len(task.mention_ids) == MAX_TASK_MENTIONS
    assert task.mention_count == MAX_TASK_MENTIONS + 50
    assert task.mention_ids[-1] == mention("x", f"n{MAX_TASK_MENTIONS + 49}").id
