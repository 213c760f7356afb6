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

import builtins
import heapq
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

from services.respond.audit import Content, hour_of, stream_kind
from services.respond.tasks import Attached, ConcurrentUpdate
from shared.api.models import AuditEntry, Note, Notification
from shared.aws import translate_errors
from shared.events import TASK_STATUSES, ClassifiedMention, Mention, MentionDeletion, StoredMention, Task
from shared.ids import shard_of
from shared.resources import AUDIT, AUDIT_CONTENT, CONVERSATIONS, INBOX, NOTES, NOTIFICATIONS, TASKS
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
    expires_at = TTLAttribute(null=True)
    doc = JSONAttribute()
    by_status = StatusIndex()
    by_holder = HolderIndex()


class LogIndex(GlobalIndex["AuditRecord"]):
    class Meta:
        index_name = "log"
        projection = AllProjection()

    log_partition = UnicodeAttribute(hash_key=True)
    log_key = UnicodeAttribute(range_key=True)


class HourIndex(GlobalIndex["AuditRecord"]):
    class Meta:
        index_name = "by_hour"
        projection = AllProjection()

    hour = UnicodeAttribute(hash_key=True)
    hour_key = UnicodeAttribute(range_key=True)


class AuditRecord(Model):
    class Meta:
        table_name = "hark-unbound-audit"

    stream = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    # Only entries that are not a task's carry these (a sparse index: the log of GET /v1/audit).
    log_partition = UnicodeAttribute(null=True)
    log_key = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    doc = JSONAttribute()
    log = LogIndex()
    # Every entry: the UTC hour it was written (`2026-12-02T06`), for the hourly export.
    hour = UnicodeAttribute(null=True)
    hour_key = UnicodeAttribute(null=True)
    by_hour = HourIndex()


class AuditContentRecord(Model):
    class Meta:
        table_name = "hark-unbound-audit-content"

    stream = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    salt = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)
    doc = JSONAttribute()


class ConversationRecord(Model):
    class Meta:
        table_name = "hark-unbound-conversations"

    day = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute(null=True)
    doc = JSONAttribute()


class NoteRecord(Model):
    class Meta:
        table_name = "hark-unbound-notes"

    task_id = UnicodeAttribute(hash_key=True)
    note_key = UnicodeAttribute(range_key=True)
    expires_at = TTLAttribute(null=True)
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
    expires_at = TTLAttribute(null=True)
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
    AuditContentRecord: AUDIT_CONTENT,
    ConversationRecord: CONVERSATIONS,
}

LOG_PARTITION = "log"


def audit_record(entry: AuditEntry) -> AuditRecord:
    """The entry as stored; entries that are not a task's also go into the log index."""
    record = AuditRecord(stream=entry.stream, seq=entry.seq, doc=entry.model_dump(mode="json", exclude={"content"}))
    record.hour = hour_of(entry.at)
    record.hour_key = f"{time_key(entry.at)}#{entry.stream}#{entry.seq:012d}"
    if stream_kind(entry.stream) != "task":
        record.log_partition = LOG_PARTITION
        record.log_key = f"{time_key(entry.at)}#{entry.stream}#{entry.seq:012d}"
        record.action, record.actor = entry.action, entry.actor
    return record


def content_record(content: Content, expires_at: datetime | None) -> AuditContentRecord:
    return AuditContentRecord(
        stream=content.stream, seq=content.seq, salt=content.salt, expires_at=expires_at, doc=content.values
    )


def _to_content(record: AuditContentRecord) -> Content:
    return Content(record.stream, int(record.seq), record.salt, dict(record.doc))


