"""The capacity simulator (bench/capacity.py): which quota binds first, and what the tiered policy buys."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench import capacity


def test_the_naive_design_binds_on_comprehends_twenty_requests_a_second() -> None:
    first = capacity.limits(capacity.Inputs(), "naive")[0]
    assert first.resource.startswith("Comprehend") and first.deliveries_per_s == 20


def test_tiered_binds_on_pii_calls_for_routed_messages_ten_times_later_at_ten_percent_routed() -> None:
    first = capacity.limits(capacity.Inputs(routed_share=0.10), "tiered")[0]
    assert first.resource == "Comprehend DetectPiiEntities"
    assert first.deliveries_per_s == pytest.approx(200)
    # A brand that routes half its messages to people gets less from the tiers.
    assert capacity.limits(capacity.Inputs(routed_share=0.5), "tiered")[0].deliveries_per_s == pytest.approx(40)


def test_the_classify_mapping_caps_at_its_concurrency_times_its_batch() -> None:
    inputs = replace(capacity.Inputs(), classify_max_concurrency=10, classify_batch=25, classify_batch_s=1.0)
    found = {limit.resource: limit for limit in capacity.limits(inputs)}
    assert found["classify event-source mapping"].deliveries_per_s == 250
    # The task status index: one partition takes 1,000 writes a second, so new tasks cap there.
    assert found["DynamoDB task status index"].deliveries_per_s == pytest.approx(10_000)


def test_utilisation_at_a_rate_marks_what_binds() -> None:
    used = capacity.utilisation(capacity.Inputs(), 1000)
    assert used["Comprehend DetectPiiEntities"] == pytest.approx(5.0)
    assert used["API Gateway"] == pytest.approx(0.1)
