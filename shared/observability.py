"""Powertools Logger and Metrics, built on first use rather than at import (they read POWERTOOLS_* settings).

One PascalCase metric per business outcome, namespace `Hark`, dimension `service` only (no per-request
dimensions: they would leak into the next invocation's metrics and multiply the cost). Logs are structured key-values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

NAMESPACE = "Hark"

R = TypeVar("R")


@functools.cache
def get_logger(service: str) -> Logger:
    from aws_lambda_powertools import Logger  # noqa: PLC0415

    return Logger(service=f"hark-{service}")


@functools.cache
def get_metrics(service: str) -> Metrics:
    from aws_lambda_powertools import Metrics  # noqa: PLC0415

    return Metrics(namespace=NAMESPACE, service=f"hark-{service}")


def count(service: str, name: str, value: float = 1) -> None:
    """Record one business outcome; it goes out with the invocation's batch, flushed by `instrument`."""
    from aws_lambda_powertools.metrics import MetricUnit  # noqa: PLC0415

    get_metrics(service).add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush(service: str) -> None:
    metrics = get_metrics(service)
    if metrics.metric_set:
        metrics.flush_metrics()
    # Always: a dimension added by an invocation that recorded no metric must not leak into the next one, and with
    # metrics disabled (local stack, tests) flush keeps the set, which must not grow.
    metrics.clear_metrics()


def instrument(service: str, handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
    """Wrap a Lambda handler: request id and cold start in every log line, metrics flushed after each call."""
    logger = get_logger(service)

    @logger.inject_lambda_context(clear_state=True)
    def wrapped(event: Any, context: Any) -> R:
        try:
            return handler(event, context)
        finally:
            flush(service)

    return wrapped
