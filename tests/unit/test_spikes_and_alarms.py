"""The spike rules, the explanation of a spike, alarm notifications as CloudWatch writes them, and local schedules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from devstack.scheduler import cron_matches, rate_seconds
from services.respond.incidents import parse_alarm, read_tags
from services.respond.spikes import Counts, History, SpikeRules, evaluate, explain, floor_minute, terms
from shared.errors import InvalidBody
from shared.events import Author, Classification, StoredMention
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 26, 15, 30, 20, tzinfo=UTC)
RULES = SpikeRules()


def minutes(counts: dict[int, Counts]) -> dict[datetime, Counts]:
    """Minute buckets keyed by how many minutes before NOW's minute."""
    base = floor_minute(NOW)
    return {base - timedelta(minutes=ago): c for ago, c in counts.items()}


def steady(hours: int, per_minute: Counts) -> dict[int, Counts]:
    return dict.fromkeys(range(hours * 60), per_minute)


def test_before_any_baseline_the_burst_rule_fires_at_its_threshold() -> None:
    young = NOW - timedelta(hours=2)
    burst = {ago: Counts(3, 2) for ago in range(10)}  # 20 negatives in the last 10 minutes
    firing = evaluate(NOW, History(young, minutes(burst)), RULES)
    assert firing is not None and firing.rule == "burst"
    assert firing.current == Counts(30, 20)
    quiet = {ago: Counts(3, 2) for ago in range(9)} | {9: Counts(3, 1)}  # 19
    assert evaluate(NOW, History(young, minutes(quiet)), RULES) is None
    # Old negatives are outside the window.
    stale = {ago + 10: Counts(3, 2) for ago in range(10)}
    assert evaluate(NOW, History(young, minutes(stale)), RULES) is None


def test_with_twelve_hours_of_history_the_hour_baseline_replaces_the_burst_rule() -> None:
    old = NOW - timedelta(hours=13)
    # A brand that always gets about one negative mention a minute: 25 in ten minutes is its normal.
    normal = steady(13, Counts(5, 1))
    history = History(old, minutes({**normal, **{ago: Counts(5, 3) for ago in range(10)}}))
    assert evaluate(NOW, history, RULES) is None  # 80 negatives in the hour against ~60: noise
    surge = History(old, minutes({**normal, **{ago: Counts(20, 15) for ago in range(10)}}))
    firing = evaluate(NOW, surge, RULES)
    assert firing is not None and firing.rule == "hour_baseline"
    assert firing.baseline == pytest.approx(60)
    assert firing.baseline_share == pytest.approx(0.2)


def test_a_quiet_brand_needs_the_minimum_before_a_baseline_rule_pages() -> None:
    old = NOW - timedelta(hours=13)
    history = History(old, minutes({0: Counts(9, 9)}))  # nothing for 12 hours, then 9 negatives
    assert evaluate(NOW, history, RULES) is None
    history = History(old, minutes({0: Counts(12, 12)}))
    firing = evaluate(NOW, history, RULES)
    assert firing is not None and firing.threshold == RULES.min_negatives


def test_with_fourteen_days_today_is_compared_with_each_of_them() -> None:
    old = NOW - timedelta(days=20)
    today = NOW.date()
    days = {today - timedelta(days=d): Counts(400, 40 + d % 3) for d in range(1, 15)}
    calm = History(old, {}, {**days, today: Counts(300, 45)})
    assert evaluate(NOW, calm, RULES) is None
    bad_day = History(old, {}, {**days, today: Counts(600, 90)})
    firing = evaluate(NOW, bad_day, RULES)
    assert firing is not None and firing.rule == "day_baseline"


