"""respond's incident tables: `incidents` (incidents, crisis modes, which SNS messages were handled) and `signals`
(the spike detector's counts). respond is their only writer. Also the read of the inbox's feed by stored time that
the detector needs, and the SNS notifier that pages on-call.

Items of `incidents`, by id prefix: `i_…` an incident (versioned; in the `by_status` index), `open#<source>` the
incident last opened for an alarm or a brand's spikes, `crisis#<brand>` a brand in crisis mode, `msg#<MessageId>` an
SNS message already handled (expires after 14 days).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.indexes import AllProjection
from pynamodb.models import Model

from services.respond.incidents import CrisisMode
from services.respond.spikes import Counts, History, SpikeRules
from services.respond.store import FEED_SHARDS, InboxRecord, _to_stored
from services.respond.store import MODELS as INBOX_MODELS
from shared.api.models import Incident
from shared.aws import client, translate_errors
from shared.errors import Conflict
from shared.events import StoredMention
from shared.observability import get_logger
from shared.resources import INCIDENTS, ONCALL_TOPIC, SIGNALS
from shared.settings import Settings
from shared.store.binding import GlobalIndex, bind_models, is_conditional_failure
from shared.store.paging import Page, decode_cursor, merge_pages, time_key


class IncidentStatusIndex(GlobalIndex["IncidentRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class IncidentRecord(Model):
    class Meta:
        table_name = "hark-unbound-incidents"

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(null=True)
    opened_key = UnicodeAttribute(null=True)
    version = VersionAttribute()
    doc = JSONAttribute(null=True)
    target = UnicodeAttribute(null=True)  # open#…: the incident id
    expires_at = TTLAttribute(null=True)
    by_status = IncidentStatusIndex()


class SignalRecord(Model):
    class Meta:
        table_name = "hark-unbound-signals"

    series = UnicodeAttribute(hash_key=True)
    bucket = UnicodeAttribute(range_key=True)
    total = NumberAttribute(default=0)
    negative = NumberAttribute(default=0)
    at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


MODELS: dict[type[Model], Any] = {IncidentRecord: INCIDENTS, SignalRecord: SIGNALS}
STATUSES = ("open", "acknowledged", "resolved")


def _opened_key(incident: Incident) -> str:
    return f"{time_key(incident.opened_at)}#{incident.id}"


class DynamoIncidents:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def get_versioned(self, incident_id: str) -> tuple[Incident, int] | None:
        with translate_errors("read incident"):
            try:
                record = IncidentRecord.get(incident_id, consistent_read=True)
            except IncidentRecord.DoesNotExist:
                return None
        if record.doc is None:
            return None
        return Incident.model_validate(record.doc), int(record.version or 0)

    def get(self, incident_id: str) -> Incident | None:
        found = self.get_versioned(incident_id)
        return found[0] if found else None

    def save(self, incident: Incident, version: int | None) -> int:
        record = IncidentRecord(
            id=incident.id,
            status=incident.status,
            opened_key=_opened_key(incident),
            doc=incident.model_dump(mode="json"),
        )
        if version:
            record.version = version
        with translate_errors("save incident"):
            try:
                record.save()
            except PutError as exc:
                if is_conditional_failure(exc):
                    raise Conflict(f"incident {incident.id} changed concurrently") from exc
                raise
        return int(record.version or 0)

    def open_for(self, source: str) -> str | None:
        with translate_errors("read incident pointer"):
            try:
                return IncidentRecord.get(f"open#{source}", consistent_read=True).target
            except IncidentRecord.DoesNotExist:
                return None

    def point(self, source: str, incident_id: str) -> None:
        with translate_errors("save incident pointer"):
            # Pointers are overwritten (latest wins), never versioned.
            IncidentRecord(id=f"open#{source}", target=incident_id).save(add_version_condition=False)

    def first_time(self, message_id: str, expires_at: datetime) -> bool:
        record = IncidentRecord(id=f"msg#{message_id}", expires_at=expires_at)
        with translate_errors("record SNS message"):
            try:
                record.save(condition=IncidentRecord.id.does_not_exist(), add_version_condition=False)
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def list(self, *, status: str | None, cursor: str | None, limit: int) -> Page[Incident]:
        before = decode_cursor(cursor)

        def partition(value: str) -> Iterator[IncidentRecord]:
            with translate_errors("list incidents"):
                yield from IncidentRecord.by_status.query(
                    value,
                    range_key_condition=IncidentRecord.opened_key < before if before else None,
                    scan_index_forward=False,
                    page_size=limit + 1,
                )

        statuses = [status] if status else list(STATUSES)
        page = merge_pages((partition(s) for s in statuses), lambda r: str(r.opened_key), limit, descending=True)
        return Page([Incident.model_validate(r.doc) for r in page.items], page.next_cursor)


class DynamoCrisisModes:
    """Crisis mode per brand. `active` is the port the task workflow reads."""

    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def active(self, brand: str) -> CrisisMode | None:
        with translate_errors("read crisis mode"):
            try:
                record = IncidentRecord.get(f"crisis#{brand}")
            except IncidentRecord.DoesNotExist:
                return None
        if not record.doc:
            return None
        doc = record.doc
        return CrisisMode(
            brand=doc["brand"],
            incident_id=doc["incident_id"],
            since=datetime.fromisoformat(doc["since"]),
            priority_boost=int(doc["priority_boost"]),
            holding_statement=str(doc["holding_statement"]),
        )

    def start(self, mode: CrisisMode) -> bool:
        """False if the brand already is in crisis mode (for this or another incident)."""
        record = IncidentRecord(
            id=f"crisis#{mode.brand}",
            target=mode.incident_id,
            doc={
                "brand": mode.brand,
                "incident_id": mode.incident_id,
                "since": mode.since.isoformat(),
                "priority_boost": mode.priority_boost,
                "holding_statement": mode.holding_statement,
            },
        )
        with translate_errors("start crisis mode"):
            try:
                record.save(condition=IncidentRecord.id.does_not_exist(), add_version_condition=False)
            except PutError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True

    def end(self, brand: str, incident_id: str) -> bool:
        """End the brand's crisis mode if this incident started it."""
        with translate_errors("end crisis mode"):
            try:
                IncidentRecord(id=f"crisis#{brand}").delete(
                    condition=IncidentRecord.target == incident_id, add_version_condition=False
                )
            except DeleteError as exc:
                if is_conditional_failure(exc):
                    return False
                raise
        return True


