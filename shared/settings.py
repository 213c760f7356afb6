"""Configuration, validated once at the edge (a composition root) and passed down.

Read from a mapping (normally `os.environ`) by `Settings.from_env`; nothing in Hark reads the environment
anywhere else. Plain pydantic rather than pydantic-settings: the latter adds ~140 ms to a cold start here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.errors import NotConfigured
from shared.events import PLATFORMS
from shared.resources import (
    BUCKETS,
    CONFIG,
    QUEUES,
    RAW_ARCHIVE,
    SECRETS,
    TABLES,
    TOPICS,
    BucketSpec,
    QueueSpec,
    TableSpec,
)

AnalyzerMode = Literal["local", "comprehend", "tiered"]

# Development defaults: used only when the stage is `local`, so a deployed stack never runs on a known secret.
DEV_API_KEY = "hark-dev-api-key"
DEV_META_VERIFY_TOKEN = "hark-dev-verify-token"  # nosec B105 # noqa: S105 - documented local default


def dev_platform_secret(platform: str) -> str:
    return f"hark-dev-{platform}-secret"


def dev_platform_token(platform: str) -> str:
    """The outbound token used on the local stage when none is configured (the local fake platforms accept it)."""
    return f"hark-dev-{platform}-token"


# Discord signs with Ed25519: locally, the public half of a documented development key (its private half is in
# devstack/signing.py for the demo and the tests).
DEV_DISCORD_PUBLIC_KEY = "e10ee1f44fe75ac7f7df8a827f44341767c734f43b8354eb7b1a8c5c7afb92b4"
# Google Pub/Sub push: locally, tokens signed by a development key (private half in devstack/signing.py) for this
# audience and service account.
DEV_GOOGLE_JWKS = {
    "keys": [
        {
            "kty": "RSA",
            "kid": "hark-dev-google",
            "alg": "RS256",
            "use": "sig",
            "e": "AQAB",
            "n": (
                "uCsfw2rI_tktKOzSAsCDphf9XRcESS6QvGP5jU5qRpR6eFvJ3N82KutQmkGY8tDJuXqU1GFfFmhcdUrMZJLZT0_RHJpG5A8lIRYi"
                "fFTQP8Kytg9IzjqxojEVqWryuxBnmrJDjt68gc-LHLelhdTgDp8wdSOXvpDDuoO1tEJD3q-WMxLcdYYLOY45xMODSfwIcu-sRDag"
                "jGt_J55EYL0LOt2XJ-QubUvRKhWs3f_FGupyBNYQ3XWi1vTyzev0cwIWjoYycNwdHMZFUtfFjTGkJbV48pwVJjd0WgYmLDpKeXhk"
                "qasE7tIoT4LR9TKL8wlxeX-tJFvNO4AjElwDuxueDw"
            ),
        }
    ]
}
DEV_GOOGLE_AUDIENCE = "hark-local"
DEV_GOOGLE_SERVICE_ACCOUNT = "pubsub-push@hark-local.iam.gserviceaccount.com"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str = "local"
    region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    table_names: dict[str, str] = Field(default_factory=dict)
    queue_urls: dict[str, str] = Field(default_factory=dict)
    dlq_urls: dict[str, str] = Field(default_factory=dict)
    secrets_name: str | None = None
    platform_secrets: dict[str, str] = Field(default_factory=dict)
    meta_verify_token: str | None = None
    discord_public_key: str | None = None
    api_key: str | None = None
    api_keys: Any = Field(default=None, description="HARK_API_KEYS, parsed JSON")
    analyzer: AnalyzerMode = "local"
    comprehend_classifier_arn: str | None = None
    triage_policy: str | None = None
    max_webhook_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_api_bytes: int = Field(default=1024 * 1024, gt=0)
    api_bases: dict[str, str] = Field(default_factory=dict)
    google_jwks: str | None = Field(default=None, description="HARK_GOOGLE_JWKS: a JWKS file path or https URL")
    google_audience: str | None = None
    google_service_account: str | None = None

    def api_base(self, platform: str, default: str) -> str:
        """The base URL of a platform's API: HARK_API_BASE_<PLATFORM> (tests point it at a local fake)."""
        return self.api_bases.get(platform, default).rstrip("/")

    topic_arns: dict[str, str] = Field(default_factory=dict)
    bucket_names: dict[str, str] = Field(default_factory=dict)
    config_parameter: str | None = None
    # Outbound API credentials per platform (HARK_TOKEN_<PLATFORM>); in AWS the secret's `tokens`.
    platform_tokens: dict[str, str] = Field(default_factory=dict)
    # The configuration document (shared/config.py): a file, `ssm:<name>`, or unset for the bundled default.
    config: str | None = None
    approvals: int = Field(default=0, ge=0, le=3, description="HARK_APPROVALS: tiers forced on every queue")
    # More entries of the secret's `tokens` (HARK_TOKENS, JSON: {"<name or platform>": <token or object>}), for the
    # sources that name their own credentials (shared/config.py `sources.<id>.credentials`).
    tokens: Any = Field(default=None, description="HARK_TOKENS, parsed JSON")
    # The API's public base URL (HARK_PUBLIC_URL): where a WebSub hub calls back (`<url>/webhooks/youtube`).
    public_url: str | None = None
    # How long raw deliveries are kept; the lifecycle rule of the archive bucket says the same.
    archive_retention_days: int = Field(default=RAW_ARCHIVE.expire_after_days or 30, ge=1, le=3650)
    # SSE-KMS with this key for the raw archive; SSE-S3 (AES-256) when unset.
    archive_kms_key_id: str | None = None

    @property
    def dev_defaults(self) -> bool:
        return self.stage == "local"

    def table_name(self, table: TableSpec) -> str:
        return self.table_names.get(table.key) or table.physical_name(self.stage)

    def queue_url(self, queue: QueueSpec) -> str | None:
        """The URL when it was configured; otherwise the adapter resolves the queue by name."""
        return self.queue_urls.get(queue.key)

    def dlq_url(self, queue: QueueSpec) -> str | None:
        return self.dlq_urls.get(queue.key)

    def bucket_name(self, bucket: BucketSpec) -> str:
        return self.bucket_names.get(bucket.key) or bucket.physical_name(self.stage)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def pick(name: str) -> str | None:
            value = env.get(name)
            return value if value else None

        raw: dict[str, object] = {
            "table_names": {t.key: v for t in TABLES if (v := pick(t.env_var))},
            "queue_urls": {q.key: v for q in QUEUES if (v := pick(q.env_var))},
            "dlq_urls": {q.key: v for q in QUEUES if (v := pick(q.dlq_env_var))},
            "platform_secrets": {p: v for p in PLATFORMS if (v := pick(f"HARK_SECRET_{p.upper()}"))},
            "api_bases": {p: v for p in PLATFORMS if (v := pick(f"HARK_API_BASE_{p.upper()}"))},
            "topic_arns": {t.key: v for t in TOPICS if (v := pick(t.env_var))},
            "bucket_names": {b.key: v for b in BUCKETS if (v := pick(b.env_var))},
            "platform_tokens": {p: v for p in PLATFORMS if (v := pick(f"HARK_TOKEN_{p.upper()}"))},
        }
        scalars = {
            "stage": "HARK_STAGE",
            "aws_endpoint_url": "AWS_ENDPOINT_URL",
            "secrets_name": SECRETS.env_var,
            "meta_verify_token": "HARK_META_VERIFY_TOKEN",  # nosec B105 # the name of an environment variable, not its value
            "discord_public_key": "HARK_DISCORD_PUBLIC_KEY",
            "api_key": "HARK_API_KEY",
            "api_keys": "HARK_API_KEYS",
            "analyzer": "HARK_ANALYZER",
            "comprehend_classifier_arn": "HARK_COMPREHEND_CLASSIFIER_ARN",
            "triage_policy": "HARK_TRIAGE_POLICY",
            "max_webhook_bytes": "HARK_MAX_WEBHOOK_BYTES",
            "max_api_bytes": "HARK_MAX_API_BYTES",
            "config_parameter": CONFIG.env_var,
            "config": "HARK_CONFIG",
            "approvals": "HARK_APPROVALS",
            "tokens": "HARK_TOKENS",
            "public_url": "HARK_PUBLIC_URL",
            "archive_retention_days": "HARK_ARCHIVE_RETENTION_DAYS",
            "archive_kms_key_id": "HARK_ARCHIVE_KMS_KEY_ID",
        }
        for field, var in scalars.items():
            if (value := pick(var)) is not None:
                raw[field] = value
        for field, var in (("api_keys", "HARK_API_KEYS"), ("tokens", "HARK_TOKENS")):
            if isinstance(raw.get(field), str):
                try:
                    raw[field] = json.loads(str(raw[field]))
                except ValueError as exc:
                    raise NotConfigured(f"{var} is not valid JSON") from exc
        if region := pick("AWS_REGION") or pick("AWS_DEFAULT_REGION"):
            raw["region"] = region
        if "analyzer" not in raw:
            # Offline on a laptop; in AWS the local tier first and Comprehend where it adds value.
            raw["analyzer"] = "local" if raw.get("stage", "local") == "local" else "tiered"
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise NotConfigured(f"invalid configuration: {problems}") from exc
