"""ingest's table, `archive-index`: which archived deliveries carry a person's messages. ingest is its only writer.

The raw archive is keyed by platform, date and delivery, which is what replay reads; a person's erasure needs the
other way round, and a delivery (a Meta batch) can carry many people. One item per (author, archived delivery),
written before the delivery is archived, so no archived delivery is ever unfindable by the people in it; each
item expires (TTL) when its delivery does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from shared.aws import translate_errors
from shared.resources import ARCHIVE_INDEX
from shared.settings import Settings
from shared.store.binding import bind_models

BATCH = 25  # BatchWriteItem's limit
PARALLEL_BATCHES = 8


class ArchiveEntry(Model):
    class Meta:
        table_name = "hark-unbound-archive-index"

    author_key = UnicodeAttribute(hash_key=True)
    archive_key = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute()


MODELS: dict[type[Model], Any] = {ArchiveEntry: ARCHIVE_INDEX}


class ArchiveIndex:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, archive_key: str, author_keys: Collection[str], expires_at: datetime) -> None:
        """Index one archived delivery under each of its authors (a few BatchWriteItem calls, run side by side for
        a big batch; PynamoDB retries what DynamoDB leaves unprocessed)."""
        entries = [ArchiveEntry(a, archive_key, expires_at=expires_at) for a in sorted(set(author_keys))]
        chunks = [entries[n : n + BATCH] for n in range(0, len(entries), BATCH)]
        if not chunks:
            return
        # The first batch alone: it builds the model's connection, which threads racing to build it would each do.
        self._write(chunks[0])
        if len(chunks) == 2:
            self._write(chunks[1])
        elif len(chunks) > 2:
            with ThreadPoolExecutor(max_workers=PARALLEL_BATCHES, thread_name_prefix="archive-index") as pool:
                list(pool.map(self._write, chunks[1:]))  # re-raises the first failure

    def keys_of(self, key: str) -> list[str]:
        """Every archive key indexed under this author (`archive.author_key`)."""
        with translate_errors("read the archive index"):
            return [entry.archive_key for entry in ArchiveEntry.query(key)]

    def forget(self, key: str, archive_keys: Sequence[str]) -> None:
        with translate_errors("update the archive index"), ArchiveEntry.batch_write() as batch:
            for archive_key in archive_keys:
                batch.delete(ArchiveEntry(key, archive_key))

    @staticmethod
    def _write(entries: Sequence[ArchiveEntry]) -> None:
        with translate_errors("index the archived delivery"), ArchiveEntry.batch_write() as batch:
            for entry in entries:
                batch.save(entry)
