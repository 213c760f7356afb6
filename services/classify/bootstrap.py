"""Composition root of the classify service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.classify.analyzers.base import Analyzer
from services.classify.analyzers.local import LocalAnalyzer
from services.classify.service import SERVICE, ClassifyService
from shared.bootstrap import LazyRoot
from shared.consumer import consume
from shared.observability import instrument
from shared.queues import EnvelopePublisher
from shared.resources import RESPOND_QUEUE
from shared.settings import Settings
from shared.store.mentions import MentionStore


def make_analyzer(settings: Settings) -> Analyzer:
    if settings.analyzer == "comprehend":
        from services.classify.analyzers.comprehend import ComprehendAnalyzer  # noqa: PLC0415
        from shared.aws import client  # noqa: PLC0415

        return ComprehendAnalyzer(client("comprehend", settings, max_attempts=6))
    return LocalAnalyzer()


@dataclass(frozen=True)
class ClassifyRoot:
    settings: Settings
    service: ClassifyService
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]


def build(env: Mapping[str, str]) -> ClassifyRoot:
    settings = Settings.from_env(env)
    service = ClassifyService(
        analyzer=make_analyzer(settings),
        store=MentionStore(settings),
        publisher=EnvelopePublisher(settings, RESPOND_QUEUE),
    )
    handler = instrument(SERVICE, lambda event, context: consume(event, context, service))
    return ClassifyRoot(settings, service, handler)


root = LazyRoot(build)
