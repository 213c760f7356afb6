"""Composition root of the respond service, built on the first invocation (never at import)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.respond.outbound import Sender
from services.respond.outbound.github import GitHubSender
from services.respond.outbound.meta import MetaSender
from services.respond.outbound.once import PowertoolsOnce
from services.respond.service import Outbox, RespondService, Stores
from services.respond.stats_store import DynamoStats
from services.respond.store import AuditLog, Inbox, Notes, Notifications, TaskStore
from shared.bootstrap import LazyRoot
from shared.config import ConfiguredSecrets, config_source
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


def senders(settings: Settings) -> Mapping[str, Sender]:
    return {
        "github": GitHubSender(settings.api_bases.get("github")),
        "meta": MetaSender(settings.api_bases.get("meta")),
    }


def build(env: Mapping[str, str]) -> RespondRoot:
    settings = Settings.from_env(env)
    config = config_source(settings)
    platform_secrets = secret_source(settings)
    stores = Stores(
        TaskStore(settings),
        Inbox(settings),
        AuditLog(settings),
        Notes(settings),
        Notifications(settings),
        DynamoStats(settings),
    )
    outbox = Outbox(senders(settings), lambda p: platform_secrets.get().platform_token(p), PowertoolsOnce(settings))
    service = RespondService(stores, config, outbox)
    consumer = Consumer(
        service,
        outbox=None,
        dead_letters=QueueDeadLetters(settings, RESPOND_QUEUE),
        max_receive_count=RESPOND_QUEUE.max_receive_count,
    )
    return RespondRoot(settings, ConfiguredSecrets(platform_secrets, config), service, consumer.handler())


root = LazyRoot(build)