def _connection(model: type[Model]) -> Connection:
    # The model's own (cached) connection, bound with the same timeouts: a new Connection per transaction built a
    # new botocore session and client every time, which made respond spend 0.6 s a record on the local stack.
    return model._get_connection().connection


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

    def save(self, task: Task, entry: AuditEntry, attached: Attached | None = None) -> Task:
        """Write `task` and its audit entry together (with the entry's content kept apart and the conversation's
        facts), if nobody changed the task since it was read (version check) and the entry's number is free; raise
        ConcurrentUpdate otherwise."""
        attached = attached or Attached()
        held_key = f"{time_key(task.held_since)}#{task.id}" if task.holder and task.held_since else None
        record = TaskRecord(
            id=task.id,
            status=task.status,
            rank=rank(task),
            queue=task.queue,
            holder=task.holder if held_key else None,
            held_key=held_key,
            expires_at=attached.expires_at,
            doc=task.model_dump(mode="json", exclude={"version", "actions", "audit_hash"}) | {"audit_hash": entry.hash},
        )
        if task.version:  # a new task has no version yet: PynamoDB then requires that the item does not exist
            record.version = task.version
        audit = audit_record(entry)
        with translate_errors("save task"):
            try:
                with TransactWrite(connection=_connection(TaskRecord)) as transaction:
                    transaction.save(record)
                    transaction.save(audit, condition=AuditRecord.stream.does_not_exist())
                    if attached.content is not None:
                        transaction.save(content_record(attached.content, attached.content_expires_at))
                    if attached.fact is not None:
                        transaction.save(
                            ConversationRecord(
                                day=attached.fact.day,
                                key=attached.fact.key,
                                expires_at=attached.fact_expires_at,
                                doc=attached.fact.model_dump(mode="json"),
                            )
                        )
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

    def written_in(self, hour: str) -> builtins.list[AuditEntry]:
        """Every entry written in this UTC hour (`2026-12-02T06`), in time order."""
        with translate_errors("read audit"):
            return [AuditEntry.model_validate(r.doc) for r in AuditRecord.by_hour.query(hour, page_size=500)]

    def append(self, entry: AuditEntry) -> bool:
        """Put the entry unless its number is taken; False when it is (someone appended first)."""
        with translate_errors("append audit"):
            try:
                audit_record(entry).save(condition=AuditRecord.stream.does_not_exist())
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def contents(self, stream: str, first: int, last: int) -> dict[int, Content]:
        """The content kept apart for entries `first`..`last` of a stream (what erasure left of it)."""
        with translate_errors("read audit content"):
            return {
                int(r.seq): _to_content(r)
                for r in AuditContentRecord.query(
                    stream, range_key_condition=AuditContentRecord.seq.between(first, last), consistent_read=True
                )
            }

    def erase_contents(self, stream: str, seqs: builtins.list[int] | None = None) -> int:
        """Delete the personal content of a stream's entries (all, or those numbered `seqs`); how many lost it."""
        erased = 0
        wanted = set(seqs) if seqs is not None else None
        with translate_errors("erase audit content"), AuditContentRecord.batch_write() as batch:
            for record in AuditContentRecord.query(stream, attributes_to_get=["stream", "seq"]):
                if wanted is None or int(record.seq) in wanted:
                    batch.delete(record)
                    erased += 1
        return erased

    def log(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        kind: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[AuditEntry]:
        """Entries that are not a task's, newest first."""
        before = decode_cursor(cursor)
        bounds = [b for b in (before, time_key(until) if until else None) if b is not None]
        high = min(bounds) if bounds else None
        low = time_key(since) if since else None
        condition: Condition | None
        if low is not None and high is not None:
            if low >= high:
                return Page([], None)
            condition = AuditRecord.log_key.between(low, high)
        elif high is not None:
            condition = AuditRecord.log_key < high
        elif low is not None:
            condition = AuditRecord.log_key >= low
        else:
            condition = None
        filters: list[Condition] = []
        prefix = {"config": "config", "erasure": "erasures", "safety_case": "sc_"}.get(kind or "")
        if prefix:
            filters.append(AuditRecord.stream.startswith(prefix))
        if action:
            filters.append(AuditRecord.action == action)
        if actor:
            filters.append(AuditRecord.actor == actor)
        filter_condition = None
        for item in filters:
            filter_condition = item if filter_condition is None else filter_condition & item
        found: list[AuditRecord] = []
        with translate_errors("read the audit log"):
            for record in AuditRecord.log.query(
                LOG_PARTITION,
                range_key_condition=condition,
                filter_condition=filter_condition,
                scan_index_forward=False,
                page_size=limit + 1,
            ):
                if record.log_key == before or (high is not None and (record.log_key or "") >= high):
                    continue  # BETWEEN is inclusive
                found.append(record)
                if len(found) > limit:
                    break
        entries = [AuditEntry.model_validate(r.doc) for r in found[:limit]]
        next_cursor = encode_cursor(found[limit - 1].log_key or "") if len(found) > limit else None
        return Page(entries, next_cursor)


class Notes:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, task_id: str, note: Note, expires_at: datetime | None = None) -> None:
        with translate_errors("save note"):
            NoteRecord(
                task_id=task_id, note_key=note.key, expires_at=expires_at, doc=note.model_dump(mode="json")
            ).save(condition=NoteRecord.task_id.does_not_exist())

    def erase(self, task_id: str) -> int:
        """Forget what the notes on a task say (a person in the conversation was erased); who wrote each and when
        stays. How many were erased."""
        erased = 0
        with translate_errors("erase notes"):
            for record in NoteRecord.query(task_id):
                note = Note.model_validate(record.doc)
                if note.text == ERASED_TEXT:
                    continue
                record.update(
                    actions=[NoteRecord.doc.set(note.model_copy(update={"text": ERASED_TEXT}).model_dump(mode="json"))]
                )
                erased += 1
        return erased

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
ERASED_TEXT = "[erased]"


