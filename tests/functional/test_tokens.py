"""Outbound credentials that expire: refreshed before they do at each platform's token endpoint (the local fakes,
over real HTTP), stored back in the secret (Secrets Manager on the moto server), shared safely by two functions
refreshing at once, and declared dead only when the platform refuses and the secret holds nothing newer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.fakes import FakePlatforms, dev_refresh_token
from devstack.provision import put_secret
from services.respond.bootstrap import SENDERS
from services.respond.outbound import Outbound
from shared.credentials import Credential, credential_from
from shared.errors import CredentialRevoked, PlatformRefused
from shared.http import HttpAnswer
from shared.secrets import SecretValues, values_from_json
from shared.settings import Settings
from shared.tokens import Credentials, MemoryTokens, SecretsManagerTokens, jwt_expiry
from tests.conftest import Aws

SOON = datetime.now(UTC) + timedelta(minutes=1)
OAUTH = {
    "x": {"client_id": "x-client", "client_secret": "x-secret"},
    "reddit": {"client_id": "r-client", "client_secret": "r-secret", "user_agent": "hark-test/1.0"},
    "youtube": {"client_id": "g-client", "client_secret": "g-secret"},
    "google": {"client_id": "g-client", "client_secret": "g-secret"},
    "zendesk": {"client_id": "z-client", "client_secret": "z-secret", "subdomain": "brand"},
    "tiktok": {"client_id": "t-app", "client_secret": "t-secret"},
    "twitch": {"client_id": "tw-client", "client_secret": "tw-secret"},
    "trustpilot": {"client_id": "tp-key", "client_secret": "tp-secret", "business_user_id": "bu-1"},
}


class Fixed:
    """A secret source that always answers the same values (a cached secret)."""

    def __init__(self, values: SecretValues) -> None:
        self.values = values

    def get(self) -> SecretValues:
        return self.values


def secret_with(platform: str, document: dict[str, Any]) -> Fixed:
    return Fixed(values_from_json({"tokens": {platform: document}}))


def expiring(platform: str, **extra: str) -> dict[str, Any]:
    return {
        "access_token": f"old-{platform}",
        "refresh_token": dev_refresh_token(platform),
        "expires_at": SOON.isoformat(),
        **OAUTH.get(platform, {}),
        **extra,
    }


@pytest.fixture
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms() as running:
        yield running


def bases(fake: FakePlatforms) -> dict[str, str]:
    return {p: fake.base(p) for p in (*OAUTH, "bluesky", "slack")}


@pytest.mark.parametrize("platform", sorted(OAUTH))
def test_a_token_about_to_expire_is_refreshed_at_the_platform_s_token_endpoint(
    fake: FakePlatforms, platform: str
) -> None:
    store = MemoryTokens()
    credentials = Credentials(secret_with(platform, expiring(platform)), store, bases(fake))
    fresh = credentials.get(platform)
    assert fresh.access_token.startswith(f"{platform}-access-")
    assert fresh.expires_at is not None and fresh.expires_at > SOON
    [call] = fake.sent(platform)
    client = OAUTH[platform]
    if platform in ("x", "reddit", "trustpilot"):  # confidential clients authenticate with Basic
        pair = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
        assert call.headers["authorization"] == f"Basic {pair}"
    else:
        assert call.body["client_id"] == client["client_id"] and call.body["client_secret"] == client["client_secret"]
    assert call.body["grant_type"] == "refresh_token" and call.body["refresh_token"] == dev_refresh_token(platform)
    if platform == "tiktok":
        assert call.headers["content-type"] == "application/json"
    else:
        assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    stored = store.load(platform)
    assert stored is not None and stored.access_token == fresh.access_token
    # It works on the platform, and the next call uses it without refreshing again.
    assert credentials.get(platform).access_token == fresh.access_token
    assert len(fake.sent(platform)) == 1


def test_the_refreshed_token_goes_back_into_the_secret_with_the_rotated_refresh_token(
    aws: Aws, fake: FakePlatforms
) -> None:
    name = aws.env["HARK_SECRETS_NAME"]
    secretsmanager = aws.client("secretsmanager")
    put_secret(
        secretsmanager, name, {"api_keys": {}, "slack": "signing", "tokens": {"x": expiring("x"), "slack": "xoxb-1"}}
    )
    settings = Settings.from_env(aws.env)
    store = SecretsManagerTokens(settings, name, secretsmanager)
    document = json.loads(secretsmanager.get_secret_value(SecretId=name)["SecretString"])
    credentials = Credentials(Fixed(values_from_json(document)), store, bases(fake))
    fresh = credentials.get("x")
    after = json.loads(secretsmanager.get_secret_value(SecretId=name)["SecretString"])
    x = after["tokens"]["x"]
    assert x["access_token"] == fresh.access_token
    assert x["refresh_token"] == fresh.refresh_token and x["refresh_token"] != dev_refresh_token("x")
    assert datetime.fromisoformat(x["expires_at"]) == fresh.expires_at
    assert x["client_secret"] == "x-secret"  # the rest of the credential is kept
    assert after["tokens"]["slack"] == "xoxb-1" and after["slack"] == "signing"  # and the rest of the secret


def test_two_functions_refreshing_at_once_share_the_rotated_token(aws: Aws, fake: FakePlatforms) -> None:
    """X rotates refresh tokens: the second refresh with the old one is refused, and the second function must take
    the first one's result from the secret instead of calling the connection dead."""
    name = aws.env["HARK_SECRETS_NAME"]
    secretsmanager = aws.client("secretsmanager")
    put_secret(secretsmanager, name, {"api_keys": {}, "tokens": {"x": expiring("x")}})
    settings = Settings.from_env(aws.env)
    stale = Fixed(values_from_json(json.loads(secretsmanager.get_secret_value(SecretId=name)["SecretString"])))
    first = Credentials(stale, SecretsManagerTokens(settings, name, secretsmanager), bases(fake))
    second = Credentials(
        stale, SecretsManagerTokens(settings, name, secretsmanager), bases(fake), sleep=lambda _s: None
    )
    won = first.get("x")
    adopted = second.get("x")
    assert adopted.access_token == won.access_token
    refusals = [r for r in fake.sent("x") if r.path == "/2/oauth2/token"]
    assert len(refusals) == 2  # the second was refused (rotated), then adopted, not retried


