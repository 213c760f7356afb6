"""Composition root of the classify service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.classify.analyzers.adverse import ProductDictionary
from services.classify.analyzers.local import LocalAnalyzer
from services.classify.pipeline import Classifier
from services.classify.policy import TriagePolicy
from services.classify.service import ClassifyService
from services.classify.store import MentionStore
from shared.bootstrap import LazyRoot
from shared.config import ConfigSource, Retention, config_source
from shared.consumer import Consumer
from shared.errors import HarkError
from shared.observability import get_logger
from shared.queues import EnvelopePublisher, QueueDeadLetters
from shared.resources import CLASSIFY_QUEUE, RESPOND_QUEUE
from shared.settings import Settings


def make_classifier(settings: Settings) -> Classifier:
    policy = TriagePolicy.from_json(settings.triage_policy)
    local = LocalAnalyzer(
        products=ProductDictionary(policy.products, policy.assumed_product), brand_handles=policy.brand_handles
    )
    if settings.analyzer == "local":
        return Classifier("local", local, policy=policy)
    from services.classify.analyzers.comprehend import ComprehendEnricher  # noqa: PLC0415
    from shared.aws import client  # noqa: PLC0415

    enricher = ComprehendEnricher(client("comprehend", settings, max_attempts=6), settings.comprehend_classifier_arn)
    return Classifier(settings.analyzer, local, enricher, policy)


@dataclass(frozen=True)
class ClassifyRoot:
    settings: Settings
    service: ClassifyService
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


def retention(settings: Settings) -> Callable[[], timedelta | None]:
    """How long mentions are kept (the config's retention.mentions), read when the first mention is stored, not at
    cold start; the config source caches it."""
    source: list[ConfigSource] = []

    def keep() -> timedelta | None:
        try:
            if not source:
                source.append(config_source(settings))
            return source[0].get().config.retention.mentions
        except HarkError as error:  # classification goes on; a mention then keeps the default retention
            get_logger("classify").warning("could not read the retention", extra={"error": error.detail})
            return Retention().mentions

    return keep


def build(env: Mapping[str, str]) -> ClassifyRoot:
    settings = Settings.from_env(env)
    store = MentionStore(settings, retention(settings))
    service = ClassifyService(classifier=make_classifier(settings), store=store)
    consumer = Consumer(
        service,
        outbox=EnvelopePublisher(settings, RESPOND_QUEUE),
        dead_letters=QueueDeadLetters(settings, CLASSIFY_QUEUE),
        max_receive_count=CLASSIFY_QUEUE.max_receive_count,
    )
    return ClassifyRoot(settings, service, consumer.handler())


root = LazyRoot(build)
