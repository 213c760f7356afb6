"""Tokens that expire: refreshed before they do, stored back in the secret, and said to be dead when they are.

X, Reddit, Google (Business Profile and YouTube), Zendesk, TikTok, Twitch and Trustpilot issue OAuth access tokens
that live hours or days, with a refresh token; Bluesky issues session tokens (refreshed with the refresh JWT, or a
new session from the app password). `Credentials.get` returns a credential that will live through the next call:
one about to expire (`REFRESH_MARGIN`) is refreshed first, and `refresh` is what a sender calls after a 401. A
refreshed credential is written back to the secret's `tokens` (`TokenStore`: Secrets Manager in AWS and in `hark up`,
memory when the tokens come from `HARK_TOKEN_*`), so every function and the next cold start use it.

Several functions may refresh at once, and X, Zendesk, TikTok and Twitch rotate refresh tokens (the old one dies
when used). A refresh the provider refuses is therefore checked against the secret as it is now: if another
function stored a newer credential meanwhile, that one is used. Only when the secret still holds the refused one
is it dead: `CredentialRevoked`, which makes the source unhealthy until someone stores a new credential.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

import orjson

from shared.aws import client, translate_errors
from shared.credentials import Credential, credential_from
from shared.errors import CredentialRevoked, NotConfigured, PlatformRefused
from shared.events import utcnow
from shared.http import HttpAnswer, call
from shared.observability import count, get_logger

if TYPE_CHECKING:
    from shared.secrets import SecretSource
    from shared.settings import Settings

SAVE_ATTEMPTS = 3
# A refresh refused because another function used the refresh token first: how long to wait for its write.
RACE_WAITS = (0.3, 0.7, 1.5)


class TokenStore(Protocol):
    def load(self, platform: str) -> Credential | None:
        """The credential as the secret holds it now (never cached)."""

    def save(self, credential: Credential) -> None: ...


class MemoryTokens:
    """Credentials that live only in this process: `HARK_TOKEN_*` locally, and tests."""

    def __init__(self, initial: Mapping[str, Credential] | None = None) -> None:
        self._tokens = dict(initial or {})
        self._lock = threading.Lock()

    def load(self, platform: str) -> Credential | None:
        with self._lock:
            return self._tokens.get(platform)

    def save(self, credential: Credential) -> None:
        with self._lock:
            self._tokens[credential.platform] = credential


class SecretsManagerTokens:
    """The secret's `tokens`, read and written whole: Secrets Manager has no conditional write, so a save is read,
    changed, written and read back, and done again if another writer's save replaced it meanwhile."""

    def __init__(self, settings: Settings, name: str, secretsmanager: Any = None) -> None:
        self._settings = settings
        self._name = name
        self._client = secretsmanager

    @property
    def _sm(self) -> Any:
        if self._client is None:
            self._client = client("secretsmanager", self._settings)
        return self._client

    def _document(self) -> dict[str, Any]:
        with translate_errors("read the secret"):
            raw = self._sm.get_secret_value(SecretId=self._name)["SecretString"]
        document = orjson.loads(raw)
        if not isinstance(document, dict):
            raise NotConfigured(f"secret {self._name} is not a JSON object")
        return document

    def load(self, platform: str) -> Credential | None:
        value = (self._document().get("tokens") or {}).get(platform)
        return credential_from(platform, value) if value else None

    def save(self, credential: Credential) -> None:
        for _attempt in range(SAVE_ATTEMPTS):
            document = self._document()
            tokens = dict(document.get("tokens") or {})
            tokens[credential.platform] = credential.document()
            document["tokens"] = tokens
            with translate_errors("store the refreshed token"):
                self._sm.put_secret_value(
                    SecretId=self._name,
                    SecretString=orjson.dumps(document).decode(),
                    ClientRequestToken=str(uuid.uuid4()),
                )
            stored = self.load(credential.platform)
            if stored is not None and stored.fingerprint == credential.fingerprint:
                return
        get_logger("tokens").warning("refreshed token kept in memory only", extra={"platform": credential.platform})


@dataclass(frozen=True)
class OAuthSpec:
    """Where a platform refreshes its OAuth tokens, and how it wants the client to authenticate."""

    base: str
    path: str
    auth: Literal["basic", "body", "basic_or_body"] = "body"
    json: bool = False


OAUTH: Mapping[str, OAuthSpec] = {
    # A confidential client authenticates with Basic; a public one names its client_id in the body.
    "x": OAuthSpec("https://api.x.com", "/2/oauth2/token", "basic_or_body"),
    "reddit": OAuthSpec("https://www.reddit.com", "/api/v1/access_token", "basic"),
    "google": OAuthSpec("https://oauth2.googleapis.com", "/token"),
    "youtube": OAuthSpec("https://oauth2.googleapis.com", "/token"),
    "zendesk": OAuthSpec("https://{subdomain}.zendesk.com", "/oauth/tokens"),
    "tiktok": OAuthSpec("https://business-api.tiktok.com", "/open_api/v1.3/tt_user/oauth2/refresh_token/", json=True),
    "twitch": OAuthSpec("https://id.twitch.tv", "/oauth2/token"),
    "trustpilot": OAuthSpec(
        "https://api.trustpilot.com", "/v1/oauth/oauth-business-users-for-applications/refresh", "basic"
    ),
}
BLUESKY_SERVICE = "https://bsky.social"
# Token endpoints' own words for a refresh token that will never work again.
DEAD = frozenset(
    {"invalid_grant", "invalid_token", "unauthorized_client", "invalid_client", "expiredtoken", "invalidtoken"}
)


