"""The raw archive in the ingest core, with an in-memory archive that keeps what the S3 adapter keeps: every
accepted delivery archived before anything is queued, its key on every mention, nothing archived that was refused;
and replay re-driving an archived delivery into the same mentions, without its signature."""

from __future__ import annotations

import gzip
import json
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.ingest.archive import (
    ArchivedDelivery,
    archive_key,
    archived_headers,
    decode,
    encode,
    key_time,
)
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Answer, Delivery
from services.ingest.service import IngestService, Receipt
from shared.errors import InvalidBody, InvalidSignature, Unavailable
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import webhook_fixture
from tests.unit.test_ingest_service import NOW, FakePublisher, github_delivery, meta_delivery, meta_messages


class FakeArchive:
    """Keeps encoded deliveries by key and an author index, like `RawArchive`; `down` is an S3 outage."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.index: dict[str, set[str]] = {}
        self.down = False

    def keep(self, delivery: Delivery, delivery_id: str, author_keys: Collection[str]) -> str:
        if self.down:
            raise Unavailable("archive the delivery: SlowDown")
        key = archive_key(delivery.platform, delivery.received_at, delivery_id)
        for author in author_keys:
            self.index.setdefault(author, set()).add(key)
        self.objects[key] = encode(delivery, delivery_id)
        return key

    def load(self, key: str) -> ArchivedDelivery:
        return decode(key, self.objects[key])


@pytest.fixture
def parts() -> tuple[IngestService, FakePublisher, FakeArchive]:
    settings = Settings(max_webhook_bytes=64 * 1024)
    publisher, archive = FakePublisher(), FakeArchive()
    return IngestService(settings, EnvSecrets(settings), publisher, CONNECTORS, archive=archive), publisher, archive


def test_an_accepted_delivery_is_archived_and_each_mention_carries_its_key(parts: Any) -> None:
    service, publisher, archive = parts
    receipt = service.receive(meta_delivery(meta_messages("where is my order", "still waiting")))
    assert isinstance(receipt, Receipt)
    [key] = archive.objects
    assert receipt.archive_key == key
    assert key.startswith("meta/2026-11-26/090000.000000Z-")
    assert {e.data.archive_key for e in publisher.sent} == {key}
    assert archive.index == {"meta#9": {key}}  # found by author, for erasure


def test_an_archive_outage_refuses_the_delivery_before_anything_is_queued(parts: Any) -> None:
    service, publisher, archive = parts
    archive.down = True
    with pytest.raises(Unavailable):
        service.receive(meta_delivery(meta_messages("hello")))
    assert publisher.sent == []  # nothing acknowledged, nothing queued: the platform retries


def test_what_is_refused_or_only_a_protocol_answer_is_not_archived(parts: Any) -> None:
    service, _, archive = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(InvalidSignature):
        service.receive(github_delivery(body, secret="wrong"))
    with pytest.raises(InvalidBody):
        service.receive(github_delivery(b'{"action": "created"}'))
    answer = service.receive(github_delivery(webhook_fixture("github", "ping__payload.json"), "ping"))
    assert isinstance(answer, Answer)
    assert archive.objects == {}
    receipt = service.receive(meta_delivery(webhook_fixture("meta", "restfb__messaging-read-basic.json")))
    assert isinstance(receipt, Receipt)
    assert (receipt.mentions, receipt.ignored) == ((), 1)
    assert list(archive.objects) == [receipt.archive_key]  # accepted, with no message in it: a later parser may
    deleted = service.receive(github_delivery(body.replace(b'"created"', b'"deleted"', 1)))  # read more of it
    assert isinstance(deleted, Receipt)
    assert (deleted.mentions, len(deleted.deletions)) == ((), 1)
    assert len(archive.objects) == 2  # a deletion is kept like a message: a replay applies it again


def test_signatures_and_credentials_are_never_archived() -> None:
    headers = {
        "x-hub-signature-256": "sha256=ab",
        "x-hub-signature": "sha1=cd",
        "x-signature-ed25519": "ef",
        "x-slack-signature": "v0=12",
        "webhook-signature": "v1,34",
        "authorization": "Bearer token",
        "x-telegram-bot-api-secret-token": "s3cret",
        "x-api-key": "hark-dev-api-key",
        "cookie": "session=1",
        "x-github-event": "issue_comment",
        "x-github-delivery": "72d3162e",
        "x-slack-request-timestamp": "1531420618",
        "content-type": "application/json",
    }
    assert archived_headers(headers) == {
        "x-github-event": "issue_comment",
        "x-github-delivery": "72d3162e",
        "x-slack-request-timestamp": "1531420618",
        "content-type": "application/json",
    }


@pytest.mark.parametrize("body", [b'{"text": "caf\\u00e9 \xc3\xa9"}', b"\xff\xfe binary, not UTF-8"])
def test_an_archived_delivery_round_trips_byte_for_byte(body: bytes) -> None:
    delivery = Delivery(
        "github",
        body,
        datetime(2026, 11, 26, 23, 59, 59, 999_999, tzinfo=UTC),
        headers={"content-type": "application/json", "x-hub-signature-256": "sha256=00"},
        query={"hook": "1"},
        request_id="req-1",
    )
    data = encode(delivery, "72d3162e-cc78")
    document = json.loads(gzip.decompress(data))
    assert "x-hub-signature-256" not in json.dumps(document)
    archived = decode("github/k", data)
    assert archived.delivery == replace(delivery, headers={"content-type": "application/json"})
    assert archived.delivery_id == "72d3162e-cc78"


def test_keys_sort_by_arrival_within_a_day_and_read_back_their_time() -> None:
    moments = [NOW + timedelta(seconds=s) for s in (0, 0.000001, 59, 3600 * 14)]
    keys = [archive_key("meta", m, "d") for m in moments]
    assert keys == sorted(keys)
    assert [key_time(k) for k in keys] == moments
    odd = archive_key("github", NOW.astimezone(UTC) + timedelta(hours=-10), "../../etc/passwd évil id")
    assert odd.startswith("github/2026-11-25/230000.000000Z-")
    assert "/" not in odd.split("/", 2)[2]  # a delivery id cannot reach outside its day
    assert archive_key("github", NOW, "a/b") != archive_key("github", NOW, "a-b")  # cleaned alike, kept apart
    assert key_time("not/a/hark-key") is None


def test_a_replay_re_drives_the_same_mentions_without_the_signature(parts: Any) -> None:
    service, publisher, archive = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    first = service.receive(github_delivery(body))
    assert isinstance(first, Receipt)
    assert first.archive_key is not None
    archived = archive.load(first.archive_key)
    assert "x-hub-signature-256" not in archived.delivery.headers
    with pytest.raises(InvalidSignature):
        service.receive(archived.delivery)  # the archived copy can no longer pass as a webhook
    again = service.replay(archived)
    assert again.mentions == first.mentions  # same ids, same arrival time: the owners drop it
    assert len(archive.objects) == 1  # replaying archives nothing new
    original, replayed = publisher.sent
    assert replayed.data.archive_key == original.data.archive_key == first.archive_key
    assert replayed.data.delivery_id == original.data.delivery_id
