"""Security headers on every answer of the HTTP edge, as a browser reads them: the dashboard's pages and assets, the
partner API's answers (successes and problem documents), the webhooks and the health check.

- scripts only from this origin: no inline script, no eval, no other origin, no `data:` (the web app runs under
  this policy in the browser tests, which fail on any CSP violation);
- nothing may frame a page (`frame-ancestors 'none'` and `X-Frame-Options: DENY`), no answer is sniffed into
  another type, no URL leaks through the Referer header, browsers keep to HTTPS once they saw the site over it;
- an API answer is data: it loads nothing, runs nothing and is kept in no cache."""

from __future__ import annotations

import json
import re

from werkzeug.test import TestResponse

from tests.conftest import webhook_fixture
from tests.functional.conftest import Pipeline

UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*", "data:")


def policy(response: TestResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directives and their sources."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


def assert_secured(response: TestResponse) -> dict[str, list[str]]:
    headers = response.headers
    path = response.request.path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") == "no-referrer", path
    assert headers.get("X-Frame-Options") == "DENY", path
    hsts = headers.get("Strict-Transport-Security", "")
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts), (path, hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 180 * 86400, "HSTS shorter than six months"
    directives = policy(response)
    assert directives.get("default-src") == ["'none'"], (path, directives)
    assert directives.get("frame-ancestors") == ["'none'"], (path, directives)
    scripts = directives.get("script-src", directives["default-src"])
    assert not set(scripts) & set(UNSAFE_SCRIPT_SOURCES), (path, scripts)
    assert all(source in ("'self'", "'none'") for source in scripts), (path, scripts)
    return directives


def test_the_dashboards_pages_and_assets_allow_only_their_own_scripts(pipeline: Pipeline) -> None:
    for path in ("/", "/wall"):
        page = pipeline.http.get(path)
        assert page.status_code == 200, path
        directives = assert_secured(page)
        assert directives["script-src"] == ["'self'"]
        assert directives["require-trusted-types-for"] == ["'script'"]
        assert page.headers["Cache-Control"] == "no-cache"
        html = page.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script the policy would block"
        assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
        assert any(a.endswith(".js") for a in assets), "the built app (make web), not a placeholder"
        for asset in assets:
            served = pipeline.http.get(asset)
            assert served.status_code == 200, asset
            assert assert_secured(served) == directives
            assert "immutable" in served.headers["Cache-Control"]


ANSWERS = [  # path, with a key, status
    ("/v1/tasks", True, 200),
    ("/v1/mentions", True, 200),
    ("/v1/tasks", False, 401),  # a problem document
    ("/v1/tasks/nothing-here", True, 404),
    ("/assets/nothing-here.js", True, 404),
    ("/health", False, 200),
    ("/openapi.json", False, 200),
]


def test_api_answers_load_nothing_and_are_never_cached(pipeline: Pipeline) -> None:
    for path, key, status in ANSWERS:  # one stack for all (each pipeline costs seconds to provision)
        answer = pipeline.get(path) if key else pipeline.get(path, api_key=None)
        assert answer.status_code == status, (path, answer.get_data(as_text=True))
        directives = assert_secured(answer)
        if path.startswith("/v1/") or path == "/health":
            assert set(directives) >= {"default-src", "frame-ancestors", "base-uri", "form-action"}, path
            assert answer.headers["Cache-Control"] == "no-store", path


def test_webhook_answers_carry_them_too(pipeline: Pipeline) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    accepted = pipeline.github(body, "issue_comment")
    assert accepted.status_code == 200
    assert_secured(accepted)
    forged = pipeline.github(body, "issue_comment", secret="not-the-secret")
    assert forged.status_code == 401
    assert_secured(forged)
    refused = pipeline.http.post("/webhooks/github", data=json.dumps({}), headers={"Content-Type": "text/plain"})
    assert refused.status_code >= 400
    assert_secured(refused)
