"""Task intake (pure): what each mention does to its thread's task.

A thread's first mention that needs a human opens its task, routed by the config, with its SLA clocks. A later
customer message joins it (idempotently: a mention already on the task changes nothing) and only ever raises
urgency; it reopens a task closed within `workflow.reopen_within`, and starts a new cycle (routed again, a fresh
first-response clock) in one closed longer ago. A message from the brand's own account is the brand's answer: the
response clock stops and the task shows it. An edit updates what the task shows; a deletion annotates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.respond import sla
from services.respond.audit import Content
from services.respond.facts import ConversationFact
from services.respond.routing import route
from shared.config import HarkConfig
from shared.errors import Conflict
from shared.events import Annotation, Classification, Mention, MentionDeletion, Task, TaskAuthor, TaskPreview
from shared.ids import task_id

PREVIEW_CHARS = 280
# A long-running DM thread must not outgrow DynamoDB's 400 KB item: the task keeps the most recent ids and a count.
MAX_TASK_MENTIONS = 200
MAX_ANNOTATIONS = 50
# Statuses in which nobody is working on an answer: a customer message puts the task back in the queue.
WAITING = frozenset({"sent", "snoozed", "closed"})


class ConcurrentUpdate(Conflict):
    """The task changed between reading and writing it: read it again and redo the change."""


def expiry(start: datetime, keep: timedelta | None) -> datetime | None:
    """When a record started at `start` expires under a retention of `keep` (None: kept)."""
    return start + keep if keep is not None else None


@dataclass(frozen=True)
class Attached:
    """What is written with a task, in the same transaction: its audit entry's personal content (kept apart), the
    conversation's facts, and when each expires (the config's retention)."""

    content: Content | None = None
    fact: ConversationFact | None = None
    expires_at: datetime | None = None
    content_expires_at: datetime | None = None
    fact_expires_at: datetime | None = None


def task_of(mention: Mention) -> str:
    """The id of the task of `mention`'s thread (threads live in their source's namespace)."""
    return task_id(mention.platform, mention.thread_id, mention.source)


def _preview(mention: Mention, classification: Classification) -> TaskPreview:
    author = mention.author.handle or mention.author.name or mention.author.id
    text = mention.text[:PREVIEW_CHARS]
    # The spans of personal data that fall in the preview, cut where the preview is: roles that may not read it
    # are shown the task with them masked.
    pii = tuple(
        span.model_copy(update={"end": min(span.end, len(text))})
        for span in classification.pii
        if span.start < len(text)
    )
    return TaskPreview(author=author, text=text, url=mention.url, pii=pii)


def _author(mention: Mention) -> TaskAuthor:
    return TaskAuthor(id=mention.author.id, handle=mention.author.handle, name=mention.author.name)


def annotate(task: Task, annotation: Annotation) -> tuple[Annotation, ...]:
    return (*task.annotations, annotation)[-MAX_ANNOTATIONS:]


def open_task(mention: Mention, classification: Classification, now: datetime, config: HarkConfig) -> Task:
    chosen = route(mention, classification, config)
    clocks = sla.clocks_for(config, chosen.queue, classification.priority, mention.channel)
    started = mention.received_at
    running = (sla.start_clock("first_response", started, clocks), sla.start_clock("resolution", started, clocks))
    task = Task(
        id=task_of(mention),
        status="open",
        priority=classification.priority,
        queue=chosen.queue,
        route_rule=chosen.rule,
        mention_ids=(mention.id,),
        due_at=running[0].due_at,
        platform=mention.platform,
        thread_id=mention.thread_id,
        reasons=classification.reasons,
        preview=_preview(mention, classification),
        preview_mention_id=mention.id,
        created_at=now,
        updated_at=now,
        channel=mention.channel,
        kind=mention.kind,
        source=mention.source,
        account_id=mention.account_id,
        language=classification.language,
        intent=classification.intent,
        author=_author(mention),
        reply_to=mention.id,
        approval_tiers=tuple(t.name for t in config.queue(chosen.queue).approvals),
        sla=running,
        last_customer_at=mention.created_at,
    )
    return sla.with_times(task)


def absorb(
    task: Task, mention: Mention, classification: Classification, now: datetime, config: HarkConfig
) -> Task | None:
    """The task with this customer mention joined, or None when it is already there (a redelivery)."""
    if mention.id in task.mention_ids:
        return None
    if task.status == "closed" and task.closed_at is not None and now - task.closed_at > config.workflow.reopen_within:
        return _new_cycle(task, mention, classification, now, config)
    more_urgent = classification.priority > task.priority
    priority = max(task.priority, classification.priority)
    queue, rule, tiers = task.queue, task.route_rule, task.approval_tiers
    chosen = route(mention, classification, config)
    if chosen.precedence < (rule if rule is not None else 1_000_000) and chosen.queue != queue:
        queue, rule = chosen.queue, chosen.rule
        tiers = tuple(t.name for t in config.queue(queue).approvals)
    clocks = task.sla
    if sla.running(clocks) is None and task.responded_at is not None:
        # The brand had answered: this message starts the next-response clock.
        target = sla.clocks_for(config, queue, priority, task.channel)
        clocks = (*clocks, sla.start_clock("next_response", mention.received_at, target))
    if sla.running(clocks, ("resolution",)) is None:
        target = sla.clocks_for(config, queue, priority, task.channel)
        clocks = (*clocks, sla.start_clock("resolution", mention.received_at, target))
    status = task.status
    if status in WAITING:
        status = "assigned" if task.holder and status != "closed" else "open"
    updated = task.model_copy(
        update={
            "status": status,
            "priority": priority,
            "queue": queue,
            "route_rule": rule,
            "approval_tiers": tiers,
            "reasons": classification.reasons if more_urgent else task.reasons,
            "preview": _preview(mention, classification) if more_urgent else task.preview,
            "preview_mention_id": mention.id if more_urgent else task.preview_mention_id,
            "mention_ids": (*task.mention_ids, mention.id)[-MAX_TASK_MENTIONS:],
            "mention_count": task.mention_count + 1,
            "reply_to": mention.id,
            "language": classification.language or task.language,
            "last_customer_at": max(task.last_customer_at or mention.created_at, mention.created_at),
            "sla": clocks,
            "snoozed_until": None,
            "closed_at": None if status != "closed" else task.closed_at,
            "holder": None if task.status == "closed" else task.holder,
            "lease_until": None if task.status == "closed" else task.lease_until,
            "updated_at": now,
        }
    )
    return sla.with_times(updated)


def _new_cycle(task: Task, mention: Mention, classification: Classification, now: datetime, config: HarkConfig) -> Task:
    fresh = open_task(mention, classification, now, config)
    return fresh.model_copy(
        update={
            "created_at": task.created_at,
            "cycle": task.cycle + 1,
            "mention_ids": (*task.mention_ids, mention.id)[-MAX_TASK_MENTIONS:],
            "mention_count": task.mention_count + 1,
            "replies": task.replies,
            "notes": task.notes,
            "annotations": task.annotations,
            "version": task.version,
            "audit_hash": task.audit_hash,
        }
    )


def brand_replied(task: Task, mention: Mention, now: datetime) -> Task | None:
    """The brand answered in the thread on the platform itself: the response clock stops, the task shows it.
    None when this reply is already known (one Hark sent, or a redelivery)."""
    if mention.id in task.mention_ids or any(r.mention_id == mention.id for r in task.replies):
        return None
    at = mention.created_at
    status = task.status
    if status in ("open", "assigned", "escalated", "snoozed"):
        status = "sent"
    who = mention.author.handle or mention.author.name or mention.author.id
    updated = task.model_copy(
        update={
            "status": status,
            "sla": sla.stop(task.sla, at),
            "responded_at": max(task.responded_at or at, at),
            "mention_ids": (*task.mention_ids, mention.id)[-MAX_TASK_MENTIONS:],
            "mention_count": task.mention_count + 1,
            "snoozed_until": None if status == "sent" else task.snoozed_until,
            "annotations": annotate(
                task,
                Annotation(
                    at=at, kind="brand_replied", mention_id=mention.id, text=f"{who} replied on the platform directly"
                ),
            ),
            "updated_at": now,
        }
    )
    return sla.with_times(updated)


def edited(task: Task, mention: Mention, classification: Classification, now: datetime) -> Task | None:
    """An edit of a message on the task: the preview shows the new text when it is the one shown."""
    if mention.id not in task.mention_ids:
        return None
    update: dict[str, object] = {
        "annotations": annotate(
            task, Annotation(at=now, kind="mention_edited", mention_id=mention.id, text="the author edited a message")
        ),
        "updated_at": now,
    }
    if task.preview_mention_id == mention.id:
        update["preview"] = _preview(mention, classification)
    if classification.priority > task.priority:
        update["priority"] = classification.priority
        update["reasons"] = classification.reasons
    return task.model_copy(update=update)


def deleted(task: Task, deletion: MentionDeletion, now: datetime) -> Task | None:
    if deletion.id not in task.mention_ids or any(
        a.mention_id == deletion.id for a in task.annotations if a.kind == "mention_deleted"
    ):
        return None
    return task.model_copy(
        update={
            "annotations": annotate(
                task,
                Annotation(
                    at=deletion.deleted_at,
                    kind="mention_deleted",
                    mention_id=deletion.id,
                    text="the author deleted this message on the platform",
                ),
            ),
            "updated_at": now,
        }
    )
