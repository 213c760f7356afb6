"""The ingest core with in-memory fakes: every refusal explicit and before anything is queued, every acknowledged
mention queued (or the delivery refused as a whole, so the platform retries), and partners in their own namespace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.signing import github_headers, meta_body, meta_headers
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Answer, Delivery, Handshake, Notice, Parsed
from services.ingest.service import IngestService, Receipt
from shared.api.models import PartnerMention
from shared.auth import Principal
from shared.errors import (
    InvalidBody,
    InvalidSignature,
    NoHandshake,
    NotFound,
    NotPermitted,
    TooLarge,
    Unavailable,
    UnsupportedContentType,
)
from shared.events import Envelope, MentionDeleted, MentionReceived
from shared.ids import mention_id
from shared.secrets import EnvSecrets
from shared.settings import Settings, dev_platform_secret
from tests.conftest import webhook_fixture

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PARTNER = Principal("crm", frozenset({"partner"}), "k_crm")
AGENT = Principal("ana", frozenset({"agent"}), "k_ana")


class FakePublisher:
    """Like the SQS adapter: returns the ids it could not send, raises only when the queue is unreachable."""

    def __init__(self) -> None:
        self.sent: list[MentionReceived] = []
        self.deleted: list[MentionDeleted] = []
        self.reject: set[str] = set()  # native ids SQS "fails"
        self.down = False

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        if self.down:
            raise Unavailable("sqs unreachable")
        failed = []
        for envelope in envelopes:
            if isinstance(envelope, MentionDeleted):
                native_id = envelope.data.native_id
            else:
                assert isinstance(envelope, MentionReceived)
                native_id = envelope.data.mention.native_id
            if native_id in self.reject:
                failed.append(envelope.id)
            elif isinstance(envelope, MentionDeleted):
                self.deleted.append(envelope)
            else:
                self.sent.append(envelope)
        return failed


class FakeNotices:
    def __init__(self) -> None:
        self.heard: list[Notice] = []

    def notify(self, notices: Sequence[Notice]) -> None:
        self.heard.extend(notices)


@pytest.fixture
def parts() -> tuple[IngestService, FakePublisher]:
    settings = Settings(max_webhook_bytes=64 * 1024, max_api_bytes=8 * 1024)
    publisher = FakePublisher()
    return IngestService(settings, EnvSecrets(settings), publisher, CONNECTORS), publisher


def github_delivery(body: bytes, event: str = "issue_comment", secret: str | None = None) -> Delivery:
    headers = github_headers(body, secret or dev_platform_secret("github"), event)
    return Delivery("github", body, NOW, headers={k.lower(): v for k, v in headers.items()})


def meta_messages(*texts: str) -> bytes:
    messaging = [
        {"sender": {"id": "9"}, "recipient": {"id": "1"}, "timestamp": 1, "message": {"mid": t, "text": t}}
        for t in texts
    ]
    return meta_body({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": messaging}]})


def meta_delivery(body: bytes) -> Delivery:
    headers = {k.lower(): v for k, v in meta_headers(body, dev_platform_secret("meta")).items()}
    return Delivery("meta", body, NOW, headers=headers)


def test_a_delivery_is_queued_with_its_delivery_id(parts: Any) -> None:
    service, publisher = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    receipt = service.receive(github_delivery(body))
    assert isinstance(receipt, Receipt)
    [mention] = receipt.mentions
    [envelope] = publisher.sent
    assert envelope.event == "mention.received"
    assert envelope.data.mention == mention
    assert envelope.data.delivery_id == envelope.correlation_id  # GitHub's delivery id travels with the mention
    assert envelope.data.delivery_id is not None


def test_a_redelivery_carries_the_same_mention_id_for_its_owner_to_drop(parts: Any) -> None:
    service, publisher = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    first = service.receive(github_delivery(body))
    again = service.receive(github_delivery(body))
    assert isinstance(first, Receipt)
    assert isinstance(again, Receipt)
    assert [m.id for m in first.mentions] == [m.id for m in again.mentions]
    assert {e.data.mention.id for e in publisher.sent} == {first.mentions[0].id}


def test_refusals_come_before_anything_is_queued(parts: Any) -> None:
    service, publisher = parts
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(NotFound):
        service.receive(replace(github_delivery(body), platform="myspace"))
    with pytest.raises(NoHandshake):
        service.handshake(Handshake("github", {}))
    with pytest.raises(InvalidSignature):
        service.receive(github_delivery(body, secret="wrong"))
    with pytest.raises(TooLarge):
        service.receive(github_delivery(b"{" + b" " * (64 * 1024) + b"}"))
    form = github_delivery(body)
    with pytest.raises(UnsupportedContentType):
        service.receive(replace(form, headers={**form.headers, "content-type": "text/plain"}))
    with pytest.raises(InvalidBody):
        service.receive(github_delivery(b'{"action": "created"}'))
    assert publisher.sent == []


def test_the_size_check_comes_before_the_signature_check(parts: Any) -> None:
    service, _ = parts
    with pytest.raises(TooLarge):
        service.receive(github_delivery(b"{" + b" " * (64 * 1024) + b"}", secret="wrong"))


def test_a_ping_is_answered_and_queues_nothing(parts: Any) -> None:
    service, publisher = parts
    answer = service.receive(github_delivery(webhook_fixture("github", "ping__payload.json"), "ping"))
    assert isinstance(answer, Answer)
    assert '"ok":true' in answer.body
    assert publisher.sent == []


def test_a_batch_with_the_same_message_twice_queues_it_once(parts: Any) -> None:
    service, publisher = parts
    receipt = service.receive(meta_delivery(meta_messages("hello", "hello", "again")))
    assert [m.text for m in receipt.mentions] == ["hello", "again"]
    assert [e.data.mention.text for e in publisher.sent] == ["hello", "again"]


def test_a_partly_failed_enqueue_refuses_the_delivery_so_the_platform_retries(parts: Any) -> None:
    service, publisher = parts
    body = meta_messages("one", "two", "three")
    publisher.reject = {"two"}
    with pytest.raises(Unavailable, match="1 of 3"):
        service.receive(meta_delivery(body))
    publisher.reject = set()
    service.receive(meta_delivery(body))
    # The retry sends all three again; "one" and "three" twice, which their owner drops by id.
    assert sorted(e.data.mention.text for e in publisher.sent) == ["one", "one", "three", "three", "two"]


def test_a_queue_outage_refuses_the_delivery(parts: Any) -> None:
    service, publisher = parts
    publisher.down = True
    with pytest.raises(Unavailable):
        service.receive(meta_delivery(meta_messages("a", "b")))
    publisher.down = False
    assert len(service.receive(meta_delivery(meta_messages("a", "b"))).mentions) == 2


def partner(native_id: str = "t-1", **fields: Any) -> PartnerMention:
    return PartnerMention.model_validate({"native_id": native_id, "author": {"id": "a"}, "text": "Where?", **fields})


def test_partner_submissions_and_in_batch_repeats(parts: Any) -> None:
    service, publisher = parts
    submitted = service.submit(
        PARTNER,
        [partner(), partner("t-2", platform="reddit", thread_id="post-9"), partner()],
        received_at=NOW,
    )
    assert [s.repeat for s in submitted] == [False, False, True]
    assert len(publisher.sent) == 2
    second = publisher.sent[1].data.mention
    assert (second.platform, second.thread_id, second.channel, second.source) == (
        "reddit",
        "post-9",
        "reddit.api",
        "partner:crm",
    )


def test_a_partner_cannot_claim_a_platform_message_id(parts: Any) -> None:
    service, _ = parts
    [submitted] = service.submit(PARTNER, [partner("MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==", platform="github")],
                                 received_at=NOW)  # fmt: skip
    genuine = mention_id("github", "MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==")
    assert submitted.mention.id != genuine
    other = service.submit(Principal("helpdesk", frozenset({"partner"}), "k_h"), [partner()], received_at=NOW)
    mine = service.submit(PARTNER, [partner()], received_at=NOW)
    assert other[0].mention.id != mine[0].mention.id  # each partner has its own namespace


def test_only_a_brand_role_may_submit_as_the_brand(parts: Any) -> None:
    service, publisher = parts
    with pytest.raises(NotPermitted):
        service.submit(PARTNER, [partner(from_brand=True)], received_at=NOW)
    assert publisher.sent == []
    [kept] = service.submit(AGENT, [partner(from_brand=True)], received_at=NOW)
    assert kept.mention.from_brand is True


def test_a_deletion_is_queued_as_mention_deleted_under_the_mentions_id(parts: Any) -> None:
    service, publisher = parts
    created = webhook_fixture("github", "issue_comment__created.payload.json")
    removed = webhook_fixture("github", "issue_comment__deleted.payload.json")
    [mention] = service.receive(github_delivery(created)).mentions
    receipt = service.receive(github_delivery(removed))
    assert isinstance(receipt, Receipt)
    assert (receipt.mentions, len(receipt.deletions)) == ((), 1)
    [envelope] = publisher.deleted
    assert (envelope.event, envelope.version, envelope.producer) == ("mention.deleted", 1, "ingest")
    assert envelope.data.id == mention.id  # classify and respond find their copy by it
    assert (envelope.data.platform, envelope.data.native_id) == ("github", mention.native_id)
    assert envelope.data.deleted_at == NOW


def test_a_deletion_that_cannot_be_queued_refuses_the_delivery(parts: Any) -> None:
    service, publisher = parts
    publisher.reject.add("MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==")
    with pytest.raises(Unavailable, match="1 of 1 events"):
        service.receive(github_delivery(webhook_fixture("github", "issue_comment__deleted.payload.json")))


class Scripted:
    """A connector that returns what the test says, to drive the core's handling of each part of a parse."""

    platform = "generic"
    content_types = frozenset({"application/json"})

    def __init__(self, parsed: Parsed, answer: Answer | None = None) -> None:
        self.parsed, self.answer = parsed, answer

    def handshake(self, handshake: Handshake, secrets: Any) -> Answer | None:
        return self.answer

    def verify(self, delivery: Delivery, secrets: Any) -> None:
        return None

    def parse(self, delivery: Delivery) -> Parsed:
        return self.parsed

    def delivery_id(self, delivery: Delivery) -> str | None:
        return "d-1"


def test_notices_go_to_their_port_and_an_answer_comes_back_after_the_mentions_are_queued() -> None:
    from tests.unit.test_hostile_inputs import mention

    notice = Notice(platform="youtube", kind="video.published", ref="v1", at=NOW, account_id="UC1")
    lease = Notice(platform="youtube", kind="subscription.verified", ref="topic", at=NOW)
    command = mention(native_id="i-1")
    connector = Scripted(
        Parsed(mentions=[command], notices=[notice], answer=Answer('{"type":4}', "application/json")),
        answer=Answer("challenge", notices=(lease,)),
    )
    publisher, notices = FakePublisher(), FakeNotices()
    service = IngestService(Settings(), EnvSecrets(Settings()), publisher, {"generic": connector}, notices)
    answer = service.receive(Delivery("generic", b"{}", NOW, headers={"content-type": "application/json"}))
    assert answer == Answer('{"type":4}', "application/json")
    assert [e.data.mention.native_id for e in publisher.sent] == ["i-1"]  # kept, though the answer is the reply
    assert [e.correlation_id for e in publisher.sent] == ["d-1"]
    assert notices.heard == [notice]
    assert service.handshake(Handshake("generic", {})).body == "challenge"
    assert notices.heard == [notice, lease]
