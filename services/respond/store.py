"""respond's tables: `tasks` (one per conversation thread), `inbox` (every classified mention as the command
center shows it, with its task), `audit` (append-only, hash-chained), `notes` and `notifications`. respond is their
only writer (`docs/architecture.md`); the inbox is kept from classify's events, so reads never reach into another
service's table.

Repeats are dropped by conditional writes: a task carries a version number (optimistic locking) and is written in
one transaction with its audit entry, which is put only if its number is free (`attribute_not_exists`), so the task
and its trail never disagree and no entry is ever overwritten; an inbox item is written once per revision of its
mention, so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from services.respond.tasks import ConcurrentUpdate
from shared.api.models import AuditEntry, Note, Notification
from shared.aws import translate_errors
from shared.events import TASK_STATUSES, ClassifiedMention, Mention, MentionDeletion, StoredMention, Task
from shared.ids import shard_of
from shared.resources import AUDIT, INBOX, NOTES, NOTIFICATIONS, TASKS
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


class HolderIndex(GlobalIndex["TaskRecord"]):
    class Meta:
        index_name = "by_holder"
        projection = AllProjection()

    holder = UnicodeAttribute(hash_key=True)
    held_key = UnicodeAttribute(range_key=True)


class TaskRecord(Model):
    class Meta:
        table_name = "hark-unbound-tasks"

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    rank = UnicodeAttribute()
    queue = UnicodeAttribute()
    holder = UnicodeAttribute(null=True)
    held_key = UnicodeAttribute(null=True)
    version = VersionAttribute()
    doc = JSONAttribute()
    by_status = StatusIndex()
    by_holder = HolderIndex()


class AuditRecord(Model):
    class Meta:
        table_name = "hark-unbound-audit"

    stream = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    doc = JSONAttribute()


class NoteRecord(Model):
    class Meta:
        table_name = "hark-unbound-notes"

    task_id = UnicodeAttribute(hash_key=True)
    note_key = UnicodeAttribute(range_key=True)
    doc = JSONAttribute()


class NotificationRecord(Model):
    class Meta:
        table_name = "hark-unbound-notifications"

    user = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    expires = TTLAttribute(null=True)
    doc = JSONAttribute()


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


MODELS: dict[type[Model], Any] = {
    TaskRecord: TASKS,
    InboxRecord: INBOX,
    AuditRecord: AUDIT,
    NoteRecord: NOTES,
    NotificationRecord: NOTIFICATIONS,
}


def _connection(model: type[Model]) -> Connection:
    meta: Any = model.Meta
    return Connection(
        region=meta.region,
        host=getattr(meta, "host", None),
        connect_timeout_seconds=3,
        read_timeout_seconds=10,
        max_retry_attempts=3,
    )


def _cancelled_by_condition(exc: TransactWriteError) -> bool:
    if exc.cause_response_code != "TransactionCanceledException":
        return False
    try:
        reasons = exc.cancellation_reasons
    except AttributeError:
        return True
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons) or not reasons


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

    def save(self, task: Task, entry: AuditEntry) -> Task:
        """Write `task` and its audit entry together, if nobody changed the task since it was read (version check)
        and the entry's number is free; raise ConcurrentUpdate otherwise."""
        held_key = f"{time_key(task.held_since)}#{task.id}" if task.holder and task.held_since else None
        record = TaskRecord(
            id=task.id,
            status=task.status,
            rank=rank(task),
            queue=task.queue,
            holder=task.holder if held_key else None,
            held_key=held_key,
            doc=task.model_dump(mode="json", exclude={"version", "actions", "audit_hash"}) | {"audit_hash": entry.hash},
        )
        if task.version:  # a new task has no version yet: PynamoDB then requires that the item does not exist
            record.version = task.version
        audit = AuditRecord(stream=entry.stream, seq=entry.seq, doc=entry.model_dump(mode="json"))
        with translate_errors("save task"):
            try:
                with TransactWrite(connection=_connection(TaskRecord)) as transaction:
                    transaction.save(record)
                    transaction.save(audit, condition=AuditRecord.stream.does_not_exist())
            except TransactWriteError as exc:
                if _cancelled_by_condition(exc):
                    raise ConcurrentUpdate(f"task {task.id} changed concurrently") from exc
                raise
        return task.model_copy(update={"version": record.version, "audit_hash": entry.hash})

    def held_by(self, user: str) -> list[Task]:
        """The tasks `user` holds, oldest hold first."""
        with translate_errors("list held tasks"):
            return [_to_task(r) for r in TaskRecord.by_holder.query(user)]

    def list(
        self,
        *,
        status: str | None = None,
        queue: str | None = None,
        holder: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
        statuses: tuple[str, ...] | None = None,
    ) -> Page[Task]:
        after = decode_cursor(cursor)
        statuses = (status,) if status else (statuses or TASK_STATUSES)
        filter_condition: Condition | None = None
        for condition in (
            TaskRecord.queue == queue if queue else None,
            TaskRecord.holder == holder if holder else None,
        ):
            if condition is not None:
                filter_condition = condition if filter_condition is None else filter_condition & condition

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


