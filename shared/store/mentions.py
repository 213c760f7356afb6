"""The mentions table: classify stores each classified mention once; respond links it to its task; the API
lists and reads them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from shared.aws import translate_errors
from shared.events import Classification, Mention, StoredMention
from shared.ids import shard_of
from shared.settings import Settings
from shared.store.models import MentionRecord, bind, is_conditional_failure
from shared.store.paging import Page, decode_cursor, merge_pages, time_key

FEED_SHARDS = 4


class MentionStore:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def save_classified(self, mention: Mention, classification: Classification) -> bool:
        """Store a classified mention once. False when it was already stored (a redelivery): the stored
        record, and the task link respond may have added, are left as they are."""
        stored = StoredMention(**mention.model_dump(), classification=classification)
        record = MentionRecord(
            id=mention.id,
            feed_shard=str(shard_of(mention.id, FEED_SHARDS)),
            feed_key=f"{time_key(mention.received_at)}#{mention.id}",
            platform=mention.platform,
            needs_response=classification.needs_response,
            doc=stored.model_dump(mode="json", exclude={"task_id"}),
        )
        with translate_errors("store mention"):
            try:
                record.save(condition=MentionRecord.id.does_not_exist())
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def link_task(self, mention_id: str, task_id: str) -> None:
        with translate_errors("link mention to task"):
            MentionRecord(id=mention_id).update(
                actions=[MentionRecord.task_id.set(task_id)], condition=MentionRecord.id.exists()
            )

    def get(self, mention_id: str) -> StoredMention | None:
        with translate_errors("read mention"):
            try:
                record = MentionRecord.get(mention_id)
            except MentionRecord.DoesNotExist:
                return None
        return _to_stored(record)

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, StoredMention]:
        """The stored mentions among `mention_ids` (one BatchGetItem per 100 ids)."""
        found: dict[str, StoredMention] = {}
        with translate_errors("read mentions"):
            for record in MentionRecord.batch_get(list(dict.fromkeys(mention_ids))):
                found[record.id] = _to_stored(record)
        return found

    def list(
        self,
        *,
        platform: str | None = None,
        needs_response: bool | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[StoredMention]:
        """Newest first, across the feed shards."""
        before = decode_cursor(cursor)
        after = time_key(since) if since else None
        if before is not None and after is not None and after > before:
            return Page([], None)  # the cursor is already older than `since`
        range_condition: Condition | None
        if before is not None and after is not None:
            range_condition = MentionRecord.feed_key.between(after, before)
        elif before is not None:
            range_condition = MentionRecord.feed_key < before
        elif after is not None:
            range_condition = MentionRecord.feed_key >= after
        else:
            range_condition = None
        filters = []
        if platform is not None:
            filters.append(MentionRecord.platform == platform)
        if needs_response is not None:
            filters.append(MentionRecord.needs_response == needs_response)
        filter_condition = None
        for condition in filters:
            filter_condition = condition if filter_condition is None else filter_condition & condition

        def shard(n: int) -> Iterator[MentionRecord]:
            with translate_errors("list mentions"):
                for record in MentionRecord.feed.query(
                    str(n),
                    range_key_condition=range_condition,
                    filter_condition=filter_condition,
                    scan_index_forward=False,
                    page_size=limit + 1,
                ):
                    # BETWEEN is inclusive; the cursor item itself was on the previous page.
                    if record.feed_key != before:
                        yield record

        page = merge_pages((shard(n) for n in range(FEED_SHARDS)), lambda r: r.feed_key, limit, descending=True)
        return Page([_to_stored(r) for r in page.items], page.next_cursor)


def _to_stored(record: MentionRecord) -> StoredMention:
    return StoredMention.model_validate({**record.doc, "task_id": record.task_id})
