"""Meta names a time to wait only under Business Use Case limits (Page and Instagram tokens): its usage header."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from services.respond.outbound.meta import refusal, regain_at
from shared.http import HttpAnswer

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _usage(*minutes: int) -> dict[str, str]:
    entries = [
        {
            "type": "pages",
            "call_count": 100,
            "total_cputime": 10,
            "total_time": 10,
            "estimated_time_to_regain_access": m,
        }
        for m in minutes
    ]
    return {"x-business-use-case-usage": json.dumps({"1234567890": entries})}


def test_the_longest_wait_the_usage_header_names_is_the_retry_time() -> None:
    assert regain_at(_usage(0, 19, 3), NOW) == NOW + timedelta(minutes=19)


def test_no_wait_named_is_no_retry_time_unless_a_retry_after_comes() -> None:
    assert regain_at(_usage(0), NOW) is None
    assert regain_at({}, NOW) is None
    assert regain_at({"x-business-use-case-usage": "not json"}, NOW) is None
    assert regain_at({"retry-after": "30"}, NOW) == NOW + timedelta(seconds=30)


def test_a_business_use_case_limit_is_a_rate_limit_with_its_time() -> None:
    body = {"error": {"message": "(#80001) There have been too many calls to this Page account", "code": 80001}}
    refused = refusal(HttpAnswer(400, _usage(5), body))
    assert refused.extra["code"] == "rate_limited" and refused.extra["retryable"] is True
    wait = datetime.fromisoformat(refused.extra["retry_at"]) - datetime.now(UTC)
    assert timedelta(minutes=4) < wait <= timedelta(minutes=5)
    assert "takes replies again from" in refused.detail


def test_an_app_limit_names_no_time() -> None:
    body = {"error": {"message": "(#4) Application request limit reached", "code": 4}}
    refused = refusal(HttpAnswer(400, {}, body))
    assert refused.extra["code"] == "rate_limited" and "retry_at" not in refused.extra
