"""Where a configured source is reached, and what it signs in with: the one place the pollers, the connectors and
the senders resolve both (the sources themselves are the `sources` section of the config, `shared/config.py`).

Hosts. A platform with one API host for every account (Reddit, YouTube, Discord, TikTok, GitHub, Meta, X, Slack,
Telegram, Twitch, Google, Trustpilot) is reached at its public host, or at `HARK_API_BASE_<PLATFORM>` when that is
set (tests and `hark up` point it at a local fake). A platform with a host per account is reached at the source's
`base_url`: a WordPress site, a Mastodon instance, a Zendesk subdomain (`https://<account>.zendesk.com` unless
given), a Bluesky account's PDS (`https://bsky.social`, or `HARK_API_BASE_BLUESKY`, unless given). Bases carry no
API version: each client adds its own path (`/api/v10`, `/youtube/v3`, `/xrpc`, `/wp-json/wp/v2`).

Credentials. A source names an entry of the secret's `credentials` (`HARK_CREDENTIALS` locally, the same JSON):
`{"<name>": {"<field>": "<value>"}}`, with the fields its platform signs in with (`token`; `client_id`,
`client_secret`, `refresh_token`; `username`, `password`; `api_key`). A source that names none uses the entry
named like the source, else the platform's token (`tokens.<platform>`, `HARK_TOKEN_<PLATFORM>`) as `token`, which
on the local stage defaults to the development token the fakes accept. A named entry that is missing is an error:
it never falls back to another account's token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import NotConfigured

API_HOSTS: dict[str, str] = {
    "reddit": "https://oauth.reddit.com",
    "youtube": "https://www.googleapis.com",
    "discord": "https://discord.com",
    "tiktok": "https://business-api.tiktok.com",
    "bluesky": "https://bsky.social",  # the default PDS (Bluesky's entryway)
    "github": "https://api.github.com",
    "meta": "https://graph.facebook.com",
    "x": "https://api.x.com",
    "slack": "https://slack.com",
    "telegram": "https://api.telegram.org",
    "twitch": "https://api.twitch.tv",
    "google": "https://mybusiness.googleapis.com",
    "trustpilot": "https://api.trustpilot.com",
}
# Platforms where each account has its own host (the source's `base_url`).
PER_ACCOUNT_HOST = frozenset({"wordpress", "mastodon", "zendesk", "bluesky"})


def api_base(platform: str, api_bases: Mapping[str, str], source: Any = None) -> str:
    """The base URL to reach `platform` at for `source` (a config source, or None for the platform's default):
    the source's own host where it has one, else `HARK_API_BASE_<PLATFORM>` (`api_bases`), else the public host."""
    own = getattr(source, "base_url", None)
    if own:
        return str(own).rstrip("/")
    if platform == "zendesk" and getattr(source, "account", None):
        return f"https://{source.account}.zendesk.com"
    override = api_bases.get(platform)
    if override:
        return override.rstrip("/")
    if platform in API_HOSTS:
        return API_HOSTS[platform]
    raise NotConfigured(f"a {platform} source names its host in base_url")


@dataclass(frozen=True)
class Credentials:
    """A source's sign-in fields, and where they came from (never the values, in logs and errors)."""

    name: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value or None

    def require(self, *names: str) -> tuple[str, ...]:
        missing = [n for n in names if not self.get(n)]
        if missing:
            raise NotConfigured(f"the credentials {self.name!r} lack {', '.join(missing)}")
        return tuple(self.fields[n] for n in names)

    def __repr__(self) -> str:  # the values are secrets
        return f"Credentials({self.name!r}, fields={sorted(self.fields)})"


def credentials_of(
    source_id: str, source: Any, credentials: Mapping[str, Mapping[str, str]], tokens: Mapping[str, str]
) -> Credentials:
    """What `source` signs in with: its named entry of `credentials`, else (when it names none) the entry named
    like the source, else the platform's token."""
    named = getattr(source, "credentials", None)
    if named:
        found = credentials.get(named)
        if not found:
            raise NotConfigured(f"source {source_id}: no credentials named {named!r} in the secret")
        return Credentials(named, dict(found))
    if source_id in credentials:
        return Credentials(source_id, dict(credentials[source_id]))
    token = tokens.get(source.platform)
    if token:
        return Credentials(f"tokens.{source.platform}", {"token": token})
    raise NotConfigured(
        f"source {source_id}: no credentials (name them in the config, or set tokens.{source.platform})"
    )
