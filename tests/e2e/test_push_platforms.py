"""Every push platform against `hark up` over real HTTP: each handshake answers in the platform's exact format,
signed deliveries become exactly one mention per message (none for non-message events), a redelivery adds
nothing, and tampered or stale deliveries get 401 and store nothing. A deletion reaches the stored mention.

One stack for the module, with the development secrets (`hark-dev-<platform>-secret`, the Discord and Google
development keys) and Google's review API pointed at a fake on 127.0.0.1. Bounded: every wait has a deadline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from devstack.signing import (
    DEV_DISCORD_PRIVATE_KEY,
    discord_headers,
    github_headers,
    google_push,
    hub_headers,
    meta_headers,
    slack_headers,
    standard_webhooks_headers,
    telegram_headers,
    tiktok_headers,
    trustpilot_headers,
    twitch_headers,
    x_headers,
    zendesk_headers,
)
from services.ingest.platforms import CONNECTORS
from services.ingest.platforms.x import crc_response
from shared.settings import (
    DEV_GOOGLE_AUDIENCE,
    DEV_GOOGLE_SERVICE_ACCOUNT,
    DEV_META_VERIFY_TOKEN,
    dev_platform_secret,
)
from tests.conftest import FIXTURES, load_json
from tests.e2e.test_local_stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

WEBHOOKS = FIXTURES / "webhooks"
REVIEW = "accounts/111/locations/222/reviews/AbFvOqn"


def fixture(platform: str, name: str) -> bytes:
    return (WEBHOOKS / platform / name).read_bytes()


def secret(platform: str) -> str:
    return dev_platform_secret(platform)


Sign = Callable[[bytes, int], dict[str, str]]  # body, unix time of signing → headers


@dataclass
class Case:
    """One platform: a delivery with messages, one with none, and how to sign it now or too long ago."""

    platform: str
    body: bytes
    sign: Sign
    messages: int
    silent: bytes
    stale: bool = True  # the platform has a replay window
    query: str = ""  # a URL secret (Trustpilot's token)
    silent_sign: Sign | None = None
    # A delivery the platform did not send, signed wrongly: by default the body changed after signing.
    forge: Callable[[bytes, int], tuple[bytes, dict[str, str]]] | None = field(default=None, repr=False)


def _twitch(kind: str = "notification") -> Sign:
    return lambda body, at: twitch_headers(body, secret("twitch"), kind, timestamp=datetime.fromtimestamp(at, UTC))


def _google_body(notification: dict[str, Any]) -> bytes:
    body, _ = google_push(notification, audience=DEV_GOOGLE_AUDIENCE, email=DEV_GOOGLE_SERVICE_ACCOUNT, message_id="1")
    return body


def _google_forged(body: bytes, at: int) -> tuple[bytes, dict[str, str]]:
    """Pub/Sub's token vouches for the pusher, not the body (TLS keeps that intact): a forgery is a token signed by
    a key that is not Google's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _, headers = google_push({}, key.decode(), audience=DEV_GOOGLE_AUDIENCE, email=DEV_GOOGLE_SERVICE_ACCOUNT)
    return body, headers


def _google_sign(body: bytes, at: int) -> dict[str, str]:
    # The token is independent of the body (Pub/Sub signs who pushes, not what); stale = expired at arrival.
    _, headers = google_push({}, audience=DEV_GOOGLE_AUDIENCE, email=DEV_GOOGLE_SERVICE_ACCOUNT, issued_at=at - 3500)
    return headers


