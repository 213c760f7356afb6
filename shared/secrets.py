"""Platform signing secrets and partner API keys.

In AWS they live in one Secrets Manager secret (JSON), read through Powertools Parameters with a 5-minute cache
so a rotated secret is picked up without a deploy. Locally they come from `HARK_SECRET_<PLATFORM>`,
`HARK_META_VERIFY_TOKEN`, `HARK_DISCORD_PUBLIC_KEY` and `HARK_API_KEY`, with documented development defaults that
apply only on the `local` stage. Partner API keys come from `HARK_API_KEYS` (JSON: `{"<key>": {"user": "...",
"roles": [...]}}`) and `HARK_API_KEY` (one key for the user `dev`, roles agent, admin and viewer); both may be set.

Secret JSON: {"github": "...", "meta": "...", "meta_verify_token": "...", "discord_public_key": "...",
"api_keys": {"<key>": {"user": "...", "roles": ["agent"]}}, "tokens": {"github": "...", "meta": "..."}}; `tokens`
are the outbound API credentials replies are sent with (`HARK_TOKEN_<PLATFORM>` locally): a bare token, or an object
with `access_token`, `refresh_token`, `expires_at`, client credentials and platform fields (shared/credentials.py).
A list of bare keys is read as partner tools' keys (roles partner and viewer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.auth import ROLES, ApiKeys, Grant, Role, key_id
from shared.aws import client, translate_errors
from shared.credentials import Credential, credential_from, dev_credential
from shared.errors import NotConfigured, validation_errors
from shared.events import PLATFORMS
from shared.settings import (
    DEV_API_KEY,
    DEV_DISCORD_PUBLIC_KEY,
    DEV_META_VERIFY_TOKEN,
    Settings,
    dev_platform_secret,
    dev_platform_token,
)

CACHE_SECONDS = 300


@dataclass(frozen=True)
class SecretValues:
    platform: Mapping[str, str] = field(default_factory=dict)
    meta_verify_token: str | None = None
    discord_public_key: str | None = None
    api_keys: Mapping[str, Grant] = field(default_factory=dict)
    # Outbound API credentials per platform (what a reply is sent with): the access tokens, and the whole credential.
    tokens: Mapping[str, str] = field(default_factory=dict)
    credentials: Mapping[str, Credential] = field(default_factory=dict)

    def platform_token(self, platform: str) -> str:
        value = self.tokens.get(platform)
        if not value:
            raise NotConfigured(f"no API token is configured for sending to {platform}")
        return value

    def credential(self, platform: str) -> Credential:
        found = self.credentials.get(platform)
        if found is None and self.tokens.get(platform):
            found = Credential(platform, access_token=self.tokens[platform])
        if found is None or not (found.access_token or found.refresh_token or found.get("app_password")):
            raise NotConfigured(f"no API token is configured for sending to {platform}", platform=platform)
        return found

    def platform_secret(self, platform: str) -> str:
        value = self.platform.get(platform)
        if not value:
            raise NotConfigured(f"no signing secret is configured for {platform}")
        return value

    def keys(self) -> ApiKeys:
        return ApiKeys(self.api_keys)


class SecretSource(Protocol):
    def get(self) -> SecretValues: ...


def _with_dev_defaults(values: SecretValues, settings: Settings) -> SecretValues:
    if not settings.dev_defaults:
        return values
    return SecretValues(
        platform={p: values.platform.get(p) or dev_platform_secret(p) for p in PLATFORMS},
        meta_verify_token=values.meta_verify_token or DEV_META_VERIFY_TOKEN,
        discord_public_key=values.discord_public_key or DEV_DISCORD_PUBLIC_KEY,
        api_keys=values.api_keys or {DEV_API_KEY: DEV_GRANT},
        tokens={p: values.tokens.get(p) or dev_platform_token(p) for p in PLATFORMS},
        credentials={
            p: dev_credential(p, values.tokens.get(p) or dev_platform_token(p), values.credentials.get(p))
            for p in PLATFORMS
        },
    )


DEV_GRANT = Grant("dev", frozenset({"agent", "admin", "viewer"}))
PARTNER_ROLES: frozenset[Role] = frozenset({"partner", "viewer"})


class GrantDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    user: str = Field(min_length=1, max_length=128)
    roles: list[Role] = Field(min_length=1)


KeyString = Annotated[str, Field(min_length=8)]


def grants_from_json(document: Any, where: str) -> dict[str, Grant]:
    """`{"<key>": {"user", "roles"}}`, or a list of bare keys (partner tools)."""
    if isinstance(document, list):
        keys = [k for k in document if isinstance(k, str) and len(k) >= 8]
        if len(keys) != len(document):
            raise NotConfigured(f"{where}: every API key must be a string of at least 8 characters")
        return {key: Grant(f"partner-{key_id(key)[2:8]}", PARTNER_ROLES) for key in keys}
    if not isinstance(document, dict):
        raise NotConfigured(f"{where}: expected an object of key → {{user, roles}}")
    grants: dict[str, Grant] = {}
    for key, raw in document.items():
        if not isinstance(key, str) or len(key) < 8:
            raise NotConfigured(f"{where}: every API key must be at least 8 characters")
        try:
            checked = GrantDocument.model_validate(raw)
        except ValidationError as exc:
            raise NotConfigured(
                f"{where}: the grant of key {key_id(key)} is malformed (roles are {', '.join(ROLES)})",
                errors=validation_errors(exc),
            ) from exc
        grants[key] = Grant(checked.user, frozenset(checked.roles))
    return grants


class EnvSecrets:
    def __init__(self, settings: Settings) -> None:
        grants = grants_from_json(settings.api_keys, "HARK_API_KEYS") if settings.api_keys else {}
        if settings.api_key:
            grants[settings.api_key] = DEV_GRANT
        self._values = _with_dev_defaults(
            SecretValues(
                platform=dict(settings.platform_secrets),
                meta_verify_token=settings.meta_verify_token,
                discord_public_key=settings.discord_public_key,
                api_keys=grants,
                **_tokens(
                    {p: credential_from(p, v, f"HARK_TOKEN_{p.upper()}") for p, v in settings.platform_tokens.items()}
                ),
            ),
            settings,
        )

    def get(self) -> SecretValues:
        return self._values


class SecretDocument(BaseModel):
    """The secret's JSON, checked: a list where a list belongs, strings where strings belong."""

    model_config = ConfigDict(extra="allow", strict=True)

    meta_verify_token: str | None = None
    discord_public_key: str | None = None
    api_key: KeyString | None = None


