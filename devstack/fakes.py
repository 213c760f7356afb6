"""Local fakes of the platform APIs Hark sends replies to (GitHub REST and GraphQL, Meta Graph API), on 127.0.0.1.

They answer as the real APIs do (status codes, bodies, ids; errors in each platform's shape), check the bearer
token, record every request, and can be told to refuse the next requests the way the platform would (a rate
limit, an expired window, a deleted post), so tests, the e2e suite and `hark up` exercise the real senders over
real HTTP. `hark up` starts one and points `HARK_API_BASE_GITHUB` and `HARK_API_BASE_META` at it unless they are
set.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shared.settings import dev_platform_token

ISSUE_COMMENTS = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<number>\d+)/comments$")
GRAPH = re.compile(r"^/v\d+\.\d+/(?P<node>[^/]+)/(?P<edge>comments|replies|messages)$")


@dataclass
class Recorded:
    platform: str
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class Refusal:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakePlatforms:
    """GitHub and Meta on one local port: `base("github")` and `base("meta")` are their API bases."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tokens: dict[str, str] | None = None) -> None:
        self.tokens = tokens or {p: dev_platform_token(p) for p in ("github", "meta")}
        self.requests: list[Recorded] = []
        self._refusals: dict[str, list[Refusal]] = {"github": [], "meta": []}
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {"raw": raw.decode("utf-8", "replace")}
                status, answer, headers = fake._answer(self.path, body, dict(self.headers.items()))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="hark-fake-platforms", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    def start(self) -> FakePlatforms:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # Steering
    def refuse(self, platform: str, status: int, body: dict[str, Any], times: int = 1, **headers: str) -> None:
        """Refuse the next `times` requests to `platform` with this answer."""
        with self._lock:
            self._refusals[platform].extend(Refusal(status, body, headers) for _ in range(times))

    def sent(self, platform: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if platform is None or r.platform == platform]

    # Answering
    def _answer(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        platform, _, rest = path.lstrip("/").partition("/")
        rest = "/" + rest.split("?", 1)[0]
        lower = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append(Recorded(platform, "POST", rest, body, lower))
            refusal = self._refusals.get(platform, []).pop(0) if self._refusals.get(platform) else None
            number = next(self._ids)
        token = lower.get("authorization", "").removeprefix("Bearer ")
        if platform == "github":
            if refusal:
                return refusal.status, refusal.body, refusal.headers
            if token != self.tokens.get("github"):
                return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
            return self._github(rest, body, number)
        if platform == "meta":
            if refusal:
                return refusal.status, refusal.body, refusal.headers
            if token != self.tokens.get("meta"):
                return 400, _meta_error(190, "Invalid OAuth access token.", "OAuthException"), {}
            return self._meta(rest, body, number)
        return 404, {"message": "Not Found"}, {}

    def _github(self, path: str, body: Any, number: int) -> tuple[int, Any, dict[str, str]]:
        match = ISSUE_COMMENTS.match(path)
        if match:
            if not isinstance(body, dict) or not body.get("body"):
                return 422, {"message": "Validation Failed", "errors": [{"field": "body", "code": "missing"}]}, {}
            html = f"https://github.com/{match['owner']}/{match['repo']}/issues/{match['number']}#issuecomment-{number}"
            return 201, {"id": number, "node_id": f"IC_fake{number}", "html_url": html, "body": body["body"]}, {}
        if path == "/graphql":
            query = str(body.get("query", "")) if isinstance(body, dict) else ""
            variables = body.get("variables", {}) if isinstance(body, dict) else {}
            if "addDiscussionComment" in query:
                url = f"https://github.com/discussions/comment/{number}"
                return 200, {"data": {"addDiscussionComment": {"comment": {"id": f"DC_fake{number}", "url": url}}}}, {}
            if "discussion(number" in query:
                return 200, {"data": {"repository": {"discussion": {"id": f"D_fake{variables.get('number')}"}}}}, {}
        return 404, {"message": "Not Found"}, {}

    def _meta(self, path: str, body: Any, number: int) -> tuple[int, Any, dict[str, str]]:
        match = GRAPH.match(path)
        if not match or not isinstance(body, dict):
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


def _meta_error(code: int, message: str, kind: str, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AfakeTrace"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def meta_window_closed() -> dict[str, Any]:
    """What the Send API answers for a plain message outside the 24-hour window."""
    return _meta_error(10, "(#10) This message is sent outside of allowed window.", "OAuthException", 2018278)


def github_rate_limited() -> tuple[int, dict[str, Any], dict[str, str]]:
    return (
        403,
        {"message": "API rate limit exceeded for installation.", "documentation_url": "https://docs.github.com/rest"},
        {"x-ratelimit-remaining": "0"},
    )
