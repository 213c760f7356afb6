"""The cost model (devstack/cost.py), the benchmark's call bookkeeping (bench/calls.py) and the load stream
(bench/load.py): numbers checked by hand against the reference's worked example."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bench import calls, load
from devstack import cost


def test_the_naive_design_prices_as_the_references_worked_example() -> None:
    lines = cost.naive([200]).per_million()
    # §8 (a): 6 APIs x 3 units x $0.0001 x 1M; 3 x 1M x $0.20/1M; 3M x 0.2 s x 0.5 GB x $0.0000166667;
    # 4 WRU x $0.625; 3 SQS requests x $0.40; 3 x 2.5 KB x 1M = 7.5 GB x $0.50.
    assert lines["comprehend"] == 1800.00
    assert lines["lambda_requests"] == 0.60
    assert lines["lambda_duration"] == 5.00
    assert lines["api_gateway"] == 3.50
    assert lines["dynamodb"] == 2.50
    assert lines["sqs"] == 1.20
    assert lines["logs"] == 3.75
    assert lines["total"] == 1816.55


def test_redeliveries_are_paid_again_by_the_naive_design_and_long_texts_bill_more_units() -> None:
    assert cost.naive([200], deliveries_per_message=1.05).per_million()["comprehend"] == 1890.00
    assert cost.naive([250, 350]).comprehend_units == 6 * (3 + 4) / 2


@pytest.mark.parametrize(("length", "units"), [(0, 3), (1, 3), (300, 3), (301, 4), (1000, 10)])
def test_comprehend_bills_a_unit_per_100_characters_and_at_least_three(length: int, units: int) -> None:
    assert cost.comprehend_units(length) == units


def test_hark_usage_prices_each_line_with_arm64_duration() -> None:
    usage = cost.Usage(
        api_requests=1,
        lambda_invocations=1.2,
        lambda_gb_s=0.05,
        comprehend_units=1.5,
        dynamodb_wru=5,
        dynamodb_rru=2,
        sqs_requests=2.5,
        s3_puts=1,
        log_bytes=2000,
    )
    lines = usage.per_million()
    assert lines["lambda_duration"] == 0.67  # 50,000 GB-s x $0.0000133334
    assert lines["comprehend"] == 150.00
    assert lines["dynamodb"] == 3.38  # 5M x $0.625/1M + 2M x $0.125/1M = 3.125 + 0.25
    assert lines["s3"] == 5.00  # 1M PUTs x $0.005 per 1,000
    assert lines["sqs"] == 1.00
    assert lines["logs"] == 1.00
    assert lines["total"] == pytest.approx(sum(v for k, v in lines.items() if k != "total"), abs=0.02)


def test_the_routed_share_moves_the_tiered_policys_comprehend_units() -> None:
    units = cost.TieredUnits(routed=10.5, not_routed=0.5, routed_share=0.7)
    assert units.per_message() == pytest.approx(0.7 * 10.5 + 0.3 * 0.5)
    assert units.per_message(0.1) == pytest.approx(1.5)
    assert cost.with_routed_share(cost.Usage(), units, 0.1).per_million()["comprehend"] == 150.00
    with pytest.raises(ValueError, match="between 0 and 1"):
        units.per_message(1.5)


def test_a_month_is_thirty_days_of_the_per_million_price_plus_the_fixed_costs() -> None:
    usage = cost.Usage(api_requests=0, comprehend_units=1.0)  # $100 per million, nothing else
    result = cost.estimate(100_000, usage)
    assert result.hark["total"] == 100.00
    assert result.fixed_monthly == 4.72  # 8 alarms $0.80 + 10 metrics $3.00 + 2 queues $0.52 + a secret $0.40
    assert result.hark_monthly == 300.00 + 4.72  # 3M messages
    assert result.naive_monthly == round(1816.55 * 3, 2)
    with pytest.raises(ValueError, match="negative"):
        cost.estimate(-1)


def test_hark_cost_prices_a_benchmarks_measured_usage(tmp_path: Path) -> None:
    measured = {
        "usage_per_message": {"hark": {"comprehend_units": 1.0, "api_requests": 0.0}, "naive": {"api_requests": 2.0}},
        "comprehend": {"units_routed": 10, "units_not_routed": 0, "routed_share": 0.5},
    }
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(measured))
    out = io.StringIO()
    assert cost.run(out, 1000, results=str(path), as_json=True) == 0
    document = json.loads(out.getvalue())
    assert document["hark"]["total"] == 100.00
    assert document["naive"]["api_gateway"] == 7.00
    assert document["routed_share"] == 0.5
    out = io.StringIO()
    assert cost.run(out, 1000, results=str(path), routed_share=0.2, as_json=True) == 0
    assert json.loads(out.getvalue())["hark"]["comprehend"] == 200.00  # 0.2 x 10 units
    assert cost.run(io.StringIO(), 1000, results=str(tmp_path / "missing.json")) == 2


def test_every_price_names_its_source_and_date() -> None:
    for name, price in cost.PRICES.items():
        assert price.source and price.dated == "2026-11-26", name
        assert price.each > 0


def test_billed_units_of_comprehend_and_dynamodb_calls() -> None:
    assert calls.billed("comprehend", "BatchDetectSentiment", {"TextList": ["a" * 50, "b" * 450]}) == {
        "comprehend_units": 3 + 5
    }
    assert calls.billed("comprehend", "DetectToxicContent", {"TextSegments": [{"Text": "x"}] * 2}) == {
        "comprehend_units": 6
    }
    assert calls.billed("dynamodb", "UpdateItem", {}) == {"dynamodb_wru": 1}
    big = {"id": {"S": "x" * 2100}}
    assert calls.billed("dynamodb", "PutItem", {"Item": big}) == {"dynamodb_wru": 3}
    transact = {"TransactItems": [{"Put": {"Item": {"id": {"S": "a"}}}}, {"Update": {"Key": {"id": {"S": "b"}}}}]}
    assert calls.billed("dynamodb", "TransactWriteItems", transact) == {"dynamodb_wru": 4}
    assert calls.billed("dynamodb", "GetItem", {"ConsistentRead": True}) == {"dynamodb_rru": 1.0}
    assert calls.billed("dynamodb", "BatchGetItem", {"RequestItems": {"t": {"Keys": [{}, {}, {}]}}}) == {
        "dynamodb_rru": 1.5
    }
    assert calls.billed("sqs", "SendMessageBatch", {}) == {}


def test_the_counter_keeps_the_mappings_and_the_schedules_calls_apart() -> None:
    import threading

    counter = calls.CallCounter()
    counter.record("sqs", "SendMessageBatch", "classify", {})
    counter.record("sqs", "ReceiveMessage", "classify")
    worker = threading.Thread(target=counter.record, args=("dynamodb", "Query", "tasks"), name="schedule-respond-sla")
    worker.start()
    worker.join()
    assert counter.functions == {"sqs.SendMessageBatch": 1}
    assert counter.mapping == {"sqs.ReceiveMessage": 1}
    assert counter.scheduled == {"dynamodb.Query": 1}
    assert counter.by_service() == {"sqs": 1}
    counter.enabled = False
    counter.record("sqs", "SendMessageBatch")
    assert counter.functions["sqs.SendMessageBatch"] == 1


def test_the_load_stream_mixes_platforms_redeliveries_and_hostile_deliveries() -> None:
    items = load.plan(2000, load.dev_secrets(), run="1796190000")
    kinds = {k: sum(1 for i in items if i.kind == k) for k in ("message", "duplicate", "hostile")}
    assert sum(kinds.values()) == 2000
    assert 0.03 < kinds["duplicate"] / 2000 < 0.07 and 0.003 < kinds["hostile"] / 2000 < 0.02
    assert {i.platform for i in items if i.kind == "message"} == set(load.PLATFORMS)
    by_seq = {i.seq: i for i in items}
    for item in items:
        if item.kind == "duplicate":
            assert item.original is not None and item.original < item.seq
            assert by_seq[item.original].kind == "message" and by_seq[item.original].body == item.body
    bodies = [i.body for i in items if i.kind == "message"]
    assert len(set(bodies)) == len(bodies)  # every new message is new
    assert load.plan(50, load.dev_secrets(), run="1796190000")[7].body == items[7].body  # reproducible


def test_percentiles_and_status_tallies() -> None:
    assert load.percentile([], 0.5) is None
    assert load.percentile([1, 2, 3, 4, 100], 0.5) == 3
    assert load.percentile([float(n) for n in range(1, 101)], 0.95) == 95
    sent = [
        load.Sent(0, "message", "x", None, 0.0, 1.0, 200),
        load.Sent(1, "hostile", "x", None, 0.0, 1.0, 401),
        load.Sent(2, "hostile", "x", None, 0.0, 1.0, 0, error="refused"),
    ]
    assert load.tally(sent) == {"message": {"2xx": 1}, "hostile": {"4xx": 1, "error": 1}}
    assert load.refused(sent) == {}  # the hostile ones were meant to be refused
    throttled = load.Sent(3, "message", "partner", None, 0.0, 1.0, 429, refusal="Too many requests")
    assert load.refused([*sent, throttled]) == {"partner 429 Too many requests": 1}
    assert load._title(b'{"title": "Bad signature", "status": 401}') == "Bad signature"
    assert load._title(b"<html>no</html>") == "<html>no</html>"


def test_the_deployment_guide_carries_the_monthly_cost_model_as_it_computes_today() -> None:
    from infra import cost as monthly

    document = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text(encoding="utf-8")
    start, end = document.index(monthly.BEGIN), document.index(monthly.END) + len(monthly.END)
    assert document[start:end] == monthly.markdown(), "run: python -m infra.cost --write docs/deployment.md"


def test_writing_the_cost_table_replaces_only_what_lies_between_its_markers(tmp_path: Path) -> None:
    from infra import cost as monthly

    guide = tmp_path / "deployment.md"
    guide.write_text(f"# Deploy\n{monthly.END} stray\n{monthly.BEGIN}\nold table\n{monthly.END}\n## After\n")
    monthly.write_into(guide)
    # The stray end marker before the table is text like any other; the table is today's, once.
    assert guide.read_text() == f"# Deploy\n{monthly.END} stray\n{monthly.markdown()}\n## After\n"
    guide.write_text("# Deploy\nno markers\n")
    with pytest.raises(ValueError, match="no <!-- cost:begin -->"):
        monthly.write_into(guide)
    assert guide.read_text() == "# Deploy\nno markers\n"  # nothing half-written


def test_the_benchmark_also_prices_the_references_routed_share() -> None:
    from bench.__main__ import _at_reference_mix

    usage = cost.Usage(comprehend_units=7.0)
    results = {
        "cost_per_million_usd": {"hark": usage.per_million()["total"]},
        "usage_per_message": {"hark": {"comprehend_units": 7.0}, "naive": {"comprehend_units": 18.0}},
        "comprehend": {"units_routed": 9.0, "units_not_routed": 1.0, "routed_share": 0.75},
    }
    _at_reference_mix(results)
    money = results["cost_per_million_usd"]
    assert money["reference_routed_share"] == cost.REFERENCE_ROUTED_SHARE == 0.10
    expected = cost.Usage(comprehend_units=0.1 * 9.0 + 0.9 * 1.0).per_million()["total"]
    assert money["hark_at_reference_routed_share"] == pytest.approx(expected)
    assert money["routed_share_measured"] == 0.75
