"""The command center's reads through the real entry points against the moto server: the live feed (`after`)
follows the stored order with no gap and no repeat, and the overview counts each mention once, each first reply
when its clock stops."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from unittest.mock import ANY

import pytest

from services.respond import inbox_filter
from services.respond.store import Inbox
from shared.events import ClassifiedMention
from shared.settings import Settings
from shared.store.paging import encode_cursor, time_key
from tests.conftest import Aws
from tests.functional.conftest import Pipeline
from tests.functional.test_governance import Gov, gov  # noqa: F401 - the fixture, used by name
from tests.functional.test_workflow import Care, care  # noqa: F401 - the fixture, used by name
from tests.unit.test_tasks import classification, mention

T = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def stored(inbox: Inbox, native: str, at: datetime) -> str:
    item = mention(f"text {native}", native, thread_id=f"th-{native}")
    inbox.put(ClassifiedMention(mention=item, classification=classification(50)), None, at)
    return item.id


def test_the_feed_reads_forward_in_stored_order_without_gap_or_repeat(aws: Aws) -> None:
    inbox = Inbox(Settings.from_env(aws.env))
    start = encode_cursor(time_key(T))
    ids = [stored(inbox, f"n{i}", T + timedelta(seconds=i)) for i in range(1, 6)]
    # A mention stamped before the horizon but written after a reader passed that point would be lost by a
    # reader that followed the newest key; the horizon keeps the reader short of what may still be in flight.
    page = inbox.newer(after=start, until=T + timedelta(seconds=3, milliseconds=500), limit=2)
    assert [m.id for m in page.items] == ids[:2]
    page = inbox.newer(after=page.next_cursor or "", until=T + timedelta(seconds=3, milliseconds=500), limit=2)
    assert [m.id for m in page.items] == ids[2:3]  # stops at the horizon, not at the newest
    horizon_cursor = page.next_cursor or ""
    late = stored(inbox, "late", T + timedelta(seconds=3, milliseconds=700))  # lands after the read, behind none
    page = inbox.newer(after=horizon_cursor, until=T + timedelta(seconds=10), limit=50)
    assert [m.id for m in page.items] == [late, *ids[3:]]
    again = inbox.newer(after=page.next_cursor or "", until=T + timedelta(seconds=10), limit=50)
    assert again.items == []
    assert inbox.newer(after=again.next_cursor or "", until=T, limit=50).items == []  # a horizon behind: nothing


def test_the_live_feed_over_http_gives_each_new_mention_once(pipeline: Pipeline) -> None:
    first = pipeline.get("/v1/mentions?limit=10").get_json()
    cursor = first["feed_cursor"]
    assert cursor and first["items"] == []
    accepted = pipeline.submit({"native_id": "feed-1", "author": {"id": "c1"}, "text": "Where is my order?"})
    assert accepted.status_code == 202
    pipeline.flow()
    seen: list[str] = []
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and len(seen) < 1:
        page = pipeline.get(f"/v1/mentions?after={cursor}&limit=50").get_json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        time.sleep(0.3)
    for _ in range(3):
        page = pipeline.get(f"/v1/mentions?after={cursor}&limit=50").get_json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [accepted.get_json()["mentions"][0]["id"]]
    mixed = pipeline.get(f"/v1/mentions?after={cursor}&cursor={cursor}")
    assert mixed.status_code == 400
    assert pipeline.get("/v1/mentions?after=not-a-cursor!").status_code == 400


def test_the_overview_counts_each_mention_once_and_the_first_reply_when_it_is_sent(care: Care) -> None:  # noqa: F811
    first = care.github_issue(4801)
    care.github_issue(4801)  # redelivered: the same mention
    care.github_issue(4802)
    view = care.call("GET", "/v1/overview?hours=24", "carol").get_json()
    now = view["buckets"][-1]
    assert view["this_hour"] == now["mentions"] == 2
    assert now["by_network"] == {"github": 2} and now["needs_response"] == 2
    assert sum(now["by_sentiment"].values()) == sum(now["by_intent"].values()) == 2
    assert len(view["buckets"]) == 24 and view["first_response"]["stopped"] == 0

    tid = care.task_for(first)["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "alice")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "alice", {"text": "Hi Dana, Alice here: I've refunded the charge."})
    care.call("POST", f"/v1/tasks/{tid}/submit", "alice")
    care.call("POST", f"/v1/tasks/{tid}/approve", "carol")
    assert care.call("POST", f"/v1/tasks/{tid}/send", "alice").status_code == 200
    assert care.call("POST", f"/v1/tasks/{tid}/send", "alice").status_code == 200  # repeated: counted once
    view = care.call("GET", "/v1/overview", "carol").get_json()
    assert view["first_response"]["stopped"] == 1
    assert view["first_response"]["within_sla"] == 1
    assert view["first_response"]["median_s"] is not None and view["first_response"]["median_s"] <= 60
    assert care.call("GET", "/v1/overview?hours=500", "carol").status_code == 400
    assert care.call("GET", "/v1/overview", "zendesk").status_code == 200  # an agent key reads it too


def test_active_tasks_come_in_one_listing_without_the_closed_ones(care: Care) -> None:  # noqa: F811
    kept, done = care.task_for(care.github_issue(4811))["id"], care.task_for(care.github_issue(4812))["id"]
    assert care.call("POST", f"/v1/tasks/{done}/close", "alice").status_code == 200
    active = [t["id"] for t in care.call("GET", "/v1/tasks?active=true&limit=200", "carol").get_json()["items"]]
    assert kept in active and done not in active
    every = [t["id"] for t in care.call("GET", "/v1/tasks?limit=200", "carol").get_json()["items"]]
    assert {kept, done} <= set(every)


def test_the_author_panel_counts_everything_a_person_said_not_just_the_page(pipeline: Pipeline) -> None:
    for n in range(3):
        said = {"native_id": f"hist-{n}", "author": {"id": "regular-1"}, "thread_id": f"th-{n}", "text": f"Hi {n}"}
        assert pipeline.submit(said).status_code == 202
    assert pipeline.submit({"native_id": "hist-x", "author": {"id": "someone-else"}, "text": "Hi"}).status_code == 202
    pipeline.flow()
    one = pipeline.get("/v1/authors/generic/regular-1?limit=1").get_json()
    assert len(one["mentions"]) == 1 and one["next_cursor"]
    assert one["mention_count"] == 3
    assert pipeline.get("/v1/authors/generic/regular-1").get_json()["mention_count"] == 3
    assert pipeline.get("/v1/authors/generic/nobody-here").get_json()["mention_count"] == 0
    # The inbox's history count, for many people at once, keyed as asked.
    counts = pipeline.get("/v1/author-counts?authors=generic/regular-1,generic/someone-else,generic/nobody,nowhere/x")
    assert counts.status_code == 200, counts.text
    assert counts.get_json()["counts"] == {
        "generic/regular-1": 3,
        "generic/someone-else": 1,
        "generic/nobody": 0,
        "nowhere/x": 0,
    }
    for bad in ("", "generic", "generic/a,", ",".join(f"generic/p{n}" for n in range(51))):
        assert pipeline.get(f"/v1/author-counts?authors={bad}").status_code == 400, bad
    assert pipeline.get("/v1/author-counts?authors=generic/regular-1", api_key=None).status_code == 401


def test_the_inbox_filters_apply_to_every_stored_mention_and_read_on_in_bounded_calls(
    gov: Gov,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    oldest = gov.say("flt-0", "Needle-7 order arrived broken, write to me at jo.needle@example.com", author="jo-1")
    for n in range(1, 6):
        gov.say(f"flt-{n}", f"Just saying hi number {n}", author=f"fan-{n}")
    found = gov.call("GET", "/v1/mentions?q=needle-7&limit=50").get_json()
    assert [m["id"] for m in found["items"]] == [oldest] and found["next_cursor"] is None
    assert gov.call("GET", "/v1/mentions?q=nowhere-to-be-seen").get_json() == {
        "items": [],
        "next_cursor": None,
        "feed_cursor": ANY,
    }
    # A viewer's search sees what a viewer may read: the address is masked, so it finds nothing.
    assert gov.call("GET", "/v1/mentions?q=jo.needle@example.com", "vic").get_json()["items"] == []
    assert [m["id"] for m in gov.call("GET", "/v1/mentions?q=jo.needle@example.com").get_json()["items"]] == [oldest]

    # Filters on the conversation: its queue, who holds it.
    tid = gov.mention(oldest)["task_id"]
    assert gov.call("POST", f"/v1/tasks/{tid}/claim", "alice").status_code == 200
    held = gov.call("GET", "/v1/mentions?assignee=alice").get_json()["items"]
    assert [m["id"] for m in held] == [oldest]
    assert [m["id"] for m in gov.call("GET", "/v1/mentions?assignee=me", "alice").get_json()["items"]] == [oldest]
    assert gov.call("GET", "/v1/mentions?assignee=alice&queue=elsewhere").get_json()["items"] == []
    in_care = {m["id"] for m in gov.call("GET", "/v1/mentions?queue=care&limit=200").get_json()["items"]}
    assert oldest in in_care
    assert {
        m["classification"]["language"] for m in gov.call("GET", "/v1/mentions?language=en").get_json()["items"]
    } == {"en"}
    assert gov.call("GET", "/v1/mentions?sentiment=furious").status_code == 400
    assert gov.call("GET", "/v1/mentions?network=Not_A_Network").status_code == 400

    # Read in bounded calls: with a budget of two mentions per call, the oldest of six takes three calls or more.
    monkeypatch.setattr(inbox_filter, "SCAN_BUDGET", 2)
    cursor, pages = None, []
    while len(pages) < 10:
        page = gov.call("GET", "/v1/mentions?q=needle-7" + (f"&cursor={cursor}" if cursor else "")).get_json()
        pages.append([m["id"] for m in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None and [m for p in pages for m in p] == [oldest]
    assert len(pages) >= 3 and pages[0] == [] and pages[1] == []
