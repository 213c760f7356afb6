"""Conversation facts (pure): what reports are computed from.

A task is a thread; a thread holds one conversation per cycle (a message long after closing starts the next one,
with fresh clocks). Each save of a task writes the facts of its current conversation to `conversations`, in the
partition of the day it started, so a report over any window reads the days it spans and finds every conversation
that started in it, old threads' new cycles included. Facts hold times, queues, platforms and who replied: no
text and no customer identity, so erasure has nothing to remove from them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field

from shared.events import SlaClock, Task


class ClockFact(BaseModel):
    started_at: AwareDatetime
    due_at: AwareDatetime
    stopped_at: AwareDatetime | None = None
    breached_at: AwareDatetime | None = None


class ReplyFact(BaseModel):
    by: str
    at: AwareDatetime


class ConversationFact(BaseModel):
    task_id: str
    cycle: int
    day: str = Field(description="YYYY-MM-DD (UTC) of the conversation's first customer message.")
    started_at: AwareDatetime
    queue: str
    platform: str
    channel: str
    source: str
    status: str
    priority: int
    intent: str | None = None
    language: str | None = None
    first_response: ClockFact | None = None
    next_responses: list[ClockFact] = Field(default_factory=list)
    resolution: ClockFact | None = None
    closed_at: AwareDatetime | None = None
    answered: bool = Field(default=False, description="The brand replied in this conversation.")
    replies: list[ReplyFact] = Field(default_factory=list)
    holder: str | None = None
    safety_case: bool = False
    updated_at: AwareDatetime

    @property
    def key(self) -> str:
        return f"{self.task_id}#{self.cycle:04d}"


def _clock(clock: SlaClock) -> ClockFact:
    return ClockFact(
        started_at=clock.started_at, due_at=clock.due_at, stopped_at=clock.stopped_at, breached_at=clock.breached_at
    )


def fact_of(task: Task) -> ConversationFact:
    first = next((c for c in task.sla if c.name == "first_response"), None)
    started = first.started_at if first is not None else task.created_at
    resolutions = [c for c in task.sla if c.name == "resolution"]
    return ConversationFact(
        task_id=task.id,
        cycle=task.cycle,
        day=started.astimezone(UTC).date().isoformat(),
        started_at=started,
        queue=task.queue,
        platform=task.platform,
        channel=task.channel,
        source="partner" if task.source.startswith("partner:") else task.source,
        status=task.status,
        priority=task.priority,
        intent=task.intent,
        language=task.language,
        first_response=_clock(first) if first is not None else None,
        next_responses=[_clock(c) for c in task.sla if c.name == "next_response"],
        # A reopened conversation runs a new resolution clock; the conversation is resolved when the last one stops.
        resolution=_clock(resolutions[-1]) if resolutions else None,
        closed_at=task.closed_at,
        answered=task.responded_at is not None and task.responded_at >= started,
        replies=[ReplyFact(by=r.by, at=r.at) for r in task.replies if r.at >= started],
        holder=task.holder,
        safety_case=task.safety_case_id is not None,
        updated_at=task.updated_at,
    )


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()
