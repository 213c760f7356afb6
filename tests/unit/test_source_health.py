"""Source health without AWS: ingest's observations summed and sent at most once a minute per source (a notice
that ends a subscription at once), and respond's reading of them with its own sends: when a source is unhealthy,
when it heals, and when a reply must not be attempted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from services.ingest.observations import ThrottledObserver
from services.respond import sources
from services.respond.sources import SourceState
from shared.credentials import Credential
from shared.errors import Unavailable
from shared.events import Envelope, SourceObservation, SourceObserved

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Queue:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[SourceObservation] = []
        self.fail = fail

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        if self.fail:
            raise Unavailable("the queue is down")
        for envelope in envelopes:
            assert isinstance(envelope, SourceObserved)
            self.sent.append(envelope.data)
        return []


def seen(at: datetime, *, ok: bool = True, code: str | None = None, activity: str = "delivery") -> SourceObservation:
    return SourceObservation(source="slack", platform="slack", activity=activity, at=at, ok=ok, code=code)  # type: ignore[arg-type]


def test_the_first_observation_goes_at_once_and_the_rest_are_summed_by_the_minute() -> None:
    queue, now = Queue(), [T0]
    observer = ThrottledObserver(queue, clock=lambda: now[0])
    observer.observe(seen(T0))
    assert [(o.count, o.at) for o in queue.sent] == [(1, T0)]
    for second in range(1, 40):
        now[0] = T0 + timedelta(seconds=second)
        observer.observe(seen(now[0]))
    assert len(queue.sent) == 1  # summed, not sent
    now[0] = T0 + timedelta(seconds=61)
    observer.observe(seen(now[0]))
    assert [(o.count, o.at) for o in queue.sent][1] == (40, now[0])


def test_refusals_are_summed_apart_from_successes_and_an_ended_subscription_goes_at_once() -> None:
    queue, now = Queue(), [T0]
    observer = ThrottledObserver(queue, clock=lambda: now[0])
    observer.observe(seen(T0))
    observer.observe(seen(T0, ok=False, code="invalid_signature"))
    assert [o.code for o in queue.sent] == [None, "invalid_signature"]
    observer.observe(seen(T0, ok=False, code="subscription.revoked", activity="notice"))
    observer.observe(seen(T0 + timedelta(seconds=1), ok=False, code="subscription.revoked", activity="notice"))
    assert [o.code for o in queue.sent].count("subscription.revoked") == 2


def test_a_queue_that_is_down_loses_the_observation_not_the_delivery() -> None:
    ThrottledObserver(Queue(fail=True), clock=lambda: T0).observe(seen(T0))  # no exception


def state() -> SourceState:
    return SourceState(id="x", platform="x")


CREDENTIAL = Credential("x", access_token="a", refresh_token="r")


def test_a_revoked_credential_blocks_replies_until_another_is_stored() -> None:
    revoked = sources.revoked(state(), T0, "token_revoked", "X will not refresh", CREDENTIAL.fingerprint)
    problem = sources.blocks(revoked, CREDENTIAL)
    assert problem is not None and problem.reason == "X will not refresh"
    assert sources.view("x", revoked, CREDENTIAL, True).health == "unhealthy"
    fresh = Credential("x", access_token="pasted", refresh_token="new")
    assert sources.blocks(revoked, fresh) is None
    assert sources.view("x", revoked, fresh, True).health != "unhealthy"  # the new credential gets its chance
    assert sources.view("x", sources.sent(revoked, T0), fresh, True).health == "ok"


def test_an_ended_subscription_is_unhealthy_until_the_platform_delivers_again() -> None:
    ended = sources.observed(state(), seen(T0, ok=False, code="app.revoked", activity="notice"))
    assert ended.unhealthy is not None and ended.unhealthy.where == "notice"
    assert sources.blocks(ended, CREDENTIAL) is None  # replies may still work: the platform decides
    assert sources.view("x", ended, CREDENTIAL, False).health == "unhealthy"
    older = sources.observed(ended, seen(T0 - timedelta(seconds=5)))
    assert older.unhealthy is not None
    healed = sources.observed(ended, seen(T0 + timedelta(seconds=5)))
    assert healed.unhealthy is None and healed.last_delivery_at == T0 + timedelta(seconds=5)


def test_facts_keep_the_latest_times_and_count_everything() -> None:
    later, earlier = T0 + timedelta(minutes=2), T0
    current = sources.observed(state(), seen(later).model_copy(update={"count": 3}))
    current = sources.observed(current, seen(earlier).model_copy(update={"count": 2}))
    current = sources.observed(current, seen(earlier, ok=False, code="invalid_signature"))
    assert (current.last_delivery_at, current.deliveries) == (later, 6)
    assert current.last_error is not None and current.last_error.code == "invalid_signature"
    current = sources.send_failed(current, later, "rate_limited", "slow down")
    current = sources.observed(current, seen(earlier, ok=False, code="stale_delivery"))
    assert current.last_error is not None and current.last_error.code == "rate_limited"  # the newest error wins
    assert current.send_failures == 1
