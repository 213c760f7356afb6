"""`hark backfill PLATFORM --since DATE`: history handed through the poll core with a progress bar per feed, dates
read in the forms people type, and a clear answer for what cannot be done."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from devstack import backfill
from devstack.fakes import FakePlatforms
from services.ingest import poll_bootstrap
from services.ingest.poll_bootstrap import PollRoot
from tests.pollkit import Clock, InProcess, Rig, rig


@pytest.fixture
def polled() -> Iterator[tuple[Rig, FakePlatforms]]:
    fake = FakePlatforms(listen=False)
    http = InProcess(fake)
    sources = {"acme": {"platform": "reddit", "username": "acme_brand", "inbox": False, "mentions": False,
                        "subreddits": ["acme"]}}  # fmt: skip
    # Now when the test runs, not when the module was collected: `--since 36h` is read against the real clock.
    r = rig(sources, {"reddit": http.base("reddit")}, http, Clock(datetime.now(UTC).replace(microsecond=0)))
    poll_bootstrap.root.override(PollRoot(r.service, r.cursors, None))  # type: ignore[arg-type]
    yield r, fake
    poll_bootstrap.root.override(None)


def test_backfill_hands_history_and_shows_each_feed(polled: tuple[Rig, FakePlatforms]) -> None:
    r, fake = polled
    now = r.clock.now
    for hours in range(1, 49):
        fake.feeds.reddit.comment("acme", f"{hours} and a half hours ago", at=now - timedelta(hours=hours, minutes=30))
    out = io.StringIO()
    assert backfill.run("reddit", "36h", None, None, out) == 0
    text = out.getvalue()
    assert "acme r/acme/comments" in text and "100%" in text
    assert "reddit: 35 items since" in text  # 1.5 to 35.5 hours ago; the post listing is empty
    assert len(r.queued.native_ids()) == 35


def test_dates_are_read_as_people_write_them() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert backfill.moment("2026-02-01", now) == datetime(2026, 2, 1, tzinfo=UTC)
    assert backfill.moment("2026-02-01T08:30:00+01:00", now) == datetime(2026, 2, 1, 7, 30, tzinfo=UTC)
    assert backfill.moment("30d", now) == now - timedelta(days=30)
    assert backfill.moment("48h", now) == now - timedelta(hours=48)
    with pytest.raises(ValueError, match="not a date"):
        backfill.moment("last tuesday", now)


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("reddit", "yesterday-ish", None, None), 2, "not a date"),
        (("reddit", "2999-01-01", None, None), 2, "not in the past"),
        (("reddit", "7d", "nope", None), 1, "no enabled reddit source 'nope'"),
    ],
)
def test_what_cannot_be_done_is_said(polled: tuple[Rig, FakePlatforms], args: tuple, code: int, says: str) -> None:
    out = io.StringIO()
    assert backfill.run(*args, out) == code
    assert says in out.getvalue()
