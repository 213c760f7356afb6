"""Composition root of the pollers, built on their first invocation (never at import): the poll core over the
ingest core of `bootstrap` (the same instance, so a polled page is queued exactly as a webhook's delivery), the
cursor table, the configuration (the sources) and an HTTP client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.ingest import bootstrap
from services.ingest.pollers import POLLERS
from services.ingest.pollers.http import UrllibHttp
from services.ingest.polling import CursorStore, PollService
from services.ingest.websub import WebSubRenewer
from shared.bootstrap import LazyRoot


@dataclass(frozen=True)
class PollRoot:
    service: PollService
    cursors: CursorStore
    websub: WebSubRenewer


def build(env: Mapping[str, str]) -> PollRoot:
    from services.ingest.poll_store import DynamoCursors  # noqa: PLC0415 - PynamoDB on the first run, not at import

    ingest = bootstrap.root.get()
    cursors = DynamoCursors(ingest.settings)
    service = PollService(
        ingest.settings.api_bases,
        ingest.config,
        ingest.credentials,
        ingest.service,
        cursors,
        UrllibHttp(),
        POLLERS,
    )
    websub = WebSubRenewer(ingest.config, cursors, ingest.secrets, ingest.settings.public_url)
    return PollRoot(service, cursors, websub)


root = LazyRoot(build)
