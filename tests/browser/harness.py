"""What the browser tests and `make screenshots` share: the local stack in its own process on free ports, keys
for each role, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests import stackproc

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium reaches for Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"

# One key per role the command center knows; the dev key (agent, admin, viewer) stays as documented.
KEYS: dict[str, dict[str, Any]] = {
    "hark-test-viewer-key": {"user": "vera", "roles": ["viewer"]},
    "hark-test-agent-key": {"user": "ana", "roles": ["agent"]},
    "hark-test-approver-key": {"user": "abe", "roles": ["approver"]},
    "hark-test-partner-key": {"user": "crm", "roles": ["partner"]},
    "hark-test-safety-key": {"user": "sara", "roles": ["safety"]},
}
DEV_KEY = "hark-dev-api-key"


@dataclass
class Stack:
    url: str
    process: subprocess.Popen[bytes]

    def submit(self, text: str, *, key: str = DEV_KEY, **fields: Any) -> str:
        """A partner-tool mention with a unique native id; its mention id."""
        body = {
            "native_id": f"browser-{uuid.uuid4().hex}",
            "author": fields.pop("author", {"id": f"c-{uuid.uuid4().hex[:8]}", "handle": "jo_customer"}),
            "text": text,
            **fields,
        }
        response = requests.post(
            self.url + "/v1/mentions",
            data=json.dumps(body),
            headers={"content-type": "application/json", "x-api-key": key},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["mentions"][0]["id"])

    def get(self, path: str, key: str = DEV_KEY) -> Any:
        response = requests.get(self.url + path, headers={"x-api-key": key}, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_for(self, what: Callable[[], Any], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = what()
            except requests.HTTPError:
                value = None
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError("timed out waiting")

    def classified(self, mention_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.wait_for(
            lambda: (m := self.get(f"/v1/mentions/{mention_id}")).get("classification") and m
        )
        return found

    def operations(self) -> set[str]:
        document = requests.get(self.url + "/openapi.json", timeout=10).json()
        return {op["operationId"] for item in document["paths"].values() for op in item.values()}


@contextmanager
def local_stack(*, demo: bool = False, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """`hark up` in its own process on free ports, stopped (by its pid) when the block ends."""
    running = stackproc.start({"HARK_API_KEY": DEV_KEY, "HARK_API_KEYS": json.dumps(KEYS), **(env or {})}, demo=demo)
    try:
        yield Stack(running.url, running.process)
    finally:
        stackproc.stop(running, grace=15)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# Installed in every page before its own scripts: CSP violations and errors are collected for the tests to see.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def sign_in(page: Any, url: str, key: str = DEV_KEY, path: str = "/") -> None:
    page.goto(url + path)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").or_(page.locator(".wall-screen")).first.wait_for()
