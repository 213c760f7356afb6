"""respond's governance tables: `safety-cases` (written with each change's audit entry, in one transaction),
`erasures` (what each erasure did, and whom it erased, by a hash), and the reads reports make of `conversations`.
respond is their only writer."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson
from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from services.respond.audit import Content
from services.respond.facts import ConversationFact, day_of
from services.respond.store import (
    AuditRecord,
    ConversationRecord,
    _cancelled_by_condition,
    _connection,
    audit_record,
    content_record,
)
from services.respond.tasks import ConcurrentUpdate
from shared.api.governance import ErasureRecord, SafetyCase
from shared.api.models import AuditEntry
from shared.aws import client, translate_errors
from shared.observability import get_logger
from shared.resources import CONVERSATIONS, ERASURES, SAFETY_CASES, SAFETY_TOPIC
from shared.settings import Settings
from shared.store.binding import GlobalIndex, bind_models, is_conditional_failure
from shared.store.paging import Page, decode_cursor, merge_pages, time_key

CASE_STATUSES = ("open", "followed_up", "reported", "not_a_case")


class CaseStatusIndex(GlobalIndex["SafetyCaseRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class SafetyCaseRecord(Model):
    class Meta:
        table_name = "hark-unbound-safety-cases"

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    due_key = UnicodeAttribute()
    reporter_key = UnicodeAttribute(null=True)
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True)
    doc = JSONAttribute()
    by_status = CaseStatusIndex()


class ErasureItem(Model):
    class Meta:
        table_name = "hark-unbound-erasures"

    key = UnicodeAttribute(hash_key=True)
    audit_seq = NumberAttribute(null=True)
    doc = JSONAttribute()


MODELS: dict[type[Model], Any] = {SafetyCaseRecord: SAFETY_CASES, ErasureItem: ERASURES}


def _due_key(case: SafetyCase) -> str:
    return f"{time_key(case.due_at)}#{case.id}"


def _to_case(record: SafetyCaseRecord) -> SafetyCase:
    return SafetyCase.model_validate({**record.doc, "version": record.version or 0})


class SafetyCases:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def get(self, case_id: str) -> SafetyCase | None:
        with translate_errors("read safety case"):
            try:
                return _to_case(SafetyCaseRecord.get(case_id, consistent_read=True))
            except SafetyCaseRecord.DoesNotExist:
                return None

    def save(
        self,
        case: SafetyCase,
        entry: AuditEntry,
        content: Content | None = None,
        expires_at: datetime | None = None,
        content_expires_at: datetime | None = None,
    ) -> SafetyCase:
        """Write the case and its audit entry (and the entry's content kept apart) together, if nobody changed the
        case since it was read; ConcurrentUpdate otherwise."""
        record = SafetyCaseRecord(
            id=case.id,
            status=case.status,
            due_key=_due_key(case),
            reporter_key=f"{case.reporter.platform}#{case.reporter.id}",
            expires_at=expires_at,
            doc=case.model_dump(mode="json", exclude={"version", "actions", "audit_hash", "days_left", "overdue"})
            | {"audit_hash": entry.hash},
        )
        if case.version:
            record.version = case.version
        with translate_errors("save safety case"):
            try:
                with TransactWrite(connection=_connection(SafetyCaseRecord)) as transaction:
                    transaction.save(record)
                    transaction.save(audit_record(entry), condition=AuditRecord.stream.does_not_exist())
                    if content is not None:
                        transaction.save(content_record(content, content_expires_at))
            except TransactWriteError as exc:
                if _cancelled_by_condition(exc):
                    raise ConcurrentUpdate(f"safety case {case.id} changed concurrently") from exc
                raise
        return case.model_copy(update={"version": record.version, "audit_hash": entry.hash})

    def list(self, *, status: str | None = None, cursor: str | None = None, limit: int = 50) -> Page[SafetyCase]:
        """Earliest reporting deadline first."""
        after = decode_cursor(cursor)
        statuses = (status,) if status else CASE_STATUSES

        def partition(value: str) -> Iterator[SafetyCaseRecord]:
            with translate_errors("list safety cases"):
                yield from SafetyCaseRecord.by_status.query(
                    value,
                    range_key_condition=SafetyCaseRecord.due_key > after if after else None,
                    page_size=limit + 1,
                )

        page = merge_pages((partition(s) for s in statuses), lambda r: r.due_key, limit, descending=False)
        return Page([_to_case(r) for r in page.items], page.next_cursor)

    def all(self, limit: int) -> tuple[builtins.list[SafetyCase], bool]:
        """Every case, up to `limit` (reports); whether there were more."""
        found: builtins.list[SafetyCase] = []
        with translate_errors("read safety cases"):
            for record in SafetyCaseRecord.scan(page_size=200):
                found.append(_to_case(record))
                if len(found) > limit:
                    break
        return found[:limit], len(found) > limit

    def of_reporter(self, platform: str, author_id: str) -> builtins.list[SafetyCase]:
        """The cases a person reported (an access request reads them all; they are few)."""
        with translate_errors("read safety cases"):
            return [
                _to_case(r)
                for r in SafetyCaseRecord.scan(
                    filter_condition=SafetyCaseRecord.reporter_key == f"{platform}#{author_id}", page_size=200
                )
            ]


def subject_key(platform: str, author_id: str) -> str:
    """Whom an erasure erased, without keeping who: the SHA-256 of the person's platform and id."""
    return "subject#" + hashlib.sha256(f"{platform}#{author_id}".encode()).hexdigest()


class Erasures:
    """What each erasure did (`erasure#<id>`) and that a person was erased (`subject#<hash>`)."""

    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def get(self, erasure_id: str) -> tuple[ErasureRecord, int | None] | None:
        with translate_errors("read erasure"):
            try:
                item = ErasureItem.get(f"erasure#{erasure_id}", consistent_read=True)
            except ErasureItem.DoesNotExist:
                return None
        return ErasureRecord.model_validate(item.doc), int(item.audit_seq) if item.audit_seq is not None else None

    def start(self, record: ErasureRecord) -> None:
        with translate_errors("record erasure"):
            try:
                ErasureItem(key=f"erasure#{record.erasure_id}", doc=record.model_dump(mode="json")).save(
                    condition=ErasureItem.key.does_not_exist()
                )
            except PutError as exc:
                if not is_conditional_failure(exc):
                    raise

    def complete(self, record: ErasureRecord, entry: AuditEntry, platform: str, author_id: str) -> bool:
        """Record what the erasure did and its audit entry together, once: False when it was recorded already."""
        subject = subject_key(platform, author_id)
        with translate_errors("complete erasure"):
            try:
                with TransactWrite(connection=_connection(ErasureItem)) as transaction:
                    transaction.save(
                        ErasureItem(
                            key=f"erasure#{record.erasure_id}",
                            audit_seq=entry.seq,
                            doc=record.model_dump(mode="json"),
                        ),
                        condition=ErasureItem.audit_seq.does_not_exist(),
                    )
                    transaction.save(audit_record(entry), condition=AuditRecord.stream.does_not_exist())
            except TransactWriteError as exc:
                if _cancelled_by_condition(exc):
                    return False
                raise
            self._mark(subject, record)
        return True

    def _mark(self, subject: str, record: ErasureRecord) -> None:
        try:
            existing = ErasureItem.get(subject, consistent_read=True)
            erasures = list(existing.doc.get("erasures", []))
        except ErasureItem.DoesNotExist:
            erasures = []
        if record.erasure_id not in [e.get("erasure_id") for e in erasures]:
            erasures.append({"erasure_id": record.erasure_id, "requested_at": record.requested_at.isoformat()})
        ErasureItem(key=subject, doc={"erasures": erasures[-100:]}).save()

    def erased_before(self, platform: str, author_id: str) -> datetime | None:
        """When this person was last erased (None: never): what they said before then must not come back."""
        with translate_errors("read erasure"):
            try:
                item = ErasureItem.get(subject_key(platform, author_id))
            except ErasureItem.DoesNotExist:
                return None
        times = [datetime.fromisoformat(e["requested_at"]) for e in item.doc.get("erasures", [])]
        return max(times, default=None)

    def of_subject(self, platform: str, author_id: str) -> list[ErasureRecord]:
        with translate_errors("read erasure"):
            try:
                item = ErasureItem.get(subject_key(platform, author_id))
            except ErasureItem.DoesNotExist:
                return []
        out = []
        for listed in item.doc.get("erasures", []):
            found = self.get(str(listed["erasure_id"]))
            if found is not None:
                out.append(found[0])
        return out


class Conversations:
    """What reports read: the facts of conversations that started in a window."""

    def __init__(self, settings: Settings) -> None:
        bind_models({ConversationRecord: CONVERSATIONS}, settings)

    def started_between(self, since: datetime, until: datetime, limit: int) -> tuple[list[ConversationFact], bool]:
        found: list[ConversationFact] = []
        day = since
        with translate_errors("read conversations"):
            while day_of(day) <= day_of(until):
                for record in ConversationRecord.query(day_of(day), page_size=500):
                    fact = ConversationFact.model_validate(record.doc)
                    if since <= fact.started_at < until:
                        found.append(fact)
                    if len(found) > limit:
                        return found[:limit], True
                day += timedelta(days=1)
        return found, False


class SafetyTopic:
    """The drug-safety team's SNS topic (e-mail, pager); without one configured it only logs (the local stack)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def alert(self, subject: str, message: Mapping[str, Any]) -> None:
        arn = self._settings.topic_arns.get(SAFETY_TOPIC.key)
        get_logger("respond").warning("safety team alerted", extra={"subject": subject, "topic": arn})
        if not arn:
            return
        with translate_errors("alert the safety team"):
            client("sns", self._settings).publish(
                TopicArn=arn, Subject=subject[:100], Message=orjson.dumps(dict(message)).decode()
            )
