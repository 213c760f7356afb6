"""Once only: every send goes through Powertools Idempotency, keyed by the task and the draft revision, so a
repeated request, a retried request or a second click never posts the same reply twice. A send that raised leaves
no record (Powertools deletes it), so a retry after a refusal sends again; one in flight makes a concurrent twin
wait its turn (`Conflict`)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Protocol

from services.respond.outbound import Delivered
from shared.errors import Conflict, Unavailable
from shared.resources import IDEMPOTENCY
from shared.settings import Settings

EXPIRES_AFTER_S = 30 * 24 * 3600


class Once(Protocol):
    def run(self, key: str, send: Callable[[], Delivered]) -> Delivered: ...


class PowertoolsOnce:
    def __init__(self, settings: Settings, dynamodb: Any = None) -> None:
        self._settings = settings
        self._dynamodb = dynamodb
        self._layer: Any = None
        self._config: Any = None

    def _setup(self) -> None:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
        )

        from shared.aws import client  # noqa: PLC0415

        self._layer = DynamoDBPersistenceLayer(
            table_name=self._settings.table_name(IDEMPOTENCY),
            key_attr="id",
            boto3_client=self._dynamodb or client("dynamodb", self._settings),
        )
        self._config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=EXPIRES_AFTER_S)

    def run(self, key: str, send: Callable[[], Delivered]) -> Delivered:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function  # noqa: PLC0415
        from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
        )

        if self._layer is None:
            self._setup()

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request", persistence_store=self._layer, config=self._config
        )
        def send_reply(request: dict[str, str]) -> dict[str, Any]:
            return asdict(send())

        try:
            with warnings.catch_warnings():
                # No Lambda context reaches the core: an in-progress record then expires with the record itself.
                warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
                return Delivered(**send_reply(request={"key": key}))
        except IdempotencyAlreadyInProgressError as exc:
            raise Conflict(
                "this reply is being sent right now; ask again in a moment", reason="send_in_progress"
            ) from exc
        except IdempotencyPersistenceLayerError as exc:
            raise Unavailable(f"the send record could not be kept: {exc}") from exc


class MemoryOnce:
    """The same contract in memory (unit tests)."""

    def __init__(self) -> None:
        self.done: dict[str, Delivered] = {}
        self._lock = threading.Lock()

    def run(self, key: str, send: Callable[[], Delivered]) -> Delivered:
        with self._lock:
            if key in self.done:
                return self.done[key]
        result = send()
        with self._lock:
            self.done[key] = result
        return result
