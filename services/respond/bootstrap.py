"""Composition root of the respond service, built on the first invocation (never at import)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.respond.governance_store import Conversations, Erasures, SafetyCases, SafetyTopic
from services.respond.incident_store import DynamoCrisisModes
from services.respond.outbound import Sender
from services.respond.outbound.bluesky import BlueskySender
from services.respond.outbound.discord import DiscordSender
from services.respond.outbound.github import GitHubSender
from services.respond.outbound.google import GoogleSender
from services.respond.outbound.mastodon import MastodonSender
from services.respond.outbound.meta import MetaSender
from services.respond.outbound.once import PowertoolsOnce
from services.respond.outbound.reddit import RedditSender
from services.respond.outbound.slack import SlackSender
from services.respond.outbound.telegram import TelegramSender
from services.respond.outbound.tiktok import TikTokSender
from services.respond.outbound.trustpilot import TrustpilotSender
from services.respond.outbound.twitch import TwitchSender
from services.respond.outbound.wordpress import WordPressSender
from services.respond.outbound.x import XSender
from services.respond.outbound.youtube import YouTubeSender
from services.respond.outbound.zendesk import ZendeskSender
from services.respond.service import Outbox, RespondService, Stores
from services.respond.source_store import DynamoSources
from services.respond.stats_store import DynamoStats
from services.respond.store import AuditLog, Inbox, Notes, Notifications, TaskStore
from shared.bootstrap import LazyRoot
from shared.config import ConfiguredSecrets, config_source
from shared.consumer import Consumer
from shared.queues import QueueDeadLetters
from shared.resources import RESPOND_QUEUE
from shared.secrets import SecretSource, secret_source
from shared.settings import Settings
from shared.tokens import credentials


@dataclass(frozen=True)
class RespondRoot:
    settings: Settings
    secrets: SecretSource
    service: RespondService
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


SENDERS: tuple[type[Any], ...] = (
    GitHubSender,
    MetaSender,
    XSender,
    SlackSender,
    DiscordSender,
    YouTubeSender,
    RedditSender,
    TelegramSender,
    TwitchSender,
    ZendeskSender,
    MastodonSender,
    WordPressSender,
    BlueskySender,
    TrustpilotSender,
    GoogleSender,
    TikTokSender,
)


def senders(settings: Settings) -> Mapping[str, Sender]:
    """Every platform Hark answers on, each pointed at HARK_API_BASE_<PLATFORM> when it is set."""
    built: dict[str, Sender] = {}
    for kind in SENDERS:
        built[kind.platform] = kind(settings.api_bases.get(kind.platform))
    return built


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
        SafetyCases(settings),
        Erasures(settings),
        Conversations(settings),
        DynamoSources(settings),
        DynamoStats(settings),
    )
    outbox = Outbox(senders(settings), credentials(settings, platform_secrets), PowertoolsOnce(settings))
    service = RespondService(stores, config, outbox, alerts=SafetyTopic(settings), crisis=DynamoCrisisModes(settings))
    consumer = Consumer(
        service,
        outbox=None,
        dead_letters=QueueDeadLetters(settings, RESPOND_QUEUE),
        max_receive_count=RESPOND_QUEUE.max_receive_count,
    )
    return RespondRoot(settings, ConfiguredSecrets(platform_secrets, config), service, consumer.handler())


root = LazyRoot(build)
