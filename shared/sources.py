"""Where a configured source is reached, and what it signs in with: the one place the pollers, the connectors and
the senders resolve both (the sources themselves are the `sources` section of the config, `shared/config.py`).

Hosts. A platform with one API host for every account (Reddit, YouTube, Discord, TikTok, GitHub, Meta, X, Slack,
Telegram, Twitch, Google, Trustpilot) is reached at its public host, or at `HARK_API_BASE_<PLATFORM>` when that is
set (tests and `hark up` point it at a local fake). A platform with a host per account is reached at the source's
`base_url`: a WordPress site, a Mastodon instance, a Zendesk subdomain (`https://<account>.zendesk.com` unless
given), a Bluesky account's PDS (`https://bsky.social`, or `HARK_API_BASE_BLUESKY`, unless given). Bases carry no
API version: each client adds its own path (`/api/v10`, `/youtube/v3`, `/xrpc`, `/wp-json/wp/v2`).

Credentials. There is one store of what Hark signs in with, for replies and polls alike: the secret's `tokens`
(shared/credentials.py; `HARK_TOKEN_<PLATFORM>` and `HARK_TOKENS` locally), read and refreshed through one port
(shared/tokens.py `Credentials`). A source signs in with the entry it names (`credentials`), else the entry named
like the source, else the platform's own (`tokens.<platform>`). A named entry that is missing is an error: it never
falls back to another account's token. What the source says of its account's host (a WordPress site, a Bluesky PDS,
a Zendesk subdomain) is laid over the credential's fields (`site`, `service`, `subdomain`), so the senders and the
token refresh reach the account the config names.

Which source a reply goes out from: the enabled source of the task's platform whose account is the one the mention
was heard on (`account_of`: the id the poller or connector puts in `account_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from shared.credentials import Credential
from shared.errors import NotConfigured
from shared.events import PLATFORMS

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


class CredentialPort(Protocol):
    """shared/tokens.py `Credentials`."""

    def fresh(self, credential: Credential) -> Credential: ...

    def current(self, platform: str, name: str | None = None) -> Credential: ...

    def has(self, entry: str) -> bool: ...


def entry_of(port: CredentialPort, source_id: str, source: Any) -> str | None:
    """The entry of the secret's `tokens` `source` signs in with; None: the platform's own."""
    named = getattr(source, "credentials", None)
    if named:
        return str(named)
    if source_id not in PLATFORMS and port.has(source_id):
        return source_id
    return None


def host_fields(source: Any) -> dict[str, str]:
    """What the source says of its account's host, in the fields the senders and the token refresh read."""
    platform = getattr(source, "platform", None)
    own = getattr(source, "base_url", None)
    if platform == "wordpress" and own:
        return {"site": str(own).rstrip("/")}
    if platform == "bluesky" and own:
        return {"service": str(own).rstrip("/")}
    if platform == "zendesk" and getattr(source, "account", None):
        return {"subdomain": str(source.account)}
    return {}


def with_source(credential: Credential, source: Any) -> Credential:
    """`credential` with the source's host over its fields (a Bluesky account also signs in as its handle unless
    the credential names another identifier)."""
    defaults = {"identifier": str(source.handle)} if getattr(source, "platform", None) == "bluesky" else {}
    fields = {**defaults, **dict(credential.fields), **host_fields(source)}
    return credential if fields == dict(credential.fields) else replace(credential, fields=fields)


def credential_of(port: CredentialPort, source_id: str, source: Any, *, fresh: bool = True) -> Credential:
    """The credential of `source`, with its account's host: refreshed first when it is about to expire (`fresh`),
    else as configured."""
    entry = entry_of(port, source_id, source)
    found = with_source(port.current(source.platform, entry), source)
    return port.fresh(found) if fresh else found


def account_of(source: Any) -> str | None:
    """The account id mentions heard on `source` carry (`Mention.account_id`)."""
    platform = getattr(source, "platform", None)
    if platform == "reddit":
        return f"u/{source.username}"
    if platform == "wordpress":
        return urlsplit(str(source.base_url)).netloc
    if platform == "youtube":
        return str(source.channel)
    if platform == "bluesky":
        return str(source.handle)
    if platform == "discord":
        return str(source.guild)
    if platform == "tiktok":
        return str(source.business_id)
    account = getattr(source, "account", None)
    return str(account) if account else None


def source_for(sources: Mapping[str, Any], platform: str, account_id: str | None) -> tuple[str, Any] | None:
    """The enabled source a reply on `platform` to a mention heard on `account_id` goes out from: the one whose
    account it is, else the platform's only source; None: the platform's own credential."""
    mine = [(sid, s) for sid, s in sources.items() if s.platform == platform and s.enabled]
    if account_id:
        for sid, source in mine:
            if account_of(source) == account_id:
                return sid, source
    return mine[0] if len(mine) == 1 else None
