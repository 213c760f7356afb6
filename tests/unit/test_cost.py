"""The cost estimate in docs/deployment.md is `infra/cost.py`'s output, and every price it quotes from the reference
is printed there: the numbers can be traced, and cannot drift from the specs or the measured tiering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import cost
from shared.resources import CLASSIFY

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference" / cost.REFERENCE


def test_the_deployment_guide_carries_the_models_table() -> None:
    document = (ROOT / "docs" / "deployment.md").read_text()
    start, end = document.index(cost.BEGIN), document.index(cost.END) + len(cost.END)
    assert document[start:end] == cost.markdown(), "run `python -m infra.cost --write docs/deployment.md`"


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is not next to this checkout")
def test_every_quoted_price_is_printed_in_the_reference() -> None:
    text = REFERENCE.read_text().replace("**", "")
    for name, price in cost.PRICES.items():
        if price.quoted is None:
            assert price.source == cost.UNVERIFIED, name
            continue
        assert price.quoted in text, (name, price.quoted)
        section = price.source.split("§")[1]
        assert f"## {section.split('.')[0]}." in text or f"### {section}" in text, (name, section)


def test_comprehend_is_the_measured_calls_at_three_units_each() -> None:
    measured = json.loads((ROOT / "docs" / "evaluation.json").read_text())["comprehend_cost_per_million"]
    calls = sum(n for api, n in measured["calls"]["tiered"].items() if api != "custom")
    [line] = [x for x in cost.monthly(1_000_000) if x.item.startswith("Comprehend")]
    assert line.usd == pytest.approx(30 * calls * 3 * 0.0001)
    # Scaling the routed share back to the measured one gives the measured figure.
    assert cost.comprehend_per_message(measured["routed_to_humans"]) * 1e6 == pytest.approx(calls * 3 * 0.0001)


def test_volume_costs_scale_and_fixed_costs_do_not() -> None:
    small, large = cost.monthly(10_000), cost.monthly(1_000_000)
    for a, b in zip(small, large, strict=True):
        if a.item.startswith(("API Gateway", "Comprehend")):
            assert b.usd == pytest.approx(100 * a.usd)
        if a.item.startswith("KMS"):
            assert a.usd == b.usd
    idle = cost.monthly(0)
    assert cost.total(idle) > 0 and all(x.usd >= 0 for x in idle)
    # Classify's batches come from its spec: a smaller batch means more invocations.
    assert CLASSIFY.sqs_source is not None and f"batch of {CLASSIFY.sqs_source.batch_size}" in large[1].how
