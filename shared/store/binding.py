"""What every service's PynamoDB models share: pointing them at the configured table and endpoint, and reading a
conditional-write failure. The models themselves live with the service that owns (and alone writes) each table.

A model's table is bound once per process by its owner's composition root: in Lambda one process runs one
function; in the local stack every service runs in one process, where all of them use the same stage, so a model
bound twice is bound to the same table.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model

from shared.resources import TableSpec
from shared.settings import Settings

GlobalIndex = GlobalSecondaryIndex

_lock = threading.Lock()


def bind_models(models: Mapping[type[Model], TableSpec], settings: Settings) -> None:
    """Point each model at its configured table and endpoint. Idempotent; resets cached connections on change."""
    with _lock:
        for model, spec in models.items():
            meta: Any = model.Meta
            target = (settings.table_name(spec), settings.aws_endpoint_url, settings.region)
            if (meta.table_name, getattr(meta, "host", None), getattr(meta, "region", None)) == target:
                continue
            meta.table_name, meta.host, meta.region = target
            meta.connect_timeout_seconds = 3
            meta.read_timeout_seconds = 10
            meta.max_retry_attempts = 3
            model._connection = None


def is_conditional_failure(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"
