"""Composition root of the respond service, built on the first invocation (never at import)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.respond.service import RespondService
from services.respond.store import Inbox, TaskStore
from shared.bootstrap import LazyRoot
from shared.consumer import Consumer
from shared.queues import QueueDeadLetters
from shared.resources import RESPOND_QUEUE
from shared.secrets import SecretSource, secret_source
from shared.settings import Settings


@dataclass(frozen=True)
class RespondRoot:
    settings: Settings
    secrets: SecretSource
    service: RespondService
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


def build(env: Mapping[str, str]) -> RespondRoot:
    settings = Settings.from_env(env)
    service = RespondService(TaskStore(settings), Inbox(settings))
    consumer = Consumer(
        service,
        outbox=None,
        dead_letters=QueueDeadLetters(settings, RESPOND_QUEUE),
        max_receive_count=RESPOND_QUEUE.max_receive_count,
    )
    return RespondRoot(settings, secret_source(settings), service, consumer.handler())


root = LazyRoot(build)
