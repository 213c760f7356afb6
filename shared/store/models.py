"""PynamoDB models of Hark's tables. Keys and index names follow `shared.resources` (a unit test holds them
together). Each record keeps the whole contract object as JSON in `doc`, plus the few top-level attributes that
keys, indexes and filters need, so the stored shape evolves with the pydantic contract instead of beside it.

Table names, endpoint and region are bound at run time by `bind`, called from a composition root.
"""

from __future__ import annotations

import threading
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.resources import DEDUPE, MENTIONS, TASKS, TableSpec
from shared.settings import Settings

UNBOUND = "hark-unbound"


class FeedIndex(GlobalSecondaryIndex["MentionRecord"]):
    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed_shard = UnicodeAttribute(hash_key=True)
    feed_key = UnicodeAttribute(range_key=True)


class MentionRecord(Model):
    class Meta:
        table_name = UNBOUND

    id = UnicodeAttribute(hash_key=True)
    feed_shard = UnicodeAttribute()
    feed_key = UnicodeAttribute()
    platform = UnicodeAttribute()
    needs_response = BooleanAttribute(null=True)
    task_id = UnicodeAttribute(null=True)
    doc = JSONAttribute()
    feed = FeedIndex()


class StatusIndex(GlobalSecondaryIndex["TaskRecord"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    rank = UnicodeAttribute(range_key=True)


class TaskRecord(Model):
    class Meta:
        table_name = UNBOUND

    id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    rank = UnicodeAttribute()
    queue = UnicodeAttribute()
    version = VersionAttribute()
    doc = JSONAttribute()
    by_status = StatusIndex()


class DedupeRecord(Model):
    class Meta:
        table_name = UNBOUND

    key = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()
    expires_at = TTLAttribute()
    mention_id = UnicodeAttribute(null=True)


def is_conditional_failure(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


MODELS: dict[type[Model], TableSpec] = {MentionRecord: MENTIONS, TaskRecord: TASKS, DedupeRecord: DEDUPE}

_bind_lock = threading.Lock()


def bind(settings: Settings) -> None:
    """Point every model at the configured tables and endpoint. Idempotent; resets cached connections."""
    with _bind_lock:
        for model, spec in MODELS.items():
            meta: Any = model.Meta
            target = (settings.table_name(spec), settings.aws_endpoint_url, settings.region)
            if (meta.table_name, getattr(meta, "host", None), getattr(meta, "region", None)) == target:
                continue
            meta.table_name, meta.host, meta.region = target
            meta.connect_timeout_seconds = 3
            meta.read_timeout_seconds = 10
            meta.max_retry_attempts = 3
            model._connection = None
