"""The respond domain: tasks from classified mentions (consumer), and the partner API's reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from services.respond.tasks import absorb, open_task
from shared.errors import BadRequest, Conflict, NotFound
from shared.events import (
    PLATFORMS,
    TASK_STATUSES,
    ClassifiedMention,
    MentionClassified,
    StoredMention,
    Task,
    parse_envelope,
    utcnow,
)
from shared.http import HttpRequest, Reply, require_api_key
from shared.ids import task_id
from shared.observability import count, get_logger
from shared.secrets import SecretSource
from shared.store.paging import Page, clamp_limit

SERVICE = "respond"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MENTION_ID = re.compile(r"m_[a-z2-7]{26}")
TASK_ID = re.compile(r"t_[a-z2-7]{26}")
SAVE_ATTEMPTS = 5


class Tasks(Protocol):
    def get(self, task_id: str) -> Task | None: ...
    def save(self, task: Task) -> Task: ...
    def list(
        self,
        *,
        status: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Task]: ...


class Mentions(Protocol):
    def get(self, mention_id: str) -> StoredMention | None: ...
    def link_task(self, mention_id: str, task_id: str) -> None: ...
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

    def __init__(
        self, tasks: Tasks, mentions: Mentions, secrets: SecretSource, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._tasks = tasks
        self._mentions = mentions
        self._secrets = secrets
        self._clock = clock

    # BatchWork: the respond-queue consumer
    def parse(self, body: str) -> MentionClassified:
        return parse_envelope(body, MentionClassified)

    def prepare(self, items: Sequence[MentionClassified]) -> Sequence[None]:
        return [None] * len(items)

    def process(self, envelope: MentionClassified, _prepared: None) -> None:
        task = self.assign(envelope.data)
        get_logger(SERVICE).info(
            "mention assigned",
            extra={
                "mention_id": envelope.data.mention.id,
                "task_id": task.id,
                "correlation_id": envelope.correlation_id,
            },
        )

    def assign(self, classified: ClassifiedMention) -> Task:
        """Open the thread's task or add the mention to it; safe to repeat, safe under concurrent writers."""
        mention, classification = classified.mention, classified.classification
        for _attempt in range(SAVE_ATTEMPTS):
            now = self._clock()
            current = self._tasks.get(task_id(mention.platform, mention.thread_id))
            updated = (
                open_task(mention, classification, now)
                if current is None
                else absorb(current, mention, classification, now)
            )
            if updated is None:
                task = current
                assert task is not None
                break
            try:
                task = self._tasks.save(updated)
            except Conflict:
                continue
            count(SERVICE, "TasksOpened" if current is None else "MentionsJoinedTask")
            break
        else:
            raise Conflict(f"task for thread {mention.thread_id} kept changing; will retry")
        self._mentions.link_task(mention.id, task.id)
        return task

    # Partner API
    def list_tasks(self, request: HttpRequest) -> Reply:
        self._authorise(request)
        status = request.query.get("status") or None
        if status is not None and status not in TASK_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(TASK_STATUSES)}", parameter="status")
        page = self._tasks.list(
            status=status,
            queue=request.query.get("queue") or None,
            cursor=request.query.get("cursor"),
            limit=clamp_limit(request.query.get("limit")),
        )
        return _page_reply(page)

    def get_task(self, request: HttpRequest, task_id: str) -> Reply:
        self._authorise(request)
        task = self._tasks.get(task_id) if TASK_ID.fullmatch(task_id) else None
        if task is None:
            raise NotFound(f"there is no task {task_id}")
        return Reply(json=task.model_dump(mode="json"))

    def list_mentions(self, request: HttpRequest) -> Reply:
        self._authorise(request)
        platform = request.query.get("platform") or None
        if platform is not None and platform not in PLATFORMS:
            raise BadRequest(f"unknown platform {platform!r}", parameter="platform")
        page = self._mentions.list(
            platform=platform,
            needs_response=_boolean(request.query.get("needs_response"), "needs_response"),
            since=_moment(request.query.get("since"), "since"),
            cursor=request.query.get("cursor"),
            limit=clamp_limit(request.query.get("limit")),
        )
        return _page_reply(page)

    def get_mention(self, request: HttpRequest, mention_id: str) -> Reply:
        self._authorise(request)
        mention = self._mentions.get(mention_id) if MENTION_ID.fullmatch(mention_id) else None
        if mention is None:
            raise NotFound(f"there is no mention {mention_id}")
        return Reply(json=mention.model_dump(mode="json"))

    def _authorise(self, request: HttpRequest) -> None:
        require_api_key(request, self._secrets.get().api_key_valid)


def _page_reply(page: Page[Any]) -> Reply:
    return Reply(json={"items": [item.model_dump(mode="json") for item in page.items], "next_cursor": page.next_cursor})


def _boolean(raw: str | None, name: str) -> bool | None:
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequest(f"{name} must be true or false", parameter=name)


def _moment(raw: str | None, name: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    # A literal "+" in a query string arrives as a space unless the client encoded it.
    text = raw.strip().replace(" ", "+").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an RFC 3339 timestamp, e.g. 2026-11-26T09:00:00Z", parameter=name) from exc
    if moment.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone offset, e.g. Z", parameter=name)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as exc:
        raise BadRequest(f"{name} is out of range", parameter=name) from exc
    return max(moment, EPOCH)