MINUTE_TTL = timedelta(days=2)
DAY_TTL = timedelta(days=16)
WATCH_SERIES = "watch#state"


def _minute_bucket(minute: datetime) -> str:
    return "m#" + minute.astimezone(UTC).strftime("%Y%m%d%H%M")


def _day_bucket(day: date) -> str:
    return "d#" + day.strftime("%Y%m%d")


class DynamoSignals:
    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def add(self, brand: str, minute: datetime, counts: Counts) -> None:
        series = f"brand#{brand}"
        with translate_errors("count signals"):
            for bucket, ttl in ((_minute_bucket(minute), MINUTE_TTL), (_day_bucket(minute.date()), DAY_TTL)):
                SignalRecord(series, bucket).update(
                    actions=[
                        SignalRecord.total.add(counts.total),
                        SignalRecord.negative.add(counts.negative),
                        SignalRecord.expires_at.set(minute + ttl),
                    ]
                )
            # Since when this brand is counted: written once.
            SignalRecord(series, "since").update(actions=[SignalRecord.at.set(SignalRecord.at | minute)])

    def history(self, brand: str, now: datetime, rules: SpikeRules) -> History:
        series = f"brand#{brand}"
        minutes: dict[datetime, Counts] = {}
        days: dict[date, Counts] = {}
        since: datetime | None = None
        first_minute = now - timedelta(hours=rules.hour_history_hours + 1, minutes=1)
        first_day = (now - timedelta(days=rules.day_history_days + 1)).date()
        with translate_errors("read signals"):
            for record in SignalRecord.query(series, SignalRecord.bucket.between(_minute_bucket(first_minute), "m#~")):
                minute = datetime.strptime(record.bucket[2:], "%Y%m%d%H%M").replace(tzinfo=UTC)
                minutes[minute] = Counts(int(record.total), int(record.negative))
            for record in SignalRecord.query(series, SignalRecord.bucket.between(_day_bucket(first_day), "d#~")):
                day = datetime.strptime(record.bucket[2:], "%Y%m%d").replace(tzinfo=UTC).date()
                days[day] = Counts(int(record.total), int(record.negative))
            try:
                since = SignalRecord.get(series, "since").at
            except SignalRecord.DoesNotExist:
                since = None
        return History(since=since, minutes=minutes, days=days)

    def watermark(self) -> datetime | None:
        with translate_errors("read watch state"):
            try:
                return SignalRecord.get(WATCH_SERIES, "watermark", consistent_read=True).at
            except SignalRecord.DoesNotExist:
                return None

    def set_watermark(self, moment: datetime) -> None:
        with translate_errors("save watch state"):
            SignalRecord(WATCH_SERIES, "watermark", at=moment).save()


class InboxWindow:
    """What the inbox stored in a time range, by its feed index (stored order), across its shards."""

    def __init__(self, settings: Settings) -> None:
        bind_models(INBOX_MODELS, settings)
        self._shards = FEED_SHARDS

    def stored_between(self, start: datetime, end: datetime, limit: int) -> list[tuple[datetime, StoredMention]]:
        low, high = time_key(start), time_key(end)
        found: list[tuple[str, InboxRecord]] = []
        with translate_errors("read inbox window"):
            for shard in range(self._shards):
                for record in InboxRecord.feed.query(
                    str(shard),
                    range_key_condition=InboxRecord.feed_key.between(low, high),
                    scan_index_forward=False,
                    limit=limit,
                ):
                    if record.feed_key < high:  # BETWEEN is inclusive; the window is [start, end)
                        found.append((record.feed_key, record))
        found.sort(key=lambda item: item[0])
        return [(_stored_at(key), _to_stored(record)) for key, record in found[-limit:]]


def _stored_at(feed_key: str) -> datetime:
    return datetime.strptime(feed_key.split("#", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class SnsNotifier:
    """Pages on-call through the on-call topic; without one configured it only logs (the local stack)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def notify(self, subject: str, message: str) -> None:
        arn = self._settings.topic_arns.get(ONCALL_TOPIC.key)
        get_logger("respond").warning("on-call notified", extra={"subject": subject, "topic": arn})
        if not arn:
            return
        with translate_errors("notify on-call"):
            client("sns", self._settings).publish(TopicArn=arn, Subject=subject[:100], Message=message[:200_000])