class AuditLog:
    """Reads the trail; and appends to streams that have no task (the configuration's)."""

    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def list(self, stream: str, *, cursor: str | None = None, limit: int = 50) -> Page[AuditEntry]:
        after = decode_cursor(cursor)
        start = int(after) if after else 0
        with translate_errors("read audit"):
            records = list(
                AuditRecord.query(
                    stream, range_key_condition=AuditRecord.seq > start, limit=limit + 1, page_size=limit + 1
                )
            )
        entries = [AuditEntry.model_validate(r.doc) for r in records]
        if len(entries) > limit:
            return Page(entries[:limit], encode_cursor(f"{entries[limit - 1].seq:012d}"))
        return Page(entries, None)

    def get(self, stream: str, seq: int) -> AuditEntry | None:
        with translate_errors("read audit"):
            try:
                return AuditEntry.model_validate(AuditRecord.get(stream, seq, consistent_read=True).doc)
            except AuditRecord.DoesNotExist:
                return None

    def last(self, stream: str) -> AuditEntry | None:
        with translate_errors("read audit"):
            for record in AuditRecord.query(stream, scan_index_forward=False, limit=1, consistent_read=True):
                return AuditEntry.model_validate(record.doc)
        return None

    def append(self, entry: AuditEntry) -> bool:
        """Put the entry unless its number is taken; False when it is (someone appended first)."""
        with translate_errors("append audit"):
            try:
                AuditRecord(stream=entry.stream, seq=entry.seq, doc=entry.model_dump(mode="json")).save(
                    condition=AuditRecord.stream.does_not_exist()
                )
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True


class Notes:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, task_id: str, note: Note) -> None:
        with translate_errors("save note"):
            NoteRecord(task_id=task_id, note_key=note.key, doc=note.model_dump(mode="json")).save(
                condition=NoteRecord.task_id.does_not_exist()
            )

    def list(self, task_id: str, *, cursor: str | None = None, limit: int = 50) -> Page[Note]:
        after = decode_cursor(cursor)
        with translate_errors("list notes"):
            records = list(
                NoteRecord.query(
                    task_id,
                    range_key_condition=NoteRecord.note_key > after if after else None,
                    limit=limit + 1,
                    page_size=limit + 1,
                )
            )
        notes = [Note.model_validate(r.doc) for r in records]
        if len(notes) > limit:
            return Page(notes[:limit], encode_cursor(notes[limit - 1].key))
        return Page(notes, None)


NOTIFICATION_DAYS = 30


class Notifications:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, notification: Notification) -> None:
        with translate_errors("save notification"):
            NotificationRecord(
                user=notification.user,
                key=notification.key,
                expires=notification.at + timedelta(days=NOTIFICATION_DAYS),
                doc=notification.model_dump(mode="json"),
            ).save()

    def list(self, user: str, *, cursor: str | None = None, limit: int = 50) -> Page[Notification]:
        """Newest first."""
        before = decode_cursor(cursor)
        with translate_errors("list notifications"):
            records = list(
                NotificationRecord.query(
                    user,
                    range_key_condition=NotificationRecord.key < before if before else None,
                    scan_index_forward=False,
                    limit=limit + 1,
                    page_size=limit + 1,
                )
            )
        items = [Notification.model_validate(r.doc) for r in records]
        if len(items) > limit:
            return Page(items[:limit], encode_cursor(items[limit - 1].key))
        return Page(items, None)


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

    def put_reply(self, mention: Mention, task_id: str, now: datetime) -> bool:
        """The brand's reply, sent from Hark, as it appears in the thread (the platform's echo of it, with the
        same id, is then a repeat)."""
        record = InboxRecord(
            id=mention.id,
            feed_shard=str(shard_of(mention.id, FEED_SHARDS)),
            feed_key=f"{time_key(now)}#{mention.id}",
            thread_key=thread_key(mention.platform, mention.source, mention.thread_id),
            author_key=author_key(mention.platform, mention.author.id),
            said_at=f"{time_key(mention.created_at)}#{mention.id}",
            platform=mention.platform,
            needs_response=False,
            task_id=task_id,
            doc=StoredMention(**mention.model_dump(), task_id=task_id).model_dump(mode="json"),
        )
        with translate_errors("store reply"):
            try:
                record.save(condition=InboxRecord.id.does_not_exist())
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def thread(
        self, platform: str, source: str, thread_id: str, *, cursor: str | None = None, limit: int = 50
    ) -> Page[StoredMention]:
        """The conversation in the order it was said, the brand's replies included."""
        after = decode_cursor(cursor)
        with translate_errors("read thread"):
            records = list(
                InboxRecord.by_thread.query(
                    thread_key(platform, source, thread_id),
                    range_key_condition=InboxRecord.said_at > after if after else None,
                    limit=limit + 1,
                    page_size=limit + 1,
                )
            )
        if len(records) > limit:
            return Page([_to_stored(r) for r in records[:limit]], encode_cursor(records[limit - 1].said_at))
        return Page([_to_stored(r) for r in records], None)

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

    def erase_author(self, platform: str, author_id: str) -> list[tuple[str, str | None]]:
        """Delete every inbox item by this author; their ids and tasks."""
        erased: list[tuple[str, str | None]] = []
        with translate_errors("erase author from inbox"):
            for record in InboxRecord.by_author.query(author_key(platform, author_id)):
                record.delete()
                erased.append((record.id, record.task_id))
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
