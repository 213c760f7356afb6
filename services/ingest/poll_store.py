"""ingest's `poll-cursors` table: each configured source's feeds' cursors, and its back-off and lease. ingest is its
only writer (the pollers, and the webhook function when a YouTube notice adds a video to watch).

One partition per source (`source` = the config's source id), one item per feed (`feed` = the feed's name), and one
item `~source` for the source itself: its back-off (`until`, `failures`, `reason`), its last poll, and the lease a
poll takes (`lease_until`, set only if unset or past, so two runs never poll a source at once). A poll reads the
whole partition with one query. A cursor is written with a revision check (`rev`), so a poll that lost its lease
cannot overwrite a newer cursor. Watched feeds (a YouTube video for a week after it was published) expire by TTL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.models import Model

from services.ingest.polling import Cursor, Limits, SourceState
from shared.aws import translate_errors
from shared.errors import Conflict
from shared.resources import POLL_CURSORS
from shared.settings import Settings
from shared.store.binding import bind_models, is_conditional_failure

SOURCE_ITEM = "~source"


class CursorRecord(Model):
    class Meta:
        table_name = "hark-unbound-poll-cursors"

    source = UnicodeAttribute(hash_key=True)
    feed = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    rev = NumberAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


MODELS: dict[type[Model], Any] = {CursorRecord: POLL_CURSORS}


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def cursor_doc(cursor: Cursor) -> dict[str, Any]:
    return {
        "mark": cursor.mark,
        "seen": list(cursor.seen),
        "floor": cursor.floor,
        "pending": cursor.pending,
        "top": cursor.top,
        "top_ids": list(cursor.top_ids),
        "walked": list(cursor.walked),
        "taken": cursor.taken,
        "polled_at": _iso(cursor.polled_at),
        "params": dict(cursor.params),
    }


def cursor_of(doc: Mapping[str, Any] | None, rev: int | None, expires_at: datetime | None) -> Cursor:
    doc = doc or {}
    return Cursor(
        mark=doc.get("mark"),
        seen=tuple(doc.get("seen") or ()),
        floor=doc.get("floor"),
        pending=doc.get("pending"),
        top=doc.get("top"),
        top_ids=tuple(doc.get("top_ids") or ()),
        walked=tuple(doc.get("walked") or ()),
        taken=int(doc.get("taken") or 0),
        polled_at=_time(doc.get("polled_at")),
        params={str(k): str(v) for k, v in (doc.get("params") or {}).items()},
        expires_at=expires_at,
        version=int(rev or 0),
    )


def limits_doc(limits: Limits) -> dict[str, Any]:
    return {
        "until": _iso(limits.until),
        "failures": limits.failures,
        "reason": limits.reason[:500],
        "polled_at": _iso(limits.polled_at),
        "recent": list(limits.recent),
    }


def limits_of(doc: Mapping[str, Any] | None) -> Limits:
    doc = doc or {}
    return Limits(
        until=_time(doc.get("until")),
        failures=int(doc.get("failures") or 0),
        reason=str(doc.get("reason") or ""),
        polled_at=_time(doc.get("polled_at")),
        recent=tuple(doc.get("recent") or ()),
    )


class DynamoCursors:
    """The `CursorStore` on DynamoDB (PynamoDB)."""

    def __init__(self, settings: Settings) -> None:
        bind_models(MODELS, settings)

    def load(self, source: str) -> SourceState:
        cursors: dict[str, Cursor] = {}
        limits = Limits()
        with translate_errors("read the poll cursors"):
            for record in CursorRecord.query(source, consistent_read=True):
                if record.feed == SOURCE_ITEM:
                    limits = limits_of(record.doc)
                else:
                    cursors[record.feed] = cursor_of(record.doc, int(record.rev or 0), record.expires_at)
        return SourceState(cursors, limits)

    def claim(self, source: str, now: datetime, until: datetime) -> bool:
        record = CursorRecord(source, SOURCE_ITEM)
        try:
            with translate_errors("take the poll lease"):
                record.update(
                    actions=[CursorRecord.lease_until.set(until)],
                    condition=CursorRecord.lease_until.does_not_exist() | (CursorRecord.lease_until < now),
                )
        except Exception as exc:  # translate_errors re-raises PynamoDB's conditional failure as a HarkError
            if _conditional(exc):
                return False
            raise
        return True

    def finish(self, source: str, limits: Limits) -> None:
        with translate_errors("record the poll"):
            CursorRecord(source, SOURCE_ITEM).update(
                actions=[CursorRecord.doc.set(limits_doc(limits)), CursorRecord.lease_until.remove()]
            )

    def save(self, source: str, feed: str, cursor: Cursor) -> Cursor:
        condition = (
            (CursorRecord.rev == cursor.version)
            if cursor.version
            else (CursorRecord.rev.does_not_exist() | (CursorRecord.rev == 0))
        )
        try:
            with translate_errors("save the poll cursor"):
                CursorRecord(source, feed).update(
                    actions=[CursorRecord.doc.set(cursor_doc(cursor)), CursorRecord.rev.set(cursor.version + 1)],
                    condition=condition,
                )
        except Exception as exc:
            if _conditional(exc):
                raise Conflict(f"the cursor of {source} {feed} changed while it was polled") from exc
            raise
        return Cursor(**{**cursor.__dict__, "version": cursor.version + 1})

    def watch(self, source: str, feed: str, params: Mapping[str, str], expires_at: datetime) -> None:
        empty = cursor_doc(Cursor(params=dict(params)))
        with translate_errors("watch a feed"):
            CursorRecord(source, feed).update(
                actions=[
                    CursorRecord.doc.set(CursorRecord.doc | empty),
                    CursorRecord.rev.set(CursorRecord.rev | 0),
                    CursorRecord.expires_at.set(expires_at),
                ]
            )

    def unwatch(self, source: str, feed: str) -> None:
        try:
            with translate_errors("stop watching a feed"):
                CursorRecord(source, feed).delete()
        except DeleteError:
            return


def _conditional(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PutError | UpdateError | DeleteError) and is_conditional_failure(cause):
            return True
        cause = cause.__cause__
    return False
