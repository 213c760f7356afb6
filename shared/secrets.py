"""Platform signing secrets and partner API keys.

In AWS they live in one Secrets Manager secret (JSON), read through Powertools Parameters with a 5-minute cache
so a rotated secret is picked up without a deploy. Locally they come from `HARK_SECRET_<PLATFORM>`,
`HARK_META_VERIFY_TOKEN`, `HARK_DISCORD_PUBLIC_KEY` and `HARK_API_KEY`, with documented development defaults that
apply only on the `local` stage.

Secret JSON: {"github": "...", "meta": "...", "meta_verify_token": "...", "discord_public_key": "...",
"api_keys": ["..."]}.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.aws import client, translate_errors
from shared.errors import NotConfigured
from shared.events import PLATFORMS
from shared.settings import DEV_API_KEY, DEV_META_VERIFY_TOKEN, Settings, dev_platform_secret

CACHE_SECONDS = 300


@dataclass(frozen=True)
class SecretValues:
    platform: Mapping[str, str] = field(default_factory=dict)
    meta_verify_token: str | None = None
    discord_public_key: str | None = None
    api_keys: tuple[str, ...] = ()

    def platform_secret(self, platform: str) -> str:
        value = self.platform.get(platform)
        if not value:
            raise NotConfigured(f"no signing secret is configured for {platform}")
        return value

    def api_key_valid(self, presented: str | None) -> bool:
        if not presented:
            return False
        # Compare against every key without stopping early, in constant time per key.
        matches = [hmac.compare_digest(presented.encode(), key.encode()) for key in self.api_keys]
        return any(matches)


class SecretSource(Protocol):
    def get(self) -> SecretValues: ...


def _with_dev_defaults(values: SecretValues, settings: Settings) -> SecretValues:
    if not settings.dev_defaults:
        return values
    return SecretValues(
        platform={p: values.platform.get(p) or dev_platform_secret(p) for p in PLATFORMS},
        meta_verify_token=values.meta_verify_token or DEV_META_VERIFY_TOKEN,
        discord_public_key=values.discord_public_key,
        api_keys=values.api_keys or (DEV_API_KEY,),
    )


class EnvSecrets:
    def __init__(self, settings: Settings) -> None:
        self._values = _with_dev_defaults(
            SecretValues(
                platform=dict(settings.platform_secrets),
                meta_verify_token=settings.meta_verify_token,
                discord_public_key=settings.discord_public_key,
                api_keys=(settings.api_key,) if settings.api_key else (),
            ),
            settings,
        )

    def get(self) -> SecretValues:
        return self._values


def values_from_json(document: Mapping[str, Any]) -> SecretValues:
    api_keys = document.get("api_keys") or ([document["api_key"]] if document.get("api_key") else [])
    return SecretValues(
        platform={p: str(document[p]) for p in PLATFORMS if document.get(p)},
        meta_verify_token=document.get("meta_verify_token"),
        discord_public_key=document.get("discord_public_key"),
        api_keys=tuple(str(k) for k in api_keys),
    )


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
    document["api_keys"] = list(values.api_keys)
    return document