def test_a_revoked_connection_is_dead_and_says_which_credential(fake: FakePlatforms) -> None:
    fake.revoke("reddit")
    credentials = Credentials(
        secret_with("reddit", expiring("reddit")), MemoryTokens(), bases(fake), sleep=lambda _s: None
    )
    with pytest.raises(CredentialRevoked) as raised:
        credentials.get("reddit")
    assert raised.value.extra["reason"] == "token_revoked"
    assert raised.value.extra["fingerprint"] == credential_from("reddit", expiring("reddit")).fingerprint
    assert "invalid_grant" in raised.value.extra["message"]


def test_a_token_that_cannot_be_refreshed_is_dead_when_the_platform_refuses_it(fake: FakePlatforms) -> None:
    credentials = Credentials(secret_with("slack", {"access_token": "xoxb-revoked"}), MemoryTokens(), bases(fake))
    stale = credentials.get("slack")
    with pytest.raises(CredentialRevoked) as raised:
        credentials.refresh("slack", stale)
    assert raised.value.extra["reason"] == "token_refused"
    assert fake.sent("slack") == []


def test_a_token_endpoint_that_is_down_is_a_retryable_refusal_not_a_dead_connection() -> None:
    def down(*_args: Any, **_kwargs: Any) -> HttpAnswer:
        return HttpAnswer(503, {}, {"error": "temporarily_unavailable"})

    credentials = Credentials(secret_with("google", expiring("google")), MemoryTokens(), {}, http=down)
    with pytest.raises(PlatformRefused) as raised:
        credentials.get("google")
    assert (raised.value.extra["code"], raised.value.extra["retryable"]) == ("token_refresh_failed", True)


