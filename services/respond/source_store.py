"""respond's `sources` table: one item per source with what respond knows of its health (services/respond/sources.py),
versioned, so concurrent observations and sends never overwrite each other. respond is its only writer: ingest's
facts arrive as `source.observed` events. A handful of items: listing them is a scan."""

from __future__ import annotations

import threading
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from services.respond.sources import SourceState
from services.respond.tasks import ConcurrentUpdate
from shared.aws import translate_errors
from shared.resources import SOURCES
from shared.settings import Settings
from shared.store.binding import bind_models, is_conditional_failure

MAX_SOURCES = 500


class SourceRecord(Model):
    class Meta:
        table_name = "hark-unbound-sources"

    id = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    doc = JSONAttribute()


MODELS: dict[type[Model], Any] = {SourceRecord: SOURCES}


class DynamoSources:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def get(self, source_id: str) -> tuple[SourceState, int] | None:
        with translate_errors("read source"):
            try:
                record = SourceRecord.get(source_id, consistent_read=True)
            except SourceRecord.DoesNotExist:
                return None
        return SourceState.model_validate(record.doc), int(record.version or 0)

    def save(self, state: SourceState, version: int | None) -> None:
        record = SourceRecord(id=state.id, doc=state.model_dump(mode="json"))
        if version:
            record.version = version
        with translate_errors("save source"):
            try:
                record.save()
            except PutError as exc:
                if is_conditional_failure(exc):
                    raise ConcurrentUpdate(state.id) from exc
                raise

    def all(self) -> list[SourceState]:
        with translate_errors("list sources"):
            return [SourceState.model_validate(r.doc) for r in SourceRecord.scan(limit=MAX_SOURCES)]


class MemorySources:
    """The same contract in memory (unit tests)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[SourceState, int]] = {}
        self._lock = threading.Lock()

    def get(self, source_id: str) -> tuple[SourceState, int] | None:
        with self._lock:
            return self._items.get(source_id)

    def save(self, state: SourceState, version: int | None) -> None:
        with self._lock:
            current = self._items.get(state.id)
            if (current[1] if current else None) != version:
                raise ConcurrentUpdate(state.id)
            self._items[state.id] = (state, (version or 0) + 1)

    def all(self) -> list[SourceState]:
        with self._lock:
            return [state for state, _ in self._items.values()]
