"""`hark up`: the whole Hark flow on one machine, the way it runs in AWS.

AWS emulator (moto server) → resources from `shared.resources` → Chalice apps behind the HTTP front → SQS
event-source mappings feeding the consumers → schedules (invoked asynchronously: retried, then parked in the failure
queue) → demo stream and console feed. Stops cleanly, in reverse order.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.esm import SqsEventSource
from devstack.front import Front, Gateway
from devstack.lambda_runtime import REGION, Function
from devstack.provision import Provisioned, provision
from devstack.scheduler import Schedule, period_override
from shared.aws import reset_clients
from shared.resources import FUNCTIONS, RAW_ARCHIVE
from shared.secrets import EnvSecrets, to_document
from shared.settings import Settings

STAGE = "local"


@dataclass(frozen=True)
class StackOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    aws_port: int = 5000
    endpoint: str | None = None  # an AWS endpoint already running (LocalStack); None starts the embedded one
    verbose: bool = False
    # Execution environments per function (Lambda runs many; this machine has a few cores): the HTTP functions
    # serve this many requests at once, each SQS mapping runs this many batches at once (or its MaximumConcurrency,
    # if lower).
    concurrency: int = 4


def _env() -> Any:
    return os.environ  # noqa: TID251 - the local stack is the edge that configures the in-process functions


class LocalStack:
    def __init__(
        self,
        options: StackOptions,
        on_request: Callable[[str, str, int, float], None] | None = None,
        on_batch: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.options = options
        self._on_request = on_request
        self._on_batch = on_batch
        self._moto: Any = None
        self.front: Front | None = None
        self.functions: dict[str, Function] = {}
        self.sources: list[SqsEventSource] = []
        self.schedules: list[Schedule] = []
        self.provisioned: Provisioned | None = None
        self.aws_url = options.endpoint or ""
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        assert self.front is not None
        return f"http://{self.options.host}:{self.front.port}"

    def start(self) -> None:
        env = _env()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulator's and the front's access logs
        if self.options.endpoint is None:
            from moto.server import ThreadedMotoServer  # noqa: PLC0415

            from devstack.consistency import atomic_dynamodb, atomic_sqs  # noqa: PLC0415
            from devstack.emulator import speed_up  # noqa: PLC0415

            atomic_dynamodb()
            atomic_sqs()
            speed_up()
            # The emulator binds in its own thread and would wait forever on a busy port: find out here.
            _check_free(self.options.host, self.options.aws_port)
            self._moto = ThreadedMotoServer(ip_address=self.options.host, port=self.options.aws_port, verbose=False)
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            self.aws_url = f"http://{host}:{port}"
        # The in-process functions only ever talk to the local endpoint, with throwaway credentials.
        env.update(
            {
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_ACCESS_KEY_ID": "hark-local",
                "AWS_SECRET_ACCESS_KEY": "hark-local",  # nosec B105 # throwaway credentials for the local emulator only
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "HARK_STAGE": STAGE,
            }
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        env.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        env.setdefault("POWERTOOLS_LOG_LEVEL", "INFO" if self.options.verbose else "WARNING")
        reset_clients()

        settings = Settings.from_env(env)
        clients = {name: _client(name, settings) for name in ("dynamodb", "sqs", "secretsmanager", "sns", "s3", "ssm")}
        self.provisioned = provision(
            clients,
            STAGE,
            to_document(EnvSecrets(settings).get()),
            expire_after_days={RAW_ARCHIVE.key: settings.archive_retention_days},
        )
        env.update(self.provisioned.env)

        functions = {spec.key: Function(spec, STAGE, concurrency=self.options.concurrency) for spec in FUNCTIONS}
        self.functions = functions
        gateway = Gateway([f for f in functions.values() if f.spec.http], on_request=self._on_request)
        self.front = Front(gateway, self.options.host, self.options.port)
        self.front.start()
        for function in functions.values():
            source = function.spec.sqs_source
            if source is None:
                continue
            event_source = SqsEventSource(
                clients["sqs"],
                self.provisioned.queue_urls[source.queue.key],
                self.provisioned.queue_arns[source.queue.key],
                function,
                source,
                on_batch=self._on_batch,
                pollers=min(source.max_concurrency or self.options.concurrency, self.options.concurrency),
            )
            event_source.start()
            self.sources.append(event_source)
        for function in functions.values():
            if function.spec.schedule:
                schedule = Schedule(
                    function,
                    period_s=period_override(env, function.spec.key),
                    on_failure=self._failure_sender(clients["sqs"], function),
                )
                schedule.start()
                self.schedules.append(schedule)

    def _failure_sender(self, sqs: Any, function: Function) -> Callable[[dict[str, Any]], None] | None:
        spec = function.spec.on_failure
        if spec is None or self.provisioned is None:
            return None
        return failure_sender(sqs, self.provisioned.failure_queue_urls[spec.key])

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        for schedule in self.schedules:
            schedule.stop()
        for source in self.sources:
            source.stop()
        if self.front is not None:
            self.front.stop()
        if self._moto is not None:
            self._moto.stop()


def failure_sender(sqs: Any, queue_url: str) -> Callable[[dict[str, Any]], None]:
    """Puts a destination record in a failure queue, as Lambda does once an asynchronous event's retries failed."""

    def send(record: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record, default=str))

    return send


def _client(service: str, settings: Settings) -> Any:
    from shared.aws import client  # noqa: PLC0415

    return client(service, settings)


def _check_free(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket() as sock:
        # The emulator's server binds with SO_REUSEADDR, as HTTP servers do; without it here too, a port the last
        # run left in TIME_WAIT looks busy for a minute while nothing listens on it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise OSError(f"{host}:{port} is already in use") from error
