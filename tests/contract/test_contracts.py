"""Contracts between parts: the envelopes on the queues (tolerant readers, strict writers), the published OpenAPI
document against the routes the apps really serve, and the table models against the resource specs both stacks are
built from, each table with one writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from services.classify import store as classify_store
from services.classify.app import app as classify_app
from services.ingest import store as ingest_store
from services.ingest.app import app as ingest_app
from services.respond import governance_store, incident_store, source_store, stats_store
from services.respond import store as respond_store
from services.respond.app import app as respond_app
from shared.api.operations import OPERATIONS, openapi
from shared.errors import ContractError
from shared.events import (
    EVENTS,
    AuthorErased,
    Envelope,
    MentionClassified,
    MentionDeleted,
    MentionReceived,
    MentionUpdated,
    SourceObserved,
    parse_envelope,
)
from shared.resources import FUNCTIONS, TABLES

HERE = Path(__file__).parent / "fixtures"
CURRENT = {
    "mention.received.v2.json": MentionReceived,
    "mention.classified.v1.json": MentionClassified,
    "mention.updated.v1.json": MentionUpdated,
    "mention.deleted.v1.json": MentionDeleted,
    "author.erased.v1.json": AuthorErased,
    "source.observed.v1.json": SourceObserved,
}


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((HERE / name).read_text())
    return document


def shape(value: Any) -> Any:
    """The keys of a JSON document, recursively (lists by their first element): what a producer promises."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list) and value:
        return [shape(value[0])]
    return None