class Notifications:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, notification: Notification, expires_at: datetime | None = None) -> None:
        with translate_errors("save notification"):
            NotificationRecord(
                user=notification.user,
                key=notification.key,
                expires=expires_at or notification.at + timedelta(days=NOTIFICATION_DAYS),
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

    def put(
        self, classified: ClassifiedMention, task_id: str | None, now: datetime, expires_at: datetime | None = None
    ) -> bool:
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
            expires_at=expires_at,
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

    def put_reply(self, mention: Mention, task_id: str, now: datetime, expires_at: datetime | None = None) -> bool:
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
            expires_at=expires_at,
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

    def by_author(
        self, platform: str, author_id: str, *, cursor: str | None = None, limit: int = 50
    ) -> Page[StoredMention]:
        """What a person said, newest first."""
        before = decode_cursor(cursor)
        with translate_errors("read the author's mentions"):
            records = list(
                InboxRecord.by_author.query(
                    author_key(platform, author_id),
                    range_key_condition=InboxRecord.said_at < before if before else None,
                    scan_index_forward=False,
                    limit=limit + 1,
                    page_size=limit + 1,
                )
            )
        if len(records) > limit:
            return Page([_to_stored(r) for r in records[:limit]], encode_cursor(records[limit - 1].said_at))
        return Page([_to_stored(r) for r in records], None)

    def count_by_author(self, platform: str, author_id: str) -> int:
        """How many messages Hark holds from this person (a count query: nothing is read out)."""
        with translate_errors("count the author's mentions"):
            return int(InboxRecord.by_author.count(author_key(platform, author_id)))

    def brand_replies(self, platform: str, source: str, thread_id: str) -> list[str]:
        """The ids of the brand's own messages in a conversation (sent from Hark or on the platform)."""
        with translate_errors("read thread"):
            return [
                r.id
                for r in InboxRecord.by_thread.query(thread_key(platform, source, thread_id))
                if bool(r.doc.get("from_brand"))
            ]

    def delete(self, mention_ids: list[str]) -> int:
        with translate_errors("delete inbox items"), InboxRecord.batch_write() as batch:
            for mention_id in mention_ids:
                batch.delete(InboxRecord(id=mention_id))
        return len(mention_ids)

    def stored_between(self, since: datetime, until: datetime, limit: int) -> tuple[list[StoredMention], bool]:
        """Mentions stored in [since, until), oldest first, up to `limit`; and whether there were more."""
        low, high = time_key(since), time_key(until)
        found: list[tuple[str, InboxRecord]] = []
        with translate_errors("read mentions for a report"):
            for shard in range(FEED_SHARDS):
                for record in InboxRecord.feed.query(
                    str(shard), range_key_condition=InboxRecord.feed_key.between(low, high), page_size=500
                ):
                    if record.feed_key < high:
                        found.append((record.feed_key, record))
                    if len(found) > limit:
                        break
        found.sort(key=lambda item: item[0])
        return [_to_stored(r) for _, r in found[:limit]], len(found) > limit

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

    def newest(
        self,
        *,
        platform: str | None = None,
        needs_response: bool | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        page_size: int = 100,
    ) -> Iterator[tuple[str, StoredMention]]:
        """Every mention newest first (in stored order) with its position, read a page at a time as consumed."""
        before = decode_cursor(cursor)
        after = time_key(since) if since else None
        if before is not None and after is not None and after > before:
            return
        range_condition: Condition | None
        if before is not None and after is not None:
            range_condition = InboxRecord.feed_key.between(after, before)
        elif before is not None:
            range_condition = InboxRecord.feed_key < before
        elif after is not None:
            range_condition = InboxRecord.feed_key >= after
        else:
            range_condition = None
        filter_condition: Condition | None = None
        for condition in (
            InboxRecord.platform == platform if platform is not None else None,
            InboxRecord.needs_response == needs_response if needs_response is not None else None,
        ):
            if condition is not None:
                filter_condition = condition if filter_condition is None else filter_condition & condition

        def shard(n: int) -> Iterator[InboxRecord]:
            with translate_errors("list mentions"):
                for record in InboxRecord.feed.query(
                    str(n),
                    range_key_condition=range_condition,
                    filter_condition=filter_condition,
                    scan_index_forward=False,
                    page_size=page_size,
                ):
                    if record.feed_key != before:  # BETWEEN is inclusive
                        yield record

        merged = heapq.merge(*(shard(n) for n in range(FEED_SHARDS)), key=lambda r: r.feed_key, reverse=True)
        for record in merged:
            yield record.feed_key, _to_stored(record)

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
