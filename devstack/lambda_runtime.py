"""Just enough of the Lambda runtime: a context object, handlers loaded by their dotted path, and one execution
environment per function (invocations of a function are serialised, as in one Lambda environment)."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from dataclasses import dataclass, field
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
