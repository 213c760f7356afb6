"""Sign deliveries exactly as the platforms do (used by the demo stream, the tests and anyone poking the stack)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

# The private halves of the documented local development keys (shared/settings.py holds the public halves).
DEV_DISCORD_PRIVATE_KEY = "bb56067cb615bbcfd2a879658ffe65d13498834bcca400d9c803142cdec32531"
DEV_GOOGLE_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC4Kx/Dasj+2S0o
7NICwIOmF/1dFwRJLpC8Y/mNTmpGlHp4W8nc3zYq61CaQZjy0Mm5epTUYV8WaFx1
SsxkktlPT9EcmkbkDyUhFiJ8VNA/wrK2D0jOOrGiMRWpavK7EGeaskOO3ryBz4sc
t6WF1OAOnzB1I5e+kMO6g7W0QkPer5YzEtx1hgs5jjnEw4NJ/Ahy76xENqCMa38n
nkRgvQs63Zcn5C5tS9EqFazd/8Ua6nIE1hDddaLW9PLN6/RzAhaOhjJw3B0cxkVS
18WNMaQltXjynBUmN3RaBiYsOkp5eGSpqwTu0ihPgtH1MovzCXF5f60kW807gCMS
XAO7G54PAgMBAAECggEAF2Nr9GfDyyWZKBjchM/zssIE1u/Hh2Rb/34cy5a5RWmx
cfE03hFqHMznNBJ/ki/0u6g3GA+eQUdonSwDcARRh6fQcSGgk3GJmr2SYe1tcvjO
tEiVoOca9vOP14TxpX2sV/Iqmo1r2CUber6nIoC0dvboHardqFb/HFksrWM69kpp
C64sOEFbeI3w4HeYe3jRBbpBztplTFOhmVNUBpzGM3Wu+OHTVuCfhieS3nIgN/xa
qpKp3vo/807pwYJVuLNZKdDgOs7pLQAt+zUjMyXtHh0yiE5dIrwXRpw4Cm809qFl
jqAUpVeDGuqc74OPin7OBkRb0iqqlH3evkuf/xwODQKBgQDzVXzp202w72jHWeWC
9YtDqrwUtBE6LswgrPE327PF9uc73Ntn6ugiE0oWL2itsQCX+CycMeu4yOEFVhlV
0aR8hDNUQ7N3oQy70Ad5rqsiba29SMxFK1oIyL5l9RWU1Vuvfj/AimXZ45X3ILIw
6uWaUc03oFAG05GLld4s0r7+pQKBgQDBwTwdWquQGtOe2e7KwErBk58AImMwhqLp
6kQO94GFxQeVZ5WqCn4vhiDy1FoTj3EqQ/IesewuMwC3f8QVjDeC3Roch2vQU+1o
P7W0ASVJFev/4YohWBUmTDd+zVyOIZ4G8Oqv7WG/WXP3mdrUrlL1BlUjr708Nlhl
Bs63PUufowKBgAQZXJFT8GsanVk+Wm9qU35AUgrHPcMNJsMmJqoaOV0MW7jWb5vA
iUiJqqXVBp5mbOwich3veVkTiTbdzG91qJ+wWm0A9vT88Yn4ZyfVmWxrDJIzt70y
jcG4H/z3s/Vd4r2CEvDbY/vXqZ8QHfBVBKkk16AoQzDaP4lqbOO0aSNBAoGAIxuD
bAI44gSqYbc1eJF9OjQodFrGxE0xCdeD+35HftijtiOtz8DU+oGASN/HbpHoPHNR
VNSCaiCduaIyAoGEsXaku5SiKX57nw8kOniWq/aH67aPU9llA6p9x8EoSyy2OKXA
sJ3/vy9TPwMmzrDDoVhDZxL55AYo4C1qmXNG16cCgYEAzkei7jF8XJTWmrO0ZErl
Eawmh6gg0SWsj03EPAQYvPj5iKbGbceJCwGyTFi8jRtSFyGvkt8Lo/OPGw7Utx8D
0ALJ0VxT0hIj1WIWzjJrBySLfqNcWH93bgV9GWbD4DZnHAc8em0/hS8gPp/u9Stt
XnBsCXprtXG6qLrz31WpznQ=
-----END PRIVATE KEY-----"""


def github_headers(body: bytes, secret: str, event: str, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/hark-demo",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def meta_headers(body: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
    }


def meta_body(payload: dict[str, Any]) -> bytes:
    # Meta signs the escaped-unicode form of its JSON, which is what it puts on the wire.
    return json.dumps(payload, ensure_ascii=True).encode()


def _hmac(secret: str | bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def x_headers(body: bytes, consumer_secret: str) -> dict[str, str]:
    """X (Account Activity and Activity API): base64 HMAC-SHA256 of the body with the app's consumer secret."""
    return {
        "Content-Type": "application/json",
        "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(_hmac(consumer_secret, body)).decode(),
    }


def slack_headers(body: bytes, signing_secret: str, timestamp: int | None = None, retry: int = 0) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = _hmac(signing_secret, b"v0:" + stamp.encode() + b":" + body).hex()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + signature,
    }
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


