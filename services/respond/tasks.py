"""Task lifecycle (pure): a thread's first mention that needs a human opens its task; later ones join it.

Joining is idempotent (a mention already on the task changes nothing) and only ever raises urgency: the task
keeps the highest priority it has seen and the earliest due time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.events import Classification, Mention, Task, TaskPreview
from shared.ids import task_id

PREVIEW_CHARS = 280
# A long-running DM thread must not outgrow DynamoDB's 400 KB item: the task keeps the most recent ids and a count.
MAX_TASK_MENTIONS = 200


def task_of(mention: Mention) -> str:
    """The id of the task of `mention`'s thread (threads live in their source's namespace)."""
    return task_id(mention.platform, mention.thread_id, mention.source)


def first_response_sla(priority: int) -> timedelta:
    """How long the brand has for a first reply, by priority (a first version; routing rules come later)."""
    if priority >= 80:
        return timedelta(hours=1)
    if priority >= 50:
        return timedelta(hours=4)
    return timedelta(hours=24)


def route(mention: Mention, classification: Classification) -> str:
    if classification.adverse_event:
        return "safety"
    if classification.toxic:
        return "moderation"
    return "care"


def _preview(mention: Mention) -> TaskPreview:
    author = mention.author.handle or mention.author.name or mention.author.id
    return TaskPreview(author=author, text=mention.text[:PREVIEW_CHARS], url=mention.url)


def open_task(mention: Mention, classification: Classification, now: datetime) -> Task:
    return Task(
        id=task_of(mention),
        status="open",
        priority=classification.priority,
        queue=route(mention, classification),
        mention_ids=(mention.id,),
        due_at=mention.received_at + first_response_sla(classification.priority),
        platform=mention.platform,
        thread_id=mention.thread_id,
        reasons=classification.reasons,
        preview=_preview(mention),
        created_at=now,
        updated_at=now,
    )


def absorb(task: Task, mention: Mention, classification: Classification, now: datetime) -> Task | None:
    """The task with this mention joined, or None when it is already there (a redelivery)."""
    if mention.id in task.mention_ids:
        return None
    due = min(task.due_at, mention.received_at + first_response_sla(classification.priority))
    more_urgent = classification.priority > task.priority
    return task.model_copy(
        update={
            "status": "open",
            "priority": max(task.priority, classification.priority),
            "reasons": classification.reasons if more_urgent else task.reasons,
            "preview": _preview(mention) if more_urgent else task.preview,
            "mention_ids": (*task.mention_ids, mention.id)[-MAX_TASK_MENTIONS:],
            "mention_count": task.mention_count + 1,
            "due_at": due,
            "updated_at": now,
        }
    )
