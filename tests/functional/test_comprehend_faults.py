"""Comprehend on a bad day, through the real entry points and the emulator, with classify in `comprehend` mode
(every API on every message). The emulator has no usable Comprehend, so a small fake answers at the client edge,
where botocore would receive AWS's answer; `tests/faults.py` throttles or fails a share of those calls first, so
botocore's standard retry mode, the enricher's per-document failures, the SQS edge's partial batch responses and
the queue's redrive all run as they would.

What the design promises (services/classify/analyzers/comprehend.py, shared/consumer.py): a throttled or failing
call is retried by botocore with backoff; what still fails fails only the documents in that call, so only their
records come back from SQS; a record is classified once Comprehend answers again, or, still failing on its last
receive, is parked in the dead-letter queue with its reason and brought back by `hark dlq redrive`. Accepted =
stored + dead-lettered, always; nothing stored twice."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from devstack.cli import main
from shared.resources import CLASSIFY, CLASSIFY_QUEUE
from tests.faults import SERVER_ERROR, Faults, injected_faults  # noqa: F401 - the `faults` fixture
from tests.functional.conftest import Pipeline
from tests.functional.test_faults import (
    COMPLAINT,
    dead_letters,
    ids,
    parked_mention_ids,
    record_invocations,
    retry_at_once,  # noqa: F401 - a fixture
    settle,
    submit,
)

ATTEMPTS = 6  # the Comprehend client's botocore attempts (services/classify/bootstrap.py)


def _answer(operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """What Comprehend answers an English complaint, per API."""
    texts = request.get("TextList", [])
    if operation == "BatchDetectDominantLanguage":
        results = [{"Index": i, "Languages": [{"LanguageCode": "en", "Score": 0.99}]} for i in range(len(texts))]
    elif operation == "BatchDetectSentiment":
        score = {"Positive": 0.01, "Negative": 0.96, "Neutral": 0.02, "Mixed": 0.01}
        results = [{"Index": i, "Sentiment": "NEGATIVE", "SentimentScore": score} for i in range(len(texts))]
    elif operation == "BatchDetectEntities":
        found = [{"Type": "OTHER", "Text": "subscription", "Score": 0.9}]
        results = [{"Index": i, "Entities": found} for i in range(len(texts))]
    elif operation == "BatchDetectKeyPhrases":
        results = [{"Index": i, "KeyPhrases": [{"Text": "a refund", "Score": 0.9}]} for i in range(len(texts))]
    elif operation == "DetectPiiEntities":
        return {"Entities": []}
    elif operation == "DetectToxicContent":
        return {"ResultList": [{"Labels": [], "Toxicity": 0.02} for _ in request.get("TextSegments", [])]}
    else:
        raise AssertionError(f"the fake Comprehend has no {operation}")
    return {"ResultList": results, "ErrorList": []}


class FakeComprehend:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def answer(self, request: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        from tests.faults import _Body

        operation = _target(request).split(".", 1)[1]
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        self.calls[operation] += 1
        document = json.dumps(_answer(operation, json.loads(body or "{}"))).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "fake"}
        return AWSResponse(request.url, 200, headers, _Body(document))


def _target(request: Any) -> str:
    target = request.headers.get("X-Amz-Target") or b""
    return target.decode() if isinstance(target, bytes) else str(target)


def _is_comprehend(request: Any) -> bool:
    return _target(request).startswith("Comprehend_20171127.")


@pytest.fixture
def comprehend(pipeline: Pipeline, faults: Faults, monkeypatch: pytest.MonkeyPatch) -> FakeComprehend:
    """classify with every Comprehend API; Comprehend answered by the fake, after the injected faults."""
    from botocore.endpoint import Endpoint

    monkeypatch.setenv("HARK_ANALYZER", "comprehend")
    fake = FakeComprehend()
    below = Endpoint._send

    def _send(endpoint: Any, request: Any) -> Any:
        if _is_comprehend(request):
            return faults.answer(request) or fake.answer(request)
        return below(endpoint, request)

    monkeypatch.setattr(Endpoint, "_send", _send)
    return fake


def classifications(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    return {item["id"]["S"]: json.loads(item["doc"]["S"])["classification"] for item in pipeline.aws.scan("mentions")}


@pytest.mark.usefixtures("retry_at_once")
def test_throttling_and_5xx_on_a_share_of_comprehend_calls_are_retried_and_every_mention_enriched_once(
    pipeline: Pipeline, faults: Faults, comprehend: FakeComprehend
) -> None:
    throttled = faults.fail("comprehend", *_OPERATIONS, share=0.3)
    failing = faults.fail("comprehend", *_OPERATIONS, code="InternalServerException", status=500, share=0.15)
    accepted = submit(pipeline, [f"{COMPLAINT} (order {n})" for n in range(12)], "cthrottle")
    settle(pipeline)
    assert throttled.failed and failing.failed, (throttled.failed, failing.failed)
    with faults.cleared():
        assert ids(pipeline, "mentions") == Counter(accepted)  # each stored once
        classified = classifications(pipeline)
        for mention_id in accepted:
            result = classified[mention_id]
            assert result["analyzer"] == "local+comprehend", result
            assert {"language", "sentiment", "entities", "key_phrases", "pii"} <= set(result["comprehend_apis"])
            assert result["sentiment"] == "negative" and "a refund" in result["key_phrases"]
        assert pipeline.aws.queue_depth(CLASSIFY_QUEUE.key, dlq=True) == 0
    assert comprehend.calls["DetectPiiEntities"] >= len(accepted)


@pytest.mark.usefixtures("retry_at_once")
def test_an_outage_on_some_documents_retries_only_their_records_and_nothing_is_lost(
    pipeline: Pipeline, faults: Faults, comprehend: FakeComprehend, capsys: pytest.CaptureFixture[str]
) -> None:
    """Comprehend answers 500 to every attempt at two documents' PII call (a per-document API): one for two
    receives, then it recovers; the other for longer than the queue's receives. Only their records come back;
    the first is classified with Comprehend on its third receive, the second is parked with its reason, and
    accepted = stored + dead-lettered before the redrive, = stored after it, each once."""
    code, status = SERVER_ERROR["comprehend"]
    texts = [f"{COMPLAINT} (order {n})" for n in range(8)]
    texts[2] = f"{COMPLAINT} RECOVERS-LATER"
    texts[5] = f"{COMPLAINT} STAYS-DOWN"
    brief = faults.fail(
        "comprehend", "DetectPiiEntities", code=code, status=status, times=2 * ATTEMPTS,
        when=lambda body: "RECOVERS-LATER" in body,
    )  # fmt: skip
    outage = faults.fail(
        "comprehend", "DetectPiiEntities", code=code, status=status, when=lambda body: "STAYS-DOWN" in body
    )
    accepted = submit(pipeline, texts, "coutage")
    later, down = accepted[2], accepted[5]
    invocations = record_invocations(pipeline, CLASSIFY.key)
    pipeline.drain(CLASSIFY.key, rounds=20)

    received = Counter(message for batch in invocations for message in batch)
    assert sorted(received.values()) == [1] * 6 + [3, CLASSIFY_QUEUE.max_receive_count]
    assert all(len(batch) <= 2 for batch in invocations[1:])  # only the failed records came back
    assert brief.failed == 2 * ATTEMPTS  # botocore tried each receive's call six times
    assert outage.failed == CLASSIFY_QUEUE.max_receive_count * ATTEMPTS
    with faults.cleared():
        stored, parked = set(ids(pipeline, "mentions")), parked_mention_ids(pipeline)
        assert stored | parked == set(accepted) and not stored & parked  # accepted = stored + dead-lettered
        assert parked == {down}
        assert classifications(pipeline)[later]["analyzer"] == "local+comprehend"  # once Comprehend answered
        [letter] = dead_letters(pipeline, CLASSIFY_QUEUE.key)
        reason = letter["MessageAttributes"]["hark_reason"]["StringValue"]
        assert reason.startswith("Unavailable") and "comprehend" in reason.lower(), reason

    faults.clear()  # Comprehend is back
    assert main(["dlq", "redrive", "--queue", "classify", "--endpoint", pipeline.aws.url]) == 0
    capsys.readouterr()
    settle(pipeline)
    assert ids(pipeline, "mentions") == Counter(accepted)
    assert classifications(pipeline)[down]["analyzer"] == "local+comprehend"
    assert pipeline.aws.queue_depth(CLASSIFY_QUEUE.key, dlq=True) == 0


_OPERATIONS = (
    "BatchDetectDominantLanguage",
    "BatchDetectSentiment",
    "BatchDetectEntities",
    "BatchDetectKeyPhrases",
    "DetectPiiEntities",
    "DetectToxicContent",
)