def values_from_json(document: Mapping[str, Any]) -> SecretValues:
    try:
        checked = SecretDocument.model_validate(document)
    except ValidationError as exc:
        raise NotConfigured(f"the secret document is malformed: {validation_errors(exc)}") from exc
    platform = {}
    for name in PLATFORMS:
        value = document.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise NotConfigured(f"the secret for {name} must be a string")
        platform[name] = value
    grants = grants_from_json(document["api_keys"], "the secret's api_keys") if "api_keys" in document else {}
    if checked.api_key:
        grants[checked.api_key] = DEV_GRANT
    tokens = document.get("tokens") or {}
    if not isinstance(tokens, dict):
        raise NotConfigured("the secret's tokens must map platform ids to tokens")
    return SecretValues(
        platform=platform,
        meta_verify_token=checked.meta_verify_token,
        discord_public_key=checked.discord_public_key,
        api_keys=grants,
        **_tokens({str(k): credential_from(str(k), v) for k, v in tokens.items() if k in PLATFORMS and v}),
    )


def _tokens(credentials: Mapping[str, Credential]) -> dict[str, Any]:
    return {
        "tokens": {p: c.access_token for p, c in credentials.items() if c.access_token},
        "credentials": dict(credentials),
    }


class SecretsManagerSecrets:
    def __init__(self, settings: Settings, name: str) -> None:
        self._settings = settings
        self._name = name
        self._provider: Any = None

    def get(self) -> SecretValues:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415

            self._provider = SecretsProvider(boto3_client=client("secretsmanager", self._settings))
        with translate_errors("read secrets"):
            document = self._provider.get(self._name, transform="json", max_age=CACHE_SECONDS)
        if not isinstance(document, dict):
            raise NotConfigured(f"secret {self._name} is not a JSON object")
        return _with_dev_defaults(values_from_json(document), self._settings)


def secret_source(settings: Settings) -> SecretSource:
    if settings.secrets_name:
        return SecretsManagerSecrets(settings, settings.secrets_name)
    return EnvSecrets(settings)


def to_document(values: SecretValues) -> dict[str, Any]:
    """The Secrets Manager JSON holding `values` (the inverse of `values_from_json`)."""
    document: dict[str, Any] = dict(values.platform)
    if values.meta_verify_token:
        document["meta_verify_token"] = values.meta_verify_token
    if values.discord_public_key:
        document["discord_public_key"] = values.discord_public_key
    document["api_keys"] = {key: {"user": g.user, "roles": sorted(g.roles)} for key, g in values.api_keys.items()}
    tokens: dict[str, Any] = dict(values.tokens)
    tokens.update({p: c.document() for p, c in values.credentials.items()})
    if tokens:
        document["tokens"] = tokens
    return document
