"""Composition root of the ingest service, built on the first invocation (never at import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.ingest.observations import ThrottledObserver
from services.ingest.platforms import CONNECTORS
from services.ingest.service import IngestService
from shared.bootstrap import LazyRoot
from shared.queues import EnvelopePublisher
from shared.resources import CLASSIFY_QUEUE, RESPOND_QUEUE
from shared.secrets import SecretSource, secret_source
from shared.settings import Settings


@dataclass(frozen=True)
class IngestRoot:
    settings: Settings
    secrets: SecretSource
    service: IngestService


def build(env: Mapping[str, str]) -> IngestRoot:
    settings = Settings.from_env(env)
    secrets = secret_source(settings)
    service = IngestService(
        settings,
        secrets=secrets,
        publisher=EnvelopePublisher(settings, CLASSIFY_QUEUE),
        connectors=CONNECTORS,
        observer=ThrottledObserver(EnvelopePublisher(settings, RESPOND_QUEUE)),
    )
    return IngestRoot(settings, secrets, service)


root = LazyRoot(build)
