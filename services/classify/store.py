"""classify's table, `mentions`: every mention Hark heard, with what classify made of it. classify is its only
writer (`docs/architecture.md`); other services learn of it from the events classify publishes.

The conditional writes here are how Hark drops redeliveries: a mention's id is the same in every copy of a message,
so the first copy is stored and the others find it there. An edit is stored only if it is newer than what is
stored, and a deleted mention stays deleted whatever arrives late.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from shared.aws import translate_errors
from shared.events import Classification, Mention, MentionDeletion
from shared.resources import MENTIONS
from shared.settings import Settings
from shared.store.binding import GlobalIndex, bind_models, is_conditional_failure


class ByAuthor(GlobalIndex["MentionRecord"]):
    class Meta:
        index_name = "by_author"
        projection = KeysOnlyProjection()

    author_key = UnicodeAttribute(hash_key=True)


class MentionRecord(Model):
    class Meta:
        table_name = "hark-unbound-mentions"

    id = UnicodeAttribute(hash_key=True)
    author_key = UnicodeAttribute()
    # The edit the record holds ("" for the original); ISO timestamps order as strings.
    revision = UnicodeAttribute(default="")
    deleted_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # the config's retention.mentions, from receipt
    doc = JSONAttribute()
    by_author = ByAuthor()


MODELS: dict[type[Model], Any] = {MentionRecord: MENTIONS}


@dataclass(frozen=True)
class Stored:
    mention: Mention
    classification: Classification
    deleted_at: datetime | None = None


def author_key(platform: str, author_id: str) -> str:
    return f"{platform}#{author_id}"


def revision(mention: Mention) -> str:
    return mention.edited_at.isoformat() if mention.edited_at else ""


class MentionStore:
    def __init__(self, settings: Settings, retention: Callable[[], timedelta | None] | None = None) -> None:
        bind_models(MODELS, settings)
        self._retention = retention or (lambda: None)

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, Stored]:
        """The stored mentions among `mention_ids` (one BatchGetItem per 100 ids)."""
        with translate_errors("read mentions"):
            return {r.id: _stored(r) for r in MentionRecord.batch_get(list(dict.fromkeys(mention_ids)))}

    def get(self, mention_id: str) -> Stored | None:
        with translate_errors("read mention"):
            try:
                return _stored(MentionRecord.get(mention_id, consistent_read=True))
            except MentionRecord.DoesNotExist:
                return None

    def save(self, mention: Mention, classification: Classification) -> bool:
        """Store the mention unless what is stored is as new or newer, or deleted. False when nothing was written:
        a redelivery, a late copy of an older revision, or a message already deleted."""
        record = MentionRecord(
            id=mention.id,
            author_key=author_key(mention.platform, mention.author.id),
            revision=revision(mention),
            expires_at=mention.received_at + keep if (keep := self._retention()) is not None else None,
            doc={
                "mention": mention.model_dump(mode="json"),
                "classification": classification.model_dump(mode="json"),
            },
        )
        newer = MentionRecord.id.does_not_exist() | (
            MentionRecord.deleted_at.does_not_exist() & (MentionRecord.revision < record.revision)
        )
        with translate_errors("store mention"):
            try:
                record.save(condition=newer)
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def mark_deleted(self, deletion: MentionDeletion) -> bool:
        """True when a stored mention was marked deleted now (False: unknown, or already deleted)."""
        with translate_errors("mark mention deleted"):
            try:
                MentionRecord(id=deletion.id).update(
                    actions=[MentionRecord.deleted_at.set(deletion.deleted_at)],
                    condition=MentionRecord.id.exists() & MentionRecord.deleted_at.does_not_exist(),
                )
            except UpdateError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def erase_author(self, platform: str, author_id: str) -> int:
        """Delete every mention by this author; how many were deleted."""
        erased = 0
        with translate_errors("erase author"):
            for record in MentionRecord.by_author.query(author_key(platform, author_id)):
                MentionRecord(id=record.id).delete()
                erased += 1
        return erased


def _stored(record: MentionRecord) -> Stored:
    return Stored(
        mention=Mention.model_validate(record.doc["mention"]),
        classification=Classification.model_validate(record.doc["classification"]),
        deleted_at=record.deleted_at,
    )
