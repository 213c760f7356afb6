"""Outbound API credentials: what Hark replies (and polls) with on each platform.

The secret's `tokens` map a platform id to either a bare token (a Slack bot token, a Telegram bot token, a Meta page
token) or an object for credentials that expire or need more than a token:

    {"access_token": "...", "refresh_token": "...", "expires_at": "2026-05-01T12:00:00Z",
     "client_id": "...", "client_secret": "...", <platform fields>}

Platform fields are strings the platform's API needs besides the token: Twitch `user_id` (the sender; default the
broadcaster), Zendesk `subdomain` (and `email` + `api_token` for API-token auth instead of OAuth), Trustpilot
`business_user_id`, WordPress `site`, `username` and `application_password`, Bluesky `identifier`,
`app_password`, `service` (the PDS) and `did`, Reddit `user_agent`, `token_url` to override where a token is
refreshed. Locally `HARK_TOKEN_<PLATFORM>` holds the same: a bare token or that object as JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from shared.errors import NotConfigured

# Refresh a token this long before it expires, so a reply never leaves with one that dies on the way.
REFRESH_MARGIN = timedelta(minutes=5)
KNOWN = ("access_token", "refresh_token", "expires_at", "client_id", "client_secret")
MAX_FIELD_CHARS = 4096


@dataclass(frozen=True)
class Credential:
    platform: str
    access_token: str = ""
    refresh_token: str | None = None
    expires_at: datetime | None = None
    client_id: str | None = None
    client_secret: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    refreshed_at: datetime | None = None

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if value else None

    def expiring(self, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
        return self.expires_at is not None and self.expires_at - margin <= now

    @property
    def fingerprint(self) -> str:
        """Which credential this is, without saying it: changes when the token or the refresh token does."""
        digest = hashlib.sha256(f"{self.access_token}\0{self.refresh_token or ''}".encode()).hexdigest()
        return digest[:16]

    def with_tokens(
        self,
        access_token: str,
        refresh_token: str | None,
        expires_at: datetime | None,
        now: datetime,
        fields: Mapping[str, str] | None = None,
    ) -> Credential:
        return replace(
            self,
            access_token=access_token,
            refresh_token=refresh_token or self.refresh_token,
            expires_at=expires_at,
            refreshed_at=now,
            fields={**dict(self.fields), **dict(fields or {})},
        )

    def document(self) -> str | dict[str, Any]:
        """What the secret's `tokens` holds for it: the bare token when that is all there is."""
        if not (self.refresh_token or self.expires_at or self.client_id or self.client_secret or self.fields):
            return self.access_token
        out: dict[str, Any] = {"access_token": self.access_token, **dict(self.fields)}
        for name in ("refresh_token", "client_id", "client_secret"):
            if value := getattr(self, name):
                out[name] = value
        if self.expires_at is not None:
            out["expires_at"] = self.expires_at.isoformat()
        if self.refreshed_at is not None:
            out["refreshed_at"] = self.refreshed_at.isoformat()
        return out


def credential_from(platform: str, value: Any, where: str = "the secret's tokens") -> Credential:
    """A credential from the secret's `tokens.<platform>` (a string, an object, or an object as JSON text)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise NotConfigured(f"{where}: the {platform} token looks like JSON but is not") from exc
    if isinstance(value, str):
        return Credential(platform, access_token=value)
    if not isinstance(value, dict):
        raise NotConfigured(f"{where}: the {platform} token must be a string or an object")
    bad = [k for k, v in value.items() if not isinstance(v, str) or len(v) > MAX_FIELD_CHARS]
    if bad:
        raise NotConfigured(f"{where}: {platform} fields must be strings: {', '.join(sorted(map(str, bad)))}")
    return Credential(
        platform,
        access_token=value.get("access_token", ""),
        refresh_token=value.get("refresh_token") or None,
        expires_at=_time(value.get("expires_at"), platform, where),
        client_id=value.get("client_id") or None,
        client_secret=value.get("client_secret") or None,
        fields={k: v for k, v in value.items() if k not in (*KNOWN, "refreshed_at")},
        refreshed_at=_time(value.get("refreshed_at"), platform, where),
    )


def _time(value: str | None, platform: str, where: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise NotConfigured(f"{where}: the {platform} expires_at is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise NotConfigured(f"{where}: the {platform} expires_at needs a time zone (Z or +00:00)")
    return moment


# What the local fakes expect besides the token (documented development values; the local stage only).
DEV_FIELDS: Mapping[str, Mapping[str, str]] = {
    "twitch": {"client_id": "hark-dev-twitch-client"},
    "zendesk": {"subdomain": "hark-dev"},
    "trustpilot": {"business_user_id": "hark-dev-business-user"},
    "wordpress": {"site": "https://blog.hark.local", "username": "hark"},
    "bluesky": {"did": "did:plc:harkdevbrand", "identifier": "brand.hark.local"},
    "reddit": {"user_agent": "hark-dev/1.0 (by u/hark-dev)"},
}


def dev_credential(platform: str, token: str, found: Credential | None) -> Credential:
    """A configured credential keeps what it says; a missing one is the development token and fields."""
    if found is not None and (found.access_token or found.refresh_token or found.get("app_password")):
        return found
    base = found or Credential(platform)
    extra = dict(DEV_FIELDS.get(platform, {}))
    client_id = base.client_id or extra.pop("client_id", None)
    return replace(base, access_token=token, client_id=client_id, fields={**extra, **dict(base.fields)})
