"""The inbox's filters as respond applies them: what matches, and reading a long history in bounded calls that
neither repeat nor skip a mention."""

from __future__ import annotations

import random

import pytest

from services.respond.inbox_filter import MentionFilter, matches, take
from shared.events import Author, StoredMention
from tests.unit.test_tasks import classification, mention


def stored(native: str, text: str = "hi", **fields: object) -> StoredMention:
    c = fields.pop("classification", classification(50))
    task_id = fields.pop("task_id", None)
    return StoredMention(**mention(text, native, **fields).model_dump(), classification=c, task_id=task_id)


def test_each_filter_keeps_only_what_fits() -> None:
    insta = stored("i1", "My order broke", platform="meta", channel="instagram.comment", account_id="shop")
    happy = stored("h1", "Love it", classification=classification(10, sentiment="positive", intent="praise"))
    french = stored("f1", "Bonjour", classification=classification(30, language="fr"), task_id="t_1")
    unclassified = stored("u1", "just in", classification=None)
    every = [insta, happy, french, unclassified]

    def kept(**wanted: object) -> list[StoredMention]:
        return [m for m in every if matches(m, MentionFilter(**wanted))]  # type: ignore[arg-type]

    assert kept(network="instagram") == [insta]
    assert kept(network="meta") == [insta]  # the platform names every Meta network
    assert kept(network="facebook") == []
    assert kept(account="shop") == [insta]
    assert kept(sentiment="positive") == [happy]
    assert kept(intent="praise") == [happy]
    assert kept(language="fr") == [french]
    assert kept(task_ids=frozenset({"t_1"})) == [french]
    assert kept(task_ids=frozenset()) == []
    assert kept(search="ORDER") == [insta]  # any case
    assert kept(search="jo") == every  # the author's handle
    assert kept(sentiment="negative", search="order") == [insta]
    assert not MentionFilter().active() and MentionFilter(search="x").active()


def test_a_search_finds_the_author_by_name_too() -> None:
    named = stored("n1", "hello", author=Author(id="a9", handle=None, name="Dana Scully"))
    assert matches(named, MentionFilter(search="scully"))


@pytest.mark.parametrize("seed", range(40))
def test_reading_on_from_each_cursor_gives_every_match_once_in_order(seed: int) -> None:
    rng = random.Random(seed)
    keep = [rng.random() < rng.choice((0.05, 0.3, 0.9)) for _ in range(rng.randint(0, 60))]
    limit, budget = rng.randint(1, 7), rng.randint(1, 9)
    # Positions sort like the feed's keys; newest first means descending.
    history = [(f"{i:04d}", stored(f"m{i}")) for i in reversed(range(len(keep)))]
    wanted = {m.id for (_, m), k in zip(history, reversed(keep), strict=True) if k}
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(keep) + 2):
        stream = [(p, m) for p, m in history if cursor is None or p < cursor]
        page = take(stream, lambda m: m.id in wanted, limit, lambda p: p, budget)
        assert len(page.items) <= limit and page.scanned <= budget
        seen += [m.id for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert cursor is None
    assert seen == [m.id for _, m in history if m.id in wanted]
