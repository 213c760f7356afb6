"""The respond core: the inbox and the tasks, from classify's events; the partner API's reads, as typed queries.

Events in (respond queue): `mention.classified` (every new mention), `mention.updated` (an edit, classified again),
`mention.deleted`, `author.erased`. A mention that needs a human opens its thread's task or joins it; every mention
is kept in the inbox with its task. Every write is conditional, so a repeated event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.respond.tasks import absorb, open_task, task_of
from shared.api.models import MentionQuery, TaskQuery
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events import (
    AuthorErased,
    ClassifiedMention,
    Envelope,
    MentionClassified,
    MentionDeleted,
    MentionDeletion,
    MentionUpdated,
    StoredMention,
    Task,
    parse_envelope,
    utcnow,
)
from shared.observability import count, get_logger
from shared.store.paging import Page, encode_cursor, time_key

SERVICE = "respond"
SAVE_ATTEMPTS = 5
# How far the live feed stays behind the clock: longer than a write takes to become readable (the time between
# stamping a mention's feed position and its write landing, plus the feed index's propagation).
FEED_SETTLE = timedelta(seconds=2)
ACCEPTS: tuple[type[Envelope[Any]], ...] = (MentionClassified, MentionUpdated, MentionDeleted, AuthorErased)


@dataclass(frozen=True)
class Feed:
    items: list[StoredMention]
    next_cursor: str | None
    feed_cursor: str | None


class Tasks(Protocol):
    def get(self, task_id: str) -> Task | None: ...
    def save(self, task: Task) -> Task: ...
    def list(
        self, *, status: str | None = None, queue: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[Task]: ...


class InboxStore(Protocol):
    def put(self, classified: ClassifiedMention, task_id: str | None, now: datetime) -> bool: ...
    def mark_deleted(self, deletion: MentionDeletion) -> bool: ...
    def erase_author(self, platform: str, author_id: str) -> list[str]: ...
    def get(self, mention_id: str) -> StoredMention | None: ...
    def newer(
        self,
        *,
        after: str,
        until: datetime,
        platform: str | None = None,
        needs_response: bool | None = None,
        limit: int = 50,
    ) -> Page[StoredMention]: ...
    def list(
        self,
        *,
        platform: str | None = None,
        needs_response: bool | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[StoredMention]: ...


class RespondService:
    service = SERVICE

    def __init__(self, tasks: Tasks, inbox: InboxStore, clock: Callable[[], datetime] = utcnow) -> None:
        self._tasks = tasks
        self._inbox = inbox
        self._clock = clock

    # BatchWork: the respond-queue consumer
    def parse(self, body: str) -> Envelope[Any]:
        return parse_envelope(body, ACCEPTS)

    def process(self, envelope: Envelope[Any], _prepared: None) -> Sequence[Envelope[Any]]:
        if isinstance(envelope, MentionClassified | MentionUpdated):
            self.take(envelope.data, correlation_id=envelope.correlation_id)
        elif isinstance(envelope, MentionDeleted):
            if self._inbox.mark_deleted(envelope.data):
                count(SERVICE, "MentionsDeleted")
        elif isinstance(envelope, AuthorErased):
            erased = self._inbox.erase_author(envelope.data.platform, envelope.data.author_id)
            count(SERVICE, "MentionsErased", len(erased))
        return []

    def take(self, classified: ClassifiedMention, *, correlation_id: str = "") -> Task | None:
        """Keep the mention in the inbox, and give it to its thread's task if it needs a human."""
        task = self.assign(classified) if classified.classification.needs_response else None
        fresh = self._inbox.put(classified, task.id if task else None, self._clock())
        get_logger(SERVICE).info(
            "mention taken",
            extra={
                "mention_id": classified.mention.id,
                "task_id": task.id if task else None,
                "repeat": not fresh,
                "correlation_id": correlation_id,
            },
        )
        return task

    def assign(self, classified: ClassifiedMention) -> Task:
        """Open the thread's task or add the mention to it; safe to repeat, safe under concurrent writers."""
        mention, classification = classified.mention, classified.classification
        for _attempt in range(SAVE_ATTEMPTS):
            now = self._clock()
            current = self._tasks.get(task_of(mention))
            updated = (
                open_task(mention, classification, now)
                if current is None
                else absorb(current, mention, classification, now)
            )
            if updated is None:
                assert current is not None
                return current
            try:
                task = self._tasks.save(updated)
            except Conflict:
                continue
            count(SERVICE, "TasksOpened" if current is None else "MentionsJoinedTask")
            return task
        raise Conflict(f"task for thread {mention.thread_id[:64]} kept changing; will retry")

    # Partner API reads
    def list_tasks(self, _principal: Principal, query: TaskQuery) -> Page[Task]:
        return self._tasks.list(status=query.status, queue=query.queue, cursor=query.cursor, limit=query.limit)

    def get_task(self, _principal: Principal, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise NotFound(f"there is no task {task_id}")
        return task

    def list_mentions(self, _principal: Principal, query: MentionQuery) -> Page[StoredMention]:
        return self._inbox.list(
            platform=query.platform,
            needs_response=query.needs_response,
            since=query.since,
            cursor=query.cursor,
            limit=query.limit,
        )

    def read_feed(self, principal: Principal, query: MentionQuery) -> Feed:
        """The inbox as the command center reads it: a page newest first with the position to follow it from
        (`feed_cursor`), or, given `after`, what was stored since, oldest first. The live edge stays `FEED_SETTLE`
        behind the clock, so a mention stored a moment late (its write still in flight, or an index catching up)
        is read on the next call instead of being passed over."""
        horizon = self._clock() - FEED_SETTLE
        if query.after is not None:
            page = self._inbox.newer(
                after=query.after,
                until=horizon,
                platform=query.platform,
                needs_response=query.needs_response,
                limit=query.limit,
            )
            return Feed(page.items, page.next_cursor, page.next_cursor)
        listing = self.list_mentions(principal, query)
        return Feed(listing.items, listing.next_cursor, encode_cursor(time_key(horizon)))

    def get_mention(self, _principal: Principal, mention_id: str) -> StoredMention:
        mention = self._inbox.get(mention_id)
        if mention is None:
            raise NotFound(f"there is no mention {mention_id}")
        return mention