def _mention(i: int, text: str, sentiment: str, platform: str = "x", account: str = "@acme") -> StoredMention:
    return StoredMention(
        id=f"m_{i:026d}",
        platform=platform,  # type: ignore[arg-type]
        channel=f"{platform}.post",
        kind="comment",
        native_id=str(i),
        thread_id=str(i),
        account_id=account,
        author=Author(id=f"u{i}"),
        text=text,
        created_at=NOW,
        received_at=NOW - timedelta(seconds=i),
        classification=Classification(
            language="en",
            sentiment=sentiment,  # type: ignore[arg-type]
            sentiment_score=0.9,
            intent="complaint",
            toxic=False,
            needs_response=True,
            priority=60,
            analyzer="local",
            classified_at=NOW,
        ),
    )


def test_the_explanation_says_what_the_surge_is_about() -> None:
    firing = evaluate(NOW, History(NOW - timedelta(hours=1), minutes({0: Counts(25, 21)})), RULES)
    assert firing is not None
    mentions = [
        _mention(i, f"The checkout crashed again and I was charged twice, order {i}", "negative") for i in range(15)
    ]
    login = "App login broken since the update"
    mentions += [_mention(100 + i, login, "negative", "meta", "acme-page") for i in range(6)]
    mentions += [_mention(200 + i, "Love the new colours", "positive") for i in range(4)]
    why = explain(firing, mentions, RULES)
    top = [t.term for t in why.top_terms]
    assert top[:3] == ["charged", "checkout", "crashed"] or set(top[:4]) >= {"checkout", "crashed", "charged"}
    assert "colours" not in top  # positive mentions do not explain a negative surge
    assert why.platforms == {"x": 15, "meta": 6}
    assert why.accounts == {"@acme": 15, "acme-page": 6}
    assert why.negative == 21 and why.mentions == 25
    assert why.negative_share == pytest.approx(0.84)
    assert "21 negative mentions in 10 minutes" in why.summary
    assert len(why.sample_mention_ids) == 10


def test_terms_drop_stopwords_and_count_a_word_once_per_mention() -> None:
    assert terms("The app is broken broken BROKEN, and I can't log in!") == {"broken", "log"}


ALARM = json.loads((FIXTURES / "alarms" / "dlq-alarm.sns.json").read_text())


def test_a_cloudwatch_alarm_message_is_read_with_its_routing_tags() -> None:
    parsed = parse_alarm(ALARM["Message"])
    assert parsed.details.name == "hark-dev-dlq-classify"
    assert parsed.details.state == "ALARM" and parsed.details.previous_state == "OK"
    assert parsed.details.metric == "ApproximateNumberOfMessagesVisible"
    assert parsed.details.threshold == 0.0
    assert parsed.details.changed_at == datetime(2026, 11, 26, 10, 15, 8, 512000, tzinfo=UTC)
    assert parsed.severity == "critical" and not parsed.crisis
    assert parsed.text.startswith("Messages in the classify dead-letter queue")


def test_description_tags() -> None:
    assert read_tags("[warning][crisis][brand:acme] Negative share is unusual") == (
        "warning",
        True,
        "acme",
        "Negative share is unusual",
    )
    assert read_tags(None) == ("warning", False, "default", "")


@pytest.mark.parametrize(
    "message",
    ["not json", "[]", json.dumps({"AlarmName": "x"}), json.dumps({"AlarmName": "x", "NewStateValue": "MAYBE"})],
)
def test_what_is_not_an_alarm_state_change_is_refused(message: str) -> None:
    with pytest.raises(InvalidBody):
        parse_alarm(message)


def test_local_schedules_read_eventbridge_expressions() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(15 minutes)") == 900
    assert rate_seconds("cron(0 3 * * ? *)") is None
    with pytest.raises(ValueError, match="rate"):
        rate_seconds("rate(1 minutes)")
    monday_3am = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    assert cron_matches("cron(0 3 ? * MON-FRI *)", monday_3am)
    assert not cron_matches("cron(0 3 ? * SAT,SUN *)", monday_3am)
    assert cron_matches("cron(0/15 * * * ? *)", monday_3am.replace(minute=45))
    assert not cron_matches("cron(0/15 * * * ? *)", monday_3am.replace(minute=46))
