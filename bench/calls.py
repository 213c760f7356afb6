"""AWS requests counted where botocore makes them, and answered without a network when a benchmark wants that.

`install()` hooks every botocore session created from then on (boto3's, PynamoDB's, Powertools'): each API call
fires `before-call.<service>.<operation>`, which the counter records, and may answer (a canned response) so that
no request leaves the process. Calls made by threads the benchmark does not attribute to messages (the scheduled
functions' threads) are kept apart, as are the event-source mapping's ReceiveMessage/DeleteMessageBatch, which
Lambda makes, not Hark's code.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# What Lambda's SQS event-source mapping calls itself (billed SQS requests, but not made by a function).
MAPPING_OPERATIONS = frozenset({"sqs.ReceiveMessage", "sqs.DeleteMessageBatch", "sqs.DeleteMessage"})
# Threads whose calls are not a message's: the schedules (SLA sweep, spike watch, pollers) run on a clock.
UNATTRIBUTED_THREADS = ("schedule-", "bench-")

Answer = Callable[[str, str, dict[str, Any]], dict[str, Any] | None]


class CallCounter:
    """Counts `service.Operation` per call, split into the functions' calls, the mapping's and the clock's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.functions: Counter[str] = Counter()
        self.mapping: Counter[str] = Counter()
        self.scheduled: Counter[str] = Counter()
        self.answer: Answer | None = None
        self.enabled = True

        self.resources: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        self._params = threading.local()

    def record(self, service: str, operation: str, resource: str = "", params: dict[str, Any] | None = None) -> None:
        if not self.enabled:
            return
        name = f"{service}.{operation}"
        thread = threading.current_thread().name
        with self._lock:
            if thread.startswith(UNATTRIBUTED_THREADS):
                self.scheduled[name] += 1
            elif name in MAPPING_OPERATIONS:
                self.mapping[name] += 1
            else:
                self.functions[name] += 1
                self.resources[f"{name} {resource}".strip()] += 1
                if params is not None:
                    for unit, n in billed(service, operation, params).items():
                        self.units[unit] += n

    def reset(self) -> None:
        with self._lock:
            self.functions.clear()
            self.mapping.clear()
            self.scheduled.clear()
            self.resources.clear()
            self.units.clear()

    def by_service(self, counts: Counter[str] | None = None) -> dict[str, int]:
        out: Counter[str] = Counter()
        for name, n in (self.functions if counts is None else counts).items():
            out[name.split(".", 1)[0]] += n
        return dict(sorted(out.items()))

    # botocore handlers ---------------------------------------------------------------------------------------
    def _provide_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.record(model.service_model.endpoint_prefix, model.name, _resource(params), params)
        self._params.value = params  # what the canned answer reads (the request before it is serialised)

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        service = model.service_model.endpoint_prefix
        if self.answer is None:
            return None
        parsed = self.answer(service, model.name, getattr(self._params, "value", None) or {})
        if parsed is None:
            return None
        parsed.setdefault("ResponseMetadata", {"HTTPStatusCode": 200, "RequestId": "bench", "HTTPHeaders": {}})
        return _FakeHttp(), parsed


class _FakeHttp:
    status_code = 200
    headers: dict[str, str] = {}
    content = b""


def _kb(item: Any) -> int:
    """Write units of an item: 1 per KB started (its JSON size stands for DynamoDB's attribute sizes)."""
    return max(1, math.ceil(len(json.dumps(item, default=str)) / 1024))


def billed(service: str, operation: str, params: dict[str, Any]) -> dict[str, float]:
    """Billable units of one call: Comprehend units (100 characters, 3 minimum, per document and API); DynamoDB
    write units (1 KB each; 2 per item in a transaction) and read units (eventually consistent: half a unit per
    4 KB; strongly consistent or transactional: one), items taken as at most 4 KB when read."""
    if service == "comprehend":
        texts = [str(t) for t in params.get("TextList") or []]
        texts += [str(s.get("Text", "")) for s in params.get("TextSegments") or []]
        if "Text" in params:
            texts.append(str(params["Text"]))
        return {"comprehend_units": sum(max(3, math.ceil(len(t) / 100)) for t in texts)}
    if service != "dynamodb":
        return {}
    if operation == "PutItem":
        return {"dynamodb_wru": _kb(params.get("Item"))}
    if operation in {"UpdateItem", "DeleteItem"}:
        return {"dynamodb_wru": 1}
    if operation == "BatchWriteItem":
        items = [r.get("PutRequest", {}).get("Item", {}) for rs in params.get("RequestItems", {}).values() for r in rs]
        return {"dynamodb_wru": sum(_kb(i) for i in items)}
    if operation == "TransactWriteItems":
        return {"dynamodb_wru": sum(2 * _kb(next(iter(i.values())).get("Item", {})) for i in params["TransactItems"])}
    read = 1.0 if params.get("ConsistentRead") else 0.5
    if operation == "GetItem":
        return {"dynamodb_rru": read}
    if operation == "BatchGetItem":
        return {"dynamodb_rru": sum(0.5 * len(v.get("Keys", [])) for v in params.get("RequestItems", {}).values())}
    if operation in {"Query", "Scan"}:
        return {"dynamodb_rru": read}
    if operation == "TransactGetItems":
        return {"dynamodb_rru": 2.0 * len(params.get("TransactItems", []))}
    return {}


