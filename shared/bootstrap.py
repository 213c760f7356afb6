"""The lazy composition root each service builds on its first invocation (never at import time).

The environment is read here, at the edge, once; tests hand a service a root of their own with `override`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class LazyRoot(Generic[T]):
    def __init__(self, build: Callable[[Mapping[str, str]], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build(os.environ)  # noqa: TID251 - the one place services read it
                value = self._value
        return value

    def override(self, value: T | None) -> None:
        with self._lock:
            self._value = value