@dataclass(frozen=True)
class Refreshed:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    fields: Mapping[str, str] | None = None  # what the session says of the account (Bluesky's did)


class Refused(Exception):
    """The token endpoint refused: `dead` when the credential will never work again (not a passing outage)."""

    def __init__(self, reason: str, *, dead: bool, status: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.dead = dead
        self.status = status


Http = Callable[..., HttpAnswer]


class Credentials:
    """The outbound credentials port: fresh ones from the secret, refreshed when they expire."""

    def __init__(
        self,
        secrets: SecretSource,
        store: TokenStore | None = None,
        api_bases: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        http: Http = call,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._secrets = secrets
        self._store = store
        self._bases = dict(api_bases or {})
        self._clock = clock
        self._http = http
        self._sleep = sleep
        # What this process refreshed, by platform: (the fingerprint it replaced, the new credential). The secret is
        # cached for minutes; this wins until the secret holds something else than what was replaced.
        self._fresh: dict[str, tuple[str, Credential]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, platform: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(platform, threading.Lock())

    def configured(self) -> list[str]:
        """Platforms with a credential or a signing secret: the sources this deployment hears or answers on."""
        values = self._secrets.get()
        return sorted({*values.credentials, *values.tokens, *values.platform})

    def current(self, platform: str) -> Credential:
        """The credential as configured (or as this process last refreshed it), without refreshing."""
        configured = self._secrets.get().credential(platform)
        fresh = self._fresh.get(platform)
        if fresh is not None:
            replaced, credential = fresh
            if configured.fingerprint in (replaced, credential.fingerprint):
                return credential
            self._fresh.pop(platform, None)  # someone stored another credential: it wins
        return configured

    def get(self, platform: str) -> Credential:
        credential = self.current(platform)
        needs_session = platform == "bluesky" and not credential.access_token
        if (needs_session or credential.expiring(self._clock())) and self.refreshable(credential):
            return self.refresh(platform, credential)
        return credential

    def refreshable(self, credential: Credential) -> bool:
        if credential.platform == "bluesky":
            return bool(credential.refresh_token or (credential.get("identifier") and credential.get("app_password")))
        return credential.platform in OAUTH and bool(credential.refresh_token)

    def refresh(self, platform: str, stale: Credential) -> Credential:
        """A new credential for `stale` (expired, or refused by the platform): refreshed once however many calls
        ask at the same time, stored back, or `CredentialRevoked` when the platform will not refresh it."""
        with self._lock(platform):
            current = self.current(platform)
            if current.fingerprint != stale.fingerprint and not current.expiring(self._clock()):
                return current  # refreshed meanwhile
            if not self.refreshable(current):
                raise CredentialRevoked(
                    f"the {platform} token was refused and Hark holds no way to refresh it; store a new one",
                    platform=platform,
                    reason="token_refused",
                    fingerprint=current.fingerprint,
                )
            try:
                got = self._refresh(current)
            except Refused as refused:
                if not refused.dead:
                    raise PlatformRefused(
                        f"{platform} could not refresh Hark's token right now ({refused.reason}); try again shortly",
                        platform=platform,
                        code="token_refresh_failed",
                        message=refused.reason[:500],
                        retryable=True,
                        status=refused.status,
                    ) from refused
                adopted = self._adopt_newer(platform, current)
                if adopted is not None:
                    return adopted
                count("tokens", "TokenRefreshesRefused")
                raise CredentialRevoked(
                    f"{platform} will not refresh Hark's token ({refused.reason}): the connection was revoked or "
                    "expired; an admin must connect the account again",
                    platform=platform,
                    reason="token_revoked",
                    message=refused.reason[:500],
                    fingerprint=current.fingerprint,
                ) from refused
            now = self._clock()
            fresh = current.with_tokens(got.access_token, got.refresh_token, got.expires_at, now, got.fields)
            self._fresh[platform] = (current.fingerprint, fresh)
            if self._store is not None:
                self._store.save(fresh)
            count("tokens", "TokensRefreshed")
            get_logger("tokens").info(
                "token refreshed",
                extra={"platform": platform, "expires_at": fresh.expires_at.isoformat() if fresh.expires_at else None},
            )
            return fresh

    def _adopt_newer(self, platform: str, refused: Credential) -> Credential | None:
        """Another function may have used the (rotating) refresh token first and be storing its result."""
        if self._store is None:
            return None
        for wait in (0.0, *RACE_WAITS):
            if wait:
                self._sleep(wait)
            stored = self._store.load(platform)
            if stored is not None and stored.refresh_token != refused.refresh_token:
                self._fresh[platform] = (refused.fingerprint, stored)
                return stored
        return None

    # Refreshing, platform by platform
    def _base(self, platform: str, default: str, credential: Credential) -> str:
        base = self._bases.get(platform)
        if base:
            return base.rstrip("/")
        if "{subdomain}" in default:
            subdomain = credential.get("subdomain")
            if not subdomain:
                raise NotConfigured(f"the {platform} credential names no subdomain", platform=platform)
            return default.format(subdomain=subdomain)
        return default

    def _refresh(self, credential: Credential) -> Refreshed:
        if credential.platform == "bluesky":
            return self._bluesky(credential)
        spec = OAUTH[credential.platform]
        url = credential.get("token_url") or self._base(credential.platform, spec.base, credential) + spec.path
        body: dict[str, str] = {"grant_type": "refresh_token", "refresh_token": credential.refresh_token or ""}
        headers: dict[str, str] = {}
        basic = spec.auth == "basic" or (spec.auth == "basic_or_body" and credential.client_secret)
        if basic:
            pair = f"{credential.client_id or ''}:{credential.client_secret or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            if spec.auth == "basic_or_body":
                body["client_id"] = credential.client_id or ""
        else:
            body["client_id"] = credential.client_id or ""
            if credential.client_secret:
                body["client_secret"] = credential.client_secret
        if agent := credential.get("user_agent"):
            headers["User-Agent"] = agent
        answer = (
            self._http("POST", url, credential.platform, json_body=body, headers=headers)
            if spec.json
            else self._http("POST", url, credential.platform, form=body, headers=headers)
        )
        document = answer.object()
        if credential.platform == "tiktok":
            code = document.get("code")
            if answer.ok and code == 0 and isinstance(document.get("data"), dict):
                document = document["data"]
            else:
                reason = str(document.get("message") or f"HTTP {answer.status}")
                raise Refused(reason, dead=answer.ok and code in (40104, 40105, 40103, 40106), status=answer.status)
        if not answer.ok or not document.get("access_token"):
            raise _refused(answer, document)
        return Refreshed(
            access_token=str(document["access_token"]),
            refresh_token=str(document["refresh_token"]) if document.get("refresh_token") else None,
            expires_at=_expiry(self._clock(), document.get("expires_in")),
        )

    def _bluesky(self, credential: Credential) -> Refreshed:
        service = self._base("bluesky", credential.get("service") or BLUESKY_SERVICE, credential)
        if credential.refresh_token:
            answer = self._http(
                "POST",
                f"{service}/xrpc/com.atproto.server.refreshSession",
                "bluesky",
                headers={"Authorization": f"Bearer {credential.refresh_token}"},
            )
            document = answer.object()
            if answer.ok and document.get("accessJwt"):
                return _session(document)
            if not (credential.get("identifier") and credential.get("app_password")):
                raise _refused(answer, {"error": document.get("error"), "error_description": document.get("message")})
        answer = self._http(
            "POST",
            f"{service}/xrpc/com.atproto.server.createSession",
            "bluesky",
            json_body={"identifier": credential.get("identifier"), "password": credential.get("app_password")},
        )
        document = answer.object()
        if answer.ok and document.get("accessJwt"):
            return _session(document)
        raise _refused(answer, {"error": document.get("error"), "error_description": document.get("message")})


def _refused(answer: HttpAnswer, document: Mapping[str, Any]) -> Refused:
    error = str(document.get("error") or "")
    reason = str(document.get("error_description") or document.get("message") or error or f"HTTP {answer.status}")
    transient = answer.status in (408, 429) or answer.status >= 500
    dead = not transient and (error.lower() in DEAD or answer.status in (400, 401, 403))
    return Refused(f"{error}: {reason}" if error and error not in reason else reason, dead=dead, status=answer.status)


def _expiry(now: datetime, expires_in: Any) -> datetime | None:
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return None
    return now + timedelta(seconds=seconds) if seconds > 0 else None


def _session(document: Mapping[str, Any]) -> Refreshed:
    access = str(document["accessJwt"])
    fields = {k: str(document[k]) for k in ("did",) if document.get(k)}
    return Refreshed(access, str(document.get("refreshJwt") or "") or None, jwt_expiry(access), fields)


def jwt_expiry(token: str) -> datetime | None:
    """When a JWT says it expires (its `exp`), read without verifying: the issuer checks it, Hark only plans."""
    try:
        payload = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(float(claims["exp"]), tz=UTC)
    except (IndexError, KeyError, ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        return None


def token_store(settings: Settings, secrets: SecretSource) -> TokenStore:
    """Where refreshed tokens go: the secret when there is one, else this process."""
    if settings.secrets_name:
        return SecretsManagerTokens(settings, settings.secrets_name)
    return MemoryTokens(dict(secrets.get().credentials))


def credentials(settings: Settings, secrets: SecretSource) -> Credentials:
    return Credentials(secrets, token_store(settings, secrets), settings.api_bases)