def twitch_headers(
    body: bytes,
    secret: str,
    message_type: str = "notification",
    message_id: str | None = None,
    timestamp: datetime | None = None,
    subscription: str = "channel.chat.message",
) -> dict[str, str]:
    mid = message_id or str(uuid.uuid4())
    stamp = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "Content-Type": "application/json",
        "Twitch-Eventsub-Message-Id": mid,
        "Twitch-Eventsub-Message-Retry": "0",
        "Twitch-Eventsub-Message-Type": message_type,
        "Twitch-Eventsub-Message-Timestamp": stamp,
        "Twitch-Eventsub-Message-Signature": "sha256=" + _hmac(secret, (mid + stamp).encode() + body).hex(),
        "Twitch-Eventsub-Subscription-Type": subscription,
        "Twitch-Eventsub-Subscription-Version": "1",
    }


def telegram_headers(secret_token: str) -> dict[str, str]:
    """Telegram signs nothing: it sends back the secret_token given to setWebhook."""
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret_token}


def discord_headers(body: bytes, private_key_hex: str, timestamp: int | None = None) -> dict[str, str]:
    """Discord signs `timestamp + body` with the application's Ed25519 key (here the test or dev seed)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key_hex))
    return {
        "Content-Type": "application/json",
        "X-Signature-Ed25519": key.sign(stamp.encode() + body).hex(),
        "X-Signature-Timestamp": stamp,
    }


def google_push(
    notification: dict[str, Any],
    private_key_pem: str = DEV_GOOGLE_PRIVATE_KEY,
    *,
    audience: str,
    email: str,
    kid: str = "hark-dev-google",
    message_id: str | None = None,
    issued_at: int | None = None,
    lifetime: int = 3600,
) -> tuple[bytes, dict[str, str]]:
    """A Pub/Sub push delivery of `notification`, with the OIDC token Google would sign for the subscription."""
    import jwt  # noqa: PLC0415

    now = int(time.time()) if issued_at is None else issued_at
    mid = message_id or str(uuid.uuid4().int)[:16]
    body = json.dumps(
        {
            "message": {
                "data": base64.b64encode(json.dumps(notification).encode()).decode(),
                "attributes": {},
                "messageId": mid,
                "message_id": mid,
                "publishTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            },
            "subscription": "projects/hark-local/subscriptions/gbp-reviews",
        }
    ).encode()
    claims = {
        "aud": audience,
        "azp": "1234567890",
        "email": email,
        "email_verified": True,
        "exp": now + lifetime,
        "iat": now,
        "iss": "https://accounts.google.com",
        "sub": "1234567890",
    }
    token = jwt.encode(claims, private_key_pem, algorithm="RS256", headers={"kid": kid})
    return body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def standard_webhooks_headers(
    body: bytes, secret: str, message_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """Standard Webhooks (the `generic` platform): `v1,<base64 HMAC>` of id.timestamp.body with the whsec_ key."""
    mid = message_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()
    signature = base64.b64encode(_hmac(key, f"{mid}.{stamp}.".encode() + body)).decode()
    return {
        "Content-Type": "application/json",
        "webhook-id": mid,
        "webhook-timestamp": stamp,
        "webhook-signature": f"v1,{signature}",
    }


def hub_headers(
    body: bytes, secret: str, algorithm: str = "sha1", content_type: str = "application/atom+xml"
) -> dict[str, str]:
    """WebSub (YouTube, sha1) and Mastodon (sha256): `X-Hub-Signature: <algorithm>=<hex HMAC>`."""
    return {
        "Content-Type": content_type,
        "X-Hub-Signature": f"{algorithm}=" + _hmac(secret, body, algorithm).hex(),
    }


def zendesk_headers(body: bytes, secret: str, timestamp: datetime | None = None) -> dict[str, str]:
    stamp = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": base64.b64encode(_hmac(secret, stamp.encode() + body)).decode(),
        "X-Zendesk-Webhook-Id": "01HARKDEVWEBHOOK",
        "X-Zendesk-Webhook-Invocation-Id": str(uuid.uuid4().int)[:19],
    }


def trustpilot_headers(secret: str, user: str = "hark") -> dict[str, str]:
    """Trustpilot signs nothing: the webhook URL carries a secret, sent back as Basic credentials."""
    credentials = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {credentials}"}


def tiktok_headers(body: bytes, client_secret: str, timestamp: int | None = None) -> dict[str, str]:
    """TikTok: `t=<unix>,s=<hex HMAC-SHA256(client secret, t + "." + body)>`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = _hmac(client_secret, stamp.encode() + b"." + body).hex()
    return {"Content-Type": "application/json", "TikTok-Signature": f"t={stamp},s={signature}"}
