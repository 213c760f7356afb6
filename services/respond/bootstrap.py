"""Composition root of the respond service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.respond.service import RespondService
from services.respond.store import TaskStore
from shared.bootstrap import LazyRoot
from shared.consumer import sqs_handler
from shared.secrets import secret_source
from shared.settings import Settings
from shared.store.mentions import MentionStore


@dataclass(frozen=True)
class RespondRoot:
    settings: Settings
    service: RespondService
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


def build(env: Mapping[str, str]) -> RespondRoot:
    settings = Settings.from_env(env)
    service = RespondService(TaskStore(settings), MentionStore(settings), secret_source(settings))
    handler = sqs_handler(service)
    return RespondRoot(settings, service, handler)


root = LazyRoot(build)
