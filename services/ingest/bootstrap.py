"""Composition root of the ingest service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.ingest.dedupe import DynamoDedupe
from services.ingest.platforms import CONNECTORS
from services.ingest.service import IngestService
from shared.bootstrap import LazyRoot
from shared.queues import EnvelopePublisher
from shared.resources import CLASSIFY_QUEUE
from shared.secrets import secret_source
from shared.settings import Settings


@dataclass(frozen=True)
class IngestRoot:
    settings: Settings
    service: IngestService


def build(env: Mapping[str, str]) -> IngestRoot:
    settings = Settings.from_env(env)
    service = IngestService(
        settings,
        secrets=secret_source(settings),
        dedupe=DynamoDedupe(settings),
        publisher=EnvelopePublisher(settings, CLASSIFY_QUEUE),
        connectors=CONNECTORS,
    )
    return IngestRoot(settings, service)


root = LazyRoot(build)
