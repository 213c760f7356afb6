"""Inputs built to break things: every one gets a clear answer, none a 500, none a lost or half-stored message."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import meta_body, meta_headers
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Candidate, build_mention, from_unix
from services.ingest.platforms.meta import Meta
from services.ingest.service import IngestService
from shared.errors import BadRequest
from shared.events import MAX_TEXT_JSON_BYTES, Author, MentionReceived, fit_text, text_json_bytes
from shared.http import HttpRequest
from shared.partner_api import PartnerMention
from shared.queues import EnvelopePublisher, sqs_safe
from shared.resources import CLASSIFY_QUEUE
from shared.secrets import EnvSecrets
from shared.settings import Settings, dev_platform_secret
from shared.store.paging import decode_cursor, encode_cursor, time_key
from tests.unit.test_ingest_service import FakeDedupe, FakePublisher

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def meta_request(payload: Any) -> HttpRequest:
    body = meta_body(payload)
    headers = {k.lower(): v for k, v in meta_headers(body, dev_platform_secret("meta")).items()}
    return HttpRequest("POST", "/webhooks/meta", headers, body=body, received_at=NOW)


def change(value: dict[str, Any], field: str = "feed", obj: str = "page") -> dict[str, Any]:
    return {"object": obj, "entry": [{"id": "1", "time": 1, "changes": [{"field": field, "value": value}]}]}


@pytest.mark.parametrize(
    "payload",
    [
        change({"item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "1_1", "message": "hi",
                "from": {"id": "9", "name": 5}}),
        change({"item": "rating", "verb": "add", "open_graph_story_id": 7, "reviewer_id": 8, "reviewer_name": [1],
                "review_text": "bad", "rating": 1}, field="ratings"),
        change({"id": "5", "text": "hi", "from": {"id": "6", "username": {"x": 1}}}, field="comments", obj="instagram"),
        change({"metadata": {"phone_number_id": "1"}, "contacts": [{"wa_id": "2", "profile": "bob"}],
                "messages": [{"from": "2", "id": "w1", "timestamp": "1", "type": "interactive",
                              "interactive": {"button_reply": "yes"}}]},
               field="messages", obj="whatsapp_business_account"),
    ],
)  # fmt: skip
def test_odd_field_types_do_not_crash_the_parser(payload: dict[str, Any]) -> None:
    parsed = Meta().parse(meta_request(payload))
    assert len(parsed.candidates) == 1


@pytest.mark.parametrize("value", [1e300, "inf", "nan", -1e13, "99999999999999999999", [], None])
def test_impossible_timestamps_are_bad_requests(value: Any) -> None:
    with pytest.raises(BadRequest):
        from_unix(value)


def test_a_parser_surprise_is_a_400_not_a_500() -> None:
    class Surprised(type(CONNECTORS["meta"])):  # type: ignore[misc]
        def parse(self, request: HttpRequest) -> Any:
            raise TypeError("unforeseen shape")

    service = IngestService(Settings(), EnvSecrets(Settings()), FakeDedupe(), FakePublisher(), {"meta": Surprised()})
    with pytest.raises(BadRequest, match="not a meta delivery"):
        service.webhook("meta", meta_request({"object": "page", "entry": []}))


def test_dedupe_keys_have_a_fixed_size_whatever_the_platform_sends() -> None:
    mention = build_mention(
        platform="generic", channel="t", kind="comment", native_id="😀" * 512, thread_id="t", author=Author(id="a"),
        text="hi", created_at=NOW, received_at=NOW,
    )  # fmt: skip
    assert len(Candidate.new_message(mention).dedupe_key.encode()) < 64


def test_texts_are_cut_to_what_dynamodb_and_sqs_can_hold() -> None:
    cjk, cut = fit_text("字" * 80_000)
    assert cut and text_json_bytes(cjk) <= MAX_TEXT_JSON_BYTES
    controls, cut = fit_text("\x01" * 99_000)
    assert cut and text_json_bytes(controls) <= MAX_TEXT_JSON_BYTES
    assert fit_text("short") == ("short", False)
    with pytest.raises(ValueError, match="larger than"):
        PartnerMention.model_validate({"native_id": "x", "author": {"id": "a"}, "text": "字" * 80_000})


class FlakySqs:
    """Takes the first batch, fails the second call outright."""

    def __init__(self) -> None:
        self.calls = 0
        self.sent: list[str] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 2:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "ServiceUnavailable"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
                "SendMessageBatch",
            )
        self.sent += [e["MessageBody"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


def test_a_failed_batch_call_fails_only_its_own_messages() -> None:
    sqs = FlakySqs()
    publisher = EnvelopePublisher(Settings(queue_urls={"classify": "http://q"}), CLASSIFY_QUEUE, sqs)
    envelopes = []
    for n in range(15):
        mention = build_mention(
            platform="generic", channel="t", kind="comment", native_id=str(n), thread_id="t", author=Author(id="a"),
            text="hi", created_at=NOW, received_at=NOW,
        )  # fmt: skip
        envelopes.append(MentionReceived.wrap(mention, correlation_id="c", producer="t", occurred_at=NOW))
    failed = publisher.publish(envelopes)
    assert failed == [e.id for e in envelopes[10:]]
    assert len(sqs.sent) == 10


def test_characters_sqs_refuses_travel_as_escapes() -> None:
    body = json.dumps({"text": "a\ufffeb\uffff"}, ensure_ascii=False)
    assert json.loads(sqs_safe(body)) == {"text": "a\ufffeb\uffff"}
    assert "\ufffe" not in sqs_safe(body)


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
        encode_cursor(""),
        encode_cursor("x" * 500),
        encode_cursor("bad key with spaces"),
        "A" * 1000,
    ],
)
def test_hostile_cursors_are_bad_requests(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor)


def test_time_keys_are_fixed_width_for_any_year() -> None:
    assert time_key(datetime(999, 1, 1, tzinfo=UTC)) < time_key(datetime(2026, 1, 1, tzinfo=UTC))
    assert len(time_key(datetime(999, 1, 1, tzinfo=UTC))) == len(time_key(NOW))


def test_the_api_answers_odd_since_values_without_a_500() -> None:
    from services.respond.service import _moment

    assert _moment("0999-01-01T00:00:00Z", "since") == datetime(1970, 1, 1, tzinfo=UTC)  # clamped
    for impossible in ("0001-01-01T00:00:00+01:00", "2026-13-45T00:00:00Z"):
        with pytest.raises(BadRequest):
            _moment(impossible, "since")


def test_metric_dimensions_do_not_leak_between_invocations() -> None:
    from shared.observability import dimension, flush, get_metrics

    dimension("leaktest", "platform", "github")
    flush("leaktest")
    assert get_metrics("leaktest").dimension_set == {}
