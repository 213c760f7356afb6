"""The governance core of respond: safety cases, a person's data (their conversations, an access export, erasure),
reports, and the audit log of what is not a task's. The respond core calls it from intake (a suspected adverse
event opens a case) and from the `author.erased` event; the HTTP views call it for everything else.

Erasure, as respond does its part of it (ingest erased the raw archive, classify its mentions):
1. the conversations the person took part in (found through the inbox's author index, before anything is
   deleted, so a retry finds them again) are scrubbed: a conversation with the person as its customer loses its
   preview, author, drafts, the replies' texts and annotations; one they only joined loses the preview when it
   showed their message;
2. the personal content of those conversations' audit entries is deleted (all of it for their own, the entries
   about their messages for the others): the entries and the hash chain stay;
3. notes on their own conversations lose their text, the brand's replies in those threads leave the inbox;
4. safety cases they reported keep what pharmacovigilance law requires and record the request as a hold;
5. their inbox items are deleted, and the erasure is recorded, once, with counts and no content: an entry in the
   `erasures` audit stream and a tombstone by hash, so a message of theirs still in flight is dropped when it
   lands.
Every step can run again: the event may be delivered twice, or fail half way and be retried.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from services.respond import privacy, reports, safety
from services.respond.audit import (
    CASE_NOISE,
    ERASURE_STREAM,
    Content,
    entry_for,
    hold_apart,
    restore,
    seal,
    verify,
)
from services.respond.csvout import to_csv
from services.respond.facts import ConversationFact
from services.respond.store import ERASED_TEXT
from services.respond.tasks import ConcurrentUpdate, expiry
from shared.api.governance import (
    AuditLogPage,
    AuditQuery,
    AuthorConversation,
    AuthorExport,
    AuthorView,
    DismissBody,
    ErasureRecord,
    FollowUpBody,
    Report,
    ReportBody,
    ReportQuery,
    SafetyCase,
    SafetyCasePage,
    SafetyCaseQuery,
)
from shared.api.models import AuditEntry, Notification
from shared.auth import Principal, Role
from shared.config import HarkConfig
from shared.errors import Conflict, HarkError, InvalidQuery, NotFound
from shared.events import (
    PLATFORMS,
    Annotation,
    AuthorErasure,
    ClassifiedMention,
    StoredMention,
    Task,
)
from shared.observability import count, get_logger
from shared.store.paging import Page, time_key

if TYPE_CHECKING:
    from services.respond.service import Stores

SERVICE = "respond"
SAVE_ATTEMPTS = 5
REPORT_LIMIT = 50_000
EXPORT_LIMIT = 5_000
STORE_LAG = timedelta(minutes=15)
SAFETY_READERS: frozenset[Role] = frozenset({"safety", "admin"})


class CaseStore(Protocol):
    def get(self, case_id: str) -> SafetyCase | None: ...
    def save(
        self,
        case: SafetyCase,
        entry: AuditEntry,
        content: Content | None = None,
        expires_at: datetime | None = None,
        content_expires_at: datetime | None = None,
    ) -> SafetyCase: ...
    def list(self, *, status: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[SafetyCase]: ...
    def all(self, limit: int) -> tuple[builtins.list[SafetyCase], bool]: ...
    def of_reporter(self, platform: str, author_id: str) -> builtins.list[SafetyCase]: ...


class ErasureStore(Protocol):
    def get(self, erasure_id: str) -> tuple[ErasureRecord, int | None] | None: ...
    def start(self, record: ErasureRecord) -> None: ...
    def complete(self, record: ErasureRecord, entry: AuditEntry, platform: str, author_id: str) -> bool: ...
    def erased_before(self, platform: str, author_id: str) -> datetime | None: ...
    def of_subject(self, platform: str, author_id: str) -> list[ErasureRecord]: ...


class ConversationStore(Protocol):
    def started_between(self, since: datetime, until: datetime, limit: int) -> tuple[list[ConversationFact], bool]: ...


class SafetyAlerts(Protocol):
    def alert(self, subject: str, message: Mapping[str, Any]) -> None:
        """Tell the drug-safety team outside Hark (the safety topic): ids, product, dates; never the report's text."""


class LoggedAlerts:
    def alert(self, subject: str, message: Mapping[str, Any]) -> None:
        get_logger(SERVICE).warning("safety alert", extra={"subject": subject, **message})