def full_shape(model: type[BaseModel]) -> Any:
    """Every field a model writes, recursively, with nested models expanded."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        nested = _model_in(annotation)
        out[name] = full_shape(nested) if nested else None
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found:
            return found
    return None


def _scalar_shape(value: Any) -> Any:
    """A shape with list elements collapsed to their element's shape, for comparison with a model's fields."""
    if isinstance(value, dict):
        return {k: _scalar_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return _scalar_shape(value[0]) if value else None
    return value


@pytest.mark.parametrize(("name", "model"), CURRENT.items())
def test_each_fixture_is_what_its_producer_writes_field_for_field(name: str, model: type[Envelope[Any]]) -> None:
    """A producer adding, renaming or dropping a field must change the published fixture with it."""
    document = fixture(name)
    data_model = _model_in(model.model_fields["data"].annotation)
    assert data_model is not None
    assert set(document) == set(model.model_fields)
    written = _scalar_shape(shape(document["data"]))
    expected = full_shape(data_model)

    def covers(doc: Any, fields: Any) -> None:
        if isinstance(doc, dict):
            assert set(doc) == set(fields), set(doc) ^ set(fields)
            for key, value in doc.items():
                if isinstance(value, dict) and fields[key] is not None:
                    covers(value, fields[key])

    covers(written, expected)


@pytest.mark.parametrize(("name", "model"), CURRENT.items())
def test_envelope_fixtures_parse_and_round_trip(name: str, model: type[Envelope[Any]]) -> None:
    raw = (HERE / name).read_text()
    envelope = parse_envelope(raw, EVENTS)
    assert isinstance(envelope, model)
    assert envelope.version == model.VERSION
    assert parse_envelope(envelope.model_dump_json(), EVENTS) == envelope


def test_an_older_version_is_upcast_to_the_current_one() -> None:
    old = fixture("mention.received.v1.json")
    envelope = parse_envelope(json.dumps(old), [MentionReceived])
    assert isinstance(envelope, MentionReceived)
    assert envelope.version == 2
    assert envelope.data.mention.id == old["data"]["id"]
    assert envelope.data.mention.text == old["data"]["text"]
    assert envelope.data.delivery_id is None


def test_fields_a_newer_producer_added_are_ignored() -> None:
    document = fixture("mention.received.v2.json")
    document["trace"] = {"span": "abc"}
    document["data"]["priority_hint"] = 3
    document["data"]["mention"]["reactions"] = 12
    document["data"]["mention"]["author"]["verified"] = True
    envelope = parse_envelope(json.dumps(document), [MentionReceived])
    assert isinstance(envelope, MentionReceived)
    assert envelope.data.mention.author.id == "2002"
    assert "reactions" not in envelope.data.mention.model_dump()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(version=3), "a newer major version"),
        (lambda d: d.update(version=0), "version zero"),
        (lambda d: d.update(version="2"), "a version that is not a number"),
        (lambda d: d.update(event="mention.exploded"), "an unknown event"),
        (lambda d: d["data"]["mention"].pop("thread_id"), "a missing field"),
        (lambda d: d["data"]["mention"].update(created_at="2026-11-26T09:14:03"), "a time without zone"),
        (lambda d: d["data"]["mention"].update(platform="myspace"), "an unknown platform"),
        (lambda d: d["data"]["mention"].update(native_id="x" * 600), "an id over its bound"),
    ],
)
def test_envelopes_outside_the_contract_are_refused(change: Any, reason: str) -> None:
    document = fixture("mention.received.v2.json")
    change(document)
    with pytest.raises(ContractError):
        parse_envelope(json.dumps(document), [MentionReceived])


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", '"a string"', "{}", '{"event": 5}'])
def test_what_is_not_an_envelope_at_all_is_refused(body: str) -> None:
    with pytest.raises(ContractError):
        parse_envelope(body, EVENTS)


def test_a_consumer_refuses_an_event_it_does_not_take() -> None:
    with pytest.raises(ContractError) as raised:
        parse_envelope((HERE / "mention.classified.v1.json").read_text(), [MentionReceived])
    assert raised.value.extra["accepts"] == ["mention.received"]


def _served() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for app in (ingest_app, respond_app, classify_app)
        for path, methods in app.routes.items()
        for method in methods
    }


def test_every_route_served_is_a_declared_operation_and_back() -> None:
    assert _served() == {(op.method, op.path) for op in OPERATIONS}


def test_the_openapi_document_describes_exactly_the_operations() -> None:
    document = openapi()
    published = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert published == _served()
    ids = [item["operationId"] for item in document["paths"].values() for item in item.values()]
    assert len(ids) == len(set(ids)) == len(OPERATIONS)


def test_openapi_schema_references_resolve_and_keyed_routes_say_so() -> None:
    document = openapi()
    schemas = document["components"]["schemas"]
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, ref
    for path, item in document["paths"].items():
        for method, operation in item.items():
            keyed = "security" in operation
            public = path in ("/health", "/openapi.json", "/", "/wall") or path.startswith(("/webhooks/", "/assets/"))
            assert keyed != public, (method, path)
            if keyed:
                assert {"401"} <= set(operation["responses"]), (method, path)


def test_query_parameters_come_from_the_query_models() -> None:
    parameters = {p["name"]: p for p in openapi()["paths"]["/v1/tasks"]["get"]["parameters"]}
    assert set(parameters) == {"cursor", "limit", "status", "queue", "holder", "active"}
    assert parameters["limit"]["schema"]["maximum"] == 200
    assert "open" in json.dumps(parameters["status"]["schema"])


OWNED_MODELS = {
    "classify": classify_store.MODELS,
    "respond": {
        **respond_store.MODELS,
        **incident_store.MODELS,
        **governance_store.MODELS,
        **source_store.MODELS,
        **stats_store.MODELS,
    },
    "ingest": ingest_store.MODELS,
}


@pytest.mark.parametrize(
    ("owner", "model", "spec"),
    [(owner, model, spec) for owner, models in OWNED_MODELS.items() for model, spec in models.items()],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_table_models_live_with_their_owner_and_match_the_specs(owner: str, model: Any, spec: Any) -> None:
    assert spec in TABLES
    assert spec.owner == owner
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


def test_every_table_has_exactly_one_writing_service() -> None:
    for table in TABLES:
        writers = {f.service for f in FUNCTIONS if table in f.writes}
        assert writers <= {table.owner}, (table.key, writers)
    assert {f.service for f in FUNCTIONS for t in f.writes if t.owner != f.service} == set()


@pytest.mark.parametrize("spec", [f for f in FUNCTIONS if f.sqs_source], ids=lambda f: f.key)
def test_chalice_event_sources_follow_the_specs(spec: Any) -> None:
    from devstack.lambda_runtime import load

    module, _, name = spec.handler.rpartition(".")
    app = load(f"{module}.app")
    [source] = [s for s in app.event_sources if s.name == name]
    assert source.batch_size == spec.sqs_source.batch_size
    assert source.maximum_batching_window_in_seconds == spec.sqs_source.max_batching_window_s
    assert source.queue == spec.sqs_source.queue.key


def test_every_table_has_its_models() -> None:
    modelled = {spec.key for models in OWNED_MODELS.values() for spec in models.values()}
    assert modelled == {t.key for t in TABLES} - {"idempotency"}  # Powertools owns the idempotency records' shape


@pytest.mark.parametrize("spec", [f for f in FUNCTIONS if f.schedule or f.sns_source], ids=lambda f: f.key)
def test_chalice_schedules_and_topics_follow_the_specs(spec: Any) -> None:
    from devstack.lambda_runtime import load

    module, _, name = spec.handler.rpartition(".")
    app = load(f"{module}.app")
    [source] = [s for s in app.event_sources if s.name == name]
    if spec.schedule:
        assert source.schedule_expression == spec.schedule
    else:
        assert source.topic == spec.sns_source.key
