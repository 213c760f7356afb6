"""The overview's counters (pure): what a new mention and a stopped SLA clock add, and the overview made of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.respond import stats
from shared.events import ClassifiedMention, SlaClock, Task, TaskPreview
from tests.unit.test_tasks import classification, mention

T = datetime(2026, 12, 1, 22, 15, tzinfo=UTC)


def counted(counts: dict[stats.Slot, int]) -> dict[str, int]:
    """Slots without their day and shard."""
    return {slot.slot: n for slot, n in counts.items()}


def test_a_new_mention_counts_under_its_hour_network_sentiment_intent_and_need() -> None:
    whatsapp = mention("hola", channel="whatsapp", platform="meta")
    counts = stats.mention_counts(ClassifiedMention(mention=whatsapp, classification=classification(60)), T)
    assert counted(counts) == {
        "22#all": 1,
        "22#net:whatsapp": 1,
        "22#sent:negative": 1,
        "22#intent:complaint": 1,
        "22#needs": 1,
        "day#all": 1,
    }
    [day] = {slot.day for slot in counts}
    assert day.startswith("2026-12-01#") and int(day.split("#")[1]) in range(stats.STATS_SHARDS)
    quiet = ClassifiedMention(mention=mention("thanks"), classification=classification(0, needs_response=False))
    assert "22#needs" not in counted(stats.mention_counts(quiet, T))
    assert "22#net:generic" in counted(stats.mention_counts(quiet, T))


def task(*clocks: SlaClock) -> Task:
    return Task(
        id="t_aaaaaaaaaaaaaaaaaaaaaaaaaa",
        status="open",
        priority=50,
        queue="care",
        mention_ids=("m1",),
        due_at=T,
        platform="generic",
        thread_id="th",
        preview=TaskPreview(author="jo", text="hi", url=None),
        created_at=T,
        updated_at=T,
        sla=clocks,
    )


def clock(name: str, started: datetime, due: datetime, stopped: datetime | None = None) -> SlaClock:
    return SlaClock.model_validate({"name": name, "started_at": started, "due_at": due, "stopped_at": stopped})


def test_a_clock_is_counted_once_when_it_stops_with_its_duration_and_whether_in_time() -> None:
    running = clock("first_response", T, T + timedelta(hours=1))
    answered = clock("first_response", T, T + timedelta(hours=1), T + timedelta(minutes=10))
    counts = counted(stats.clock_counts(task(running), task(answered)))
    assert counts == {"22#first_response:n": 1, "22#first_response:b2": 1, "22#first_response:ok": 1}
    # The same stopped clock seen again (another change to the task) is not counted again.
    assert stats.clock_counts(task(answered), task(answered)) == {}
    late = clock("resolution", T, T + timedelta(hours=1), T + timedelta(hours=3))
    assert counted(stats.clock_counts(task(), task(late))) == {"01#resolution:n": 1, "01#resolution:b6": 1}
    # A new cycle's clock of the same name is another clock.
    second = clock("first_response", T + timedelta(days=1), T + timedelta(days=1, hours=1), T + timedelta(days=1))
    assert counted(stats.clock_counts(task(answered), task(answered, second)))["22#first_response:n"] == 1


@pytest.mark.parametrize(
    ("histogram", "q", "expected"),
    [
        ({2: 10}, 0.5, 600.0),  # all between 5 and 15 minutes: the middle of the bucket
        ({0: 1, 4: 1}, 0.5, 60.0),
        ({0: 9, 5: 1}, 0.9, 60.0),
        ({10: 3}, 0.5, 259200.0),  # the open bucket answers with its lower bound
        ({}, 0.5, None),
    ],
)
def test_quantiles_interpolate_within_their_bucket(histogram: dict[int, int], q: float, expected: float | None) -> None:
    assert stats.quantile(histogram, q) == expected


def test_the_overview_has_every_hour_and_the_usual_counts_quiet_hours_of_counted_days() -> None:
    now = T
    top = stats.top_of_hour(now)
    rows = [("2026-12-01#0", "22#all", 3), ("2026-12-01#3", "22#all", 2), ("2026-12-01#1", "21#net:github", 4)]
    rows += [("2026-12-01#0", "22#first_response:n", 2), ("2026-12-01#0", "22#first_response:ok", 1)]
    rows += [("2026-12-01#0", "22#first_response:b1", 2), ("2026-12-01#0", "garbage", 1)]
    yesterday, two_days = top - timedelta(days=1), top - timedelta(days=2)
    previous = {
        stats.Slot(f"{yesterday:%Y-%m-%d}#2", "22#all"): 6,
        stats.Slot(f"{yesterday:%Y-%m-%d}#2", stats.DAY_SLOT): 40,
        stats.Slot(f"{two_days:%Y-%m-%d}#0", stats.DAY_SLOT): 10,  # counted that day, nothing at 22:00
    }
    view = stats.overview(rows, previous, now, 24)
    assert len(view.buckets) == 24
    assert view.buckets[-1].start == top and view.buckets[0].start == top - timedelta(hours=23)
    assert view.this_hour == view.buckets[-1].mentions == 5
    assert view.buckets[-2].by_network == {"github": 4}
    assert sum(b.mentions for b in view.buckets[:-1]) == 0
    assert view.usual_this_hour == 3.0  # (6 + 0) / 2 counted days
    assert (view.first_response.stopped, view.first_response.within_sla) == (2, 1)
    assert view.first_response.median_s == 180.0
    assert stats.overview([], {}, now, 3).usual_this_hour is None


def test_the_days_a_window_reads_span_midnight_for_every_shard() -> None:
    days = stats.days_between(T - timedelta(hours=23), T)
    assert days == [f"2026-11-30#{s}" for s in range(4)] + [f"2026-12-01#{s}" for s in range(4)]


def test_a_viewer_gets_personal_data_masked_in_mentions_and_task_previews() -> None:
    from services.respond import privacy
    from services.respond.tasks import _preview
    from shared.auth import Principal
    from shared.events import PiiSpan, StoredMention

    text = "mail jo@example.com now"
    spans = (PiiSpan(type="EMAIL", start=5, end=19),)
    stored = StoredMention(**mention(text).model_dump(), classification=classification(50, pii=spans))
    viewer = Principal("vera", frozenset({"viewer"}), "k_v")
    agent = Principal("ana", frozenset({"agent"}), "k_a")
    assert privacy.mention_for(viewer, stored).text == "mail •••••••••••••• now"
    assert privacy.mention_for(agent, stored).text == text
    preview = _preview(mention(text * 20), classification(50, pii=(PiiSpan(type="EMAIL", start=270, end=300),)))
    assert [(s.start, s.end) for s in preview.pii] == [(270, 280)]  # cut where the preview ends
    shown = privacy.task_for(viewer, task().model_copy(update={"preview": preview}))
    assert set(shown.preview.text[270:]) == {"•", " "} and shown.preview.text[:270] == preview.text[:270]
    assert privacy.task_for(agent, task().model_copy(update={"preview": preview})).preview == preview


def test_a_batch_merges_its_counts_into_one_shard_and_keeps_every_number() -> None:
    pending = stats.Pending()
    alone: dict[stats.Slot, int] = {}
    for n in range(10):
        one = ClassifiedMention(mention=mention("where is my order", native=f"n{n}"), classification=classification(60))
        counts = stats.mention_counts(one, T + timedelta(seconds=n))
        pending.add(counts, T + timedelta(seconds=n))
        for slot, k in counts.items():
            alone[slot] = alone.get(slot, 0) + k
    assert len({slot.day for slot in alone}) > 1  # ten ids land on several shards when counted one by one
    assert len({slot.day for slot in pending.counts}) == 1
    assert len(pending.counts) == len(counted(alone)) == 6  # one write per slot instead of 60
    assert counted(pending.counts)["22#all"] == 10 and sum(pending.counts.values()) == sum(alone.values())
    assert pending.now == T + timedelta(seconds=9)
