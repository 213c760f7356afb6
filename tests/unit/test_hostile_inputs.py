"""Inputs built to break things: every one gets a clear answer, none a 500, none a lost or half-stored message."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from devstack.signing import github_headers, meta_body, meta_headers
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Delivery, Person, build_mention, from_unix
from services.ingest.platforms.meta import Meta
from services.ingest.service import IngestService
from shared.api.models import MentionQuery, PartnerMention
from shared.errors import InvalidBody, InvalidQuery
from shared.events import (
    MAX_TEXT_JSON_BYTES,
    MAX_URL_CHARS,
    Arrival,
    Mention,
    MentionReceived,
    fit_text,
    text_json_bytes,
)
from shared.queues import EnvelopePublisher, sqs_safe
from shared.resources import CLASSIFY_QUEUE
from shared.secrets import EnvSecrets
from shared.settings import Settings, dev_platform_secret
from shared.store.paging import decode_cursor, encode_cursor, time_key
from tests.conftest import webhook_fixture
from tests.unit.test_ingest_service import FakePublisher

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def meta_request(payload: Any) -> Delivery:
    body = meta_body(payload)
    headers = {k.lower(): v for k, v in meta_headers(body, dev_platform_secret("meta")).items()}
    return Delivery("meta", body, NOW, headers=headers)


def github_request(payload: Any, event: str = "issue_comment") -> Delivery:
    body = json.dumps(payload).encode()
    headers = {k.lower(): v for k, v in github_headers(body, dev_platform_secret("github"), event).items()}
    return Delivery("github", body, NOW, headers=headers)


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
    assert len(parsed.mentions) == 1


@pytest.mark.parametrize("value", [1e300, "inf", "nan", -1e13, "99999999999999999999", [], None])
def test_impossible_timestamps_are_refused(value: Any) -> None:
    with pytest.raises(InvalidBody):
        from_unix(value)


def test_a_parser_surprise_is_a_refusal_not_a_crash() -> None:
    class Surprised(type(CONNECTORS["meta"])):  # type: ignore[misc]
        def parse(self, delivery: Delivery) -> Any:
            raise TypeError("unforeseen shape")

    service = IngestService(Settings(), EnvSecrets(Settings()), FakePublisher(), {"meta": Surprised()})
    with pytest.raises(InvalidBody, match="not a meta delivery"):
        service.receive(meta_request({"object": "page", "entry": []}))


def mention(**fields: Any) -> Mention:
    values: dict[str, Any] = {
        "platform": "generic", "channel": "t", "kind": "comment", "native_id": "n", "thread_id": "t",
        "author": Person(id="a"), "text": "hi", "created_at": NOW, "received_at": NOW,
    }  # fmt: skip
    return build_mention(**{**values, **fields})


def test_mention_ids_have_a_fixed_size_whatever_the_platform_sends() -> None:
    assert len(mention(native_id="😀" * 512).id.encode()) < 64


def github_comment(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    for path, value in changes.items():
        target = payload
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return payload


def test_a_huge_url_is_dropped_and_the_mention_says_it_was_cut() -> None:
    [kept] = CONNECTORS["github"].parse(github_request(github_comment(comment__html_url="h" * 600_000))).mentions
    assert (kept.url, kept.truncated) == (None, True)
    assert kept.text == "You are totally right! I'll get this fixed right away."


@pytest.mark.parametrize(
    "change",
    [
        {"repository__full_name": "r" * 300_000},  # the account and the thread
        {"comment__node_id": "n" * 1_000_000},  # the message's own id
        {"comment__user__id": "9" * 5_000},
    ],
)
def test_identity_too_long_to_store_refuses_the_delivery(change: dict[str, Any]) -> None:
    with pytest.raises(InvalidBody, match="longer than"):
        CONNECTORS["github"].parse(github_request(github_comment(**change)))


def test_an_id_sent_as_a_boolean_is_refused() -> None:
    with pytest.raises(InvalidBody):
        CONNECTORS["github"].parse(github_request(github_comment(comment__id=True, comment__node_id=None)))


def test_every_field_is_fitted_so_an_acknowledged_mention_fits_its_table() -> None:
    fitted = mention(
        author=Person(id="a", handle="h" * 5000, name="n" * 5000, followers=10**18),
        url="u" * (MAX_URL_CHARS + 1),
        text="字" * 80_000,
        lang="x" * 40,
        rating=9,
    )
    assert fitted.truncated
    assert fitted.author.followers is None  # more followers than anyone has: not believed
    assert len(fitted.author.handle or "") == len(fitted.author.name or "") == 512
    assert (fitted.url, fitted.lang, fitted.rating) == (None, None, None)
    envelope = MentionReceived.wrap(Arrival(mention=fitted), correlation_id="c", producer="t", occurred_at=NOW)
    assert len(envelope.model_dump_json().encode()) < 256 * 1024


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), NOW),  # the future
        (datetime(1970, 1, 1, tzinfo=UTC), NOW),  # before any platform existed
        (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
    ],
)
def test_implausible_timestamps_become_the_arrival_time(sent: datetime, stored: datetime) -> None:
    assert mention(created_at=sent).created_at == stored


def test_a_year_9999_timestamp_with_a_negative_offset_does_not_crash() -> None:
    delivery = github_request(github_comment(comment__created_at="9999-12-31T23:59:59-23:59"))
    [kept] = CONNECTORS["github"].parse(delivery).mentions
    assert kept.created_at == NOW


def test_texts_are_cut_to_what_dynamodb_and_sqs_can_hold() -> None:
    cjk, cut = fit_text("字" * 80_000)
    assert cut and text_json_bytes(cjk) <= MAX_TEXT_JSON_BYTES
    controls, cut = fit_text("\x01" * 99_000)
    assert cut and text_json_bytes(controls) <= MAX_TEXT_JSON_BYTES
    assert fit_text("short") == ("short", False)
    with pytest.raises(ValidationError, match="larger than"):
        PartnerMention.model_validate({"native_id": "x", "author": {"id": "a"}, "text": "字" * 80_000})
    with pytest.raises(ValidationError):
        PartnerMention.model_validate({"native_id": "x", "author": {"id": "a", "followers": 10**18}, "text": "x"})


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
        arrival = Arrival(mention=mention(native_id=str(n)))
        envelopes.append(MentionReceived.wrap(arrival, correlation_id="c", producer="t", occurred_at=NOW))
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
def test_hostile_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidQuery):
        decode_cursor(cursor)


def test_time_keys_are_fixed_width_for_any_year() -> None:
    assert time_key(datetime(999, 1, 1, tzinfo=UTC)) < time_key(datetime(2026, 1, 1, tzinfo=UTC))
    assert len(time_key(datetime(999, 1, 1, tzinfo=UTC))) == len(time_key(NOW))


def test_the_api_answers_odd_since_values_without_a_crash() -> None:
    assert MentionQuery.model_validate({"since": "0999-01-01T00:00:00Z"}).since == datetime(1970, 1, 1, tzinfo=UTC)
    assert MentionQuery.model_validate({"since": "2026-11-26T09:00:00 01:00"}).since == datetime(
        2026, 11, 26, 8, 0, tzinfo=UTC
    )  # a "+" that arrived as a space
    for impossible in ("0001-01-01T00:00:00+01:00", "2026-13-45T00:00:00Z", "", "2026-11-26T09:00:00"):
        with pytest.raises(ValidationError):
            MentionQuery.model_validate({"since": impossible})


def test_metrics_do_not_leak_between_invocations() -> None:
    from shared.observability import count, flush, get_metrics

    count("leaktest", "MentionsAccepted", 3)
    flush("leaktest")
    assert get_metrics("leaktest").metric_set == {}
    assert get_metrics("leaktest").dimension_set == {}


def test_a_deleted_messenger_message_is_a_deletion_not_a_new_message() -> None:
    event = {"sender": {"id": "7"}, "recipient": {"id": "1"}, "timestamp": 1,
             "message": {"mid": "m.1", "text": "gone", "is_deleted": True}}  # fmt: skip
    parsed = Meta().parse(meta_request({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [event]}]}))
    assert parsed.mentions == []
    assert [d.native_id for d in parsed.deletions] == ["m.1"]
