"""Property-based tests (hypothesis) of every platform's verifier and parser, through the real ingest entry point
behind the API Gateway stand-in, with in-memory ports (no AWS): whatever arrives, the answer is a 2xx, or a 4xx
problem document, never a 5xx; a refused delivery queues nothing; an accepted one queues exactly the mentions its
receipt names, each fitting what SQS and DynamoDB can hold.

What arrives: random bytes with random headers; each real fixture of the platform, mutated (a field replaced by a
huge string, a wrong type, a deep nesting, or removed; the bytes truncated; invalid UTF-8 spliced in), then signed
as the platform signs it, so the parser, not only the verifier, meets it; the same with a wrong content type or a
header missing. `make test` runs a modest number of examples per platform; `make fuzz` runs many more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from devstack.front import Gateway
from devstack.lambda_runtime import Function
from services.ingest import bootstrap as ingest_bootstrap
from services.ingest.http.google import JwksKeys
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.google import Audience, Google
from services.ingest.platforms.meta import Meta
from services.ingest.service import IngestService
from shared.events import MAX_TEXT_JSON_BYTES, Mention, text_json_bytes
from shared.resources import INGEST_API
from shared.secrets import EnvSecrets
from shared.settings import (
    DEV_GOOGLE_AUDIENCE,
    DEV_GOOGLE_JWKS,
    DEV_GOOGLE_SERVICE_ACCOUNT,
    Settings,
    dev_platform_secret,
)
from tests.conftest import FIXTURES
from tests.e2e.test_push_platforms import CASES, Case
from tests.unit.test_ingest_service import FakePublisher

BY_PLATFORM = {case.platform: case for case in CASES}
PLATFORMS = sorted(CONNECTORS)


class NoReviews:
    def fetch(self, review_name: str) -> None:
        return None  # the review was deleted before it could be read


class NoInstagram:
    def comment(self, account: str, comment_id: str) -> None:
        return None

    def media(self, account: str, media_id: str) -> None:
        return None


@dataclass
class Root:
    settings: Settings
    secrets: EnvSecrets
    service: IngestService


@dataclass
class Edge:
    client: Client
    publisher: FakePublisher


@pytest.fixture(scope="module")
def edge() -> Iterator[Edge]:
    settings = Settings()
    secrets = EnvSecrets(settings)
    publisher = FakePublisher()
    connectors = {
        **CONNECTORS,
        "google": Google(
            keys=JwksKeys(DEV_GOOGLE_JWKS),
            reviews=NoReviews(),
            expect=Audience(DEV_GOOGLE_AUDIENCE, DEV_GOOGLE_SERVICE_ACCOUNT),
        ),
        "meta": Meta(instagram_mentions=NoInstagram()),
    }
    service = IngestService(settings, secrets, publisher, connectors)
    ingest_bootstrap.root.override(Root(settings, secrets, service))  # type: ignore[arg-type]
    yield Edge(Client(Gateway([Function(INGEST_API)])), publisher)
    ingest_bootstrap.root.override(None)


def fixtures_of(platform: str) -> list[bytes]:
    folder = FIXTURES / "webhooks" / platform
    bodies = [p.read_bytes() for p in sorted(folder.glob("*")) if p.suffix in {".json", ".xml"} and _body(p)]
    return [BY_PLATFORM[platform].body, *bodies]


def _body(path: Path) -> bool:
    return not path.name.startswith("signature") and path.stat().st_size < 200_000


FIXTURE_BODIES = {platform: fixtures_of(platform) for platform in PLATFORMS}


def post(edge: Edge, case: Case, body: bytes, headers: dict[str, str]) -> Any:
    query = ""
    if case.platform == "trustpilot" and "Authorization" not in headers:
        query = f"?token={dev_platform_secret('trustpilot')}"
    return edge.client.post(f"/webhooks/{case.platform}{query}", data=body, headers=headers)


def check(edge: Edge, response: Any, before: int) -> None:
    """The promise: 2xx or a 4xx problem document; refused → nothing queued; accepted → what the receipt names."""
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:500])
    queued = edge.publisher.sent[before:]
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == response.status_code and problem["type"].startswith("urn:hark:problem:")
        assert queued == [], "a refused delivery queued mentions"
        return
    assert 200 <= response.status_code < 300
    for envelope in queued:
        mention = Mention.model_validate_json(envelope.data.mention.model_dump_json())
        assert text_json_bytes(mention.text) <= MAX_TEXT_JSON_BYTES
    if response.headers.get("Content-Type", "").startswith("application/json"):
        receipt = response.get_json()
        if isinstance(receipt, dict) and "mention_ids" in receipt:
            assert sorted(receipt["mention_ids"]) == sorted({e.data.mention.id for e in queued})


# Values hostile to a parser: huge, wrongly typed, deeply nested, odd Unicode.
HUGE = st.sampled_from(["x" * 70_000, "é" * 40_000, "\U0001f600" * 30_000, "a\u0000b" * 1000])
ODD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=()), min_size=0, max_size=60
) | st.sampled_from(["", " ", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "\u202e"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    ODD_TEXT,
    HUGE,
)


def _nest(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


NESTED = st.integers(min_value=50, max_value=5000).map(_nest)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
                      max_leaves=6) | NESTED  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for n, value in enumerate(node[:20]):
            yield from _paths(value, (*prefix, n))


def _replace(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, platform: str) -> bytes:
    original = draw(st.sampled_from(FIXTURE_BODIES[platform]))
    try:
        document = json.loads(original)
    except ValueError:
        document = None
    body = original
    if document is not None and draw(st.booleans()):
        paths = list(_paths(document))
        path = draw(st.sampled_from(paths))
        delete = bool(path) and draw(st.booleans())
        changed = _replace(document, path, draw(VALUES), delete)
        try:
            body = json.dumps(changed, ensure_ascii=draw(st.booleans())).encode()
        except RecursionError:  # too deep even for the standard library to write: sent as built by hand
            body = b"[" * 100_000 + b"]" * 100_000
    damage = draw(st.sampled_from(["none", "none", "truncate", "bad-utf8", "bom", "nul"]))
    if damage == "truncate" and body:
        body = body[: draw(st.integers(min_value=0, max_value=len(body) - 1))]
    elif damage == "bad-utf8" and body:
        at = draw(st.integers(min_value=0, max_value=len(body)))
        body = (
            body[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])) + body[at:]
        )
    elif damage == "bom":
        body = b"\xef\xbb\xbf" + body
    elif damage == "nul":
        body = body.replace(b'"', b'"\x00', 1)
    return body


RUN = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HEADER_NAMES = st.sampled_from(
    ["content-type", "x-hub-signature-256", "x-signature-ed25519", "x-slack-signature", "webhook-signature",
     "authorization", "x-twitch-eventsub-message-signature", "x-zendesk-webhook-signature", "x-random"]
)  # fmt: skip


@pytest.mark.parametrize("platform", PLATFORMS)
@RUN
@given(body=st.binary(max_size=4096), headers=st.dictionaries(HEADER_NAMES, ODD_TEXT.map(str), max_size=4))
def test_random_bytes_with_random_headers_are_refused_cleanly(
    edge: Edge, platform: str, body: bytes, headers: dict[str, str]
) -> None:
    clean = {k: v for k, v in headers.items() if v.isprintable() and v.isascii()}
    before = len(edge.publisher.sent)
    response = edge.client.post(f"/webhooks/{platform}", data=body, headers=clean)
    check(edge, response, before)
    assert response.status_code >= 400  # nothing unsigned is ever accepted


@pytest.mark.parametrize("platform", PLATFORMS)
@RUN
@given(data=st.data())
def test_mutated_real_deliveries_signed_as_the_platform_signs_them(edge: Edge, platform: str, data: Any) -> None:
    import time

    case = BY_PLATFORM[platform]
    body = data.draw(mutated(platform))
    headers = case.sign(body, int(time.time()))
    before = len(edge.publisher.sent)
    check(edge, post(edge, case, body, headers), before)


@pytest.mark.parametrize("platform", PLATFORMS)
@RUN
@given(data=st.data())
def test_a_signed_delivery_with_a_header_missing_or_a_wrong_content_type(edge: Edge, platform: str, data: Any) -> None:
    import time

    case = BY_PLATFORM[platform]
    body = case.body
    headers = case.sign(body, int(time.time()))
    if data.draw(st.booleans()) and headers:
        del headers[data.draw(st.sampled_from(sorted(headers)))]
    else:
        headers["Content-Type"] = data.draw(
            st.sampled_from(
                [
                    "text/plain",
                    "application/xml",
                    "multipart/form-data; boundary=x",
                    "",
                    "application/json; charset=latin-1",
                    "*/*",
                ]
            )
        )
    before = len(edge.publisher.sent)
    check(edge, post(edge, case, body, headers), before)


def test_the_unmutated_fixtures_are_accepted_so_the_mutations_reach_the_parser(edge: Edge) -> None:
    """Without this, a signing mistake here would make every mutated delivery a 401 and prove nothing."""
    import time

    for platform in PLATFORMS:
        case = BY_PLATFORM[platform]
        response = post(edge, case, case.body, case.sign(case.body, int(time.time())))
        assert response.status_code == 200, (platform, response.get_data(as_text=True))
