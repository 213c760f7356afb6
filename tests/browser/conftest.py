"""Browser tests: the command center in headless Chromium against the local stack (one for the session, on free
ports). Every page is watched: a request to any other origin, an uncaught script error or a Content-Security-Policy
violation fails the test that caused it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.fakes import FakePlatforms
from tests.browser.harness import CHROMIUM, WATCH, Stack, chromium, local_stack

# Two queues: `care` needs one approval (GitHub lands there), `social` none (Meta and partner tools).
CONFIG = """
version: 1
users:
  dev: {name: Dev, roles: [agent, admin, viewer]}
  ana: {name: Ana, roles: [agent], languages: [en]}
  abe: {name: Abe, roles: [approver]}
  vera: {name: Vera, roles: [viewer]}
  sara: {name: Sara, roles: [safety]}
teams:
  care: {members: [dev, ana]}
queues:
  care: {team: care, approvals: [{name: lead, roles: [approver]}]}
  social: {team: care}
routing:
  - {when: {platform: [meta, generic]}, queue: social}
default_queue: care
sla:
  default:
    targets: [{first_response: 1h, next_response: 1h, resolution: 1d, business_hours: false}]
"""


@pytest.fixture(scope="session")
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms() as platforms:
        yield platforms


@pytest.fixture(scope="session")
def stack(fake: FakePlatforms, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = tmp_path_factory.mktemp("browser") / "hark.yaml"
    config.write_text(CONFIG)
    env = {
        "HARK_CONFIG": str(config),
        "HARK_API_BASE_GITHUB": fake.base("github"),
        "HARK_API_BASE_META": fake.base("meta"),
    }
    with local_stack(env=env) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with chromium() as launched:
        yield launched


@dataclass
class Watched:
    page: Any
    origin: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations || []"))


@pytest.fixture
def watched(browser: Any, stack: Stack) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, reduced_motion="reduce")
    context.add_init_script(WATCH)
    page = context.new_page()
    origin = urlsplit(stack.url).netloc
    seen = Watched(page, stack.url)

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != origin:
            seen.foreign.append(request.url)

    page.on("request", on_request)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    yield seen
    try:
        violations = seen.violations() if not page.is_closed() else []
    except Exception:  # the page navigated away or crashed; what it reported so far still counts
        violations = []
    context.close()
    assert not seen.foreign, f"requests to other origins: {seen.foreign}"
    assert not seen.errors, f"script errors: {seen.errors}"
    assert not violations, f"CSP violations: {violations}"


@pytest.fixture
def page(watched: Watched) -> Any:
    return watched.page
