"""The lazy composition root each service builds on its first invocation (never at import time).

The environment is read here, at the edge, once; tests hand a service a root of their own with `override`.

A root belongs to its execution environment. In Lambda a process is one environment, so there is one root; the
local stack runs several environments of a function in one process (`devstack.lambda_runtime`) and names the one
an invocation runs in with `execution_environment`, so each builds and keeps its own, as separate sandboxes would.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")

_ENVIRONMENT: ContextVar[str] = ContextVar("hark_execution_environment", default="")


@contextmanager
def execution_environment(key: str) -> Iterator[None]:
    """Run the block as execution environment `key`: roots built in it are its own."""
    token = _ENVIRONMENT.set(key)
    try:
        yield
    finally:
        _ENVIRONMENT.reset(token)


class LazyRoot(Generic[T]):
    def __init__(self, build: Callable[[Mapping[str, str]], T]) -> None:
        self._build = build
        self._values: dict[str, T] = {}
        self._override: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._override is not None:
            return self._override
        key = _ENVIRONMENT.get()
        value = self._values.get(key)
        if value is None:
            with self._lock:
                value = self._values.get(key)
                if value is None:
                    value = self._build(os.environ)  # noqa: TID251 - the one place services read it
                    self._values[key] = value
        return value

    def override(self, value: T | None) -> None:
        """Every environment uses `value` from now on; None forgets it and every root built so far."""
        with self._lock:
            self._override = value
            self._values.clear()
