"""Just enough of the Lambda runtime: a context object, handlers loaded by their dotted path, a bounded pool of
execution environments per function, as Lambda runs several copies of a function at once, and asynchronous
invocation as SNS and EventBridge get it: retried, then handed to the on-failure destination.

Each environment serves one invocation at a time (its own lock) and has its own state: the services' composition
roots (`shared.bootstrap.LazyRoot`) are built once per environment, as in separate Lambda sandboxes, so nothing one
environment caches in memory (a client, a secret, a configuration) hides a race from another. An invocation takes
the most recently used idle environment (Lambda reuses warm ones first), or starts a new one while fewer than
`concurrency` exist, or waits for one to come free; after `queue_wait_s` it is throttled, as Lambda throttles past
its concurrency limit. Environments share the process, so what Chalice keeps on the app object for the invocation
in progress (the request, the context) is kept per thread.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.bootstrap import execution_environment
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
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


class Throttled(Exception):
    """Every environment of the function is busy and no other may be started (Lambda's TooManyRequestsException)."""


def load(dotted: str) -> Any:
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


class _PerThread:
    """A data descriptor that keeps an attribute per thread: Chalice sets `app.current_request` and
    `app.lambda_context` at the start of each invocation and reads them during it, which is right for one
    invocation per process and wrong for several environments in one."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._local = threading.local()

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return getattr(self._local, f"{id(instance)}", None)

    def __set__(self, instance: Any, value: Any) -> None:
        setattr(self._local, f"{id(instance)}", value)


def _per_thread_chalice_state() -> None:
    from chalice.app import Chalice  # noqa: PLC0415

    for name in ("current_request", "lambda_context"):
        if not isinstance(Chalice.__dict__.get(name), _PerThread):
            setattr(Chalice, name, _PerThread(name))


_serial = itertools.count(1)


@dataclass
class Environment:
    """One execution environment: its id (what its roots are keyed by) and how many invocations it served."""

    function: str
    index: int
    key: str = field(default_factory=lambda: f"env-{next(_serial)}")
    invocations: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class Function:
    def __init__(
        self, spec: FunctionSpec, stage: str = "local", concurrency: int = 1, queue_wait_s: float | None = None
    ) -> None:
        if concurrency < 1:
            raise ValueError("a function needs at least one environment")
        self.spec = spec
        self.name = f"hark-{stage}-{spec.key}"
        _per_thread_chalice_state()
        # A Chalice app (HTTP) or a Chalice event handler (SQS): both are callables of (event, context).
        self.handler: Any = load(spec.handler)
        self.concurrency = concurrency
        self._queue_wait_s = spec.timeout_s if queue_wait_s is None else queue_wait_s
        self._available = threading.Condition()
        self._idle: list[Environment] = []
        self.environments: list[Environment] = []
        self._busy = 0
        self.peak = 0  # the most invocations that ran at once
        self.throttles = 0

    def invoke(self, event: Any) -> Any:
        with self._environment() as environment, environment.lock, execution_environment(environment.key):
            environment.invocations += 1
            context = LambdaContext(
                self.name, self.spec.memory_mb, self.spec.timeout_s, log_stream_name=environment.key
            )
            return self.handler(event, context)

    @contextmanager
    def _environment(self) -> Iterator[Environment]:
        environment = self._acquire()
        try:
            yield environment
        finally:
            with self._available:
                self._busy -= 1
                self._idle.append(environment)
                self._available.notify()

    def _acquire(self) -> Environment:
        deadline = time.monotonic() + self._queue_wait_s
        with self._available:
            while not self._idle and len(self.environments) >= self.concurrency:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.throttles += 1
                    raise Throttled(f"{self.name}: all {self.concurrency} environments busy")
                self._available.wait(remaining)
            if self._idle:
                environment = self._idle.pop()  # the warmest first
            else:
                environment = Environment(self.name, len(self.environments))
                self.environments.append(environment)
            self._busy += 1
            self.peak = max(self.peak, self._busy)
            return environment

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
