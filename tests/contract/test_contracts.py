"""Contracts between parts: the envelopes on the queues, the published OpenAPI document against the routes the
apps really serve, and the table models against the resource specs both stacks are built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.ingest.app import app as ingest_app
from services.respond.app import app as respond_app
from shared.errors import ContractError
from shared.events import MentionClassified, MentionReceived, parse_envelope
from shared.partner_api import openapi
from shared.resources import FUNCTIONS, TABLES
from shared.store.models import MODELS

HERE = Path(__file__).parent / "fixtures"
ENVELOPES = {"mention.received.v1.json": MentionReceived, "mention.classified.v1.json": MentionClassified}


@pytest.mark.parametrize(("name", "model"), ENVELOPES.items())
def test_envelope_fixtures_parse_and_round_trip(name: str, model: type[Any]) -> None:
    raw = (HERE / name).read_text()
    envelope = parse_envelope(raw, model)
    assert envelope.event == json.loads(raw)["event"]
    again = parse_envelope(envelope.model_dump_json(), model)
    assert again == envelope


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(version=2), "an unknown version"),
        (lambda d: d.update(event="mention.deleted"), "another event"),
        (lambda d: d["data"].update(surprise=True), "an unknown field"),
        (lambda d: d["data"].pop("thread_id"), "a missing field"),
        (lambda d: d["data"].update(created_at="2026-11-26T09:14:03"), "a time without zone"),
        (lambda d: d["data"].update(platform="myspace"), "an unknown platform"),
    ],
)
def test_envelopes_outside_the_contract_are_refused(change: Any, reason: str) -> None:
    document = json.loads((HERE / "mention.received.v1.json").read_text())
    change(document)
    with pytest.raises(ContractError):
        parse_envelope(json.dumps(document), MentionReceived)


def test_a_consumer_refuses_the_other_services_event() -> None:
    with pytest.raises(ContractError):
        parse_envelope((HERE / "mention.classified.v1.json").read_text(), MentionReceived)


def _served() -> set[tuple[str, str]]:
    return {
        (method.lower(), path)
        for app in (ingest_app, respond_app)
        for path, methods in app.routes.items()
        for method in methods
    }


def test_the_openapi_document_describes_exactly_the_served_routes() -> None:
    document = openapi()
    published = {(method, path) for path, item in document["paths"].items() for method in item}
    assert published == _served()


def test_openapi_schema_references_resolve() -> None:
    document = openapi()
    schemas = document["components"]["schemas"]
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, ref
    assert {"PartnerMention", "StoredMention", "Task", "Problem"} <= set(schemas)


@pytest.mark.parametrize("model", list(MODELS), ids=lambda m: m.__name__)
def test_table_models_match_the_resource_specs(model: Any) -> None:
    spec = MODELS[model]
    assert spec in TABLES
    schema = model._get_schema()
    keys = {k["AttributeName"]: k["KeyType"] for k in schema["key_schema"]}
    expected = {spec.partition_key.name: "HASH"}
    if spec.sort_key:
        expected[spec.sort_key.name] = "RANGE"
    assert keys == expected
    indexes = {
        i["index_name"]: {k["AttributeName"]: k["KeyType"] for k in i["key_schema"]}
        for i in schema.get("global_secondary_indexes", [])
    }
    assert indexes == {
        index.name: {index.partition_key.name: "HASH", **({index.sort_key.name: "RANGE"} if index.sort_key else {})}
        for index in spec.indexes
    }


@pytest.mark.parametrize("spec", [f for f in FUNCTIONS if f.sqs_source], ids=lambda f: f.key)
def test_chalice_event_sources_follow_the_specs(spec: Any) -> None:
    from devstack.lambda_runtime import load

    module, _, name = spec.handler.rpartition(".")
    app = load(f"{module}.app")
    [source] = [s for s in app.event_sources if s.name == name]
    assert source.batch_size == spec.sqs_source.batch_size
    assert source.maximum_batching_window_in_seconds == spec.sqs_source.max_batching_window_s
    assert source.queue == spec.sqs_source.queue.key
