"""The raw archive: every accepted webhook delivery as it arrived, kept in S3 before it is acknowledged.

What is kept: the exact body, the headers without anything that signs or authenticates (signatures, tokens,
authorization, cookies), the query, the platform, the arrival time and the delivery id. Without its signature a
delivery cannot be re-sent to a webhook, only re-driven through the ingest core by `hark replay`, which trusts the
archive because only ingest writes it.

Layout: `<platform>/<YYYY-MM-DD>/<HHMMSS.ffffff>Z-<delivery id>.json.gz`, in UTC, so a day of one platform is one
prefix listed in arrival order. Each object is gzip'd JSON, encrypted at rest (SSE-S3, or SSE-KMS with a configured
key), and expires by the bucket's lifecycle rule after the configured retention. A person's archived deliveries
are found through the `archive-index` table (`services.ingest.store`), written before the object, so erasure
never has to scan the bucket.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from services.ingest.platforms.base import Delivery
from shared.aws import client, translate_errors
from shared.errors import Unavailable
from shared.resources import RAW_ARCHIVE
from shared.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from services.ingest.store import ArchiveIndex

FORMAT = 1
# Header names containing any of these carry a signature or a credential: never archived.
SECRET_HEADER_MARKERS = ("signature", "authorization", "token", "secret", "api-key", "apikey", "cookie", "password")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_TIME = "%H%M%S.%f"
DELETE_BATCH = 1000  # DeleteObjects' limit


def author_key(platform: str, author_id: str) -> str:
    """How the index names a person: the same `platform#author id` classify and respond index authors by."""
    return f"{platform}#{author_id}"


def archived_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not any(marker in k.lower() for marker in SECRET_HEADER_MARKERS)}


def _safe(token: str) -> str:
    cleaned = _UNSAFE.sub("-", token)[:96] or "delivery"
    if cleaned != token:  # keep two ids that clean up alike apart
        cleaned += "-" + hashlib.sha256(token.encode()).hexdigest()[:10]
    return cleaned


def day_prefix(platform: str, day: date) -> str:
    return f"{platform}/{day.isoformat()}/"


def archive_key(platform: str, received_at: datetime, delivery_id: str) -> str:
    moment = received_at.astimezone(UTC)
    return f"{day_prefix(platform, moment.date())}{moment.strftime(_TIME)}Z-{_safe(delivery_id)}.json.gz"


def key_time(key: str) -> datetime | None:
    """When the delivery under `key` arrived, read back from the key (None for a key not laid out by Hark)."""
    try:
        _, day, name = key.split("/", 2)
        return datetime.strptime(f"{day} {name[:13]}", f"%Y-%m-%d {_TIME}").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class ArchivedDelivery:
    key: str
    delivery_id: str
    delivery: Delivery


def encode(delivery: Delivery, delivery_id: str) -> bytes:
    document: dict[str, Any] = {
        "format": FORMAT,
        "platform": delivery.platform,
        "received_at": delivery.received_at.astimezone(UTC).isoformat(),
        "delivery_id": delivery_id,
        "request_id": delivery.request_id,
        "headers": archived_headers(delivery.headers),
        "query": dict(delivery.query),
    }
    try:
        document["body"] = delivery.body.decode("utf-8")
    except UnicodeDecodeError:
        document["body_base64"] = base64.b64encode(delivery.body).decode()
    return gzip.compress(orjson.dumps(document), compresslevel=6)


def decode(key: str, data: bytes) -> ArchivedDelivery:
    document = orjson.loads(gzip.decompress(data))
    if document.get("format") != FORMAT:
        raise ValueError(f"{key}: archive format {document.get('format')!r} is not one this version reads")
    body = base64.b64decode(document["body_base64"]) if "body_base64" in document else str(document["body"]).encode()
    delivery = Delivery(
        platform=str(document["platform"]),
        body=body,
        received_at=datetime.fromisoformat(document["received_at"]),
        headers={str(k): str(v) for k, v in document.get("headers", {}).items()},
        query={str(k): str(v) for k, v in document.get("query", {}).items()},
        request_id=str(document.get("request_id", "")),
    )
    return ArchivedDelivery(key, str(document["delivery_id"]), delivery)


class Archive(Protocol):
    def keep(self, delivery: Delivery, delivery_id: str, author_keys: Collection[str]) -> str:
        """Archive the delivery (and index it under its authors); its archive key. Raises `Unavailable` or
        `NotConfigured` when it cannot, and the delivery must then not be acknowledged."""

    def erase_author(self, platform: str, author_id: str) -> int:
        """Delete every archived delivery that carried this person's messages; how many."""


