"""`hark dlq inspect|redrive` against the emulator: every dead letter listed with its reason, source queue and
receive count without being taken out; a redrive sends each back to its source queue and deletes only what was
sent, once per run."""

from __future__ import annotations

import json

import pytest

from devstack.cli import main
from shared.queues import PARKING_ATTRIBUTES, QueueDeadLetters
from shared.resources import CLASSIFY, CLASSIFY_QUEUE
from shared.settings import Settings
from tests.conftest import ROOT
from tests.functional.conftest import Pipeline

POISON = '{"event": "mention.received", "version": 99}'


def dead_letters(pipeline: Pipeline) -> QueueDeadLetters:
    return QueueDeadLetters(Settings.from_env(pipeline.aws.env), CLASSIFY_QUEUE)


def park_poison(pipeline: Pipeline, count: int = 1) -> None:
    sqs = pipeline.aws.client("sqs")
    for n in range(count):
        sqs.send_message(
            QueueUrl=pipeline.aws.queue_urls["classify"],
            MessageBody=POISON,
            MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": f"c-{n}"}},
        )
    assert pipeline.drain(CLASSIFY.key) == (count, 0)  # parked at once, not failed five times


def test_inspect_lists_each_dead_letter_with_its_reason_and_leaves_it_there(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")
    park_poison(pipeline, 3)
    # One more that SQS itself moved (no reason recorded), as when parking failed.
    pipeline.aws.client("sqs").send_message(QueueUrl=pipeline.aws.queue_urls["classify"] + "-dlq", MessageBody="{}")
    letters = dead_letters(pipeline).peek(10)
    assert len(letters) == 4
    parked = [d for d in letters if d.reason]
    assert len(parked) == 3
    for letter in parked:
        assert letter.reason.startswith("ContractError: mention.received v99 is newer")  # type: ignore[union-attr]
        assert (letter.source_queue, letter.receive_count) == ("classify", 1)
        assert letter.parked_at is not None
    assert pipeline.aws.queue_depth("classify", dlq=True) == 4  # listing took nothing out
    assert len(dead_letters(pipeline).peek(2)) == 2  # bounded

    capsys.readouterr()  # the consumer's own log lines
    assert main(["dlq", "inspect", "--queue", "classify", "--endpoint", pipeline.aws.url]) == 0
    out = capsys.readouterr().out
    assert "classify dead-letter queue: 4 message(s)" in out
    assert out.count("ContractError") == 3
    assert "moved by SQS" in out
    assert pipeline.aws.queue_depth("classify", dlq=True) == 4


def test_redrive_sends_back_to_the_source_queue_and_deletes_only_what_was_sent(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    # A record that failed for a reason since fixed: a valid envelope, parked as if it had run out of receives.
    valid = (ROOT / "tests/contract/fixtures/mention.received.v2.json").read_text()
    dlq = dead_letters(pipeline)
    dlq.park(valid, message_id="orig-1", reason="Unavailable: mentions table throttled", receive_count=5)
    park_poison(pipeline)
    capsys.readouterr()
    assert main(["dlq", "redrive", "--queue", "classify", "--endpoint", pipeline.aws.url]) == 0
    assert "classify: 2 sent back" in capsys.readouterr().out
    assert pipeline.aws.queue_depth("classify", dlq=True) == 0

    sqs = pipeline.aws.client("sqs")
    back = sqs.receive_message(
        QueueUrl=pipeline.aws.queue_urls["classify"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert sorted(m["Body"] for m in back) == sorted([valid, POISON])
    for message in back:  # sent back as it was, without the reasons it was parked for
        assert not set(message.get("MessageAttributes", {})) & PARKING_ATTRIBUTES
    for message in back:  # let the consumer have them
        sqs.change_message_visibility(
            QueueUrl=pipeline.aws.queue_urls["classify"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    assert pipeline.drain(CLASSIFY.key) == (2, 0)
    assert len(pipeline.aws.scan("mentions")) == 1  # the fixed one went through
    assert pipeline.aws.queue_depth("classify", dlq=True) == 1  # the poison is back, with its reason

    # A run moves only what was parked before it began: the poison, parked again at once, is not looped.
    assert dlq.redrive(10).moved == 1
    assert pipeline.drain(CLASSIFY.key) == (1, 0)
    assert dlq.redrive(10).moved == 1


def test_a_redrive_that_cannot_send_keeps_every_dead_letter(pipeline: Pipeline) -> None:
    park_poison(pipeline, 2)
    sqs = pipeline.aws.client("sqs")
    sqs.delete_queue(QueueUrl=pipeline.aws.queue_urls["classify"])
    outcome = dead_letters(pipeline).redrive(10)
    assert (outcome.moved, outcome.failed) == (0, 2)
    assert pipeline.aws.queue_depth("classify", dlq=True) == 2
    assert {json.loads(d.body)["version"] for d in dead_letters(pipeline).peek(10)} == {99}
