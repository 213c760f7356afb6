"""Composition root of the ingest service, built on the first invocation (never at import)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.ingest.archive import RawArchive
from services.ingest.http import meta as graph
from services.ingest.http.google import API_BASE, BusinessProfileReviews, JwksKeys
from services.ingest.observations import ThrottledObserver
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Connector
from services.ingest.platforms.google import GOOGLE_CERTS, Audience, Google
from services.ingest.platforms.meta import Meta
from services.ingest.platforms.youtube import YouTube
from services.ingest.pollers import POLLERS
from services.ingest.service import IngestService
from services.ingest.watch import ConfiguredChannels, VideoWatch
from shared.bootstrap import LazyRoot
from shared.config import ConfigSource, LoadedConfig, config_source
from shared.queues import EnvelopePublisher
from shared.resources import CLASSIFY_QUEUE, RESPOND_QUEUE
from shared.secrets import SecretSource, secret_source
from shared.settings import DEV_GOOGLE_AUDIENCE, DEV_GOOGLE_JWKS, DEV_GOOGLE_SERVICE_ACCOUNT, Settings
from shared.tokens import Credentials, credentials


@dataclass(frozen=True)
class IngestRoot:
    settings: Settings
    secrets: SecretSource
    service: IngestService
    config: ConfigSource  # the sources (what the pollers poll; the videos a WebSub notice puts on the list)
    archive: RawArchive
    credentials: Credentials  # what replies and polls sign in with, refreshed (shared/tokens.py)


def build(env: Mapping[str, str]) -> IngestRoot:
    from services.ingest.poll_store import DynamoCursors  # noqa: PLC0415 - PynamoDB on the first request, not at import

    settings = Settings.from_env(env)
    secrets = secret_source(settings)
    config = _Lazy(lambda: config_source(settings))
    archive = RawArchive(settings)
    tokens = credentials(settings, secrets)
    service = IngestService(
        settings,
        secrets=secrets,
        publisher=EnvelopePublisher(settings, CLASSIFY_QUEUE),
        connectors={**connectors(settings, secrets, tokens), "youtube": YouTube(channels=ConfiguredChannels(config))},
        notices=VideoWatch(config, DynamoCursors(settings)),
        polled=POLLERS,
        archive=archive,
        observer=ThrottledObserver(EnvelopePublisher(settings, RESPOND_QUEUE)),
    )
    return IngestRoot(settings, secrets, service, config, archive, tokens)


def connectors(settings: Settings, secrets: SecretSource, tokens: Credentials | None = None) -> dict[str, Connector]:
    """The registry, with the API clients and keys the Google and Meta connectors need (locally, development
    keys and whatever HARK_API_BASE_<PLATFORM> points at)."""
    local = settings.dev_defaults
    jwks = settings.google_jwks or (DEV_GOOGLE_JWKS if local else GOOGLE_CERTS)
    audience = settings.google_audience or (DEV_GOOGLE_AUDIENCE if local else None)
    account = settings.google_service_account or (DEV_GOOGLE_SERVICE_ACCOUNT if local else None)
    # Google's OAuth tokens live an hour: the review fetch reads them through the same refreshing port as replies.
    tokens = tokens or credentials(settings, secrets)
    google = Google(
        keys=JwksKeys(jwks),
        reviews=BusinessProfileReviews(
            settings.api_base("google", API_BASE), lambda: tokens.get("google").access_token
        ),
        expect=Audience(audience, account) if audience and account else None,
    )
    meta = Meta(
        instagram_mentions=graph.GraphInstagramMentions(
            settings.api_base("meta", graph.API_BASE), lambda: secrets.get().platform_token("meta")
        )
    )
    return {**CONNECTORS, "google": google, "meta": meta}


class _Lazy:
    """The config source built when first read: only YouTube's deliveries and the pollers need it, and building it
    makes an SSM client, which no other webhook's cold start should pay for."""

    def __init__(self, make: Callable[[], ConfigSource]) -> None:
        self._make = make
        self._source: ConfigSource | None = None
        self._lock = threading.Lock()

    def get(self) -> LoadedConfig:
        with self._lock:
            if self._source is None:
                self._source = self._make()
        return self._source.get()


root = LazyRoot(build)
