"""The respond core: the inbox and the tasks, from classify's events; the care workflow's commands; the partner
API's reads, as typed queries; the SLA sweep. HTTP views, the SQS consumer, the schedule and `hark` commands all
call these methods.

Events in (respond queue): `mention.classified` (every new mention), `mention.updated` (an edit, classified again),
`mention.deleted`, `author.erased`, and ingest's `source.observed` (a source's health). A customer mention that
needs a human opens its thread's task or joins it; a mention from the brand's own account is its answer (the clock
stops); every mention is kept in the inbox with its task. Every change to a task is written together with its
audit entry, conditionally, so a repeated event or a concurrent command changes nothing twice.
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.respond import inbox_filter, privacy, sla, sources, stats, voice, workflow
from services.respond.audit import CONFIG_STREAM, Content, entry_for, hold_apart, seal, verify
from services.respond.drafting import Drafter, NoDrafter, render, suggested, variables_for
from services.respond.facts import fact_of
from services.respond.governance import CaseStore, ConversationStore, ErasureStore, Governance, SafetyAlerts
from services.respond.incidents import DEFAULT_BRAND, CrisisMode, CrisisModes
from services.respond.outbound import Delivered, Outbound, Sender
from services.respond.outbound.once import Once
from services.respond.outbound.refusals import name as platform_name
from services.respond.routing import Load, pick_assignee
from services.respond.sources import SourceState
from services.respond.tasks import (
    Attached,
    ConcurrentUpdate,
    absorb,
    brand_replied,
    deleted,
    edited,
    expiry,
    open_task,
    task_of,
)
from shared.api.governance import AuthorExport
from shared.api.models import (
    AuditEntry,
    AuditPage,
    ConfigView,
    DraftBody,
    MentionQuery,
    Note,
    Notification,
    Overview,
    Source,
    Suggestion,
    SweepResult,
    TaskQuery,
)
from shared.auth import Principal
from shared.config import ConfigSource, HarkConfig, LoadedConfig
from shared.credentials import Credential
from shared.errors import (
    Conflict,
    CredentialRevoked,
    HarkError,
    InvalidBody,
    NotConfigured,
    NotFound,
    PlatformRefused,
)
from shared.events import (
    PLATFORMS,
    Annotation,
    Author,
    AuthorErased,
    ClassifiedMention,
    Draft,
    Envelope,
    Mention,
    MentionClassified,
    MentionDeleted,
    MentionDeletion,
    MentionUpdated,
    SendError,
    SentReply,
    SourceObservation,
    SourceObserved,
    StoredMention,
    Task,
    TaskWarning,
    parse_envelope,
    utcnow,
)
from shared.ids import mention_id
from shared.observability import count, get_logger
from shared.sources import credential_of, source_for
from shared.store.paging import MAX_PAGE, Page, encode_cursor, time_key

SERVICE = "respond"
SAVE_ATTEMPTS = 5
# The suggestion that carries crisis mode's holding statement.
HOLDING_STATEMENT = "crisis-holding-statement"
# How far the live feed stays behind the clock: longer than a write takes to become readable (the time between
# stamping a mention's feed position and its write landing, plus the feed index's propagation).
FEED_SETTLE = timedelta(seconds=2)
ACCEPTS: tuple[type[Envelope[Any]], ...] = (
    MentionClassified,
    MentionUpdated,
    MentionDeleted,
    AuthorErased,
    SourceObserved,
)
HARK = Principal("hark", frozenset(), "system")
ACTIVE = ("open", "assigned", "drafting", "pending_approval", "approved", "send_failed", "escalated", "sent", "snoozed")
# Held tasks that count against an agent's capacity.
LOADED = frozenset({"assigned", "drafting", "pending_approval", "approved", "send_failed", "escalated"})
WINDOW_WARNING = timedelta(hours=2)
UNHEALTHY_TTL = timedelta(seconds=30)
SWEEP_PAGE = 200
SWEEP_MAX_TASKS = 20_000
MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9_.-]{0,63})", re.IGNORECASE)


@dataclass(frozen=True)
class Feed:
    items: list[StoredMention]
    next_cursor: str | None
    feed_cursor: str | None


class Tasks(Protocol):
    def get(self, task_id: str) -> Task | None: ...
    def save(self, task: Task, entry: AuditEntry, attached: Attached | None = None) -> Task: ...
    def held_by(self, user: str) -> list[Task]: ...
    def list(
        self,
        *,
        status: str | None = None,
        queue: str | None = None,
        holder: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
        statuses: tuple[str, ...] | None = None,
    ) -> Page[Task]: ...


class StatsStore(Protocol):
    def add(self, counts: Mapping[stats.Slot, int], now: datetime) -> None: ...
    def rows(self, days: Iterable[str]) -> list[tuple[str, str, int]]: ...
    def get(self, keys: Iterable[stats.Slot]) -> dict[stats.Slot, int]: ...


class InboxStore(Protocol):
    def put(
        self, classified: ClassifiedMention, task_id: str | None, now: datetime, expires_at: datetime | None = None
    ) -> bool: ...
    def put_reply(self, mention: Mention, task_id: str, now: datetime, expires_at: datetime | None = None) -> bool: ...
    def mark_deleted(self, deletion: MentionDeletion) -> bool: ...
    def erase_author(self, platform: str, author_id: str) -> list[tuple[str, str | None]]: ...
    def by_author(
        self, platform: str, author_id: str, *, cursor: str | None = None, limit: int = 50
    ) -> Page[StoredMention]: ...
    def count_by_author(self, platform: str, author_id: str) -> int: ...
    def brand_replies(self, platform: str, source: str, thread_id: str) -> list[str]: ...
    def delete(self, mention_ids: list[str]) -> int: ...
    def stored_between(self, since: datetime, until: datetime, limit: int) -> tuple[list[StoredMention], bool]: ...
    def get(self, mention_id: str) -> StoredMention | None: ...
    def newest(
        self,
        *,
        platform: str | None = None,
        needs_response: bool | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        page_size: int = 100,
    ) -> Iterator[tuple[str, StoredMention]]: ...
    def newer(
        self,
        *,
        after: str,
        until: datetime,
        platform: str | None = None,
        needs_response: bool | None = None,
        limit: int = 50,
    ) -> Page[StoredMention]: ...
    def thread(
        self, platform: str, source: str, thread_id: str, *, cursor: str | None = None, limit: int = 50
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


class AuditStore(Protocol):
    def list(self, stream: str, *, cursor: str | None = None, limit: int = 50) -> Page[AuditEntry]: ...
    def get(self, stream: str, seq: int) -> AuditEntry | None: ...
    def last(self, stream: str) -> AuditEntry | None: ...
    def append(self, entry: AuditEntry) -> bool: ...
    def contents(self, stream: str, first: int, last: int) -> dict[int, Content]: ...
    def erase_contents(self, stream: str, seqs: builtins.list[int] | None = None) -> int: ...
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
    ) -> Page[AuditEntry]: ...


class NoteStore(Protocol):
    def add(self, task_id: str, note: Note, expires_at: datetime | None = None) -> None: ...
    def list(self, task_id: str, *, cursor: str | None = None, limit: int = 50) -> Page[Note]: ...
    def erase(self, task_id: str) -> int: ...


class NotificationStore(Protocol):
    def add(self, notification: Notification, expires_at: datetime | None = None) -> None: ...
    def list(self, user: str, *, cursor: str | None = None, limit: int = 50) -> Page[Notification]: ...


class SourceStore(Protocol):
    def get(self, source_id: str) -> tuple[SourceState, int] | None: ...
    def save(self, state: SourceState, version: int | None) -> None: ...
    def all(self) -> list[SourceState]: ...


class CredentialSource(Protocol):
    """The outbound credentials (shared/tokens.py `Credentials`): a platform's own, or the entry a source names."""

    def current(self, platform: str, name: str | None = None) -> Credential: ...
    def get(self, platform: str, name: str | None = None) -> Credential: ...
    def fresh(self, credential: Credential) -> Credential: ...
    def has(self, entry: str) -> bool: ...
    def refresh(self, platform: str, stale: Credential) -> Credential: ...
    def refreshable(self, credential: Credential) -> bool: ...
    def configured(self) -> list[str]: ...