def test_a_refresh_refused_after_a_401_uses_the_token_on_the_platform(fake: FakePlatforms) -> None:
    """A token the platform stopped taking before its expiry: refreshed on demand, and the new one works."""
    document = {**expiring("twitch"), "expires_at": (datetime.now(UTC) + timedelta(hours=3)).isoformat()}
    document["access_token"] = "hark-dev-twitch-token"
    credentials = Credentials(secret_with("twitch", document), MemoryTokens(), bases(fake))
    twitch = next(k for k in SENDERS if k.platform == "twitch")(fake.base("twitch"))
    reply = Outbound("twitch", "twitch.chat", "message", "m1", "141981764", "2002", "m1", "Hi there, on it now.")
    fake.expire("twitch")
    first = credentials.get("twitch")
    with pytest.raises(PlatformRefused) as refused:
        twitch.send(reply, first)
    assert refused.value.extra["code"] == "bad_credentials"
    delivered = twitch.send(reply, credentials.refresh("twitch", first))
    assert delivered.platform_id
    assert fake.replies("twitch")[-1].headers["authorization"].startswith("Bearer twitch-access-")


def test_bluesky_opens_a_session_from_the_app_password_and_refreshes_it(fake: FakePlatforms) -> None:
    document = {"identifier": "brand.hark.local", "app_password": "hark-dev-bluesky-token"}
    credentials = Credentials(secret_with("bluesky", document), MemoryTokens(), bases(fake))
    session = credentials.get("bluesky")
    assert session.get("did") == "did:plc:harkdevbrand" and session.refresh_token
    assert session.expires_at is not None and session.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    assert fake.sent("bluesky")[-1].path == "/xrpc/com.atproto.server.createSession"
    renewed = credentials.refresh("bluesky", replace(session, expires_at=datetime.now(UTC)))
    assert renewed.access_token != session.access_token
    last = fake.sent("bluesky")[-1]
    assert last.path == "/xrpc/com.atproto.server.refreshSession"
    assert last.headers["authorization"] == f"Bearer {session.refresh_token}"


def test_a_credential_someone_stored_anew_wins_over_what_this_process_refreshed(fake: FakePlatforms) -> None:
    source = secret_with("x", expiring("x"))
    credentials = Credentials(source, MemoryTokens(), bases(fake))
    refreshed = credentials.get("x")
    source.values = values_from_json({"tokens": {"x": {"access_token": "pasted-by-an-admin"}}})
    assert credentials.get("x").access_token == "pasted-by-an-admin"
    assert refreshed.access_token != "pasted-by-an-admin"


def test_a_jwt_says_when_it_expires_and_garbage_says_nothing() -> None:
    token = "e30." + base64.urlsafe_b64encode(b'{"exp": 1900000000}').decode().rstrip("=") + ".sig"
    assert jwt_expiry(token) == datetime.fromtimestamp(1900000000, UTC)
    assert jwt_expiry("not a jwt") is None


def test_tokens_in_the_secret_read_as_strings_or_objects() -> None:
    values = values_from_json(
        {
            "tokens": {
                "slack": "xoxb-1",
                "x": {"access_token": "a", "refresh_token": "r", "expires_at": "2030-01-01T00:00:00Z"},
            }
        }
    )
    assert values.platform_token("slack") == "xoxb-1" and values.platform_token("x") == "a"
    assert values.credential("x") == Credential(
        "x", access_token="a", refresh_token="r", expires_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(Exception, match="time zone"):
        values_from_json({"tokens": {"x": {"access_token": "a", "expires_at": "2030-01-01T00:00:00"}}})
