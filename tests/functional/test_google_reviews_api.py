"""The Business Profile API adapter and the JWKS keys against a local fake Google on 127.0.0.1: a review read, a
deleted review, refused tokens, outages and garbage, and the keys URL fetched once and refreshed for an unknown
key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.ingest.http.google import BusinessProfileReviews, JwksKeys
from shared.errors import InvalidSignature, NotConfigured, Unavailable
from shared.settings import DEV_GOOGLE_JWKS
from tests.conftest import FIXTURES, load_json

REVIEW = "accounts/111/locations/222/reviews/AbFvOqn"


class FakeGoogle:
    def __init__(self) -> None:
        self.reviews: dict[str, Any] = {
            REVIEW: load_json(FIXTURES / "webhooks" / "google" / "synthetic__api-review.json")
        }
        self.status: int | None = None  # force an answer
        self.body: bytes | None = None
        self.requests: list[tuple[str, str]] = []
        self.jwks: Any = DEV_GOOGLE_JWKS


@pytest.fixture
def google() -> Iterator[tuple[FakeGoogle, str]]:
    fake = FakeGoogle()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append((self.path, self.headers.get("Authorization", "")))
            if self.path == "/certs":
                self._answer(200, json.dumps(fake.jwks).encode())
            elif fake.status is not None:
                self._answer(fake.status, fake.body or b"{}")
            elif self.headers.get("Authorization") != "Bearer ya29.good":
                self._answer(401, b'{"error": {"code": 401}}')
            elif (name := self.path.removeprefix("/v4/")) in fake.reviews:
                self._answer(200, json.dumps(fake.reviews[name]).encode())
            else:
                self._answer(404, b'{"error": {"code": 404, "status": "NOT_FOUND"}}')

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_review_is_read_with_the_token(google: tuple[FakeGoogle, str]) -> None:
    fake, url = google
    review = BusinessProfileReviews(url, lambda: "ya29.good").fetch(REVIEW)
    assert review is not None
    assert (review.name, review.stars, review.reviewer_name) == (REVIEW, 2, "Sam Ortiz")
    assert fake.requests == [(f"/v4/{REVIEW}", "Bearer ya29.good")]


def test_a_review_the_api_no_longer_has_was_deleted(google: tuple[FakeGoogle, str]) -> None:
    _, url = google
    assert BusinessProfileReviews(url, lambda: "ya29.good").fetch("accounts/1/locations/2/reviews/gone") is None


def test_a_refused_token_is_a_configuration_problem(google: tuple[FakeGoogle, str]) -> None:
    _, url = google
    with pytest.raises(NotConfigured, match="401"):
        BusinessProfileReviews(url, lambda: "ya29.expired").fetch(REVIEW)


@pytest.mark.parametrize(
    ("status", "body"), [(503, b"{}"), (429, b"{}"), (200, b"<html>"), (200, b"[]"), (200, b'{"comment": "no name"}')]
)
def test_outages_and_garbage_are_unavailable_so_pubsub_redelivers(
    google: tuple[FakeGoogle, str], status: int, body: bytes
) -> None:
    fake, url = google
    fake.status, fake.body = status, body
    with pytest.raises(Unavailable):
        BusinessProfileReviews(url, lambda: "ya29.good").fetch(REVIEW)


def test_an_unreachable_api_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        BusinessProfileReviews("http://127.0.0.1:9", lambda: "t", timeout=0.5).fetch(REVIEW)


def test_keys_come_from_the_url_once_and_again_for_an_unknown_key(google: tuple[FakeGoogle, str]) -> None:
    fake, url = google
    keys = JwksKeys(f"{url}/certs")
    assert keys.key("hark-dev-google") is not None
    assert keys.key("hark-dev-google") is not None
    assert [p for p, _ in fake.requests] == ["/certs"]  # cached
    with pytest.raises(InvalidSignature):
        keys.key("rotated-away")
    assert [p for p, _ in fake.requests] == ["/certs", "/certs"]  # an unknown kid refreshes


def test_keys_from_a_file(tmp_path: Any) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(DEV_GOOGLE_JWKS))
    assert JwksKeys(str(path)).key("hark-dev-google") is not None
    with pytest.raises(Unavailable):
        JwksKeys(str(tmp_path / "missing.json")).key("hark-dev-google")
