"""AWS failures injected where botocore would receive them from AWS, so every layer above runs as it would on a bad
day: botocore's standard retry mode reads the error and retries (or not) as it does for the real answer, the
adapters translate what is left, the SQS edge fails the record, the emulator's redrive moves it on.

A rule names a service and an operation (as AWS names them: `PutItem`, `SendMessageBatch`, `PutObject`), the error
AWS answers (its code and HTTP status), and which calls get it: a share of them (from a seeded random stream, so a
run repeats), at most `times`, and only requests whose body matches `when`. A failed call never reaches the
emulator, so it has no effect: that is what AWS promises for a throttled or failed request."""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

_JSON_TARGETS = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs", "Comprehend_20171127": "comprehend"}
_JSON_NAMESPACES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810",
    "sqs": "com.amazonaws.sqs",
    "comprehend": "com.amazonaws.comprehend.v20171127",
}
_S3_OPERATIONS = {"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")

# What AWS answers, by the name a test uses.
THROTTLED = {
    "dynamodb": ("ProvisionedThroughputExceededException", 400),
    "sqs": ("RequestThrottled", 400),
    "s3": ("SlowDown", 503),
    "comprehend": ("ThrottlingException", 400),
}
SERVER_ERROR = {
    "dynamodb": ("InternalServerError", 500),
    "sqs": ("InternalError", 500),
    "s3": ("InternalError", 500),
    "comprehend": ("InternalServerException", 500),
}


@dataclass
class Rule:
    service: str
    operations: frozenset[str]
    code: str
    status: int
    share: float = 1.0
    times: int | None = None
    when: Callable[[str], bool] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more fields of the error document
    entries: bool = False  # SQS's partial failure: the batch call succeeds, its entries come back as Failed
    seen: int = 0  # matching calls
    failed: int = 0  # calls answered with the error


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class Faults:
    def __init__(self, seed: int = 16) -> None:
        self.rules: list[Rule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def fail(
        self,
        service: str,
        *operations: str,
        code: str | None = None,
        status: int | None = None,
        share: float = 1.0,
        times: int | None = None,
        when: Callable[[str], bool] | None = None,
        entries: bool = False,
        **extra: Any,
    ) -> Rule:
        default_code, default_status = THROTTLED[service]
        rule = Rule(
            service,
            frozenset(operations),
            code or default_code,
            status or default_status,
            share,
            times,
            when,
            extra,
            entries,
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    @contextmanager
    def cleared(self) -> Iterator[None]:
        """Within the block, no fault (the test looking at the result)."""
        with self._lock:
            rules, self.rules = self.rules, []
        try:
            yield
        finally:
            with self._lock:
                self.rules = rules + self.rules

    def answer(self, request: Any) -> Any:
        """The error response for `request` if a rule takes it, else None (the request goes to the emulator)."""
        service, operation = _identify(request)
        if service is None:
            return None
        body = request.body if isinstance(request.body, str | bytes) else b""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        with self._lock:
            for rule in self.rules:
                if rule.service != service or operation not in rule.operations:
                    continue
                if rule.when is not None and not rule.when(text):
                    continue
                rule.seen += 1
                if rule.times is not None and rule.failed >= rule.times:
                    continue
                if rule.share < 1.0 and self._random.random() >= rule.share:
                    continue
                rule.failed += 1
                if rule.entries:
                    return _failed_entries(request.url, text, rule)
                return _error_response(request.url, service, rule)
        return None


def _identify(request: Any) -> tuple[str | None, str]:
    headers = request.headers
    target = headers.get("X-Amz-Target")
    if isinstance(target, bytes):
        target = target.decode()
    if target:
        prefix, _, operation = target.partition(".")
        return _JSON_TARGETS.get(prefix), operation
    authorization = headers.get("Authorization") or b""
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    scope = _SCOPE.search(authorization)
    if scope and scope.group(1) == "s3":
        path = request.url.split("?", 1)[0].split("://", 1)[-1].partition("/")[2]
        if "/" in path.strip("/"):  # an object, not a bucket
            return "s3", _S3_OPERATIONS.get(request.method, request.method)
        return "s3", f"{request.method}Bucket"
    return None, ""


def _error_response(url: str, service: str, rule: Rule) -> Any:
    from botocore.awsrequest import AWSResponse

    if service == "s3":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{rule.code}</Code>'
            f"<Message>injected: {rule.code}</Message><RequestId>fault</RequestId></Error>"
        ).encode()
        headers = {"Content-Type": "application/xml", "x-amz-request-id": "fault"}
    else:
        document = {"__type": f"{_JSON_NAMESPACES[service]}#{rule.code}", "message": f"injected: {rule.code}"}
        body = json.dumps(document | rule.extra).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        if service == "sqs":
            headers["x-amzn-query-error"] = f"{rule.code};{'Sender' if rule.status < 500 else 'Receiver'}"
    return AWSResponse(url, rule.status, headers, _Body(body))


def _failed_entries(url: str, body: str, rule: Rule) -> Any:
    """A batch send SQS answered with every entry failed (it reports entries one by one, on a 200)."""
    from botocore.awsrequest import AWSResponse

    entries = json.loads(body).get("Entries", [])
    failed = [{"Id": e["Id"], "SenderFault": False, "Code": rule.code, "Message": "injected"} for e in entries]
    document = json.dumps({"Successful": [], "Failed": failed}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
    return AWSResponse(url, 200, headers, _Body(document))


@pytest.fixture(name="faults")
def injected_faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    """Faults for every AWS call made in this process while the test runs. botocore's backoff keeps its shape but
    not its scale (throttling waits up to 1, 2, 4 s per attempt in AWS; here a twentieth of that)."""
    from botocore.endpoint import Endpoint
    from botocore.retries.standard import ExponentialBackoff

    injected = Faults()
    send = Endpoint._send

    def _send(endpoint: Any, request: Any) -> Any:
        response = injected.answer(request)
        return response if response is not None else send(endpoint, request)

    monkeypatch.setattr(Endpoint, "_send", _send)
    monkeypatch.setitem(ExponentialBackoff._DEFAULT_BACKOFF_CONFIG, "throttling_base_scale", 0.05)
    return injected
