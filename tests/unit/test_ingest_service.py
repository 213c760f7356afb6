"""The ingest domain with in-memory fakes: every refusal explicit, nothing claimed for a refused request, and
nothing lost or doubled when enqueueing fails halfway."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import github_headers, meta_body, meta_headers
from services.ingest.platforms import CONNECTORS
from services.ingest.service import IngestService
from shared.errors import (
    BadRequest,
    InvalidSignature,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from shared.events import Envelope, MentionReceived
from shared.http import HttpRequest
from shared.secrets import EnvSecrets
from shared.settings import DEV_API_KEY, Settings, dev_platform_secret
from tests.conftest import webhook_fixture

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class FakeDedupe:
    def __init__(self) -> None:
        self.state: dict[str, str] = {}
        self.fail_claim_after: int | None = None
        self.fail_confirm = False

    def claim(self, key: str, mention_id: str) -> bool:
        if self.fail_claim_after is not None and len(self.state) >= self.fail_claim_after:
            raise Unavailable("dynamodb throttled")
        if key in self.state:
            return False
        self.state[key] = "pending"
        return True

    def confirm(self, key: str, ttl_s: int) -> None:
        if self.fail_confirm:
            raise Unavailable("dynamodb throttled")
        self.state[key] = "done"

    def release(self, key: str) -> None:
        if self.state.get(key) == "pending":
            del self.state[key]


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[MentionReceived] = []
        self.reject: set[str] = set()  # native ids SQS "fails"
        self.down = False

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        if self.down:
            raise Unavailable("sqs unreachable")
        failed = []
        for envelope in envelopes:
            assert isinstance(envelope, MentionReceived)
            if envelope.data.native_id in self.reject:
                failed.append(envelope.id)
            else:
                self.sent.append(envelope)
        return failed


@pytest.fixture
def parts() -> tuple[IngestService, FakeDedupe, FakePublisher]:
    settings = Settings(max_webhook_bytes=64 * 1024, max_api_bytes=8 * 1024)
    dedupe, publisher = FakeDedupe(), FakePublisher()
    return IngestService(settings, EnvSecrets(settings), dedupe, publisher, CONNECTORS), dedupe, publisher


def github_request(body: bytes, event: str = "issue_comment", secret: str | None = None) -> HttpRequest:
    headers = github_headers(body, secret or dev_platform_secret("github"), event)
    return HttpRequest(
        "POST", "/webhooks/github", {k.lower(): v for k, v in headers.items()}, body=body, received_at=NOW
    )


def meta_messages(*texts: str) -> bytes:
    return meta_body(
        {
            "object": "page",
            "entry": [
                {
                    "id": "1",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": "9"},
                            "recipient": {"id": "1"},
                            "timestamp": 1,
                            "message": {"mid": t, "text": t},
                        }
                        for t in texts
                    ],
                }
            ],
        }
    )


def meta_request(body: bytes) -> HttpRequest:
    headers = {k.lower(): v for k, v in meta_headers(body, dev_platform_secret("meta")).items()}
    return HttpRequest("POST", "/webhooks/meta", headers, body=body, received_at=NOW)


def partner_request(payload: Any, key: str | None = DEV_API_KEY, content_type: str = "application/json") -> HttpRequest:
    headers = {"content-type": content_type}
    if key:
        headers["x-api-key"] = key
    return HttpRequest("POST", "/v1/mentions", headers, body=json.dumps(payload).encode(), received_at=NOW)


def test_a_delivery_is_enqueued_once_and_its_redelivery_is_dropped(parts: Any) -> None:
    service, dedupe, publisher = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    first = service.webhook("github", github_request(body))
    assert first.json["accepted"] == 1
    second = service.webhook("github", github_request(body))
    assert (second.json["accepted"], second.json["duplicates"]) == (0, 1)
    assert second.json["mention_ids"] == first.json["mention_ids"]
    assert len(publisher.sent) == 1
    envelope = publisher.sent[0]
    assert envelope.event == "mention.received"
    assert envelope.correlation_id  # GitHub's delivery id travels with the mention
    assert list(dedupe.state.values()) == ["done"]


def test_refusals_come_before_any_write(parts: Any) -> None:
    service, dedupe, publisher = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(NotFound):
        service.webhook("myspace", github_request(body))
    with pytest.raises(MethodNotAllowed):
        service.webhook("github", HttpRequest("PUT", "/webhooks/github", body=body))
    with pytest.raises(MethodNotAllowed):
        service.webhook("github", HttpRequest("GET", "/webhooks/github"))
    with pytest.raises(InvalidSignature):
        service.webhook("github", github_request(body, secret="wrong"))
    with pytest.raises(PayloadTooLarge):
        service.webhook("github", github_request(b"{" + b" " * (64 * 1024) + b"}"))
    form = github_request(body)
    form = HttpRequest(form.method, form.path, {**form.headers, "content-type": "text/plain"}, body=body)
    with pytest.raises(UnsupportedMediaType):
        service.webhook("github", form)
    with pytest.raises(BadRequest):
        service.webhook("github", github_request(b'{"action": "created"}'))
    assert dedupe.state == {}
    assert publisher.sent == []


def test_a_batch_with_the_same_message_twice_enqueues_it_once(parts: Any) -> None:
    service, _, publisher = parts
    reply = service.webhook("meta", meta_request(meta_messages("hello", "hello", "again")))
    assert (reply.json["accepted"], reply.json["duplicates"]) == (2, 1)
    assert [e.data.text for e in publisher.sent] == ["hello", "again"]


def test_a_partly_failed_enqueue_answers_503_and_the_retry_delivers_only_the_rest(parts: Any) -> None:
    service, dedupe, publisher = parts
    body = meta_messages("one", "two", "three")
    publisher.reject = {"two"}
    with pytest.raises(Unavailable, match="1 of 3"):
        service.webhook("meta", meta_request(body))
    assert sorted(e.data.text for e in publisher.sent) == ["one", "three"]
    assert sorted(dedupe.state.values()) == ["done", "done"]  # the failed one's claim was released
    publisher.reject = set()
    retry = service.webhook("meta", meta_request(body))
    assert (retry.json["accepted"], retry.json["duplicates"]) == (1, 2)
    assert sorted(e.data.text for e in publisher.sent) == ["one", "three", "two"]


def test_a_queue_outage_releases_every_claim(parts: Any) -> None:
    service, dedupe, publisher = parts
    publisher.down = True
    with pytest.raises(Unavailable):
        service.webhook("meta", meta_request(meta_messages("a", "b")))
    assert dedupe.state == {}
    publisher.down = False
    assert service.webhook("meta", meta_request(meta_messages("a", "b"))).json["accepted"] == 2


def test_a_table_outage_halfway_releases_what_was_claimed(parts: Any) -> None:
    service, dedupe, publisher = parts
    dedupe.fail_claim_after = 1
    with pytest.raises(Unavailable):
        service.webhook("meta", meta_request(meta_messages("a", "b")))
    assert dedupe.state == {}
    assert publisher.sent == []


def test_an_unconfirmed_claim_does_not_fail_an_enqueued_delivery(parts: Any) -> None:
    service, dedupe, publisher = parts
    dedupe.fail_confirm = True
    assert service.webhook("meta", meta_request(meta_messages("a"))).json["accepted"] == 1
    assert len(publisher.sent) == 1


def test_partner_submission_single_and_batch(parts: Any) -> None:
    service, _, publisher = parts
    one = {"native_id": "t-1", "author": {"id": "a"}, "text": "Where is my parcel?"}
    reply = service.submit(partner_request(one))
    assert reply.status == 202
    assert reply.json["mentions"][0]["status"] == "accepted"
    batch = {"mentions": [one, {**one, "native_id": "t-2", "platform": "reddit", "thread_id": "post-9"}]}
    statuses = [m["status"] for m in service.submit(partner_request(batch)).json["mentions"]]
    assert statuses == ["duplicate", "accepted"]
    second = publisher.sent[-1].data
    assert (second.platform, second.thread_id, second.channel) == ("reddit", "post-9", "reddit.api")
    repeated = {"mentions": [{**one, "native_id": "t-3"}, {**one, "native_id": "t-3"}]}
    assert [m["status"] for m in service.submit(partner_request(repeated)).json["mentions"]] == [
        "accepted",
        "duplicate",
    ]


@pytest.mark.parametrize(
    ("payload", "key", "content_type", "error"),
    [
        ({"native_id": "x", "author": {"id": "a"}, "text": "hi"}, None, "application/json", Unauthorized),
        ({"native_id": "x", "author": {"id": "a"}, "text": "hi"}, "wrong", "application/json", Unauthorized),
        ({"native_id": "x", "author": {"id": "a"}, "text": "hi"}, DEV_API_KEY, "text/csv", UnsupportedMediaType),
        ({"native_id": "x", "text": "no author"}, DEV_API_KEY, "application/json", BadRequest),
        (
            {"native_id": "x", "author": {"id": "a"}, "text": "hi", "created_at": "2026-11-26T09:00:00"},
            DEV_API_KEY,
            "application/json",
            BadRequest,
        ),
        (
            {"native_id": "x", "author": {"id": "a"}, "text": "hi", "surprise": 1},
            DEV_API_KEY,
            "application/json",
            BadRequest,
        ),
        ({"mentions": []}, DEV_API_KEY, "application/json", BadRequest),
        (
            {"mentions": [{"native_id": str(i), "author": {"id": "a"}, "text": "x"} for i in range(101)]},
            DEV_API_KEY,
            "application/json",
            BadRequest,
        ),
        (
            {"native_id": "x", "author": {"id": "a"}, "text": "x" * 9000},
            DEV_API_KEY,
            "application/json",
            PayloadTooLarge,
        ),
    ],
)
def test_partner_submission_refusals(parts: Any, payload: Any, key: str | None, content_type: str, error: type) -> None:
    service, dedupe, publisher = parts
    with pytest.raises(error):
        service.submit(partner_request(payload, key, content_type))
    assert dedupe.state == {}
    assert publisher.sent == []


def test_partner_validation_errors_say_where(parts: Any) -> None:
    service, _, _ = parts
    with pytest.raises(BadRequest) as caught:
        service.submit(partner_request({"native_id": "x", "author": {}, "text": "hi"}))
    assert {"loc": ["author", "id"], "msg": "Field required", "type": "missing"} in caught.value.extra["errors"]