CASES = [
    Case("meta", fixture("meta", "synthetic__whatsapp-bsuid-group.json"), lambda b, _: meta_headers(b, secret("meta")),
         2, fixture("meta", "synthetic__page-fields-without-value.json"), stale=False),
    Case("x", fixture("x", "synthetic__aaa-direct-message-events.json"), lambda b, _: x_headers(b, secret("x")),
         2, fixture("x", "synthetic__aaa-silent-events.json"), stale=False),
    Case("slack", fixture("slack", "synthetic__message-channel.json"),
         lambda b, at: slack_headers(b, secret("slack"), timestamp=at), 1,
         fixture("slack", "python-slack-events-api__reaction_added.json")),
    Case("discord", fixture("discord", "synthetic__slash-command-with-options.json"),
         lambda b, at: discord_headers(b, DEV_DISCORD_PRIVATE_KEY, timestamp=at), 1,
         fixture("discord", "synthetic__message-component.json")),
    Case("github", fixture("github", "issue_comment__created.payload.json"),
         lambda b, _: github_headers(b, secret("github"), "issue_comment", "e2e-1"), 1,
         fixture("github", "issues__labeled.payload.json"), stale=False,
         silent_sign=lambda b, _: github_headers(b, secret("github"), "issues")),
    Case("youtube", fixture("youtube", "synthetic__two-videos.xml"), lambda b, _: hub_headers(b, secret("youtube")),
         0, fixture("youtube", "synthetic__video-deleted.xml"), stale=False),
    Case("telegram", fixture("telegram", "synthetic__message-forum-reply-photo.json"),
         lambda b, _: telegram_headers(secret("telegram")), 1, fixture("telegram", "synthetic__callback-query.json"),
         stale=False, forge=lambda b, _: (b, telegram_headers("a-guessed-token"))),
    Case("twitch", fixture("twitch", "twitch_api__channel.chat.message__notification.0.json"), _twitch(), 1,
         fixture("twitch", "twitch_api__mod_rs_test__notification_channel.follow.body.json")),
    Case("zendesk", fixture("zendesk", "synthetic__ticket-comment-added-customer.json"),
         lambda b, at: zendesk_headers(b, secret("zendesk"), datetime.fromtimestamp(at, UTC)), 1,
         fixture("zendesk", "synthetic__ticket-status-changed.json")),
    Case("mastodon", fixture("mastodon", "synthetic__status-created.json"),
         lambda b, _: hub_headers(b, secret("mastodon"), "sha256", "application/json"), 1,
         fixture("mastodon", "synthetic__report-created.json"), stale=False),
    Case("trustpilot", fixture("trustpilot", "synthetic__service-reviews-created.json"),
         lambda b, _: trustpilot_headers(secret("trustpilot")), 2,
         b'{"events": [{"eventName": "invitation-link-created", "version": "1", "eventData": {"id": "i"}}]}',
         stale=False, forge=lambda b, _: (b, trustpilot_headers("a-guessed-secret"))),
    Case("google", _google_body({"type": "NEW_REVIEW", "review": REVIEW}), _google_sign, 1,
         _google_body({"type": "NEW_QUESTION", "question": "accounts/111/locations/222/questions/q"}),
         forge=_google_forged),
    Case("tiktok", fixture("tiktok", "synthetic__video-publish-completed.json"),
         lambda b, at: tiktok_headers(b, secret("tiktok"), timestamp=at), 0,
         fixture("tiktok", "synthetic__authorization-removed.json")),
    Case("generic", fixture("generic", "synthetic__mention-created.json"),
         lambda b, at: standard_webhooks_headers(b, secret("generic"), message_id="msg_e2e", timestamp=at), 1,
         b'{"type": "mention.deleted", "data": {"native_id": "never-seen"}}'),
]  # fmt: skip


def test_every_connector_is_tried_here() -> None:
    assert {c.platform for c in CASES} == set(CONNECTORS)