@dataclass
class Outbox:
    """Where replies go: a sender per platform, the credentials, the once-only guard."""

    senders: Mapping[str, Sender]
    credentials: CredentialSource
    once: Once


@dataclass
class Stores:
    tasks: Tasks
    inbox: InboxStore
    audit: AuditStore
    notes: NoteStore
    notifications: NotificationStore
    cases: CaseStore
    erasures: ErasureStore
    conversations: ConversationStore
    sources: SourceStore
    stats: StatsStore | None = None


@dataclass
class _Sweep:
    checked: int = 0
    near: int = 0
    breached: int = 0
    escalated: int = 0
    woken: int = 0
    closed: int = 0
    breached_tasks: list[str] = field(default_factory=list)


class RespondService:
    service = SERVICE

    def __init__(
        self,
        stores: Stores,
        config: ConfigSource,
        outbox: Outbox,
        clock: Callable[[], datetime] = utcnow,
        drafter: Drafter | None = None,
        alerts: SafetyAlerts | None = None,
        crisis: CrisisModes | None = None,
    ) -> None:
        """`crisis`: where crisis mode is read (the incident service writes it); None: never in crisis mode."""
        self._crisis = crisis
        self._tasks = stores.tasks
        self._inbox = stores.inbox
        self._audit = stores.audit
        self._notes = stores.notes
        self._notifications = stores.notifications
        self._sources = stores.sources
        self._stats = stores.stats
        self._pending: stats.Pending | None = None  # a batch's counts, merged (batch())
        self._batch_crisis: dict[str, CrisisMode | None] | None = None  # crisis mode by brand, read once a batch
        self._config_source = config
        self._outbox = outbox
        self._clock = clock
        self._drafter = drafter or NoDrafter()
        self._recorded_config: str | None = None
        self.governance = Governance(
            stores,
            self._config,
            self.change_task,
            self._add_notification,
            clock,
            alerts,
        )
        self._unhealthy_cache: tuple[datetime, dict[str, str]] | None = None

    # Configuration, with its changes on record
    def _config(self) -> HarkConfig:
        loaded = self._config_source.get()
        if loaded.digest != self._recorded_config:
            try:
                self._record_config(loaded)
                self._recorded_config = loaded.digest
            except HarkError as error:  # the trail will be written on the next call; the command goes on
                get_logger(SERVICE).warning("could not record the configuration", extra={"error": error.detail})
        return loaded.config

    def _record_config(self, loaded: LoadedConfig) -> None:
        for _attempt in range(SAVE_ATTEMPTS):
            last = self._audit.last(CONFIG_STREAM)
            if last is not None and last.after.get("digest") == loaded.digest:
                return
            document = loaded.config.model_dump(mode="json")
            previous = last.after.get("config", {}) if last is not None else {}
            changed = sorted(k for k in set(document) | set(previous) if document.get(k) != previous.get(k))
            entry = seal(
                AuditEntry(
                    stream=CONFIG_STREAM,
                    seq=(last.seq + 1) if last else 1,
                    at=self._clock(),
                    actor="hark",
                    action="config.loaded" if last is None else "config.changed",
                    before={"digest": last.after.get("digest"), "config": previous} if last else {},
                    after={"digest": loaded.digest, "source": loaded.source, "config": document},
                    detail={"sections": changed},
                    prev_hash=last.hash if last else "",
                )
            )
            if self._audit.append(entry):
                return

    # BatchWork: the respond-queue consumer
    def parse(self, body: str) -> Envelope[Any]:
        return parse_envelope(body, ACCEPTS)

    def process(self, envelope: Envelope[Any], _prepared: None) -> Sequence[Envelope[Any]]:
        if isinstance(envelope, MentionUpdated):
            self.update(envelope.data)
        elif isinstance(envelope, MentionClassified):
            self.take(envelope.data, correlation_id=envelope.correlation_id)
        elif isinstance(envelope, MentionDeleted):
            self.forget(envelope.data)
        elif isinstance(envelope, AuthorErased):
            self.governance.erase(envelope.data)
        elif isinstance(envelope, SourceObserved):
            self.observe(envelope.data)
        return []

    def take(self, classified: ClassifiedMention, *, correlation_id: str = "") -> Task | None:
        """Keep the mention in the inbox; a customer's that needs a human opens or joins its thread's task, a reply
        from the brand's own account stops its clock."""
        mention = classified.mention
        if not mention.from_brand and self._erased_since(mention):
            return None
        if mention.from_brand:
            task = self._change_if(
                task_of(mention), HARK, "brand.replied", lambda t, now, _c: brand_replied(t, mention, now)
            )
            if task is not None:
                count(SERVICE, "BrandRepliesSeen")
        elif classified.classification.needs_response:
            task = self.assign(classified)
            self.governance.intake(classified, task)
        else:
            task = self._tasks.get(task_of(mention))
        stored_at = self._clock()
        fresh = self._inbox.put(
            classified, task.id if task else None, stored_at, self._kept(mention.received_at, "inbox")
        )
        if fresh and not mention.from_brand and mention.edited_at is None:
            self._count(stats.mention_counts(classified, stored_at), stored_at)
        get_logger(SERVICE).info(
            "mention taken",
            extra={
                "mention_id": mention.id,
                "task_id": task.id if task else None,
                "repeat": not fresh,
                "correlation_id": correlation_id,
            },
        )
        return task

    def assign(self, classified: ClassifiedMention) -> Task:
        """Open the thread's task or add the mention to it; safe to repeat, safe under concurrent writers."""
        mention, heard = classified.mention, classified.classification
        for _attempt in range(SAVE_ATTEMPTS):
            now = self._clock()
            config = self._config()
            crisis = self._crisis_mode()
            classification = heard
            if crisis is not None:
                # Crisis mode: what the public says now comes first (its SLA clocks follow the raised priority).
                classification = heard.model_copy(
                    update={
                        "priority": crisis.boost(heard.priority),
                        "reasons": (*heard.reasons, f"crisis mode: +{crisis.priority_boost} priority"),
                    }
                )
            current = self._tasks.get(task_of(mention))
            updated = (
                open_task(mention, classification, now, config)
                if current is None
                else absorb(current, mention, classification, now, config)
            )
            if updated is None:
                assert current is not None
                return current
            if crisis is not None and updated.crisis_incident_id != crisis.incident_id:
                updated = updated.model_copy(update={"crisis_incident_id": crisis.incident_id})
            if updated.holder is None and updated.status == "open":
                updated = self._auto_assign(updated, now, config)
            action = (
                "task.opened"
                if current is None
                else ("task.reopened" if current.status in ("closed", "sent", "snoozed") else "mention.joined")
            )
            try:
                task = self._save(current, updated, HARK, action, now, {"mention_id": mention.id})
            except ConcurrentUpdate:
                continue
            count(SERVICE, "TasksOpened" if current is None else "MentionsJoinedTask")
            if task.holder and (current is None or current.holder != task.holder):
                self._notify(task.holder, "assigned", task.id, None, f"Hark assigned you a task from {task.queue}", now)
            return task
        raise Conflict(f"task for thread {mention.thread_id[:64]} kept changing; will retry")

    def _crisis_mode(self) -> CrisisMode | None:
        """The brand's crisis mode, if it is in one (one brand per deployment today)."""
        if self._crisis is None:
            return None
        if self._batch_crisis is not None and DEFAULT_BRAND in self._batch_crisis:
            return self._batch_crisis[DEFAULT_BRAND]  # read already in this batch: one read a batch, not a mention
        try:
            found = self._crisis.active(DEFAULT_BRAND)
        except HarkError as error:  # crisis mode raises priorities; not knowing it must not stop intake
            get_logger(SERVICE).warning("could not read crisis mode", extra={"error": error.detail})
            return None
        if self._batch_crisis is not None:
            self._batch_crisis[DEFAULT_BRAND] = found
        return found

    def _auto_assign(self, task: Task, now: datetime, config: HarkConfig) -> Task:
        team = config.team_of(task.queue)
        if team.assignment != "round_robin":
            return task
        loads = {}
        for member in team.members:
            held = [t for t in self._tasks.held_by(member) if t.status in LOADED]
            last = max((t.held_since for t in held if t.held_since), default=None)
            loads[member] = Load(len(held), last)
        chosen = pick_assignee(config, task.queue, task.language, loads)
        if chosen is None:
            return task
        return workflow._hold(task, chosen, now, config)

    def _erased_since(self, mention: Mention) -> bool:
        """The author was erased after writing this (it was still on its way then): it must not come back."""
        erased = self.governance.erased_at(mention.platform, mention.author.id)
        if erased is None or mention.created_at > erased:
            return False
        count(SERVICE, "ErasedMentionsDropped")
        get_logger(SERVICE).info("mention of an erased author dropped", extra={"mention_id": mention.id})
        return True

    def _kept(self, start: datetime, kind: str) -> datetime | None:
        """When a record of this kind started at `start` expires (the config's retention)."""
        keep: timedelta | None = getattr(self._config().retention, kind)
        return expiry(start, keep)

    def update(self, classified: ClassifiedMention) -> Task | None:
        """An edit: the inbox keeps the new revision, the task shows it."""
        mention = classified.mention
        if not mention.from_brand and self._erased_since(mention):
            return None
        task = self._change_if(
            task_of(mention),
            HARK,
            "mention.edited",
            lambda t, now, _c: edited(t, mention, classified.classification, now),
        )
        current = task or self._tasks.get(task_of(mention))
        if current is None and classified.classification.needs_response and not mention.from_brand:
            current = self.assign(classified)
        if current is not None and mention.id in current.mention_ids:
            self.governance.intake(classified, current)
        self._inbox.put(
            classified,
            current.id if current and mention.id in current.mention_ids else None,
            self._clock(),
            self._kept(mention.received_at, "inbox"),
        )
        return current

    def forget(self, deletion: MentionDeletion) -> None:
        stored = self._inbox.get(deletion.id)
        if self._inbox.mark_deleted(deletion):
            count(SERVICE, "MentionsDeleted")
        if stored is not None and stored.task_id:
            self._change_if(stored.task_id, HARK, "mention.deleted", lambda t, now, _c: deleted(t, deletion, now))

    # Writing tasks, always with their audit entry
    def _save(
        self, before: Task | None, after: Task, actor: Principal, action: str, now: datetime, detail: Mapping[str, Any]
    ) -> Task:
        after = after.model_copy(
            update={"version": before.version if before else 0, "audit_hash": before.audit_hash if before else ""}
        )
        keep = self._config().retention
        entry, content = hold_apart(entry_for(before, after, actor=actor.user, action=action, at=now, detail=detail))
        fact = fact_of(after)
        attached = Attached(
            content=content,
            fact=fact,
            expires_at=expiry(now, keep.tasks),
            content_expires_at=expiry(now, keep.audit_content),
            fact_expires_at=expiry(fact.started_at, keep.conversations),
        )
        saved = self._tasks.save(after, entry, attached)
        self._count(stats.clock_counts(before, saved), now)
        return saved

    def change_task(
        self,
        task_id: str,
        actor: Principal,
        action: str,
        change: Callable[[Task, datetime, HarkConfig], Task | None],
        detail: Mapping[str, Any] | None = None,
    ) -> Task | None:
        return self._change_if(task_id, actor, action, change, detail)

    def _count(self, counts: Mapping[stats.Slot, int], now: datetime) -> None:
        """The overview's counters: best effort, after the change they count was written. A failure loses that
        count (logged), never the change; nothing is counted twice, since only a first write counts. Inside a
        queue batch (`batch()`) they are merged and added once when the batch ends."""
        if self._stats is None or not counts:
            return
        if self._pending is not None:
            self._pending.add(counts, now)
            return
        self._add_counts(counts, now)

    def _add_counts(self, counts: Mapping[stats.Slot, int], now: datetime) -> None:
        assert self._stats is not None
        try:
            self._stats.add(counts, now)
        except HarkError as error:
            get_logger(SERVICE).warning("could not count for the overview", extra={"error": error.detail})

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One respond-queue batch: its overview counts are merged (one shard for the whole batch, so ten mentions
        of the same hour, network or intent are one write) and added once at its end (6 writes a mention before,
        measured by `make bench`), and crisis mode is read once for the batch, not once a mention. One batch at a
        time per execution environment, as Lambda runs them."""
        self._pending = stats.Pending()
        self._batch_crisis = {}
        try:
            yield
        finally:
            self._batch_crisis = None
            pending, self._pending = self._pending, None
            if pending.counts and pending.now is not None:
                self._add_counts(pending.counts, pending.now)

    def _change_if(
        self,
        task_id: str,
        actor: Principal,
        action: str,
        change: Callable[[Task, datetime, HarkConfig], Task | None],
        detail: Mapping[str, Any] | None = None,
    ) -> Task | None:
        """Apply `change` to the task, retrying on concurrent writes; None when there is no task or no change."""
        for _attempt in range(SAVE_ATTEMPTS):
            task = self._tasks.get(task_id)
            if task is None:
                return None
            now = self._clock()
            updated = change(task, now, self._config())
            if updated is None:
                return None
            try:
                return self._save(task, updated, actor, action, now, detail or {})
            except ConcurrentUpdate:
                continue
        raise Conflict(f"task {task_id} kept changing; try again")

    def _change(
        self,
        principal: Principal,
        task_id: str,
        action: str,
        change: Callable[[Task, datetime, HarkConfig], Task],
        detail: Mapping[str, Any] | None = None,
    ) -> Task:
        if self._tasks.get(task_id) is None:
            raise NotFound(f"there is no task {task_id}")
        saved = self._change_if(task_id, principal, action, change, detail)
        if saved is None:
            raise NotFound(f"there is no task {task_id}")
        count(SERVICE, "TaskCommands")
        return self._present(saved)

    def _load(self, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise NotFound(f"there is no task {task_id}")
        return task

    def _present(self, task: Task, now: datetime | None = None) -> Task:
        """The task as callers see it: what may be done now, and every warning (the draft's, the window's)."""
        now = now or self._clock()
        warnings: list[TaskWarning] = list(task.draft.warnings) if task.draft else []
        window = sla.window_for(task.channel, task.last_customer_at)
        if window is not None and task.status not in ("closed", "sent"):
            if now > window.closes_at:
                if window.after == "tag" and window.tag_closes_at and now <= window.tag_closes_at:
                    text = (
                        f"The 24-hour {task.channel} window closed at {window.closes_at:%Y-%m-%d %H:%M} UTC: a plain "
                        f"reply will be refused; send with the HUMAN_AGENT tag until "
                        f"{window.tag_closes_at:%Y-%m-%d %H:%M} UTC."
                    )
                elif window.after == "template":
                    text = (
                        f"The 24-hour WhatsApp window closed at {window.closes_at:%Y-%m-%d %H:%M} UTC: only an "
                        "approved template can be sent."
                    )
                else:
                    text = f"The {task.channel} reply window has closed; the platform no longer accepts a reply."
                warnings.append(TaskWarning(code="window_closed", message=text, words=(window.closes_at.isoformat(),)))
            elif window.closes_at - now <= WINDOW_WARNING:
                warnings.append(
                    TaskWarning(
                        code="window_closing",
                        message=f"The reply window closes at {window.closes_at:%H:%M} UTC.",
                        words=(window.closes_at.isoformat(),),
                    )
                )
        last_reply = task.replies[-1].at if task.replies else None
        answered = [
            a for a in task.annotations if a.kind == "brand_replied" and (last_reply is None or a.at > last_reply)
        ]
        if answered and task.status in ("drafting", "pending_approval", "approved", "send_failed"):
            warnings.append(TaskWarning(code="already_answered", message=answered[-1].text, words=()))
        paused = (
            self._unhealthy(now).get(self._source_of(task.platform, task.account_id, self._config())[0])
            if task.source == "platform"
            else None
        )
        if paused and task.status not in ("closed", "sent"):
            warnings.append(TaskWarning(code="source_unhealthy", message=paused, words=(task.platform,)))
        return task.model_copy(update={"actions": workflow.actions(task.status), "warnings": tuple(warnings)})

    def _notify(self, user: str, kind: str, task_id: str | None, by: str | None, text: str, now: datetime) -> None:
        self._add_notification(
            Notification(
                key=f"{time_key(now)}#{uuid.uuid4().hex[:12]}",
                user=user,
                kind=kind,  # type: ignore[arg-type]
                task_id=task_id,
                by=by,
                text=text[:500],
                at=now,
            )
        )

    def _add_notification(self, notification: Notification) -> None:
        try:
            self._notifications.add(notification, self._kept(notification.at, "notifications"))
        except HarkError as error:  # a notification lost is not worth failing the change that caused it
            get_logger(SERVICE).warning(
                "could not notify", extra={"user": notification.user, "kind": notification.kind, "error": error.detail}
            )

    # Commands (the partner API; the web app)
    def claim(self, principal: Principal, task_id: str, *, takeover: bool = False) -> Task:
        before = self._load(task_id)
        task = self._change(
            principal,
            task_id,
            "takeover" if takeover else "claim",
            lambda t, now, c: workflow.claim(t, principal, now, c, takeover=takeover),
        )
        if takeover and before.holder and before.holder != principal.user:
            self._notify(
                before.holder,
                "assigned",
                task_id,
                principal.user,
                f"{principal.user} took over a task you held",
                self._clock(),
            )
        return task

    def release(self, principal: Principal, task_id: str) -> Task:
        return self._change(principal, task_id, "release", lambda t, now, _c: workflow.release(t, principal, now))

    def assign_to(self, principal: Principal, task_id: str, user: str) -> Task:
        task = self._change(
            principal, task_id, "assign", lambda t, now, c: workflow.assign(t, principal, user, now, c), {"user": user}
        )
        if user != principal.user:
            self._notify(
                user, "assigned", task_id, principal.user, f"{principal.user} assigned you a task", self._clock()
            )
        return task

    def close(self, principal: Principal, task_id: str) -> Task:
        return self._change(principal, task_id, "close", lambda t, now, _c: workflow.close(t, principal, now))

    def reopen(self, principal: Principal, task_id: str) -> Task:
        return self._change(principal, task_id, "reopen", lambda t, now, _c: workflow.reopen(t, principal, now))

    def snooze(self, principal: Principal, task_id: str, until: datetime) -> Task:
        return self._change(
            principal,
            task_id,
            "snooze",
            lambda t, now, _c: workflow.snooze(t, principal, until, now),
            {"until": until.isoformat()},
        )

    def add_note(self, principal: Principal, task_id: str, text: str) -> Note:
        self._load(task_id)
        now = self._clock()
        config = self._config()
        mentioned = [u for u in dict.fromkeys(m.lower() for m in MENTION.findall(text)) if u in config.users]
        note = Note(
            key=f"{time_key(now)}#{uuid.uuid4().hex[:12]}",
            task_id=task_id,
            author=principal.user,
            text=text,
            mentions=mentioned,
            at=now,
        )
        self._notes.add(task_id, note, self._kept(now, "notes"))
        self._change(
            principal,
            task_id,
            "note.added",
            lambda t, at, _c: t.model_copy(update={"notes": t.notes + 1, "updated_at": at}),
            {"note": note.key, "text": text, "mentions": mentioned},
        )
        for user in mentioned:
            if user != principal.user:
                self._notify(user, "mentioned", task_id, principal.user, f"{principal.user}: {text}", now)
        return note

    def put_draft(self, principal: Principal, task_id: str, body: DraftBody) -> Task:
        task = self._load(task_id)
        config = self._config()
        customer = self._customer_text(task)
        crisis = self._crisis_mode() if body.template == HOLDING_STATEMENT else None
        if crisis is not None:
            text = crisis.holding_statement
        elif body.template is not None:
            template = next((t for t in config.templates if t.id == body.template), None)
            if template is None:
                raise InvalidBody(
                    f"there is no template {body.template[:64]}", templates=[t.id for t in config.templates]
                )
            values = variables_for(task, principal.user, config, customer, body.variables)
            text = render(template, values)
        else:
            assert body.text is not None
            text = body.text
        self._scripted_only(task, body.template, body.variables, config)
        warnings = self._voice(task, text, config, customer)
        last = max([task.draft.revision if task.draft else 0, *(r.draft_revision for r in task.replies)])
        now = self._clock()
        draft = Draft(
            revision=last + 1,
            text=text,
            template=body.template,
            variables=dict(body.variables),
            author=principal.user,
            updated_at=now,
            warnings=tuple(warnings),
        )
        count(SERVICE, "VoiceWarnings", len(warnings))
        return self._change(
            principal,
            task_id,
            "draft",
            lambda t, at, c: workflow.put_draft(t, principal, draft, at, c),
            {"revision": draft.revision, "warnings": [w.code for w in warnings]},
        )

    def _scripted_only(
        self, task: Task, template: str | None, variables: Mapping[str, str], config: HarkConfig
    ) -> None:
        """The one refusal of the voice check: on a thread with a safety case, public replies are the approved
        acknowledgements, as written."""
        if task.safety_case_id is None:
            return
        refused = voice.scripted_only(task.kind, template, variables, config.safety.acknowledgements)
        if refused is not None:
            count(SERVICE, "SafetyRepliesRefused")
            raise Conflict(
                refused,
                reason="safety_acknowledgement_only",
                case_id=task.safety_case_id,
                templates=list(config.safety.acknowledgements),
            )

    def _customer_text(self, task: Task) -> str:
        stored = self._inbox.get(task.reply_to) if task.reply_to else None
        return stored.text if stored else task.preview.text

    def _voice(self, task: Task, text: str, config: HarkConfig, customer: str) -> list[TaskWarning]:
        names = tuple(
            n for n in ([*(task.author.name or "").split()[:1], task.author.handle or ""] if task.author else []) if n
        )
        context = voice.Context(
            channel=task.channel,
            platform=task.platform,
            kind=task.kind,
            language=task.language,
            names=names,
            customer_text=customer,
        )
        return voice.check(text, context, config.voice.phrases, config.voice.allow)

    def suggestions(self, principal: Principal, task_id: str) -> list[Suggestion]:
        task = self._load(task_id)
        config = self._config()
        customer = self._customer_text(task)
        out = []
        acknowledgements = set(config.safety.acknowledgements)
        scripted_only = task.safety_case_id is not None and task.kind != "message"
        crisis = self._crisis_mode() if task.crisis_incident_id is not None and not scripted_only else None
        if crisis is not None:
            # While its brand is in crisis mode, the holding statement on-call approved comes first.
            out.append(
                Suggestion(
                    template=HOLDING_STATEMENT,
                    language=task.language or "en",
                    text=crisis.holding_statement,
                    warnings=self._voice(task, crisis.holding_statement, config, customer),
                )
            )
        if scripted_only:
            candidates = [t for t in config.templates if t.id in acknowledgements]
        else:
            candidates = [t for t in suggested(config, task.intent, task.language) if t.id not in acknowledgements]
        for template in candidates:
            text = render(template, variables_for(task, principal.user, config, customer, {}))
            out.append(
                Suggestion(
                    template=template.id,
                    language=template.language,
                    text=text,
                    warnings=self._voice(task, text, config, customer),
                )
            )
        if scripted_only:
            return out  # nothing but the scripted acknowledgements
        for n, text in enumerate(self._drafter.propose(task, [customer], task.language)):
            out.append(
                Suggestion(
                    template=f"llm-{n + 1}",
                    language=task.language or "en",
                    text=text,
                    warnings=self._voice(task, text, config, customer),
                )
            )
        return out

    def submit(self, principal: Principal, task_id: str) -> Task:
        task = self._change(principal, task_id, "submit", lambda t, now, c: workflow.submit(t, principal, now, c))
        config = self._config()
        tiers = config.queue(task.queue).approvals
        if tiers:
            for user, spec in config.users.items():
                if set(spec.roles) & set(tiers[0].roles) and user != principal.user:
                    self._notify(
                        user, "approval_needed", task_id, principal.user, "A draft awaits your approval", self._clock()
                    )
        return task

    def approve(self, principal: Principal, task_id: str, revision: int | None) -> Task:
        return self._change(
            principal,
            task_id,
            "approve",
            lambda t, now, c: workflow.approve(t, principal, now, c, revision),
            {"draft_revision": revision},
        )

    def reject(self, principal: Principal, task_id: str, reason: str, comment: str | None) -> Task:
        task = self._change(
            principal,
            task_id,
            "reject",
            lambda t, now, _c: workflow.reject(t, principal, reason, comment, now),
            {"reason": reason, "comment": comment},
        )
        if task.holder:
            self._notify(
                task.holder,
                "rejected",
                task_id,
                principal.user,
                f"{principal.user} rejected the draft ({reason}){': ' + comment if comment else ''}",
                self._clock(),
            )
        return task

    def send(
        self,
        principal: Principal,
        task_id: str,
        tag: str | None = None,
        *,
        retry: bool = False,
        public: bool = True,
    ) -> Task:
        """Send the draft back where the conversation is, once: a repeated request returns what was sent."""
        task = self._load(task_id)
        now = self._clock()
        config = self._config()
        sent = workflow.already_sent(task)
        if sent is not None and task.status == "sent":
            return self._present(task)
        if not public and task.platform != "zendesk":
            raise InvalidBody("only Zendesk has internal notes: send without public=false")
        plan = workflow.plan_send(task, principal, now, config, tag, retry=retry)
        assert task.draft is not None
        draft = task.draft
        # The draft may predate the case, or the approved acknowledgements may have changed since it was written.
        self._scripted_only(task, draft.template, draft.variables, config)
        error = task.send_error
        if retry and error and error.retry_at and now < error.retry_at and error.draft_revision == draft.revision:
            raise Conflict(
                f"{platform_name(task.platform)} asked Hark to wait until {error.retry_at:%Y-%m-%d %H:%M:%S} UTC "
                "before replying again; retry then",
                reason="retry_too_early",
                retry_at=error.retry_at.isoformat(),
                retry_after_s=max(1, int((error.retry_at - now).total_seconds() + 0.999)),
            )
        target = self._inbox.get(task.reply_to) if task.reply_to else None
        if task.source != "platform":
            reply = self._hand_to_partner(task, principal, now)
        else:
            reply = self._deliver(task, principal, plan, target, config, now, retry=retry, public=public)
        saved = self._change(
            principal,
            task_id,
            "retry" if retry else "send",
            lambda t, at, _c: workflow.mark_sent(t, reply, at) if workflow.already_sent(t) is None else t,
            {"draft_revision": draft.revision, "via": reply.via, "platform_id": reply.platform_id, "tag": reply.tag},
        )
        self._inbox.put_reply(self._reply_mention(task, reply), task_id, now, self._kept(now, "inbox"))
        count(SERVICE, "RepliesSent")
        return saved

    def _deliver(
        self,
        task: Task,
        principal: Principal,
        plan: workflow.SendPlan,
        target: StoredMention | None,
        config: HarkConfig,
        now: datetime,
        *,
        retry: bool,
        public: bool = True,
    ) -> SentReply:
        assert task.draft is not None
        draft = task.draft
        sender = self._outbox.senders.get(task.platform)
        if sender is None:
            raise NotConfigured(
                f"Hark cannot send to {task.platform} yet: answer on the platform (that stops the clock) and close "
                "the task",
                platform=task.platform,
            )
        credentials = self._outbox.credentials
        # The configured source the mention was heard on answers it, with its credential and host (a second
        # Reddit account, a WordPress site); without one, the platform's own credential.
        source_id, source = self._source_of(task.platform, task.account_id, config)
        self._refuse_if_unhealthy(source_id, task.platform, source)
        template = next((t for t in config.templates if t.id == draft.template), None) if plan.template else None
        outbound = Outbound(
            platform=task.platform,
            channel=task.channel,
            kind=task.kind,
            thread_id=task.thread_id,
            account_id=task.account_id,
            recipient=task.author.id if task.author else None,
            reply_to=target.native_id if target else None,
            text=draft.text,
            tag=plan.tag,
            template=template.whatsapp.name if template and template.whatsapp else None,
            template_language=template.whatsapp.language if template and template.whatsapp else "en_US",
            template_parameters=tuple(v for v in draft.variables.values()) if template else (),
            recipient_handle=task.author.handle if task.author else None,
            context=dict(target.reply_context) if target else {},
            reply_to_at=target.created_at if target else None,
            parent_id=target.parent_id if target else None,
            public=public,
            key=f"{task.id}:{draft.revision}",
        )

        def post() -> Delivered:
            credential = (
                credential_of(credentials, source_id, source) if source is not None else credentials.get(task.platform)
            )
            try:
                return sender.send(outbound, credential)
            except PlatformRefused as refused:
                if refused.extra.get("code") != "bad_credentials":
                    raise
                # A token the platform refused: refreshed once and tried again (a 401 posted nothing); one that
                # cannot be refreshed raises CredentialRevoked.
                return sender.send(outbound, credentials.refresh(task.platform, credential))

        try:
            delivered = self._outbox.once.run(f"{task.id}:{draft.revision}", post)
        except CredentialRevoked as revoked:
            self._source_revoked(source_id, task.platform, revoked)
            raise
        except PlatformRefused as refused:
            retry_at = refused.extra.get("retry_at")
            error = SendError(
                platform=task.platform,
                code=str(refused.extra.get("code", "refused")),
                message=str(refused.extra.get("message", refused.detail)),
                retryable=bool(refused.extra.get("retryable", False)),
                status=refused.extra.get("status"),
                at=now,
                draft_revision=draft.revision,
                reason=refused.detail,
                retry_at=datetime.fromisoformat(retry_at) if isinstance(retry_at, str) else None,
            )
            self._change(
                principal,
                task.id,
                "send.failed",
                lambda t, at, _c: workflow.mark_failed(t, error, at),
                {"draft_revision": draft.revision, "code": error.code, "message": error.message, "retry": retry},
            )
            self._update_source(
                source_id, task.platform, lambda s: sources.send_failed(s, now, error.code, error.message)
            )
            count(SERVICE, "RepliesRefused")
            extra = dict(refused.extra)
            if error.retry_at is not None:
                extra["retry_after_s"] = max(1, int((error.retry_at - now).total_seconds() + 0.999))
            raise PlatformRefused(refused.detail, **extra, task_status="send_failed") from refused
        self._update_source(source_id, task.platform, lambda s: sources.sent(s, now))
        return SentReply(
            draft_revision=draft.revision,
            text=draft.text,
            by=principal.user,
            at=now,
            via="platform",
            platform_id=delivered.platform_id,
            url=delivered.url,
            tag="internal" if not public else plan.tag,
            mention_id=mention_id(task.platform, delivered.platform_id),
        )

    # Sources: their health, from ingest's observations and our own sends
    def _source_of(self, platform: str, account_id: str | None, config: HarkConfig) -> tuple[str, Any | None]:
        """The configured source a reply on `platform` to a mention heard on `account_id` goes out from (its id and
        config), or the platform itself (its own credential)."""
        found = source_for(config.sources, platform, account_id)
        return found if found is not None else (platform, None)

    def _credential_now(self, source_id: str, platform: str, source: Any | None) -> Credential | None:
        """The credential as configured (not refreshed), or None when there is none."""
        credentials = self._outbox.credentials
        try:
            if source is not None:
                return credential_of(credentials, source_id, source, fresh=False)
            return credentials.current(platform)
        except NotConfigured:
            return None

    def _update_source(self, source_id: str, platform: str, change: Callable[[SourceState], SourceState]) -> None:
        """Best effort: a source's record lost is not worth failing the send or the event that changed it."""
        try:
            for _attempt in range(SAVE_ATTEMPTS):
                found = self._sources.get(source_id)
                state, version = found if found else (SourceState(id=source_id, platform=platform), None)
                try:
                    self._sources.save(change(state), version)
                    self._unhealthy_cache = None
                    return
                except ConcurrentUpdate:
                    continue
        except HarkError as error:
            get_logger(SERVICE).warning(
                "could not record the source", extra={"source": source_id, "platform": platform, "error": error.detail}
            )

    def _refuse_if_unhealthy(self, source_id: str, platform: str, source: Any | None) -> None:
        found = self._sources.get(source_id)
        problem = sources.blocks(found[0] if found else None, self._credential_now(source_id, platform, source))
        if problem is not None:
            raise NotConfigured(
                f"replies to {platform_name(platform)} are paused: {problem.reason} (since "
                f"{problem.since:%Y-%m-%d %H:%M} UTC; GET /v1/sources)",
                platform=platform,
                source=source_id,
                reason="source_unhealthy",
                since=problem.since.isoformat(),
            )

    def _unhealthy(self, now: datetime) -> dict[str, str]:
        """Sources whose replies are paused, and why, by source id (read at most every `UNHEALTHY_TTL` per
        process)."""
        cached = self._unhealthy_cache
        if cached is not None and now - cached[0] < UNHEALTHY_TTL:
            return cached[1]
        paused: dict[str, str] = {}
        try:
            configured = self._config().sources
            for state in self._sources.all():
                if state.unhealthy is None:
                    continue
                current = self._credential_now(state.id, state.platform, configured.get(state.id))
                problem = sources.blocks(state, current)
                if problem is not None:
                    paused[state.id] = f"Replies to {platform_name(state.platform)} are paused: {problem.reason}"
        except HarkError as error:
            get_logger(SERVICE).warning("could not read the sources", extra={"error": error.detail})
        self._unhealthy_cache = (now, paused)
        return paused

    def _source_revoked(self, source_id: str, platform: str, revoked: CredentialRevoked) -> None:
        now = self._clock()
        found = self._sources.get(source_id)
        already = found is not None and found[0].unhealthy is not None
        fingerprint = revoked.extra.get("fingerprint")
        code = str(revoked.extra.get("reason", "token_revoked"))
        self._update_source(
            source_id,
            platform,
            lambda s: sources.revoked(s, now, code, revoked.detail, str(fingerprint) if fingerprint else None),
        )
        self._unhealthy_news(source_id, platform, code, revoked.detail, now, already)

    def _unhealthy_news(
        self, source_id: str, platform: str, code: str, reason: str, now: datetime, already: bool
    ) -> None:
        count(SERVICE, "SourcesUnhealthy")
        get_logger(SERVICE).error("source unhealthy", extra={"source": source_id, "platform": platform, "reason": code})
        if not already:
            config = self._config()
            for user, spec in config.users.items():
                if "admin" in spec.roles:
                    self._notify(user, "source_unhealthy", None, None, reason, now)

    def observe(self, seen: SourceObservation) -> None:
        found = self._sources.get(seen.source)
        was = found[0].unhealthy if found else None
        self._update_source(seen.source, seen.platform, lambda s: sources.observed(s, seen))
        if sources.revokes(seen):  # a poll's credential the platform will not refresh
            self._unhealthy_news(
                seen.source, seen.platform, seen.code or "", seen.message or "", seen.at, was is not None
            )

    def list_sources(self, _principal: Principal) -> list[Source]:
        """Every platform with a credential or a secret, every configured source, and whatever was observed."""
        credentials = self._outbox.credentials
        configured = self._config().sources
        states = {s.id: s for s in self._sources.all()}
        ids = sorted({*credentials.configured(), *configured, *states}, key=lambda p: (p not in PLATFORMS, p))
        out = []
        for source_id in ids:
            state = states.get(source_id)
            source = configured.get(source_id)
            platform = source.platform if source is not None else state.platform if state else source_id
            credential = self._credential_now(source_id, platform, source)
            refreshable = credential is not None and credentials.refreshable(credential)
            out.append(sources.view(platform, state, credential, refreshable, source_id=source_id))
        return out

    def _hand_to_partner(self, task: Task, principal: Principal, now: datetime) -> SentReply:
        """A partner's conversation is not on a platform Hark posts to: the reply is handed back to the partner tool,
        which reads it from the thread (or `GET /v1/mentions`) and delivers it in its own system."""
        assert task.draft is not None
        native = f"hark-reply-{task.id}-{task.draft.revision}"
        return SentReply(
            draft_revision=task.draft.revision,
            text=task.draft.text,
            by=principal.user,
            at=now,
            via="partner",
            platform_id=native,
            mention_id=mention_id(task.platform, native, task.source),
        )

    def _reply_mention(self, task: Task, reply: SentReply) -> Mention:
        native = reply.platform_id or f"hark-reply-{task.id}-{reply.draft_revision}"
        return Mention(
            id=reply.mention_id or mention_id(task.platform, native, task.source),
            platform=task.platform,
            channel=task.channel or "reply",
            kind=task.kind or "comment",
            native_id=native,
            thread_id=task.thread_id,
            account_id=task.account_id,
            author=Author(id=f"hark:{reply.by}", handle=reply.by),
            from_brand=True,
            text=reply.text,
            url=reply.url,
            created_at=reply.at,
            received_at=reply.at,
            source=task.source,
        )

    # Reads
    def list_tasks(self, principal: Principal, query: TaskQuery) -> Page[Task]:
        holder = principal.user if query.holder == "me" else query.holder
        page = self._tasks.list(
            status=query.status,
            queue=query.queue,
            holder=holder,
            cursor=query.cursor,
            limit=query.limit,
            statuses=ACTIVE if query.active else None,
        )
        now = self._clock()
        return Page([privacy.task_for(principal, self._present(t, now)) for t in page.items], page.next_cursor)

    def get_task(self, principal: Principal, task_id: str) -> Task:
        return privacy.task_for(principal, self._present(self._load(task_id)))

    def audit_trail(self, _principal: Principal, task_id: str, cursor: str | None, limit: int) -> AuditPage:
        self._load(task_id)
        page = self._audit.list(task_id, cursor=cursor, limit=limit)
        first = page.items[0].seq if page.items else 1
        before = self._audit.get(task_id, first - 1) if first > 1 else None
        problems = verify(page.items, before.hash if before else ("" if first == 1 else None), first)
        shown, altered = self.governance.restore(page.items)
        return AuditPage(items=shown, next_cursor=page.next_cursor, problems=problems + altered)

    def config_trail(self, _principal: Principal, cursor: str | None, limit: int) -> AuditPage:
        self._config()
        page = self._audit.list(CONFIG_STREAM, cursor=cursor, limit=limit)
        first = page.items[0].seq if page.items else 1
        before = self._audit.get(CONFIG_STREAM, first - 1) if first > 1 else None
        problems = verify(page.items, before.hash if before else ("" if first == 1 else None), first)
        return AuditPage(items=page.items, next_cursor=page.next_cursor, problems=problems)

    def config_view(self, _principal: Principal) -> ConfigView:
        self._config()
        loaded = self._config_source.get()
        return ConfigView(digest=loaded.digest, source=loaded.source, config=loaded.config.model_dump(mode="json"))

    def thread(self, principal: Principal, task_id: str, cursor: str | None, limit: int) -> Page[StoredMention]:
        task = self._load(task_id)
        page = self._inbox.thread(task.platform, task.source, task.thread_id, cursor=cursor, limit=limit)
        return Page([privacy.mention_for(principal, m) for m in page.items], page.next_cursor)

    def notes(self, _principal: Principal, task_id: str, cursor: str | None, limit: int) -> Page[Note]:
        self._load(task_id)
        return self._notes.list(task_id, cursor=cursor, limit=limit)

    def notifications(self, principal: Principal, cursor: str | None, limit: int) -> Page[Notification]:
        return self._notifications.list(principal.user, cursor=cursor, limit=limit)

    def list_mentions(self, principal: Principal, query: MentionQuery) -> Page[StoredMention]:
        wanted = self._mention_filter(principal, query)
        if wanted.active():
            # Masked first: a viewer's search never finds the personal data it may not read.
            stream = (
                (key, privacy.mention_for(principal, m))
                for key, m in self._inbox.newest(
                    platform=query.platform,
                    needs_response=query.needs_response,
                    since=query.since,
                    cursor=query.cursor,
                    page_size=min(MAX_PAGE, max(query.limit * 2, 50)),
                )
            )
            found = inbox_filter.take(stream, lambda m: inbox_filter.matches(m, wanted), query.limit, encode_cursor)
            return Page(found.items, found.next_cursor)
        page = self._inbox.list(
            platform=query.platform,
            needs_response=query.needs_response,
            since=query.since,
            cursor=query.cursor,
            limit=query.limit,
        )
        return Page([privacy.mention_for(principal, m) for m in page.items], page.next_cursor)

    def count_authors(self, _principal: Principal, keys: list[str]) -> dict[str, int]:
        """How many messages Hark holds from each `platform/author_id` (a count query each, a few at once)."""
        wanted = list(dict.fromkeys(keys))

        def count(key: str) -> int:
            platform, _, author_id = key.partition("/")
            return self._inbox.count_by_author(platform, author_id) if platform in PLATFORMS else 0

        with ThreadPoolExecutor(max_workers=min(8, len(wanted) or 1)) as pool:
            return dict(zip(wanted, pool.map(count, wanted), strict=True))

    def _mention_filter(self, principal: Principal, query: MentionQuery) -> inbox_filter.MentionFilter:
        task_ids: set[str] | None = None
        if query.assignee is not None:
            user = principal.user if query.assignee == "me" else query.assignee
            task_ids = {t.id for t in self._tasks.held_by(user)}
        if query.queue is not None:
            in_queue: set[str] = set()
            cursor = None
            for _ in range(10):  # the queue's conversations still being worked, up to 2,000
                page = self._tasks.list(queue=query.queue, statuses=ACTIVE, cursor=cursor, limit=200)
                in_queue |= {t.id for t in page.items}
                cursor = page.next_cursor
                if cursor is None:
                    break
            task_ids = in_queue if task_ids is None else task_ids & in_queue
        return inbox_filter.MentionFilter(
            network=query.network,
            account=query.account,
            sentiment=query.sentiment,
            intent=query.intent,
            language=query.language,
            search=query.q,
            task_ids=frozenset(task_ids) if task_ids is not None else None,
        )

    def export_author(self, principal: Principal, platform: str, author_id: str) -> AuthorExport:
        return self.governance.author_export(principal, platform, author_id, self._present)

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
            items = [privacy.mention_for(principal, m) for m in page.items]
            wanted = self._mention_filter(principal, query)
            if wanted.active():
                items = [m for m in items if inbox_filter.matches(m, wanted)]
            return Feed(items, page.next_cursor, page.next_cursor)
        listing = self.list_mentions(principal, query)
        return Feed(listing.items, listing.next_cursor, encode_cursor(time_key(horizon)))

    def overview(self, _principal: Principal, hours: int) -> Overview:
        """The overview of the last `hours`: what was heard, hour by hour, and how fast it was answered."""
        if self._stats is None:
            raise NotConfigured("the overview's counters are not configured")
        now = self._clock()
        top = stats.top_of_hour(now)
        rows = self._stats.rows(stats.days_between(top - timedelta(hours=hours - 1), now))
        previous = self._stats.get(stats.usual_keys(top))
        return stats.overview(rows, previous, now, hours)

    def get_mention(self, principal: Principal, mention_id: str) -> StoredMention:
        mention = self._inbox.get(mention_id)
        if mention is None:
            raise NotFound(f"there is no mention {mention_id}")
        return privacy.mention_for(principal, mention)

    # The SLA sweep (schedule, `hark up` timer, `hark sla sweep`)
    def sweep(self, at: datetime | None = None) -> SweepResult:
        now = at or self._clock()
        config = self._config()
        tally = _Sweep()
        for task in self._active():
            tally.checked += 1
            outcome: dict[str, Any] = {}

            def change(t: Task, _now: datetime, c: HarkConfig, outcome: dict[str, Any] = outcome) -> Task | None:
                return self._sweep_one(t, now, c, outcome)

            saved = self._change_if(task.id, HARK, "sla.sweep", change, {"at": now.isoformat()})
            if saved is None:
                continue
            finding: sla.SweepFinding = outcome.get("finding", sla.SweepFinding())
            tally.near += bool(finding.near_breach)
            if finding.breached:
                tally.breached += 1
                tally.breached_tasks.append(task.id)
                count(SERVICE, "SlaBreached")
                get_logger(SERVICE).warning(
                    "SLA breached", extra={"task_id": task.id, "clocks": list(finding.breached), "queue": saved.queue}
                )
            tally.escalated += bool(outcome.get("escalated"))
            tally.woken += bool(outcome.get("woken"))
            tally.closed += bool(outcome.get("closed"))
            if finding:
                kind = "sla_breached" if finding.breached else "sla_near_breach"
                clocks = ", ".join(finding.breached or finding.near_breach).replace("_", " ")
                text = f"{'Breached' if finding.breached else 'Near breach'}: {clocks} on a {saved.queue} task"
                for user in self._watchers(saved, config):
                    self._notify(user, kind, saved.id, None, text, now)
        count(SERVICE, "SlaSweeps")
        return SweepResult(
            at=now,
            checked=tally.checked,
            near_breach=tally.near,
            breached=tally.breached,
            escalated=tally.escalated,
            woken=tally.woken,
            closed=tally.closed,
            breached_tasks=tally.breached_tasks,
        )

    def _active(self) -> Iterator[Task]:
        seen = 0
        for status in ACTIVE:
            cursor = None
            while True:
                page = self._tasks.list(status=status, cursor=cursor, limit=SWEEP_PAGE)
                for task in page.items:
                    seen += 1
                    if seen > SWEEP_MAX_TASKS:
                        return
                    yield task
                cursor = page.next_cursor
                if cursor is None:
                    break

    def _sweep_one(self, task: Task, now: datetime, config: HarkConfig, outcome: dict[str, Any]) -> Task | None:
        if task.status == "closed":
            return None
        updated = workflow.wake(task, now) or task
        outcome["woken"] = updated is not task
        policy = sla.clocks_for(config, updated.queue, updated.priority, updated.channel).policy
        clocks, finding = sla.sweep_clocks(updated, now, policy.near_breach)
        outcome["finding"] = finding
        if finding:
            updated = updated.model_copy(update={"sla": clocks, "sla_state": sla.state(clocks), "updated_at": now})
        if finding.breached and policy.escalate_on_breach and updated.status != "escalated":
            target = config.queue(updated.queue).escalate_to or updated.queue
            updated = updated.model_copy(
                update={
                    "status": "escalated",
                    "queue": target,
                    "holder": None,
                    "lease_until": None,
                    "held_since": None,
                    "annotations": (
                        *updated.annotations,
                        Annotation(at=now, kind="escalated", text=f"SLA breached: escalated to {target}"),
                    )[-50:],
                }
            )
            outcome["escalated"] = True
        after = config.workflow.auto_close_after
        if (
            updated.status == "sent"
            and after is not None
            and sla.running(updated.sla) is None
            and updated.responded_at is not None
            and now - updated.responded_at >= after
        ):
            updated = workflow.close(updated, HARK, now)
            outcome["closed"] = True
        if updated is task:
            return None
        return sla.with_times(updated)

    def _watchers(self, task: Task, config: HarkConfig) -> list[str]:
        if task.holder:
            return [task.holder]
        team = config.team_of(task.queue)
        return [m for m in team.members if (u := config.user(m)) is not None and not u.away]
