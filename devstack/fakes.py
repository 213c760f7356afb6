"""Local fakes of the platform APIs Hark talks to, on one 127.0.0.1 port: `base(platform)` is a platform's API base
(`HARK_API_BASE_<PLATFORM>`). One fake per platform serves both sides: the reply API (below) and, for the polled
platforms (Reddit, WordPress, YouTube, Bluesky, Discord, TikTok), the listings their pollers read
(`devstack/fake_feeds.py`, seeded as `fake.feeds.<platform>`; every GET to a polled platform goes there), with one
registry of credentials: a token the fake issued from its token endpoint, or opened as a session, is good for both
until it is expired or revoked.

Each answers as its platform documents: the paths, methods, auth headers and bodies a reply takes, the ids and
bodies it returns, its error shapes, and its OAuth token endpoint (refresh tokens rotate where the platform rotates
them). They check the credential on every call, record every request, and can be told to answer the next requests
the way the platform refuses (`refuse`, or `refuse_as` with a kind: `rate_limited` with the platform's own
Retry-After or reset header, `deleted`, `window_closed`, `auth`), to expire the access tokens they issued (`expire`)
or to revoke the refresh tokens (`revoke`). Tests, the e2e suite and `hark up` use them (`hark up` starts one and
points every `HARK_API_BASE_*` that is not set at it).

| platform | reply call | auth |
|---|---|---|
| github | `POST /repos/{o}/{r}/issues/{n}/comments`, `POST /graphql` | `Authorization: Bearer` |
| meta | `POST /v21.0/{id}/comments`, `/replies`, `/messages` | `Authorization: Bearer` |
| x | `POST /2/tweets`, `POST /2/dm_conversations/with/{id}/messages`; token `POST /2/oauth2/token` | Bearer |
| slack | `POST /api/chat.postMessage` | Bearer |
| discord | `POST /webhooks/{app}/{token}`, `POST /channels/{id}/messages`, `POST /users/@me/channels` | `Bot` |
| youtube | `POST /youtube/v3/comments`, `/commentThreads`; token `POST /token` | Bearer (`key=` for polls) |
| reddit | `POST /api/comment` (form); token `POST /api/v1/access_token` (refresh, password) | Bearer, User-Agent |
| telegram | `POST /bot{token}/sendMessage` | the token in the path |
| twitch | `POST /helix/chat/messages`; token `POST /oauth2/token` | Bearer, Client-Id |
| zendesk | `PUT /api/v2/tickets/{id}.json`; token `POST /oauth/tokens` | Bearer, or Basic `email/token:key` |
| mastodon | `POST /api/v1/statuses` (Idempotency-Key honoured) | Bearer |
| wordpress | `POST /wp-json/wp/v2/comments` | Basic (application password) or Bearer |
| bluesky | `POST /xrpc/com.atproto.repo.createRecord`; `createSession`, `refreshSession` | Bearer |
| trustpilot | `POST /v1/private/reviews/{id}/reply`; token `POST /v1/oauth/.../refresh` | Bearer |
| google | `PUT /v4/accounts/{a}/locations/{l}/reviews/{r}/reply`, `GET` the review; token `POST /token` | Bearer |
| tiktok | `POST /open_api/v1.3/business/comment/reply/create/`; token `.../oauth2/refresh_token/` | Access-Token |

Polled listings (GET): Reddit `/message/inbox`, `/message/mentions`, `/r/{sub}/comments`, `/r/{sub}/new`; WordPress
`/wp-json/wp/v2/comments`; YouTube `/youtube/v3/commentThreads`; Bluesky `app.bsky.notification.listNotifications`;
Discord `/api/v10/channels/{id}/messages`; TikTok `business/video/list/`, `business/comment/list/`.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.fake_feeds import POLLED, FeedFakes
from shared.http import open_url
from shared.settings import dev_platform_token

PLATFORMS = (
    "github",
    "meta",
    "x",
    "slack",
    "discord",
    "youtube",
    "reddit",
    "telegram",
    "twitch",
    "zendesk",
    "mastodon",
    "wordpress",
    "bluesky",
    "trustpilot",
    "google",
    "tiktok",
)
# Platforms whose refresh tokens are single-use (a refresh returns a new one and the old one dies).
ROTATING = frozenset({"x", "zendesk", "tiktok", "twitch", "bluesky"})
# How long the access tokens the fakes issue live.
ISSUED_LIFETIME_S = 3600

ISSUE_COMMENTS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/comments$")
GRAPH = re.compile(r"^/v\d+\.\d+/(?P<node>[^/]+)/(?P<edge>comments|replies|messages)$")
X_DM = re.compile(r"^/2/dm_conversations/with/(?P<person>\d+)/messages$")
DISCORD_FOLLOWUP = re.compile(r"^/webhooks/(?P<app>\d+)/(?P<token>[^/]+)$")
DISCORD_CHANNEL = re.compile(r"^/channels/(?P<channel>\d+)/messages$")
TELEGRAM = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")
ZENDESK_TICKET = re.compile(r"^/api/v2/tickets/(?P<ticket>\d+)(?:\.json)?$")
TRUSTPILOT_REPLY = re.compile(r"^/v1/private/reviews/(?P<review>[^/]+)/reply$")
GOOGLE_REPLY = re.compile(r"^/v4/(?P<review>accounts/[^/]+/locations/[^/]+/reviews/[^/]+)/reply$")
GOOGLE_REVIEW = re.compile(r"^/v4/(?P<review>accounts/[^/]+/locations/[^/]+/reviews/[^/]+)$")
TOKEN_PATHS = {
    "x": "/2/oauth2/token",
    "reddit": "/api/v1/access_token",
    "youtube": "/token",
    "google": "/token",
    "zendesk": "/oauth/tokens",
    "tiktok": "/open_api/v1.3/tt_user/oauth2/refresh_token/",
    "twitch": "/oauth2/token",
    "trustpilot": "/v1/oauth/oauth-business-users-for-applications/refresh",
}

Answer = tuple[int, Any, dict[str, str]]


def dev_refresh_token(platform: str) -> str:
    """The refresh token the fakes accept until it is used (rotating platforms) or revoked."""
    return f"hark-dev-{platform}-refresh"


def dev_password(platform: str) -> str:
    """The password a script app signs in with (Reddit's password grant)."""
    return f"hark-dev-{platform}-password"


@dataclass
class Recorded:
    platform: str
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived (a test times the back-off with it)


@dataclass
class Refusal:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    platform: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else ""

    def basic(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


class FakePlatforms:
    """Every platform's fake on one local port."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, tokens: dict[str, str] | None = None, listen: bool = True
    ) -> None:
        """`listen=False`: no socket; tests answer requests in process (`handle`, `tests/pollkit.InProcess`)."""
        self.tokens = tokens or {p: dev_platform_token(p) for p in PLATFORMS}
        self.requests: list[Recorded] = []
        self._valid: dict[str, set[str]] = {p: {self.tokens.get(p, dev_platform_token(p))} for p in PLATFORMS}
        self._refresh: dict[str, set[str]] = {p: {dev_refresh_token(p)} for p in PLATFORMS}
        self._refusals: dict[str, list[Refusal]] = {p: [] for p in (*PLATFORMS, "websub")}
        self._dead_interactions: set[str] = set()
        self._reviews: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, Any] = {}
        self._ids = itertools.count(1001)
        # Reentrant: the feeds answer under it and ask it whether a token is good.
        self._lock = threading.RLock()
        self.refused: list[Recorded] = []  # the requests answered with a refusal they were told to give
        self.feeds = FeedFakes(self._lock, self._valid_token)
        self._handlers: dict[str, Callable[[Request, int], Answer]] = {p: getattr(self, f"_{p}") for p in PLATFORMS}
        # A WebSub hub (`base("websub")`): subscriptions asked, and the hub's verification of each (its callback
        # GET, answered with the challenge or not), as Google's hub does it. `hub_callback` answers in process.
        self._handlers["websub"] = self._websub
        self.subscriptions: list[dict[str, str]] = []
        self.verifications: list[tuple[str, bool]] = []
        self.hub_callback: Callable[[str], tuple[int, str]] | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer, headers = fake.handle(self.command, self.path, dict(self.headers.items()), raw)
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                if answer is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer((host, port), Handler) if listen else None
        self._thread = threading.Thread(
            target=self._server.serve_forever if self._server else lambda: None, name="hark-fake-platforms", daemon=True
        )

    @property
    def url(self) -> str:
        if self._server is None:
            return "http://fake"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    def start(self) -> FakePlatforms:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # Steering
    def refuse(self, platform: str, status: int, body: Any, times: int = 1, **headers: str) -> None:
        """Refuse the next `times` API calls to `platform` (token endpoints excepted) with this answer."""
        with self._lock:
            self._refusals[platform].extend(Refusal(status, body, headers) for _ in range(times))

    def refuse_as(self, platform: str, kind: str, times: int = 1, retry_after_s: int = 2) -> None:
        """Refuse the next calls as the platform does: `rate_limited`, `deleted`, `window_closed` or `auth`."""
        status, body, headers = refusal(platform, kind, retry_after_s)
        self.refuse(platform, status, body, times, **headers)

    def expire(self, platform: str) -> None:
        """Every access token of `platform` stops working (as when it expires early or is rotated)."""
        with self._lock:
            self._valid[platform] = set()

    def revoke(self, platform: str) -> None:
        """Every refresh token of `platform` stops working (the user disconnected the app)."""
        with self._lock:
            self._refresh[platform] = set()

    def accept(self, platform: str, access_token: str | None = None, refresh_token: str | None = None) -> None:
        with self._lock:
            if access_token:
                self._valid[platform].add(access_token)
            if refresh_token:
                self._refresh[platform].add(refresh_token)

    def add_review(self, name: str, comment: str, stars: str = "ONE", reviewer: str = "Sam Rivera") -> None:
        """A Business Profile review the fake serves (`GET /v4/{name}`), as Google's notification names it."""
        now = _now_iso()
        review = {
            "name": name,
            "reviewId": name.rsplit("/", 1)[-1],
            "reviewer": {"displayName": reviewer, "isAnonymous": False},
            "starRating": stars,
            "comment": comment,
            "createTime": now,
            "updateTime": now,
        }
        with self._lock:
            self._reviews[name] = review

    def expire_interaction(self, token: str) -> None:
        """A Discord interaction token past its 15 minutes."""
        with self._lock:
            self._dead_interactions.add(token)

    def sent(self, platform: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if platform is None or r.platform == platform]

    def replies(self, platform: str) -> list[Recorded]:
        """What was posted to `platform`, token calls and session calls left out."""
        return [r for r in self.sent(platform) if not _is_auth_call(platform, r.path)]

    # Answering
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        """One request as the server received it (`target`: `/<platform>/<path>?<query>`)."""
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "").split(";")[0].strip().lower()
        body: Any
        if kind == "application/x-www-form-urlencoded":
            body = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        else:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {"raw": raw.decode("utf-8", "replace")}
        return self._answer(method, target, body, headers)

    def _answer(self, method: str, target: str, body: Any, headers: dict[str, str]) -> Answer:
        platform, _, rest = target.lstrip("/").partition("/")
        path, _, raw_query = ("/" + rest).partition("?")
        query = dict(urllib.parse.parse_qsl(raw_query))
        lower = {k.lower(): v for k, v in headers.items()}
        if platform not in self._handlers:
            return 404, {"message": "Not Found"}, {}
        auth_call = _is_auth_call(platform, path)
        with self._lock:
            record = Recorded(platform, method, path, body, lower, query)
            self.requests.append(record)
            queued = self._refusals[platform]
            refusal_ = queued.pop(0) if queued and not auth_call else None
            if refusal_ is not None:
                self.refused.append(record)
            number = next(self._ids)
        if refusal_ is not None:
            return refusal_.status, refusal_.body, refusal_.headers
        request = Request(platform, method, path, query, lower, body)
        if auth_call:
            return self._token(request, number)
        if platform in POLLED and method == "GET":  # a listing a poller reads
            return self.feeds.answer(platform, method, "/" + rest, lower, b"")
        return self._handlers[platform](request, number)

    def _valid_token(self, platform: str, token: str) -> bool:
        with self._lock:
            return bool(token) and token in self._valid.get(platform, set())

    # OAuth token endpoints (and Bluesky's sessions)
    def _token(self, request: Request, number: int) -> Answer:
        platform = request.platform
        if platform == "bluesky":
            return self._bluesky_session(request, number)
        form = request.json if platform == "tiktok" else request.body or {}
        given = str(form.get("refresh_token") or "")
        with self._lock:
            known = given in self._refresh[platform]
            if form.get("grant_type") == "password":  # a Reddit script app signs in as its own account
                known = bool(form.get("username")) and form.get("password") == dev_password(platform)
            if known and platform in ROTATING:
                self._refresh[platform].discard(given)
            access, fresh = f"{platform}-access-{number}", f"{platform}-refresh-{number}"
            if known:
                self._valid[platform].add(access)
                if platform in ROTATING:
                    self._refresh[platform].add(fresh)
        if platform == "tiktok":
            if not known:
                return 200, {"code": 40104, "message": "The refresh token is invalid or expired.", "data": {}}, {}
            data = {"access_token": access, "expires_in": ISSUED_LIFETIME_S, "refresh_token": fresh}
            return 200, {"code": 0, "message": "OK", "request_id": f"req{number}", "data": data}, {}
        if not known:
            description = "Invalid refresh token" if platform != "zendesk" else "The provided grant is invalid"
            return 400, {"error": "invalid_grant", "error_description": description}, {}
        answer: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": ISSUED_LIFETIME_S}  # nosec B105 # the OAuth token type, not a token
        if platform in ROTATING:
            answer["refresh_token"] = fresh
        if platform == "trustpilot":
            answer["expires_in"] = str(ISSUED_LIFETIME_S)  # Trustpilot sends it as a string
        return 200, answer, {}

    def _bluesky_session(self, request: Request, number: int) -> Answer:
        access, fresh = _jwt(number, ISSUED_LIFETIME_S), f"bluesky-refresh-{number}"
        if request.path.endswith("refreshSession"):
            with self._lock:
                known = request.bearer in self._refresh["bluesky"]
                if known:
                    self._refresh["bluesky"].discard(request.bearer)
        else:
            password = str(request.json.get("password") or "")
            known = bool(request.json.get("identifier")) and password == self.tokens.get("bluesky")
        if not known:
            error = "ExpiredToken" if request.path.endswith("refreshSession") else "AuthenticationRequired"
            return 401, {"error": error, "message": "Token is invalid"}, {}
        with self._lock:
            self._valid["bluesky"].add(access)
            self._refresh["bluesky"].add(fresh)
        session = {
            "accessJwt": access,
            "refreshJwt": fresh,
            "handle": "brand.hark.local",
            "did": "did:plc:harkdevbrand",
        }
        return 200, session, {}

    # Platforms
    def _github(self, request: Request, number: int) -> Answer:
        if not self._valid_token("github", request.bearer):
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
        body = request.json
        match = ISSUE_COMMENTS.match(request.path)
        if match and request.method == "POST":
            if not body.get("body"):
                return 422, {"message": "Validation Failed", "errors": [{"field": "body", "code": "missing"}]}, {}
            html = f"https://github.com/{match['owner']}/{match['repo']}/issues/{match['number']}#issuecomment-{number}"
            return 201, {"id": number, "node_id": f"IC_fake{number}", "html_url": html, "body": body["body"]}, {}
        if request.path == "/graphql":
            query = str(body.get("query", ""))
            variables = body.get("variables", {}) if isinstance(body.get("variables"), dict) else {}
            if "addDiscussionComment" in query:
                url = f"https://github.com/discussions/comment/{number}"
                return 200, {"data": {"addDiscussionComment": {"comment": {"id": f"DC_fake{number}", "url": url}}}}, {}
            if "discussion(number" in query:
                return 200, {"data": {"repository": {"discussion": {"id": f"D_fake{variables.get('number')}"}}}}, {}
        return 404, {"message": "Not Found"}, {}

    def _meta(self, request: Request, number: int) -> Answer:
        if not self._valid_token("meta", request.bearer):
            return 400, _meta_error(190, "Invalid OAuth access token.", "OAuthException"), {}
        body = request.json
        match = GRAPH.match(request.path)
        if not match or request.method != "POST":
            return 400, _meta_error(100, "Unsupported post request.", "GraphMethodException", 33), {}
        if match["edge"] in ("comments", "replies"):
            if not body.get("message"):
                return 400, _meta_error(100, "(#100) The parameter message is required", "OAuthException"), {}
            return 200, {"id": f"{match['node']}_{number}"}, {}
        if body.get("messaging_product") == "whatsapp":
            return (
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                    "messages": [{"id": f"wamid.fake{number}"}],
                },
                {},
            )
        recipient = (body.get("recipient") or {}).get("id")
        return 200, {"recipient_id": recipient, "message_id": f"m_fake{number}"}, {}

    def _x(self, request: Request, number: int) -> Answer:
        if not self._valid_token("x", request.bearer):
            return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, {}
        body = request.json
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return 400, _x_problem(400, "Invalid Request", "One or more parameters to your request was invalid."), {}
        if request.method == "POST" and request.path == "/2/tweets":
            post = str(10**18 + number)
            return 201, {"data": {"id": post, "text": text, "edit_history_tweet_ids": [post]}}, {}
        match = X_DM.match(request.path)
        if match and request.method == "POST":
            data = {"dm_conversation_id": f"{match['person']}-1700000000000000000", "dm_event_id": str(10**18 + number)}
            return 201, {"data": data}, {}
        return 404, _x_problem(404, "Not Found Error", "The requested resource was not found."), {}

    def _slack(self, request: Request, number: int) -> Answer:
        if request.path != "/api/chat.postMessage":
            return 404, {"ok": False, "error": "unknown_method"}, {}
        if not self._valid_token("slack", request.bearer):
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        body = request.json
        if not body.get("channel"):
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if not body.get("text"):
            return 200, {"ok": False, "error": "no_text"}, {}
        ts = f"{1_700_000_000 + number}.{number:06d}"
        message = {"type": "message", "text": body["text"], "ts": ts, "thread_ts": body.get("thread_ts") or ts}
        return 200, {"ok": True, "channel": body["channel"], "ts": ts, "message": message}, {}

    def _discord(self, request: Request, number: int) -> Answer:
        message_id = str(1_100_000_000_000_000_000 + number)
        followup = DISCORD_FOLLOWUP.match(request.path)
        if followup and request.method == "POST":
            with self._lock:
                dead = followup["token"] in self._dead_interactions
            if dead:
                return 401, {"message": "Invalid Webhook Token", "code": 50027}, {}
            return 200, _discord_message(message_id, "0", request.json), {}
        bot = request.headers.get("authorization", "")
        if not bot.startswith("Bot ") or not self._valid_token("discord", bot[4:]):
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        if request.path == "/users/@me/channels" and request.method == "POST":
            recipient = str(request.json.get("recipient_id") or "")
            if not recipient.isdigit():
                return 400, {"message": "Invalid Form Body", "code": 50035}, {}
            return 200, {"id": str(1_200_000_000_000_000_000 + int(recipient) % 10**9), "type": 1}, {}
        channel = DISCORD_CHANNEL.match(request.path)
        if channel and request.method == "POST":
            content = request.json.get("content")
            if not isinstance(content, str) or not content:
                return 400, {"message": "Cannot send an empty message", "code": 50006}, {}
            if len(content) > 2000:
                errors = {
                    "content": {
                        "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]
                    }
                }
                return 400, {"message": "Invalid Form Body", "code": 50035, "errors": errors}, {}
            return 200, _discord_message(message_id, channel["channel"], request.json), {}
        return 404, {"message": "404: Not Found", "code": 0}, {}

    def _youtube(self, request: Request, number: int) -> Answer:
        if not self._valid_token("youtube", request.bearer):
            return (
                401,
                _google_error(401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED"),
                {},
            )
        snippet = _object(request.json.get("snippet"))
        if request.path == "/youtube/v3/comments" and request.method == "POST":
            if not snippet.get("parentId") or not snippet.get("textOriginal"):
                return (
                    400,
                    _google_error(400, "The comment's parentId or text is missing.", "invalidCommentMetadata"),
                    {},
                )
            made = f"{snippet['parentId']}.fake{number}"
            return (
                200,
                {"kind": "youtube#comment", "id": made, "snippet": {**snippet, "textDisplay": snippet["textOriginal"]}},
                {},
            )
        if request.path == "/youtube/v3/commentThreads" and request.method == "POST":
            top = (snippet.get("topLevelComment") or {}).get("snippet") or {}
            if not snippet.get("videoId") or not top.get("textOriginal"):
                return (
                    400,
                    _google_error(400, "The comment thread's video or text is missing.", "invalidCommentMetadata"),
                    {},
                )
            return 200, {"kind": "youtube#commentThread", "id": f"Ugfake{number}", "snippet": snippet}, {}
        return 404, _google_error(404, "Not Found", "notFound", "NOT_FOUND"), {}

    def _reddit(self, request: Request, number: int) -> Answer:
        if not request.headers.get("user-agent"):
            return 429, {"message": "Too Many Requests", "error": 429}, {}
        if not self._valid_token("reddit", request.bearer):
            return 401, {"message": "Unauthorized", "error": 401}, {}
        if request.path == "/api/comment" and request.method == "POST":
            form = request.body if isinstance(request.body, dict) else {}
            thing, text = str(form.get("thing_id") or ""), str(form.get("text") or "")
            if not text:
                return 200, {"json": {"errors": [["NO_TEXT", "we need something here", "text"]]}}, {}
            if not re.match(r"^t[134]_\w+$", thing):
                return 200, {"json": {"errors": [["NO_THING_ID", "can't find that thing", "parent"]]}}, {}
            name = f"t1_fake{number}"
            data = {
                "name": name,
                "id": f"fake{number}",
                "parent_id": thing,
                "body": text,
                "permalink": f"/r/hark/comments/x/_/fake{number}/",
            }
            return 200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": data}]}}}, {}
        return 404, {"message": "Not Found", "error": 404}, {}

    def _telegram(self, request: Request, number: int) -> Answer:
        match = TELEGRAM.match(request.path)
        if not match or not self._valid_token("telegram", match["token"]):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}
        if match["method"] != "sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}, {}
        body = request.json
        if "chat_id" not in body:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}, {}
        if not body.get("text"):
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}, {}
        result: dict[str, Any] = {
            "message_id": number,
            "from": {"id": 7000000001, "is_bot": True, "first_name": "Hark", "username": "hark_bot"},
            "chat": {"id": body["chat_id"], "type": "private"},
            "date": int(time.time()),
            "text": body["text"],
        }
        if body.get("message_thread_id"):
            result["message_thread_id"] = body["message_thread_id"]
        return 200, {"ok": True, "result": result}, {}

    def _twitch(self, request: Request, number: int) -> Answer:
        if not request.headers.get("client-id"):
            return 401, {"error": "Unauthorized", "status": 401, "message": "Client-Id header required"}, {}
        if not self._valid_token("twitch", request.bearer):
            return 401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, {}
        if request.path == "/helix/chat/messages" and request.method == "POST":
            body = request.json
            for name in ("broadcaster_id", "sender_id", "message"):
                if not body.get(name):
                    return (
                        400,
                        {"error": "Bad Request", "status": 400, "message": f'Missing required parameter "{name}"'},
                        {},
                    )
            if len(str(body["message"])) > 500:
                return 422, {"error": "Unprocessable Entity", "status": 422, "message": "The message is too large"}, {}
            return 200, {"data": [{"message_id": f"fake-{number:08d}-twitch", "is_sent": True}]}, {}
        return 404, {"error": "Not Found", "status": 404, "message": ""}, {}

    def _zendesk(self, request: Request, number: int) -> Answer:
        basic = request.basic()
        by_key = basic is not None and "/token" in basic[0] and self._valid_token("zendesk", basic[1])
        if not by_key and not self._valid_token("zendesk", request.bearer):
            return 401, {"error": "Couldn't authenticate you"}, {}
        match = ZENDESK_TICKET.match(request.path)
        if match and request.method == "PUT":
            comment = (request.json.get("ticket") or {}).get("comment") or {}
            if not comment.get("body") and not comment.get("html_body"):
                details = {"base": [{"description": "Comment: cannot be blank"}]}
                return (
                    422,
                    {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
                    {},
                )
            public = comment.get("public", True) is not False
            ticket = {"id": int(match["ticket"]), "status": "open", "updated_at": _now_iso()}
            events = [{"id": number, "type": "Comment", "body": comment.get("body"), "public": public, "author_id": 1}]
            return (
                200,
                {"ticket": ticket, "audit": {"id": number * 10, "ticket_id": ticket["id"], "events": events}},
                {},
            )
        return 404, {"error": "InvalidEndpoint", "description": "Not found"}, {}

    def _mastodon(self, request: Request, number: int) -> Answer:
        if not self._valid_token("mastodon", request.bearer):
            return 401, {"error": "The access token is invalid"}, {}
        if request.path == "/api/v1/statuses" and request.method == "POST":
            body = request.json
            if not body.get("status"):
                return 422, {"error": "Validation failed: Text can't be blank"}, {}
            if len(str(body["status"])) > 500:
                return 422, {"error": "Validation failed: Text character limit of 500 exceeded"}, {}
            key = request.headers.get("idempotency-key")
            with self._lock:
                if key and key in self._idempotent:
                    return 200, self._idempotent[key], {}
            status = {
                "id": str(110_000_000_000_000_000 + number),
                "uri": f"https://social.example/users/brand/statuses/{number}",
                "url": f"https://social.example/@brand/{number}",
                "in_reply_to_id": body.get("in_reply_to_id"),
                "visibility": body.get("visibility") or "public",
                "content": f"<p>{body['status']}</p>",
                "created_at": _now_iso(),
            }
            if key:
                with self._lock:
                    self._idempotent[key] = status
            return 200, status, {}
        return 404, {"error": "Record not found"}, {}

    def _wordpress(self, request: Request, number: int) -> Answer:
        basic = request.basic()
        allowed = (basic is not None and self._valid_token("wordpress", basic[1])) or self._valid_token(
            "wordpress", request.bearer
        )
        if not allowed:
            return (
                401,
                {"code": "rest_not_logged_in", "message": "You are not currently logged in.", "data": {"status": 401}},
                {},
            )
        if request.path == "/wp-json/wp/v2/comments" and request.method == "POST":
            body = request.json
            if not isinstance(body.get("post"), int):
                return (
                    403,
                    {
                        "code": "rest_comment_invalid_post_id",
                        "message": "Sorry, you are not allowed to create this comment without a post.",
                        "data": {"status": 403},
                    },
                    {},
                )
            if not body.get("content"):
                return (
                    400,
                    {
                        "code": "rest_comment_content_invalid",
                        "message": "Invalid comment content.",
                        "data": {"status": 400},
                    },
                    {},
                )
            link = f"https://blog.hark.local/?p={body['post']}#comment-{number}"
            made = {
                "id": number,
                "post": body["post"],
                "parent": body.get("parent", 0),
                "status": "approved",
                "link": link,
                "content": {"rendered": body["content"]},
            }
            return 201, made, {}
        return (
            404,
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            },
            {},
        )

    def _bluesky(self, request: Request, number: int) -> Answer:
        if not self._valid_token("bluesky", request.bearer):
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}, {}
        if request.path == "/xrpc/com.atproto.repo.createRecord" and request.method == "POST":
            body = request.json
            record = _object(body.get("record"))
            if not body.get("repo") or body.get("collection") != "app.bsky.feed.post" or not record.get("text"):
                return 400, {"error": "InvalidRequest", "message": 'Input/record must have the property "text"'}, {}
            reply = record.get("reply") or {}
            for part in ("root", "parent"):
                ref = reply.get(part) if isinstance(reply, dict) else None
                if reply and not (isinstance(ref, dict) and ref.get("uri") and ref.get("cid")):
                    return (
                        400,
                        {"error": "InvalidRequest", "message": f"Input/record/reply/{part} must have uri and cid"},
                        {},
                    )
            rkey = f"3lfake{number}"
            return (
                200,
                {
                    "uri": f"at://{body['repo']}/app.bsky.feed.post/{rkey}",
                    "cid": f"bafyfake{number}",
                    "validationStatus": "valid",
                },
                {},
            )
        return 404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, {}

    def _trustpilot(self, request: Request, number: int) -> Answer:
        if not self._valid_token("trustpilot", request.bearer):
            return 401, {"message": "Unauthorized", "errorCode": 401}, {}
        match = TRUSTPILOT_REPLY.match(request.path)
        if match and request.method == "POST":
            body = request.json
            if not body.get("message") or not body.get("authorBusinessUserId"):
                return 400, {"message": "message and authorBusinessUserId are required", "errorCode": 400}, {}
            return 201, None, {}
        return 404, {"message": "Not found", "errorCode": 404}, {}

    def _google(self, request: Request, number: int) -> Answer:
        if not self._valid_token("google", request.bearer):
            return 401, _google_error(401, "Request had invalid authentication credentials.", "", "UNAUTHENTICATED"), {}
        match = GOOGLE_REPLY.match(request.path)
        if match and request.method == "PUT":
            comment = request.json.get("comment")
            if not isinstance(comment, str) or not comment:
                return 400, _google_error(400, "Request contains an invalid argument.", "", "INVALID_ARGUMENT"), {}
            reply = {"comment": comment, "updateTime": _now_iso()}
            with self._lock:
                if match["review"] in self._reviews:
                    self._reviews[match["review"]]["reviewReply"] = reply
            return 200, reply, {}
        review = GOOGLE_REVIEW.match(request.path)
        if review and request.method == "GET":
            with self._lock:
                found = self._reviews.get(review["review"])
            if found is None:
                return 404, _google_error(404, "Requested entity was not found.", "", "NOT_FOUND"), {}
            return 200, found, {}
        return 404, _google_error(404, "Requested entity was not found.", "", "NOT_FOUND"), {}

    def _websub(self, request: Request, number: int) -> Answer:
        form = request.body if isinstance(request.body, dict) else {}
        if request.path != "/subscribe" or request.method != "POST":
            return 404, None, {}
        missing = [f for f in ("hub.callback", "hub.topic", "hub.mode") if not form.get(f)]
        if missing or form.get("hub.mode") not in ("subscribe", "unsubscribe"):
            return 400, None, {}
        with self._lock:
            self.subscriptions.append({str(k): str(v) for k, v in form.items()})
        challenge = f"challenge-{number}"
        query = urllib.parse.urlencode(
            {
                "hub.mode": form["hub.mode"],
                "hub.topic": form["hub.topic"],
                "hub.challenge": challenge,
                "hub.lease_seconds": str(min(int(form.get("hub.lease_seconds") or 432000), 864000)),
            }
        )
        url = f"{form['hub.callback']}?{query}"

        def verify() -> None:
            if self.hub_callback is not None:
                status, text = self.hub_callback(url)
            else:
                try:
                    with open_url(url, timeout=10) as answer:
                        status, text = answer.status, answer.read().decode()
                except (OSError, ValueError):
                    status, text = 0, ""
            with self._lock:
                self.verifications.append((form["hub.topic"], status == 200 and text == challenge))

        if self.hub_callback is not None:
            verify()  # in process: at once
        else:
            threading.Thread(target=verify, name="hark-fake-websub", daemon=True).start()
        return 202, None, {}

    def _tiktok(self, request: Request, number: int) -> Answer:
        if not self._valid_token("tiktok", request.headers.get("access-token", "")):
            return (
                200,
                {
                    "code": 40105,
                    "message": "The access token is invalid or has expired.",
                    "request_id": f"req{number}",
                    "data": {},
                },
                {},
            )
        if request.path == "/open_api/v1.3/business/comment/reply/create/" and request.method == "POST":
            body = request.json
            for name in ("business_id", "video_id", "comment_id", "text"):
                if not body.get(name):
                    return (
                        200,
                        {
                            "code": 40001,
                            "message": f"{name}: Missing data for required field.",
                            "request_id": f"req{number}",
                            "data": {},
                        },
                        {},
                    )
            data = {
                "comment_id": str(7_300_000_000_000_000_000 + number),
                "video_id": body["video_id"],
                "text": body["text"],
            }
            return 200, {"code": 0, "message": "OK", "request_id": f"req{number}", "data": data}, {}
        return 404, {"code": 40400, "message": "Not Found", "data": {}}, {}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_auth_call(platform: str, path: str) -> bool:
    if platform == "bluesky":
        return path in ("/xrpc/com.atproto.server.createSession", "/xrpc/com.atproto.server.refreshSession")
    return TOKEN_PATHS.get(platform) == path


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _jwt(number: int, lifetime_s: int) -> str:
    """An unsigned JWT with an `exp` (clients read when it expires; the fake checks it by value)."""

    def part(document: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    claims = {
        "scope": "com.atproto.access",
        "sub": "did:plc:harkdevbrand",
        "exp": int(time.time()) + lifetime_s,
        "n": number,
    }
    return f"{part({'alg': 'none', 'typ': 'at+jwt'})}.{part(claims)}.sig{number}"


def _meta_error(code: int, message: str, kind: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AfakeTrace"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def _x_problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _google_error(code: int, message: str, reason: str, status: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status or str(code)}
    if reason:
        error["errors"] = [{"message": message, "domain": "youtube.comment", "reason": reason}]
    return {"error": error}


def _discord_message(message_id: str, channel: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": message_id,
        "channel_id": channel,
        "type": 19 if body.get("message_reference") else 0,
        "content": body.get("content"),
        "author": {"id": "1000000000000000001", "username": "Hark", "bot": True},
        "timestamp": _now_iso(),
        "flags": body.get("flags", 0),
    }


def refusal(platform: str, kind: str, retry_after_s: int = 2) -> Answer:
    """How `platform` refuses, as it documents it: `rate_limited`, `deleted`, `window_closed` or `auth`."""
    reset = str(math.ceil(time.time()) + retry_after_s)
    after = {"Retry-After": str(retry_after_s)}
    iso = (datetime.now(UTC) + timedelta(seconds=retry_after_s)).isoformat().replace("+00:00", "Z")
    table: dict[str, dict[str, Answer]] = {
        "github": {
            "rate_limited": (
                403,
                {"message": "API rate limit exceeded for installation."},
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            ),
            "deleted": (410, {"message": "This issue was deleted"}, {}),
            "window_closed": (403, {"message": "Unable to create comment because issue is locked."}, {}),
            "auth": (401, {"message": "Bad credentials"}, {}),
        },
        "meta": {
            "rate_limited": (400, _meta_error(4, "(#4) Application request limit reached", "OAuthException"), {}),
            "deleted": (
                400,
                _meta_error(100, "Unsupported post request. Object does not exist", "GraphMethodException", 33),
                {},
            ),
            "window_closed": (400, meta_window_closed(), {}),
            "auth": (400, _meta_error(190, "Error validating access token: Session has expired", "OAuthException"), {}),
        },
        "x": {
            "rate_limited": (
                429,
                _x_problem(429, "Too Many Requests", "Too Many Requests"),
                {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset},
            ),
            "deleted": (
                403,
                _x_problem(
                    403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you."
                ),
                {},
            ),
            "window_closed": (
                403,
                _x_problem(403, "Forbidden", "You are not permitted to send Direct Messages to this user."),
                {},
            ),
            "auth": (401, _x_problem(401, "Unauthorized", "Unauthorized"), {}),
        },
        "slack": {
            "rate_limited": (429, {"ok": False, "error": "ratelimited"}, after),
            "deleted": (200, {"ok": False, "error": "channel_not_found"}, {}),
            "window_closed": (200, {"ok": False, "error": "is_archived"}, {}),
            "auth": (200, {"ok": False, "error": "token_revoked"}, {}),
        },
        "discord": {
            "rate_limited": (
                429,
                {"message": "You are being rate limited.", "retry_after": float(retry_after_s), "global": False},
                {**after, "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"},
            ),
            "deleted": (404, {"message": "Unknown Channel", "code": 10003}, {}),
            "window_closed": (403, {"message": "Cannot send messages to this user", "code": 50007}, {}),
            "auth": (401, {"message": "401: Unauthorized", "code": 0}, {}),
        },
        "youtube": {
            "rate_limited": (
                429,
                _google_error(
                    429,
                    "The request cannot be completed because you have exceeded your quota.",
                    "rateLimitExceeded",
                    "RESOURCE_EXHAUSTED",
                ),
                after,
            ),
            "deleted": (
                404,
                _google_error(
                    404,
                    "The comment identified by the parentId could not be found.",
                    "parentCommentNotFound",
                    "NOT_FOUND",
                ),
                {},
            ),
            "window_closed": (
                403,
                _google_error(
                    403,
                    "The video identified by the videoId has disabled comments.",
                    "commentsDisabled",
                    "PERMISSION_DENIED",
                ),
                {},
            ),
            "auth": (
                401,
                _google_error(401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED"),
                {},
            ),
        },
        "reddit": {
            "rate_limited": (
                200,
                {
                    "json": {
                        "ratelimit": float(retry_after_s),
                        "errors": [
                            [
                                "RATELIMIT",
                                f"Looks like you've been doing that a lot. Take a break for {retry_after_s} seconds "
                                "before trying again.",
                                "ratelimit",
                            ]
                        ],
                    }
                },
                {},
            ),
            "deleted": (
                200,
                {"json": {"errors": [["DELETED_COMMENT", "that comment has been deleted", "parent"]]}},
                {},
            ),
            "window_closed": (200, {"json": {"errors": [["THREAD_LOCKED", "Comments are locked.", "parent"]]}}, {}),
            "auth": (401, {"message": "Unauthorized", "error": 401}, {}),
        },
        "telegram": {
            "rate_limited": (
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after_s}",
                    "parameters": {"retry_after": retry_after_s},
                },
                {},
            ),
            "deleted": (
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: message to be replied not found"},
                {},
            ),
            "window_closed": (
                403,
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                {},
            ),
            "auth": (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}),
        },
        "twitch": {
            "rate_limited": (
                429,
                {"error": "Too Many Requests", "status": 429, "message": "Rate limit exceeded"},
                {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "0", "Ratelimit-Reset": reset},
            ),
            "deleted": (
                400,
                {
                    "error": "Bad Request",
                    "status": 400,
                    "message": "The reply_parent_message_id is not a message in the chat",
                },
                {},
            ),
            "window_closed": (
                403,
                {
                    "error": "Forbidden",
                    "status": 403,
                    "message": "The sender is not permitted to send chat messages to the broadcaster's chat room.",
                },
                {},
            ),
            "auth": (401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, {}),
        },
        "zendesk": {
            "rate_limited": (
                429,
                {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"},
                after,
            ),
            "deleted": (404, {"error": "RecordNotFound", "description": "Not found"}, {}),
            "window_closed": (
                422,
                {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {"status": [{"description": "Status: closed prevents ticket update"}]},
                },
                {},
            ),
            "auth": (401, {"error": "Couldn't authenticate you"}, {}),
        },
        "mastodon": {
            "rate_limited": (
                429,
                {"error": "Too many requests"},
                {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": iso},
            ),
            "deleted": (404, {"error": "Record not found"}, {}),
            "window_closed": (403, {"error": "This action is not allowed"}, {}),
            "auth": (401, {"error": "The access token is invalid"}, {}),
        },
        "wordpress": {
            "rate_limited": (
                429,
                {"code": "too_many_requests", "message": "Too Many Requests", "data": {"status": 429}},
                after,
            ),
            "deleted": (
                404,
                {"code": "rest_comment_invalid_parent", "message": "Invalid parent ID.", "data": {"status": 404}},
                {},
            ),
            "window_closed": (
                403,
                {
                    "code": "rest_comment_closed",
                    "message": "Sorry, comments are closed for this item.",
                    "data": {"status": 403},
                },
                {},
            ),
            "auth": (
                401,
                {
                    "code": "incorrect_password",
                    "message": "The provided password is an invalid application password.",
                    "data": {"status": 401},
                },
                {},
            ),
        },
        "bluesky": {
            "rate_limited": (
                429,
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": reset},
            ),
            "deleted": (
                400,
                {"error": "InvalidRequest", "message": "Could not locate record: the parent post was not found"},
                {},
            ),
            "window_closed": (
                400,
                {"error": "InvalidRequest", "message": "Reply not allowed by the thread's settings"},
                {},
            ),
            "auth": (400, {"error": "ExpiredToken", "message": "Token has expired"}, {}),
        },
        "trustpilot": {
            "rate_limited": (429, {"message": "Too Many Requests", "errorCode": 429}, after),
            "deleted": (404, {"message": "Review not found", "errorCode": 404}, {}),
            "window_closed": (403, {"message": "The review cannot be replied to", "errorCode": 403}, {}),
            "auth": (401, {"message": "Unauthorized", "errorCode": 401}, {}),
        },
        "google": {
            "rate_limited": (
                429,
                _google_error(429, "Quota exceeded for quota metric 'Requests'.", "", "RESOURCE_EXHAUSTED"),
                after,
            ),
            "deleted": (404, _google_error(404, "Requested entity was not found.", "", "NOT_FOUND"), {}),
            "window_closed": (
                403,
                _google_error(403, "The caller does not have permission", "", "PERMISSION_DENIED"),
                {},
            ),
            "auth": (
                401,
                _google_error(401, "Request had invalid authentication credentials.", "", "UNAUTHENTICATED"),
                {},
            ),
        },
        "tiktok": {
            "rate_limited": (
                200,
                {"code": 40100, "message": "Too many requests. Please retry in some time.", "data": {}},
                {},
            ),
            "deleted": (200, {"code": 40007, "message": "The comment does not exist.", "data": {}}, {}),
            "window_closed": (
                200,
                {"code": 40016, "message": "Comments are turned off for this video.", "data": {}},
                {},
            ),
            "auth": (200, {"code": 40105, "message": "The access token is invalid or has expired.", "data": {}}, {}),
        },
    }
    return table[platform][kind]


def meta_window_closed() -> dict[str, Any]:
    """What the Send API answers for a plain message outside the 24-hour window."""
    return _meta_error(10, "(#10) This message is sent outside of allowed window.", "OAuthException", 2018278)


def github_rate_limited() -> tuple[int, dict[str, Any], dict[str, str]]:
    """GitHub's secondary rate limit: refused, with no time given (a retry may go at once)."""
    return (
        403,
        {"message": "API rate limit exceeded for installation.", "documentation_url": "https://docs.github.com/rest"},
        {"x-ratelimit-remaining": "0"},
    )
