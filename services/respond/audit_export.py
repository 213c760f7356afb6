"""The audit export: every hour, the entries written in the last complete UTC hour go, as gzip'd JSON Lines, into
the audit-export bucket, whose S3 Object Lock (compliance mode, `AUDIT_EXPORT.object_lock_days`) keeps each object
unchangeable and undeletable, by anyone, root included, for years. The table proves its own integrity (each entry
hashes the one before); the export takes it out of reach of anyone who could rewrite the table.

One object per hour, `audit/<YYYY-MM-DD>/<HH>.jsonl.gz`, written once: an hour already in the bucket is never
written again (Object Lock would refuse an overwrite's delete anyway), an hour with no entries is written empty so
that a missing object means a missing export. An hour is exported once it has ended and `SETTLE` has passed; the
run looks back `LOOKBACK`, so a few failed runs (their events land in the alarmed failure queue) catch up by
themselves. Entries are exported as stored: the personal content kept apart (`audit-content`) is not in them, so
an erasure never needs to touch a locked object.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from services.respond.audit import hour_of
from shared.api.models import AuditEntry
from shared.aws import client, translate_errors
from shared.bootstrap import LazyRoot
from shared.events import utcnow
from shared.observability import count, get_logger
from shared.resources import AUDIT_EXPORT
from shared.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SERVICE = "respond"
PREFIX = "audit/"
SETTLE = timedelta(minutes=5)  # longer than a write takes to land in the hour index
LOOKBACK = timedelta(days=3)


def export_key(hour: datetime) -> str:
    return f"{PREFIX}{hour.strftime('%Y-%m-%d')}/{hour.strftime('%H')}.jsonl.gz"


def encode(entries: Iterable[AuditEntry]) -> bytes:
    lines = b"".join(orjson.dumps(e.model_dump(mode="json", exclude={"content"})) + b"\n" for e in entries)
    return gzip.compress(lines, compresslevel=6)


def decode(data: bytes) -> list[AuditEntry]:
    return [AuditEntry.model_validate(orjson.loads(line)) for line in gzip.decompress(data).splitlines() if line]


def due_hours(now: datetime) -> list[datetime]:
    """The hours that have ended (and settled) within the look-back, oldest first."""
    newest = (now.astimezone(UTC) - SETTLE).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    oldest = (now.astimezone(UTC) - LOOKBACK).replace(minute=0, second=0, microsecond=0)
    hours = []
    hour = oldest
    while hour <= newest:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


class Entries(Protocol):
    def written_in(self, hour: str) -> list[AuditEntry]: ...


class ExportBucket(Protocol):
    def exported(self, days: Iterable[str]) -> set[str]:
        """The keys already in the bucket under these days (`2026-12-02`)."""
        ...

    def first(self) -> str | None:
        """The key of the earliest hour ever exported (keys sort by hour), or None."""
        ...

    def put(self, key: str, body: bytes, metadata: Mapping[str, str]) -> bool:
        """Write the object unless it exists; whether this call wrote it."""
        ...


@dataclass
class ExportResult:
    exported: list[str] = field(default_factory=list)
    entries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"exported": self.exported, "entries": self.entries}


class AuditExport:
    def __init__(self, entries: Entries, bucket: ExportBucket, clock: Callable[[], datetime] = utcnow) -> None:
        self._entries = entries
        self._bucket = bucket
        self._clock = clock

    def run(self, now: datetime | None = None) -> ExportResult:
        hours = due_hours(now or self._clock())
        done = self._bucket.exported(sorted({h.strftime("%Y-%m-%d") for h in hours}))
        result = ExportResult()
        # Empty hours are written only after the first hour exported: before it (a new stack, or entries from before
        # the hour index existed) an empty object would be a false "nothing happened", locked for years.
        first = self._bucket.first()
        for hour in hours:
            key = export_key(hour)
            if key in done:
                continue
            entries = self._entries.written_in(hour_of(hour))
            if not entries and (first is None or key < first):
                continue
            first = min(first or key, key)
            if self._bucket.put(key, encode(entries), {"hour": hour_of(hour), "entries": str(len(entries))}):
                result.exported.append(key)
                result.entries += len(entries)
        count(SERVICE, "AuditEntriesExported", result.entries)
        get_logger(SERVICE).info("audit exported", extra={"hours": len(result.exported), "entries": result.entries})
        return result


class S3ExportBucket:
    """The Object Lock bucket. Objects take the bucket's default retention (compliance mode) when written."""

    def __init__(self, settings: Settings, s3: S3Client | None = None) -> None:
        self._settings = settings
        self._bucket = settings.bucket_name(AUDIT_EXPORT)
        self._s3 = s3

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            self._s3 = client("s3", self._settings)
        return self._s3

    def exported(self, days: Iterable[str]) -> set[str]:
        found: set[str] = set()
        with translate_errors("list the audit export"):
            for day in days:
                pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=f"{PREFIX}{day}/")
                for page in pages:
                    found.update(item["Key"] for item in page.get("Contents", []))
        return found

    def first(self) -> str | None:
        with translate_errors("list the audit export"):
            listed = self.s3.list_objects_v2(Bucket=self._bucket, Prefix=PREFIX, MaxKeys=1).get("Contents", [])
        return listed[0]["Key"] if listed else None

    def put(self, key: str, body: bytes, metadata: Mapping[str, str]) -> bool:
        with translate_errors("write the audit export"):
            try:
                # Object Lock requires an integrity checksum on every upload. If-None-Match makes "written once"
                # hold when two runs overlap (EventBridge and Lambda's async retries are at least once).
                self.s3.put_object(
                    Bucket=self._bucket,
                    Key=key,
                    Body=body,
                    ContentType="application/x-ndjson",
                    ContentEncoding="gzip",
                    ChecksumAlgorithm="SHA256",
                    Metadata=dict(metadata),
                    IfNoneMatch="*",
                )
            except Exception as exc:
                if getattr(exc, "response", {}).get("Error", {}).get("Code") == "PreconditionFailed":
                    return False  # another run wrote it first
                raise
        return True


def build(env: Mapping[str, str]) -> AuditExport:
    from services.respond.store import AuditLog  # noqa: PLC0415 - PynamoDB on the first run, not at import

    settings = Settings.from_env(env)
    return AuditExport(AuditLog(settings), S3ExportBucket(settings))


root = LazyRoot(build)
