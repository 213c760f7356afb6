"""respond's tables: `tasks` (one per conversation thread) and `inbox` (every classified mention as the command
center shows it, with its task). respond is their only writer (`docs/architecture.md`); the inbox is kept from
classify's events, so reads never reach into another service's table.

Both drop repeats by conditional writes: a task carries a version number (optimistic locking); an inbox item is
written once per revision of its mention, so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection
from pynamodb.models import Model

from shared.aws import translate_errors
from shared.errors import Conflict
from shared.events import TASK_STATUSES, ClassifiedMention, MentionDeletion, StoredMention, Task
from shared.ids import shard_of
from shared.resources import INBOX, TASKS
from shared.settings import Settings
from shared.store.binding import GlobalIndex, bind_models, is_conditional_failure
from shared.store.paging import Page, decode_cursor, encode_cursor, merge_pages, time_key

FEED_SHARDS = 4


class StatusIndex(GlobalIndex["TaskRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    rank = UnicodeAttribute(range_key=True)


class TaskRecord(Model):
    class Meta:
        table_name = "hark-unbound-tasks"

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    rank = UnicodeAttribute()
    queue = UnicodeAttribute()
    version = VersionAttribute()
    doc = JSONAttribute()
    by_status = StatusIndex()


class FeedIndex(GlobalIndex["InboxRecord"]):
    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed_shard = UnicodeAttribute(hash_key=True)
    feed_key = UnicodeAttribute(range_key=True)


class ThreadIndex(GlobalIndex["InboxRecord"]):
    class Meta:
        index_name = "by_thread"
        projection = AllProjection()

    thread_key = UnicodeAttribute(hash_key=True)
    said_at = UnicodeAttribute(range_key=True)


class AuthorIndex(GlobalIndex["InboxRecord"]):
    class Meta:
        index_name = "by_author"
        projection = AllProjection()

    author_key = UnicodeAttribute(hash_key=True)
    said_at = UnicodeAttribute(range_key=True)


class InboxRecord(Model):
    class Meta:
        table_name = "hark-unbound-inbox"

    id = UnicodeAttribute(hash_key=True)
    # Stored order, not arrival order: a mention is stored after it was received, and a feed that pages by arrival
    # would skip what was received earlier but stored later than the page it is on.
    feed_shard = UnicodeAttribute()
    feed_key = UnicodeAttribute()
    thread_key = UnicodeAttribute()
    author_key = UnicodeAttribute()
    said_at = UnicodeAttribute()
    revision = UnicodeAttribute(default="")
    platform = UnicodeAttribute()
    needs_response = BooleanAttribute(null=True)
    task_id = UnicodeAttribute(null=True)
    deleted_at = UTCDateTimeAttribute(null=True)
    doc = JSONAttribute()
    feed = FeedIndex()
    by_thread = ThreadIndex()
    by_author = AuthorIndex()


MODELS: dict[type[Model], Any] = {TaskRecord: TASKS, InboxRecord: INBOX}


def rank(task: Task) -> str:
    """Sorts ascending into work order: highest priority first, then the earliest due, then id."""
    return f"{100 - task.priority:03d}#{time_key(task.due_at)}#{task.id}"


class TaskStore:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def get(self, task_id: str) -> Task | None:
        with translate_errors("read task"):
            try:
                record = TaskRecord.get(task_id, consistent_read=True)
            except TaskRecord.DoesNotExist:
                return None
        return _to_task(record)

    def save(self, task: Task) -> Task:
        """Write `task` if nobody changed it since it was read (version check); raise Conflict otherwise."""
        record = TaskRecord(
            id=task.id,
            status=task.status,
            rank=rank(task),
            queue=task.queue,
            doc=task.model_dump(mode="json", exclude={"version"}),
        )
        if task.version:  # a new task has no version yet: PynamoDB then requires that the item does not exist
            record.version = task.version
        with translate_errors("save task"):
            try:
                record.save()
            except PutError as exc:
                if is_conditional_failure(exc):
                    raise Conflict(f"task {task.id} changed concurrently") from exc
                raise
        return task.model_copy(update={"version": record.version})

    def list(
        self,
        *,
        status: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Task]:
        after = decode_cursor(cursor)
        statuses = [status] if status else list(TASK_STATUSES)
        filter_condition = TaskRecord.queue == queue if queue else None

        def partition(value: str) -> Iterator[TaskRecord]:
            with translate_errors("list tasks"):
                yield from TaskRecord.by_status.query(
                    value,
                    range_key_condition=TaskRecord.rank > after if after else None,
                    filter_condition=filter_condition,
                    page_size=limit + 1,
                )

        page = merge_pages((partition(s) for s in statuses), lambda r: r.rank, limit, descending=False)
        return Page([_to_task(r) for r in page.items], page.next_cursor)


def _to_task(record: TaskRecord) -> Task:
    return Task.model_validate({**record.doc, "version": record.version or 0})


def thread_key(platform: str, source: str, thread_id: str) -> str:
    return f"{platform}#{source}#{thread_id}"


def author_key(platform: str, author_id: str) -> str:
    return f"{platform}#{author_id}"


class Inbox:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def put(self, classified: ClassifiedMention, task_id: str | None, now: datetime) -> bool:
        """Keep this revision of the mention unless the inbox has it (or a newer one, or it was deleted). False
        when nothing changed: the event was a repeat."""
        mention, classification = classified.mention, classified.classification
        stored = StoredMention(**mention.model_dump(), classification=classification, task_id=task_id)
        record = InboxRecord(
            id=mention.id,
            feed_shard=str(shard_of(mention.id, FEED_SHARDS)),
            feed_key=f"{time_key(now)}#{mention.id}",
            thread_key=thread_key(mention.platform, mention.source, mention.thread_id),
            author_key=author_key(mention.platform, mention.author.id),
            said_at=f"{time_key(mention.created_at)}#{mention.id}",
            revision=mention.edited_at.isoformat() if mention.edited_at else "",
            platform=mention.platform,
            needs_response=classification.needs_response,
            task_id=task_id,
            doc=stored.model_dump(mode="json"),
        )
        condition: Condition = InboxRecord.id.does_not_exist() | (
            InboxRecord.deleted_at.does_not_exist() & (InboxRecord.revision < record.revision)
        )
        with translate_errors("store inbox mention"):
            try:
                record.save(condition=condition)
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def mark_deleted(self, deletion: MentionDeletion) -> bool:
        with translate_errors("mark inbox mention deleted"):
            try:
                InboxRecord(id=deletion.id).update(
                    actions=[InboxRecord.deleted_at.set(deletion.deleted_at)],
                    condition=InboxRecord.id.exists() & InboxRecord.deleted_at.does_not_exist(),
                )
            except UpdateError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def erase_author(self, platform: str, author_id: str) -> list[str]:
        """Delete every inbox item by this author; their ids."""
        erased = []
        with translate_errors("erase author from inbox"):
            for record in InboxRecord.by_author.query(author_key(platform, author_id)):
                record.delete()
                erased.append(record.id)
        return erased

    def get(self, mention_id: str) -> StoredMention | None:
        with translate_errors("read mention"):
            try:
                record = InboxRecord.get(mention_id)
            except InboxRecord.DoesNotExist:
                return None
        return _to_stored(record)

    def list(
        self,
        *,
        platform: str | None = None,
        needs_response: bool | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[StoredMention]:
        """Newest first (in the order they were stored), across the feed shards."""
        before = decode_cursor(cursor)
        after = time_key(since) if since else None
        if before is not None and after is not None and after > before:
            return Page([], None)  # the cursor is already older than `since`
        range_condition: Condition | None
        if before is not None and after is not None:
            range_condition = InboxRecord.feed_key.between(after, before)
        elif before is not None:
            range_condition = InboxRecord.feed_key < before
        elif after is not None:
            range_condition = InboxRecord.feed_key >= after
        else:
            range_condition = None
        filters = []
        if platform is not None:
            filters.append(InboxRecord.platform == platform)
        if needs_response is not None:
            filters.append(InboxRecord.needs_response == needs_response)
        filter_condition = None
        for condition in filters:
            filter_condition = condition if filter_condition is None else filter_condition & condition

        def shard(n: int) -> Iterator[InboxRecord]:
            with translate_errors("list mentions"):
                for record in InboxRecord.feed.query(
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

    def newer(
        self,
        *,
        after: str,
        until: datetime,
        platform: str | None = None,
        needs_response: bool | None = None,
        limit: int = 50,
    ) -> Page[StoredMention]:
        """What was stored after the feed position `after` and before `until`, oldest first. The next position
        is the last item's, or `until` itself once everything before it has been read."""
        after_key = decode_cursor(after)
        assert after_key is not None
        horizon = time_key(until)
        if after_key >= horizon:
            return Page([], after)
        filters = []
        if platform is not None:
            filters.append(InboxRecord.platform == platform)
        if needs_response is not None:
            filters.append(InboxRecord.needs_response == needs_response)
        filter_condition = None
        for condition in filters:
            filter_condition = condition if filter_condition is None else filter_condition & condition

        def shard(n: int) -> Iterator[InboxRecord]:
            with translate_errors("read the mention feed"):
                for record in InboxRecord.feed.query(
                    str(n),
                    # BETWEEN is inclusive: the position itself was already read. A key at exactly `until` sorts
                    # after it ("T#id" > "T") and is read next time.
                    range_key_condition=InboxRecord.feed_key.between(after_key, horizon),
                    filter_condition=filter_condition,
                    scan_index_forward=True,
                    page_size=limit + 1,
                ):
                    if record.feed_key != after_key:
                        yield record

        page = merge_pages((shard(n) for n in range(FEED_SHARDS)), lambda r: r.feed_key, limit, descending=False)
        return Page([_to_stored(r) for r in page.items], page.next_cursor or encode_cursor(horizon))


def _to_stored(record: InboxRecord) -> StoredMention:
    return StoredMention.model_validate({**record.doc, "task_id": record.task_id, "deleted_at": record.deleted_at})
