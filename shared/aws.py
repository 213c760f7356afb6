"""The one place AWS clients are built, and the one place AWS errors become Hark errors.

Clients honour `AWS_ENDPOINT_URL` (through `Settings.aws_endpoint_url`), so the same code talks to the embedded
emulator, LocalStack or a real account. botocore's `standard` retry mode retries throttling and transient errors
with jittered backoff; what still fails is translated by `translate_errors`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, overload

from shared.errors import HarkError, NotConfigured, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_comprehend import ComprehendClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

    from shared.settings import Settings

_lock = threading.Lock()
_clients: dict[tuple[str, str, str | None, int], Any] = {}

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalFailure",
        "InternalServerException",
        "TransactionInProgressException",
    }
)
CONFIGURATION_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "AWS.SimpleQueueService.NonExistentQueue",
        "NoSuchBucket",
        "QueueDoesNotExist",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
    }
)


@overload
def client(service: Literal["sqs"], settings: Settings, *, max_attempts: int = ...) -> SQSClient: ...
@overload
def client(service: Literal["dynamodb"], settings: Settings, *, max_attempts: int = ...) -> DynamoDBClient: ...
@overload
def client(
    service: Literal["secretsmanager"], settings: Settings, *, max_attempts: int = ...
) -> SecretsManagerClient: ...
@overload
def client(service: Literal["comprehend"], settings: Settings, *, max_attempts: int = ...) -> ComprehendClient: ...
@overload
def client(service: str, settings: Settings, *, max_attempts: int = ...) -> Any: ...
def client(service: str, settings: Settings, *, max_attempts: int = 4) -> Any:
    """A cached, thread-safe boto3 client for `service`, built on first use (never at import time). Typed by
    boto3-stubs for the services Hark uses, so adapters are checked against the real API shapes."""
    key = (service, settings.region, settings.aws_endpoint_url, max_attempts)
    with _lock:
        if key not in _clients:
            import boto3  # noqa: PLC0415 - keeps boto3 off the import path of modules that only describe things
            from botocore.config import Config  # noqa: PLC0415

            config = Config(
                retries={"mode": "standard", "total_max_attempts": max_attempts},
                connect_timeout=3,
                read_timeout=10,
                tcp_keepalive=True,
                # botocore's default since 1.36 is a CRC32 of every request body it can checksum: 2.8 ms of CPU per
                # 3 KB S3 PutObject here (3.5 ms with, 0.7 ms without; bench/calls.py answering), on ingest's hot
                # path. TLS already protects the bytes in transit; checksums stay on where an API requires them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                # An emulator on a host name (localhost) has no bucket subdomains.
                s3={"addressing_style": "path"} if settings.aws_endpoint_url else None,
            )
            _clients[key] = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                region_name=settings.region,
                endpoint_url=settings.aws_endpoint_url,
                config=config,
            )
        return _clients[key]


def reset_clients() -> None:
    """Forget cached clients (tests that restart the emulator on another port)."""
    with _lock:
        _clients.clear()


def classify_error(exc: BaseException, what: str) -> HarkError | None:
    """The Hark error an AWS/botocore exception stands for, or None when it is not an AWS error."""
    from botocore.exceptions import (  # noqa: PLC0415
        BotoCoreError,
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
    )

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in TRANSIENT_CODES or status >= 500:
            return Unavailable(f"{what}: {code or status}")
        if code in CONFIGURATION_CODES:
            return NotConfigured(f"{what}: {code}")
        return HarkError(f"{what}: {code}")
    if isinstance(exc, NoCredentialsError):
        return NotConfigured(f"{what}: no AWS credentials")
    if isinstance(exc, ConnectionError | HTTPClientError):
        return Unavailable(f"{what}: {type(exc).__name__}")
    if isinstance(exc, BotoCoreError):
        return HarkError(f"{what}: {type(exc).__name__}")
    # PynamoDB keeps the botocore error in `.cause`; Powertools Parameters chains it as `__cause__`.
    cause = getattr(exc, "cause", None) or exc.__cause__
    if isinstance(cause, BaseException) and cause is not exc:
        return classify_error(cause, what)
    if type(exc).__module__.startswith("pynamodb"):
        return Unavailable(f"{what}: {type(exc).__name__}")
    if type(exc).__module__.startswith("aws_lambda_powertools.utilities.parameters"):
        return NotConfigured(f"{what}: {exc}")
    return None


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Run an AWS call and re-raise its failure as the matching Hark error."""
    try:
        yield
    except HarkError:
        raise
    except Exception as exc:
        translated = classify_error(exc, what)
        if translated is None:
            raise
        raise translated from exc
