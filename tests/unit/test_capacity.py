"""The capacity simulator (bench/capacity.py): which quota binds first, and what the tiered policy buys."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench import capacity


def test_the_naive_design_binds_on_comprehends_twenty_requests_a_second() -> None:
    first = capacity.limits(capacity.Inputs(), "naive")[0]
    assert first.resource.startswith("Comprehend") and first.deliveries_per_s == 20


def test_tiered_binds_on_pii_calls_for_routed_messages_with_a_cue_fifty_times_later_at_ten_percent_routed() -> None:
    found = {limit.resource: limit for limit in capacity.limits(capacity.Inputs(routed_share=0.10), "tiered")}
    assert found["Comprehend DetectPiiEntities"].deliveries_per_s == pytest.approx(1000)  # 20/s over 10 % x 20 %
    # 10 calls/s, each for one classify batch of 25 that holds an unsure message (1 - 0.9^25 of them)
    assert found["Comprehend Batch APIs"].deliveries_per_s == pytest.approx(250 / (1 - 0.9**25))
    # A brand that routes half its messages to people, each with a cue, gets less from the tiers.
    every = capacity.Inputs(routed_share=0.5, pii_cue_share=1.0)
    assert capacity.limits(every, "tiered")[0].deliveries_per_s == pytest.approx(40)


def test_the_classify_mapping_caps_at_its_concurrency_times_its_batch() -> None:
    inputs = replace(capacity.Inputs(), classify_max_concurrency=10, classify_batch=25, classify_batch_s=1.0)
    found = {limit.resource: limit for limit in capacity.limits(inputs)}
    assert found["classify event-source mapping"].deliveries_per_s == 250
    # The task status index: one partition takes 1,000 writes a second, so new tasks cap there.
    assert found["DynamoDB task status index"].deliveries_per_s == pytest.approx(10_000)


def test_utilisation_at_a_rate_marks_what_binds() -> None:
    used = capacity.utilisation(capacity.Inputs(), 1000)
    assert used["Comprehend DetectPiiEntities"] == pytest.approx(1.0)
    assert used["API Gateway"] == pytest.approx(0.1)
