"""Just enough of the Lambda runtime: a context object, handlers loaded by their dotted path, one execution
environment per function (invocations of a function are serialised, as in one Lambda environment), and
asynchronous invocation as SNS and EventBridge get it: retried, then handed to the on-failure destination."""

from __future__ import annotations

import importlib
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.resources import FunctionSpec

REGION = "us-east-1"
ACCOUNT = "000000000000"


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


def load(dotted: str) -> Any:
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


class Function:
    def __init__(self, spec: FunctionSpec, stage: str = "local") -> None:
        self.spec = spec
        self.name = f"hark-{stage}-{spec.key}"
        # A Chalice app (HTTP) or a Chalice event handler (SQS): both are callables of (event, context).
        self.handler: Any = load(spec.handler)
        self._lock = threading.Lock()

    def invoke(self, event: Any) -> Any:
        with self._lock:
            context = LambdaContext(self.name, self.spec.memory_mb, self.spec.timeout_s)
            return self.handler(event, context)

    def invoke_async(self, event: Any, on_failure: Callable[[dict[str, Any]], None] | None) -> bool:
        """Lambda's asynchronous invocation: the first attempt and `async_retries` more (Lambda waits 1 and 2
        minutes between them; here they follow at once), then the destination record goes to `on_failure`.
        True when an attempt succeeded."""
        attempts = 1 + self.spec.async_retries
        error: BaseException | None = None
        for _ in range(attempts):
            try:
                self.invoke(event)
            except Exception as exc:  # any escaped exception is a failed invocation in Lambda
                error = exc
            else:
                return True
        if on_failure is not None and error is not None:
            on_failure(destination_record(self.name, event, error, attempts))
        return False


def destination_record(function_name: str, event: Any, error: BaseException, attempts: int) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination once the retries are exhausted (its documented shape)."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception(error)[-5:],
        },
    }
