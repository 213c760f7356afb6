"""Composition root of the ingest service, built on the first invocation (never at import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.ingest.archive import RawArchive
from services.ingest.http import meta as graph
from services.ingest.http.google import API_BASE, BusinessProfileReviews, JwksKeys
from services.ingest.observations import ThrottledObserver
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.base import Connector
from services.ingest.platforms.google import GOOGLE_CERTS, Audience, Google
from services.ingest.platforms.meta import Meta
from services.ingest.service import IngestService
from shared.bootstrap import LazyRoot
from shared.queues import EnvelopePublisher
from shared.resources import CLASSIFY_QUEUE, RESPOND_QUEUE
from shared.secrets import SecretSource, secret_source
from shared.settings import DEV_GOOGLE_AUDIENCE, DEV_GOOGLE_JWKS, DEV_GOOGLE_SERVICE_ACCOUNT, Settings
from shared.tokens import credentials


@dataclass(frozen=True)
class IngestRoot:
    settings: Settings
    secrets: SecretSource
    service: IngestService
    archive: RawArchive


def build(env: Mapping[str, str]) -> IngestRoot:
    settings = Settings.from_env(env)
    secrets = secret_source(settings)
    archive = RawArchive(settings)
    service = IngestService(
        settings,
        secrets=secrets,
        publisher=EnvelopePublisher(settings, CLASSIFY_QUEUE),
        connectors=connectors(settings, secrets),
        archive=archive,
        observer=ThrottledObserver(EnvelopePublisher(settings, RESPOND_QUEUE)),
    )
    return IngestRoot(settings, secrets, service, archive)


def connectors(settings: Settings, secrets: SecretSource) -> dict[str, Connector]:
    """The registry, with the API clients and keys the Google and Meta connectors need (locally, development
    keys and whatever HARK_API_BASE_<PLATFORM> points at)."""
    local = settings.dev_defaults
    jwks = settings.google_jwks or (DEV_GOOGLE_JWKS if local else GOOGLE_CERTS)
    audience = settings.google_audience or (DEV_GOOGLE_AUDIENCE if local else None)
    account = settings.google_service_account or (DEV_GOOGLE_SERVICE_ACCOUNT if local else None)
    # Google's OAuth tokens live an hour: the review fetch reads them through the same refreshing port as replies.
    tokens = credentials(settings, secrets)
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


root = LazyRoot(build)