class RawArchive:
    """The S3 adapter, with the index it writes first."""

    def __init__(self, settings: Settings, s3: S3Client | None = None, index: ArchiveIndex | None = None) -> None:
        self._settings = settings
        self._bucket = settings.bucket_name(RAW_ARCHIVE)
        self._s3 = s3
        if index is None:
            # PynamoDB (and botocore with it) is imported on the first request, not when the entry module loads.
            from services.ingest.store import ArchiveIndex  # noqa: PLC0415

            index = ArchiveIndex(settings)
        self._index = index

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            self._s3 = client("s3", self._settings)
        return self._s3

    @property
    def bucket(self) -> str:
        return self._bucket

    def keep(self, delivery: Delivery, delivery_id: str, author_keys: Collection[str]) -> str:
        key = archive_key(delivery.platform, delivery.received_at, delivery_id)
        # The index outlives the object by a day: the lifecycle rule expires objects at the next midnight UTC.
        expires = delivery.received_at + timedelta(days=self._settings.archive_retention_days + 1)
        if author_keys:
            self._index.add(key, author_keys, expires)
        encryption: dict[str, str] = {"ServerSideEncryption": "AES256"}
        if self._settings.archive_kms_key_id:
            encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._settings.archive_kms_key_id}
        with translate_errors("archive the delivery"):
            self.s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=encode(delivery, delivery_id),
                ContentType="application/json",
                ContentEncoding="gzip",
                **encryption,  # type: ignore[arg-type]
            )
        return key

    def keys(self, platform: str, since: datetime, until: datetime) -> Iterator[str]:
        """The archive keys of `platform`'s deliveries that arrived in [since, until), in arrival order."""
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        day = since.date()
        while day <= until.date():
            prefix = day_prefix(platform, day)
            # Keys sort by arrival time within a day: the first day starts listing at `since`.
            start = prefix + since.strftime(_TIME) if day == since.date() else prefix
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix, StartAfter=start
            )
            with translate_errors("list the archive"):
                for page in pages:
                    for item in page.get("Contents", []):
                        moment = key_time(item["Key"])
                        if moment is None or moment < since:
                            continue
                        if moment >= until:
                            return
                        yield item["Key"]
            day += timedelta(days=1)

    def load(self, key: str) -> ArchivedDelivery | None:
        """The archived delivery, or None when it is gone (erased, expired)."""
        try:
            with translate_errors("read the archive"):
                response = self.s3.get_object(Bucket=self._bucket, Key=key)
                data = response["Body"].read()
        except Exception as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        return decode(key, data)

    def _prefixes(self, prefix: str) -> Iterator[str]:
        """The next level of keys under `prefix` (platforms under "", days under "meta/"), in key order."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix, Delimiter="/")
        with translate_errors("list the archive"):
            for page in pages:
                for common in page.get("CommonPrefixes", []):
                    yield common["Prefix"]

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            chunk = keys[start : start + DELETE_BATCH]
            with translate_errors("delete from the archive"):
                response = self.s3.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
                )
            if response.get("Errors"):
                raise Unavailable(f"{len(response['Errors'])} archived deliveries could not be deleted; retry")

    def expire(self, before: datetime) -> int:
        """Delete every delivery that arrived before `before` (the config's retention.archive, which may be shorter
        than the bucket's lifecycle rule); how many. Only the days up to `before` are listed, never the bucket."""
        cutoff = before.astimezone(UTC)
        deleted = 0
        for platform in self._prefixes(""):
            for day in self._prefixes(platform):
                try:
                    when = date.fromisoformat(day[len(platform) :].rstrip("/"))
                except ValueError:
                    continue  # not laid out by Hark: not the sweep's to judge
                if when > cutoff.date():
                    break  # days list in order: the rest are newer
                start, until = day_bounds(when)
                # Deleted as listed, a batch at a time: a busy day holds millions of keys, and a run that listed
                # them all before deleting any would time out every hour having deleted nothing.
                listed = self.keys(platform.rstrip("/"), start, min(until, cutoff))
                while chunk := list(islice(listed, DELETE_BATCH)):
                    self._delete(chunk)
                    deleted += len(chunk)
        return deleted

    def erase_author(self, platform: str, author_id: str) -> int:
        """Delete every archived delivery that carried this person's messages, and their index entries; how many
        deliveries were deleted. Other people's messages in the same deliveries lose their raw copy too: the
        archive keeps deliveries whole, and a person's right to erasure outweighs a replay copy of a batch."""
        person = author_key(platform, author_id)
        keys = self._index.keys_of(person)
        self._delete(keys)
        if keys:
            self._index.forget(person, keys)
        return len(keys)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), UTC)
    return start, start + timedelta(days=1)


def _code(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        response = getattr(cause, "response", None)
        if isinstance(response, dict):
            return str(response.get("Error", {}).get("Code", ""))
        cause = cause.__cause__
    return ""
