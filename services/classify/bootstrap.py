"""Composition root of the classify service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.classify.analyzers.adverse import ProductDictionary
from services.classify.analyzers.local import LocalAnalyzer
from services.classify.pipeline import Classifier
from services.classify.policy import TriagePolicy
from services.classify.service import ClassifyService
from shared.bootstrap import LazyRoot
from shared.consumer import sqs_handler
from shared.queues import EnvelopePublisher
from shared.resources import RESPOND_QUEUE
from shared.settings import Settings
from shared.store.mentions import MentionStore


def make_classifier(settings: Settings) -> Classifier:
    policy = TriagePolicy.from_json(settings.triage_policy)
    local = LocalAnalyzer(products=ProductDictionary(policy.products, policy.assumed_product))
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


def build(env: Mapping[str, str]) -> ClassifyRoot:
    settings = Settings.from_env(env)
    service = ClassifyService(
        classifier=make_classifier(settings),
        store=MentionStore(settings),
        publisher=EnvelopePublisher(settings, RESPOND_QUEUE),
    )
    handler = sqs_handler(service)
    return ClassifyRoot(settings, service, handler)


root = LazyRoot(build)