@pytest.fixture(scope="module")
def review_api() -> Iterator[str]:
    """The Business Profile API as Hark reads it: one review, for any bearer token."""
    review = json.dumps(load_json(WEBHOOKS / "google" / "synthetic__api-review.json")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == f"/v4/{REVIEW}" and self.headers.get("Authorization", "").startswith("Bearer ")
            body = review if found else b'{"error": {"code": 404}}'
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def stack(review_api: str) -> Iterator[Stack]:
    started = start_stack({"HARK_API_BASE_GOOGLE": review_api, "HARK_TOKEN_GOOGLE": "ya29.local"})
    yield started
    stop_stack(started)


def post(stack: Stack, case: Case, body: bytes, headers: dict[str, str]) -> requests.Response:
    query = f"?token={secret('trustpilot')}" if case.platform == "trustpilot" and "Authorization" not in headers else ""
    return requests.post(f"{stack.url}/webhooks/{case.platform}{query}", data=body, headers=headers, timeout=10)


def stored(stack: Stack, platform: str) -> list[dict[str, Any]]:
    return list(stack.get(f"/v1/mentions?platform={platform}&limit=100")["items"])


HANDSHAKES = [
    ("meta", {"hub.mode": "subscribe", "hub.verify_token": DEV_META_VERIFY_TOKEN, "hub.challenge": "1158201444"},
     "1158201444", "text/plain"),
    ("x", {"crc_token": "crc-e2e"}, json.dumps({"response_token": crc_response("crc-e2e", secret("x"))},
                                               separators=(",", ":")), "application/json"),
    ("youtube", {"hub.mode": "subscribe", "hub.challenge": "yt-e2e", "hub.lease_seconds": "432000",
                 "hub.topic": "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCacmeChannel000000000000"},
     "yt-e2e", "text/plain"),
]  # fmt: skip


@pytest.mark.parametrize(("platform", "query", "body", "content_type"), HANDSHAKES)
def test_get_handshakes_answer_in_the_platforms_format(
    stack: Stack, platform: str, query: dict[str, str], body: str, content_type: str
) -> None:
    response = requests.get(f"{stack.url}/webhooks/{platform}", params=query, timeout=10)
    assert response.status_code == 200, response.text
    assert response.text == body
    assert response.headers["Content-Type"].startswith(content_type)


def test_post_handshakes_answer_in_the_platforms_format(stack: Stack) -> None:
    challenge = fixture("slack", "python-slack-events-api__url_challenge.json")
    slack = requests.post(
        f"{stack.url}/webhooks/slack", data=challenge, headers=slack_headers(challenge, secret("slack")), timeout=10
    )
    assert (slack.status_code, slack.text) == (200, "valid_challenge_token")
    ping = fixture("discord", "discord-interactions-js__SharedTestUtils__pingRequestBody.json")
    discord = requests.post(
        f"{stack.url}/webhooks/discord", data=ping, headers=discord_headers(ping, DEV_DISCORD_PRIVATE_KEY), timeout=10
    )
    assert (discord.status_code, discord.json(), discord.headers["Content-Type"]) == (200, {"type": 1},
                                                                                      "application/json")  # fmt: skip
    verification = fixture(
        "twitch", "twitch_api__mod_rs_test__webhook_callback_verification_channel.subscribe.body.json"
    )
    twitch = requests.post(
        f"{stack.url}/webhooks/twitch",
        data=verification,
        headers=_twitch("webhook_callback_verification")(verification, int(time.time())),
        timeout=10,
    )
    assert (twitch.status_code, twitch.text) == (200, "11535768-497e-14ec-8197-ba2cb5341a01")
    assert twitch.headers["Content-Type"].startswith("text/plain")


def test_every_push_platform_over_http(stack: Stack) -> None:
    now = int(time.time())
    expected: dict[str, set[str]] = {}
    for case in CASES:
        first = post(stack, case, case.body, case.sign(case.body, now))
        assert first.status_code == 200, (case.platform, first.text)
        ids = _mention_ids(case, first)
        assert len(ids) == case.messages, (case.platform, first.text)
        again = post(stack, case, case.body, case.sign(case.body, now + 1))
        assert again.status_code == 200, (case.platform, again.text)
        assert _mention_ids(case, again) == ids, case.platform  # a redelivery names the same mentions
        silent_sign = case.silent_sign or case.sign
        quiet = post(stack, case, case.silent, silent_sign(case.silent, now))
        assert quiet.status_code == 200, (case.platform, quiet.text)
        assert _mention_ids(case, quiet) == [], case.platform
        forged_body, forged_headers = (
            case.forge(case.body, now) if case.forge else (_tamper(case.body), case.sign(case.body, now))
        )
        tampered = post(stack, case, forged_body, forged_headers)
        assert tampered.status_code == 401, (case.platform, tampered.status_code, tampered.text)
        assert tampered.headers["Content-Type"] == "application/problem+json"
        if case.stale:
            old = now - int(timedelta(hours=2).total_seconds())
            stale = post(stack, case, case.body, case.sign(case.body, old))
            assert stale.status_code == 401, (case.platform, stale.text)
            assert stale.json()["type"].endswith("stale-delivery"), case.platform
        expected[case.platform] = set(ids)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = {p: {m["id"] for m in stored(stack, p)} for p in expected}
        if all(seen[p] >= ids for p, ids in expected.items()):
            break
        time.sleep(0.5)
    time.sleep(1.5)  # give a wrongly accepted delivery the time to show up
    seen = {p: {m["id"] for m in stored(stack, p)} for p in expected}
    assert seen == expected  # exactly one mention per message, nothing from tampered, stale or silent deliveries


def test_a_deletion_reaches_the_stored_mention(stack: Stack) -> None:
    created = fixture("github", "issue_comment__created.payload.json")
    headers = github_headers(created, secret("github"), "issue_comment")
    [mention_id] = requests.post(f"{stack.url}/webhooks/github", data=created, headers=headers, timeout=10).json()[
        "mention_ids"
    ]
    stack.wait_for(lambda: stack.find(f"/v1/mentions/{mention_id}").get("classification"), timeout=30)
    removed = fixture("github", "issue_comment__deleted.payload.json")
    receipt = requests.post(
        f"{stack.url}/webhooks/github",
        data=removed,
        headers=github_headers(removed, secret("github"), "issue_comment"),
        timeout=10,
    )
    assert receipt.json() == {"accepted": 0, "ignored": 0, "deleted": 1, "mention_ids": []}
    stack.wait_for(lambda: stack.find(f"/v1/mentions/{mention_id}").get("deleted_at"), timeout=30)


def _mention_ids(case: Case, response: requests.Response) -> list[str]:
    if case.platform == "discord":  # Discord's answer is the interaction response; ids are found by listing
        return _discord_ids(response)
    return list(response.json()["mention_ids"])


def _discord_ids(response: requests.Response) -> list[str]:
    from shared.ids import mention_id

    answer = response.json()
    if answer.get("type") != 4:
        return []
    return [mention_id("discord", "1312345678901234567")]


def _tamper(body: bytes) -> bytes:
    return body.replace(b"e", b"E", 1) if b"e" in body else body + b" "
