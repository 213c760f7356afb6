"""The Graph API adapter for Instagram mentions against a local fake Graph API on 127.0.0.1: the mentioned comment
and caption read with the token, a vanished object, a refused token, outages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from services.ingest.http.meta import GraphInstagramMentions
from shared.errors import NotConfigured, Unavailable

ACCOUNT = "17841400000000000"


class FakeGraph:
    def __init__(self) -> None:
        self.answer: tuple[int, dict[str, Any]] | None = None
        self.seen: list[tuple[str, str, str]] = []


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            fields = parse_qs(url.query).get("fields", [""])[0]
            fake.seen.append((url.path, fields, self.headers.get("Authorization", "")))
            if fake.answer is not None:
                status, body = fake.answer
            elif fields.startswith("mentioned_comment.comment_id(1790001)"):
                status, body = (
                    200,
                    {
                        "id": ACCOUNT,
                        "mentioned_comment": {
                            "id": "1790001",
                            "text": "@acme my order is late",
                            "username": "mia.l",
                            "timestamp": "2025-11-26T10:00:00+0000",
                            "media": {"id": "1780001", "permalink": "https://www.instagram.com/p/A/"},
                        },
                    },
                )
            elif fields.startswith("mentioned_media.media_id(1780002)"):
                status, body = (
                    200,
                    {
                        "id": ACCOUNT,
                        "mentioned_media": {
                            "id": "1780002",
                            "caption": "Unboxing my @acme jacket",
                            "username": "lee",
                            "timestamp": "2025-11-26T11:00:00+0000",
                            "permalink": "https://www.instagram.com/p/B/",
                        },
                    },
                )
            else:
                status, body = (
                    400,
                    {"error": {"message": "Unsupported get request", "type": "GraphMethodException", "code": 100}},
                )
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_mentioned_comment_and_caption_are_read_with_the_token(graph: tuple[FakeGraph, str]) -> None:
    fake, url = graph
    client = GraphInstagramMentions(url, lambda: "EAAG-token")
    comment = client.comment(ACCOUNT, "1790001")
    assert comment is not None
    assert (comment.id, comment.text, comment.username, comment.media_id) == (
        "1790001",
        "@acme my order is late",
        "mia.l",
        "1780001",
    )
    assert comment.created_at == datetime(2025, 11, 26, 10, 0, tzinfo=UTC)
    caption = client.media(ACCOUNT, "1780002")
    assert caption is not None
    assert (caption.text, caption.permalink) == ("Unboxing my @acme jacket", "https://www.instagram.com/p/B/")
    assert [(p, a) for p, _, a in fake.seen] == [(f"/v21.0/{ACCOUNT}", "Bearer EAAG-token")] * 2


def test_an_object_that_no_longer_exists_is_none(graph: tuple[FakeGraph, str]) -> None:
    _, url = graph
    assert GraphInstagramMentions(url, lambda: "t").comment(ACCOUNT, "404404") is None


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}), NotConfigured),
        ((403, {"error": {"code": 10}}), NotConfigured),
        ((500, {"error": {"code": 2}}), Unavailable),
        ((400, {"error": {"code": 4, "message": "Application request limit reached"}}), Unavailable),
        ((200, {"id": ACCOUNT}), Unavailable),  # no mentioned_comment in the answer
    ],
)
def test_refusals_and_outages(graph: tuple[FakeGraph, str], answer: Any, error: type[Exception]) -> None:
    fake, url = graph
    fake.answer = answer
    with pytest.raises(error):
        GraphInstagramMentions(url, lambda: "t").comment(ACCOUNT, "1790001")