ChangeTask = Callable[
    [str, Principal, str, Callable[[Task, datetime, HarkConfig], Task | None], Mapping[str, Any]], Task | None
]
HARK = Principal("hark", frozenset(), "system")


@dataclass
class Erased:
    inbox_mentions: int = 0
    conversations: int = 0
    brand_replies: int = 0
    audit_entries: int = 0
    notes: int = 0


class Governance:
    def __init__(
        self,
        stores: Stores,
        config: Callable[[], HarkConfig],
        change_task: ChangeTask,
        notify: Callable[[Notification], None],
        clock: Callable[[], datetime],
        alerts: SafetyAlerts | None = None,
    ) -> None:
        self._stores = stores
        self._tasks = stores.tasks
        self._inbox = stores.inbox
        self._audit = stores.audit
        self._notes = stores.notes
        self._cases = stores.cases
        self._erasures = stores.erasures
        self._conversations = stores.conversations
        self._config = config
        self._change_task = change_task
        self._notify = notify
        self._clock = clock
        self._alerts = alerts or LoggedAlerts()

    # Intake: a suspected adverse event opens (or adds to) its thread's case
    def intake(self, classified: ClassifiedMention, task: Task) -> SafetyCase | None:
        mention = classified.mention
        if mention.from_brand or not classified.classification.adverse_event:
            return None
        config = self._config()
        cid = safety.case_id(task.id)
        for _attempt in range(SAVE_ATTEMPTS):
            now = self._clock()
            current = self._cases.get(cid)
            if current is None:
                updated: SafetyCase | None = safety.open_case(classified, task, now, config)
                action = "case.opened"
            else:
                updated = safety.add_information(current, classified, now)
                action = "case.reopened" if current.status == "not_a_case" else "case.information"
            if updated is None:
                break
            try:
                saved = self._save_case(current, updated, HARK, action, now, {"mention_id": mention.id})
            except ConcurrentUpdate:
                continue
            count(SERVICE, "SafetyCasesOpened" if current is None else "SafetyCaseInformation")
            self._tell(saved, current, config, now)
            break
        if task.safety_case_id != cid:
            self._change_task(
                task.id,
                HARK,
                "safety_case.linked",
                lambda t, at, _c: (
                    None if t.safety_case_id == cid else t.model_copy(update={"safety_case_id": cid, "updated_at": at})
                ),
                {"case_id": cid},
            )
        return self._cases.get(cid)

    def _tell(self, case: SafetyCase, before: SafetyCase | None, config: HarkConfig, now: datetime) -> None:
        if (
            before is not None
            and before.status not in ("not_a_case",)
            and case.new_information_at == (before.new_information_at)
        ):
            return  # more of the same on an open case: the team is on it
        product = case.product.name if case.product else "an unnamed product"
        what = (
            "New suspected adverse event"
            if before is None
            else ("Reopened safety case" if before.status == "not_a_case" else "New information on a reported case")
        )
        text = f"{what}: {product} ({', '.join(case.events) or 'reaction'}); report due {case.due_at:%Y-%m-%d}"
        roles = set(config.safety.notify_roles)
        for user, spec in config.users.items():
            if roles.intersection(spec.roles):
                self._notify(
                    Notification(
                        key=f"{time_key(now)}#{uuid.uuid4().hex[:12]}",
                        user=user,
                        kind="safety_case",
                        task_id=case.task_id,
                        case_id=case.id,
                        text=text,
                        at=now,
                    )
                )
        try:
            self._alerts.alert(
                f"{what}: {product}"[:100],
                {
                    "case_id": case.id,
                    "task_id": case.task_id,
                    "day0": case.day0.isoformat(),
                    "due_at": case.due_at.isoformat(),
                    "product": product,
                    "events": case.events,
                    "valid": case.valid,
                    "missing": case.missing,
                    "queue": case.queue,
                },
            )
        except HarkError as error:  # the case and the in-app notifications are there; the page is best effort
            get_logger(SERVICE).warning("could not alert the safety team", extra={"error": error.detail})

    def _save_case(
        self,
        before: SafetyCase | None,
        after: SafetyCase,
        actor: Principal,
        action: str,
        now: datetime,
        detail: Mapping[str, Any],
    ) -> SafetyCase:
        keep = self._config().retention
        after = after.model_copy(
            update={"version": before.version if before else 0, "audit_hash": before.audit_hash if before else ""}
        )
        entry = entry_for(before, after, actor=actor.user, action=action, at=now, detail=detail, noise=CASE_NOISE)
        entry, content = hold_apart(entry)
        return self._cases.save(
            after,
            entry,
            content,
            expires_at=expiry(after.day0, keep.safety_cases),
            content_expires_at=expiry(now, keep.audit_content),
        )

    # Safety cases: commands and reads
    def _case(self, case_id: str) -> SafetyCase:
        case = self._cases.get(case_id)
        if case is None:
            raise NotFound(f"there is no safety case {case_id}")
        return case

    def _change_case(
        self,
        principal: Principal,
        case_id: str,
        action: str,
        change: Callable[[SafetyCase, datetime], SafetyCase],
        detail: Mapping[str, Any],
    ) -> SafetyCase:
        for _attempt in range(SAVE_ATTEMPTS):
            current = self._case(case_id)
            now = self._clock()
            updated = change(current, now)
            try:
                saved = self._save_case(current, updated, principal, action, now, detail)
            except ConcurrentUpdate:
                continue
            count(SERVICE, "SafetyCaseCommands")
            return safety.present(saved, self._clock())
        raise Conflict(f"safety case {case_id} kept changing; try again")

    def follow_up(self, principal: Principal, case_id: str, body: FollowUpBody) -> SafetyCase:
        return self._change_case(
            principal,
            case_id,
            "case.followed_up",
            lambda c, now: safety.follow_up(c, principal, body, now),
            {"channel": body.channel, "outcome": body.outcome, "confirms": body.confirms, "note": body.note},
        )

    def report_case(self, principal: Principal, case_id: str, body: ReportBody) -> SafetyCase:
        def change(case: SafetyCase, now: datetime) -> SafetyCase:
            return safety.report(case, principal, body, now)

        saved = self._change_case(
            principal, case_id, "case.reported", change, {"reference": body.reference, "note": body.note}
        )
        count(SERVICE, "SafetyCasesReportedLate" if not saved.reports[-1].within_deadline else "SafetyCasesReported")
        return saved

    def dismiss(self, principal: Principal, case_id: str, body: DismissBody) -> SafetyCase:
        return self._change_case(
            principal,
            case_id,
            "case.dismissed",
            lambda c, now: safety.dismiss(c, principal, body, now),
            {"reason": body.reason, "comment": body.comment},
        )

    def get_case(self, _principal: Principal, case_id: str) -> SafetyCase:
        return safety.present(self._case(case_id), self._clock())

    def list_cases(self, _principal: Principal, query: SafetyCaseQuery) -> SafetyCasePage:
        now = self._clock()
        wanted = query.product.lower() if query.product else None
        items: list[SafetyCase] = []
        cursor = query.cursor
        # Filters other than the status are applied to pages of the index; keep reading until the page is full.
        for _round in range(20):
            page = self._cases.list(status=query.status, cursor=cursor, limit=query.limit)
            for case in page.items:
                shown = safety.present(case, now)
                if query.overdue is not None and shown.overdue != query.overdue:
                    continue
                if query.since is not None and case.day0 < query.since:
                    continue
                if query.until is not None and case.day0 >= query.until:
                    continue
                if wanted and not (
                    case.product and wanted in {case.product.name.lower(), (case.product.drug or "").lower()}
                ):
                    continue
                items.append(shown)
            cursor = page.next_cursor
            if cursor is None or len(items) >= query.limit:
                break
        return SafetyCasePage(items=items[: query.limit], next_cursor=cursor)

    def export_case(self, principal: Principal, case_id: str, fmt: str) -> tuple[str, str, str]:
        """The intake packet: (body, content type, file name)."""
        case = safety.present(self._case(case_id), self._clock())
        packet = safety.export_packet(case, self._clock())
        count(SERVICE, "SafetyCaseExports")
        get_logger(SERVICE).info("safety case exported", extra={"case_id": case_id, "by": principal.user})
        if fmt == "csv":
            return to_csv(safety.CSV_COLUMNS, [safety.csv_row(packet)]), "text/csv; charset=utf-8", f"{case_id}.csv"
        import orjson  # noqa: PLC0415

        return orjson.dumps(packet).decode(), "application/json", f"{case_id}.json"

    # Erasure (the `author.erased` event)
    def erase(self, erasure: AuthorErasure) -> ErasureRecord:
        known = self._erasures.get(erasure.erasure_id)
        if known is not None and known[1] is not None:
            return known[0]  # done before: a redelivery
        record = ErasureRecord(
            erasure_id=erasure.erasure_id,
            requested_by=erasure.requested_by,
            requested_at=erasure.requested_at,
            reference=erasure.reference,
        )
        self._erasures.start(record)
        platform, author_id = erasure.platform, erasure.author_id
        said = self._said_by(platform, author_id)
        erased = Erased()
        cases: dict[str, SafetyCase] = {c.id: c for c in self._cases.of_reporter(platform, author_id)}
        for task_id in sorted({t for _, t in said if t}):
            task = self._tasks.get(task_id)
            if task is None:
                continue
            own = task.author is not None and task.author.id == author_id
            mine = {m for m, t in said if t == task_id}
            if self._change_task(
                task_id, HARK, "author.erased", _scrubber(own, mine), {"erasure_id": erasure.erasure_id}
            ):
                erased.conversations += 1
            erased.audit_entries += self._erase_audit(task_id, own, mine)
            if own:
                erased.notes += self._notes.erase(task_id)
                replies = self._inbox.brand_replies(task.platform, task.source, task.thread_id)
                erased.brand_replies += self._inbox.delete(replies)
            if task.safety_case_id and task.safety_case_id not in cases:
                found = self._cases.get(task.safety_case_id)
                if found is not None and found.reporter.id == author_id:
                    cases[found.id] = found
        for case in cases.values():
            self._hold(case, erasure)
        erased.inbox_mentions = len(self._inbox.erase_author(platform, author_id))
        counts = {
            "inbox_mentions": erased.inbox_mentions,
            "conversations": erased.conversations,
            "brand_replies": erased.brand_replies,
            "audit_entries": erased.audit_entries,
            "notes": erased.notes,
            "safety_cases_kept": len(cases),
        }
        if erasure.archived_deliveries is not None:
            counts["archived_deliveries"] = erasure.archived_deliveries
        if erasure.classified_mentions is not None:
            counts["classified_mentions"] = erasure.classified_mentions
        done = record.model_copy(
            update={"completed_at": self._clock(), "counts": counts, "safety_cases_kept": sorted(cases)}
        )
        self._record_erasure(done, erasure)
        count(SERVICE, "AuthorsErased")
        get_logger(SERVICE).info("author erased", extra={"erasure_id": erasure.erasure_id, **counts})
        return done

    def _said_by(self, platform: str, author_id: str) -> list[tuple[str, str | None]]:
        said: list[tuple[str, str | None]] = []
        cursor = None
        while True:
            page = self._inbox.by_author(platform, author_id, cursor=cursor, limit=200)
            said += [(m.id, m.task_id) for m in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return said

    def _erase_audit(self, task_id: str, own: bool, mine: set[str]) -> int:
        if own:
            return self._audit.erase_contents(task_id)
        seqs: list[int] = []
        cursor = None
        while True:
            page = self._audit.list(task_id, cursor=cursor, limit=200)
            seqs += [
                e.seq
                for e in page.items
                if e.detail.get("mention_id") in mine or e.after.get("preview_mention_id") in mine
            ]
            cursor = page.next_cursor
            if cursor is None:
                break
        return self._audit.erase_contents(task_id, seqs) if seqs else 0

    def _hold(self, case: SafetyCase, erasure: AuthorErasure) -> None:
        for _attempt in range(SAVE_ATTEMPTS):
            current = self._cases.get(case.id)
            if current is None:
                return
            now = self._clock()
            updated = safety.hold(current, erasure, now)
            if updated is None:
                return
            try:
                self._save_case(current, updated, HARK, "case.held", now, {"erasure_id": erasure.erasure_id})
                return
            except ConcurrentUpdate:
                continue
        raise Conflict(f"safety case {case.id} kept changing; will retry")

    def _record_erasure(self, record: ErasureRecord, erasure: AuthorErasure) -> None:
        from services.respond.governance_store import subject_key  # noqa: PLC0415

        for _attempt in range(SAVE_ATTEMPTS):
            last = self._audit.last(ERASURE_STREAM)
            entry = seal(
                AuditEntry(
                    stream=ERASURE_STREAM,
                    seq=(last.seq + 1) if last else 1,
                    at=record.completed_at or self._clock(),
                    actor=erasure.requested_by,
                    action="author.erased",
                    detail={
                        "erasure_id": erasure.erasure_id,
                        "platform": erasure.platform,
                        "subject": subject_key(erasure.platform, erasure.author_id).removeprefix("subject#"),
                        "reference": erasure.reference,
                        "requested_at": erasure.requested_at.isoformat(),
                        "counts": record.counts,
                        "safety_cases_kept": record.safety_cases_kept,
                    },
                    prev_hash=last.hash if last else "",
                )
            )
            if self._erasures.complete(record, entry, erasure.platform, erasure.author_id):
                return
            known = self._erasures.get(erasure.erasure_id)
            if known is not None and known[1] is not None:
                return  # a twin delivery recorded it first
        raise Conflict("the erasures stream kept changing; will retry")

    def erased_at(self, platform: str, author_id: str) -> datetime | None:
        return self._erasures.erased_before(platform, author_id)

    # A person's data
    def author(self, principal: Principal, platform: str, author_id: str, cursor: str | None, limit: int) -> AuthorView:
        if platform not in PLATFORMS:
            raise NotFound(f"there is no platform {platform[:32]}", platforms=list(PLATFORMS))
        page = self._inbox.by_author(platform, author_id, cursor=cursor, limit=limit)
        conversations = []
        for task_id in dict.fromkeys(m.task_id for m in page.items if m.task_id):
            task = self._tasks.get(task_id)
            if task is not None:
                conversations.append(
                    AuthorConversation(
                        task_id=task.id,
                        status=task.status,
                        queue=task.queue,
                        priority=task.priority,
                        updated_at=task.updated_at,
                    )
                )
        latest = page.items[0].author if page.items else None
        cases = (
            [c.id for c in self._cases.of_reporter(platform, author_id)] if principal.has_any(SAFETY_READERS) else []
        )
        return AuthorView(
            platform=platform,  # type: ignore[arg-type]
            id=author_id,
            handle=latest.handle if latest else None,
            name=latest.name if latest else None,
            mentions=[privacy.mention_for(principal, m) for m in page.items],
            next_cursor=page.next_cursor,
            mention_count=self._inbox.count_by_author(platform, author_id) if page.next_cursor else len(page.items),
            conversations=conversations,
            safety_cases=cases,
            erasures=self._erasures.of_subject(platform, author_id),
        )

    def author_export(
        self, principal: Principal, platform: str, author_id: str, present: Callable[[Task], Task]
    ) -> AuthorExport:
        if platform not in PLATFORMS:
            raise NotFound(f"there is no platform {platform[:32]}", platforms=list(PLATFORMS))
        mentions: list[StoredMention] = []
        cursor = None
        while len(mentions) < EXPORT_LIMIT:
            page = self._inbox.by_author(platform, author_id, cursor=cursor, limit=200)
            mentions += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        tasks = [t for tid in dict.fromkeys(m.task_id for m in mentions if m.task_id) if (t := self._tasks.get(tid))]
        own = [t for t in tasks if t.author is not None and t.author.id == author_id]
        notes = []
        for task in own:
            note_cursor = None
            while True:
                found = self._notes.list(task.id, cursor=note_cursor, limit=200)
                notes += found.items
                note_cursor = found.next_cursor
                if note_cursor is None:
                    break
        now = self._clock()
        keep = self._config().retention
        count(SERVICE, "AccessExports")
        get_logger(SERVICE).info("access export", extra={"platform": platform, "by": principal.user})
        return AuthorExport(
            platform=platform,  # type: ignore[arg-type]
            id=author_id,
            generated_at=now,
            generated_by=principal.user,
            mentions=mentions,
            conversations=[present(t) for t in tasks],
            notes=notes,
            safety_cases=[safety.present(c, now) for c in self._cases.of_reporter(platform, author_id)],
            erasures=self._erasures.of_subject(platform, author_id),
            sources={
                "mentions": f"What they said, as Hark received it (kept {_kept(keep.inbox)}).",
                "conversations": f"How the brand worked each conversation, its replies included (kept "
                f"{_kept(keep.tasks)} after the last change).",
                "notes": f"The team's private notes on their conversations (kept {_kept(keep.notes)}).",
                "safety_cases": "Suspected adverse events they reported: " + safety.RETENTION,
                "raw archive": f"The platforms' deliveries that carried their messages, for replay (kept "
                f"{_kept(keep.archive)}); the same messages as `mentions`.",
                "audit": "Who did what and when on their conversations; the words are kept apart and erased with them.",
            },
        )

    # Reports and the audit log
    def build_report(self, name: str, query: ReportQuery) -> Report:
        now = self._clock()
        until = query.until or now
        since = query.since or until - timedelta(days=30)
        if until - since > timedelta(days=400):
            # The query is out of range (400), as when both ends are given and the query model refuses it.
            raise InvalidQuery("a report covers at most 400 days")
        if name in ("sentiment", "intent", "volume"):
            # Stored a little after they arrived: read past `until`, then keep what arrived in the window.
            mentions, more = self._inbox.stored_between(since, until + STORE_LAG, REPORT_LIMIT)
        else:
            mentions, more = [], False
        if name in ("first-response", "resolution", "sla", "volume"):
            facts, more_facts = self._conversations.started_between(since, until, REPORT_LIMIT)
        else:
            facts, more_facts = [], False
        cases, more_cases = self._cases.all(REPORT_LIMIT) if name == "safety" else ([], False)
        built = reports.build(name, since, until, now, query, facts=facts, mentions=mentions, cases=cases)
        count(SERVICE, "ReportsBuilt")
        return built.model_copy(update={"truncated": more or more_facts or more_cases})

    def report_csv(self, report: Report) -> str:
        return to_csv(report.columns, report.rows)

    def audit_log(self, _principal: Principal, query: AuditQuery) -> AuditLogPage:
        if query.stream is not None:
            if query.stream.startswith("t_"):
                raise NotFound(f"{query.stream} is a task's trail: GET /v1/tasks/{query.stream}/audit")
            page = self._audit.list(query.stream, cursor=query.cursor, limit=query.limit)
            first = page.items[0].seq if page.items else 1
            before = self._audit.get(query.stream, first - 1) if first > 1 else None
            problems = verify(page.items, before.hash if before else ("" if first == 1 else None), first)
            items = page.items
            next_cursor = page.next_cursor
        else:
            page = self._audit.log(
                since=query.since,
                until=query.until,
                kind=query.kind,
                action=query.action,
                actor=query.actor,
                cursor=query.cursor,
                limit=query.limit,
            )
            problems = [f"{e.stream} entry {e.seq} was altered" for e in page.items if seal(e).hash != e.hash]
            items, next_cursor = page.items, page.next_cursor
        shown, more_problems = self.restore(items)
        return AuditLogPage(items=shown, next_cursor=next_cursor, problems=problems + more_problems)

    def restore(self, entries: list[AuditEntry]) -> tuple[list[AuditEntry], list[str]]:
        """Entries with their content put back where it is kept; what was altered."""
        problems: list[str] = []
        out: list[AuditEntry] = []
        by_stream: dict[str, list[int]] = {}
        for entry in entries:
            if entry.sealed:
                by_stream.setdefault(entry.stream, []).append(entry.seq)
        kept = {
            (stream, seq): content
            for stream, seqs in by_stream.items()
            for seq, content in self._audit.contents(stream, min(seqs), max(seqs)).items()
        }
        for entry in entries:
            restored, found = restore(entry, kept.get((entry.stream, entry.seq)))
            out.append(restored)
            problems += found
        return out, problems


def _kept(keep: timedelta | None) -> str:
    if keep is None:
        return "until erased"
    return f"{keep.days} days"


ERASED_PREVIEW: dict[str, Any] = {"author": None, "text": ERASED_TEXT, "url": None, "pii": ()}


def _scrubber(own: bool, mine: set[str]) -> Callable[[Task, datetime, HarkConfig], Task | None]:
    def scrub(task: Task, now: datetime, _config: HarkConfig) -> Task | None:
        note = Annotation(at=now, kind="erased", text="a person's data in this conversation was erased on request")
        if any(a.kind == "erased" for a in task.annotations) and (
            (own and task.author is None) or (not own and task.preview_mention_id not in mine)
        ):
            return None  # scrubbed before
        update: dict[str, Any] = {"annotations": (*task.annotations, note)[-50:], "updated_at": now}
        if own:
            update |= {
                "author": None,
                "preview": task.preview.model_copy(update=ERASED_PREVIEW),
                "draft": task.draft.model_copy(update={"text": ERASED_TEXT, "variables": {}, "warnings": ()})
                if task.draft
                else None,
                "replies": tuple(r.model_copy(update={"text": ERASED_TEXT, "url": None}) for r in task.replies),
                "rejection": task.rejection.model_copy(update={"comment": None}) if task.rejection else None,
                "send_error": task.send_error.model_copy(update={"message": ERASED_TEXT}) if task.send_error else None,
                "reasons": (),
                "warnings": (),
            }
        elif task.preview_mention_id in mine:
            update["preview"] = task.preview.model_copy(update=ERASED_PREVIEW)
        return task.model_copy(update=update)

    return scrub