def _resource(params: dict[str, Any]) -> str:
    """The table, queue or bucket a call is about (the name, without the stage's prefix)."""
    name = params.get("TableName") or params.get("QueueUrl") or params.get("Bucket") or ""
    if not name and isinstance(params.get("RequestItems"), dict):
        name = ",".join(sorted(params["RequestItems"]))
    if not name and params.get("TransactItems"):
        tables = {next(iter(item.values())).get("TableName", "") for item in params["TransactItems"]}
        name = ",".join(sorted(tables))
    return ",".join(part.rsplit("/", 1)[-1].removeprefix("hark-local-") for part in str(name).split(","))


_installed: list[CallCounter] = []


def install() -> CallCounter:
    """Hook every botocore session created from now on (idempotent: one counter per process)."""
    if _installed:
        return _installed[0]
    import botocore.session

    counter = CallCounter()
    original = botocore.session.Session.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.register("provide-client-params", counter._provide_params)
        self.register("before-call", counter._before_call)

    botocore.session.Session.__init__ = init  # type: ignore[method-assign]
    _installed.append(counter)
    return counter


@contextmanager
def answering(counter: CallCounter, answer: Answer) -> Iterator[None]:
    previous, counter.answer = counter.answer, answer
    try:
        yield
    finally:
        counter.answer = previous


def success(service: str, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """A canned success for the calls ingest makes (every queued message accepted, every write done)."""
    if service == "sqs" and operation == "SendMessageBatch":
        return {
            "Successful": [
                {
                    "Id": e["Id"],
                    "MessageId": str(uuid.uuid4()),
                    "MD5OfMessageBody": hashlib.md5(e["MessageBody"].encode()).hexdigest(),  # noqa: S324
                }
                for e in body.get("Entries", [])
            ],
            "Failed": [],
        }
    if service == "sqs" and operation == "SendMessage":
        return {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": "0" * 32}
    if service == "dynamodb" and operation == "BatchWriteItem":
        return {"UnprocessedItems": {}}
    if service in {"dynamodb", "s3"}:
        return {}
    return None


def comprehend(service: str, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """Canned Comprehend answers, shaped like the real ones (moto has no Batch APIs): what is measured is how many
    calls and units the policy spends, never what Comprehend would say."""
    if service != "comprehend":
        return None
    texts = body.get("TextList") or []
    if operation == "BatchDetectDominantLanguage":
        items = [{"Index": i, "Languages": [{"LanguageCode": "en", "Score": 0.99}]} for i in range(len(texts))]
        return {"ResultList": items, "ErrorList": []}
    if operation == "BatchDetectSentiment":
        score = {"Positive": 0.05, "Negative": 0.05, "Neutral": 0.88, "Mixed": 0.02}
        items = [{"Index": i, "Sentiment": "NEUTRAL", "SentimentScore": score} for i in range(len(texts))]
        return {"ResultList": items, "ErrorList": []}
    if operation == "BatchDetectEntities":
        return {"ResultList": [{"Index": i, "Entities": []} for i in range(len(texts))], "ErrorList": []}
    if operation == "BatchDetectKeyPhrases":
        return {"ResultList": [{"Index": i, "KeyPhrases": []} for i in range(len(texts))], "ErrorList": []}
    if operation == "DetectPiiEntities":
        return {"Entities": []}
    if operation == "DetectToxicContent":
        segments = body.get("TextSegments") or []
        return {"ResultList": [{"Toxicity": 0.01, "Labels": []} for _ in segments]}
    if operation == "ClassifyDocument":
        return {"Classes": []}
    return None
