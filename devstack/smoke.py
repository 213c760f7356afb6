"""`hark smoke --url URL`: after a deploy (or against `hark up`), prove the pipeline end to end with one delivery.

Steps, each timed, each a clear pass or fail:
1. `GET /health` answers 200;
2. a delivery with a forged signature is refused (401): the stack checks signatures;
3. a signed test delivery (`generic`: Standard Webhooks; or `github`: `X-Hub-Signature-256`) is accepted, with one
   mention id;
4. the mention is classified and needs a response (`GET /v1/mentions/{id}` through the partner API);
5. it opened a task (`GET /v1/tasks/{task_id}` holds the mention);
6. the task is closed again (skipped with `--keep`), so the smoke leaves nothing in the agents' queue.

Credentials: `--key` (an API key that may read mentions and tasks, and close tasks) and `--secret` (the platform's
signing secret), or else read from the deployed stack's Secrets Manager secret (`hark/<stage>/secrets`; the stage
and region come from an API Gateway URL, `--stage`, or `HARK_STAGE`), with the usual AWS credentials. Against
`hark up` the secret is the emulator's. Key and secret values are never printed.

The test message says it is a smoke test, comes from the author `hark-smoke`, and has a unique id, so running it
twice makes two independent checks, never a duplicate.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Literal

from devstack.signing import github_headers, standard_webhooks_headers
from shared.errors import HarkError
from shared.http import open_url
from shared.resources import SECRETS

Platform = Literal["generic", "github"]
PLATFORMS: tuple[Platform, ...] = ("generic", "github")
SMOKE_TEXT = (
    "[hark smoke test {run}] I was charged twice for my order and nobody answers my emails. "
    "I want a refund now, please help."
)
_API_GATEWAY = re.compile(r"^https://[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<stage>[^/]+)")
READ_ROLES = frozenset({"viewer", "agent", "approver", "safety", "admin"})
CLOSE_ROLES = frozenset({"agent", "safety", "admin"})


class SmokeError(Exception):
    """The smoke cannot start (no credentials); what it found fails a step instead."""


@dataclass(frozen=True)
class Credentials:
    api_key: str
    signing_secret: str
    source: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class SmokeReport:
    url: str
    platform: Platform
    source: str
    steps: list[Step] = field(default_factory=list)
    # Wall-clock time of the whole smoke (steps timed "since delivery" overlap, so they do not add up).
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def lines(self) -> list[str]:
        head = f"hark smoke {self.url} ({self.platform}; credentials from {self.source})"
        body = [
            f"  {'ok' if s.ok else 'FAIL':<5} {s.name:<26} {_duration(s.seconds):>8}   {s.detail}" for s in self.steps
        ]
        failed = next((s for s in self.steps if not s.ok), None)
        tail = f"PASS in {_duration(self.seconds)}" if self.ok else f"FAIL at {failed.name if failed else 'start'}"
        return [head, *body, tail]

    def document(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "url": self.url,
            "platform": self.platform,
            "seconds": round(self.seconds, 3),
            "steps": [
                {"name": s.name, "ok": s.ok, "seconds": round(s.seconds, 3), "detail": s.detail} for s in self.steps
            ],
        }


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


class Http:
    """A few JSON requests over the standard library (the `hark` command carries no HTTP client of its own)."""

    def __init__(self, base: str, timeout: float = 10) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        # S310: the URL is the one the operator gave, checked to be http(s) by `run`.
        request = urllib.request.Request(  # noqa: S310
            self.base + path, data=body, method=method, headers=dict(headers or {})
        )
        try:
            with open_url(request, timeout=self.timeout) as response:
                return Answer(response.status, response.read(), dict(response.headers.items()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), dict(error.headers.items()))


def delivery(platform: Platform, run: str, secret: str, *, forged: bool = False) -> tuple[str, bytes, dict[str, str]]:
    """The path, body and signed headers of the test delivery (`forged`: signed with the wrong secret)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = SMOKE_TEXT.format(run=run)
    key = f"not-{secret}" if forged else secret
    if platform == "generic":
        payload = {
            "type": "mention.created",
            "timestamp": now,
            "data": {
                "native_id": f"hark-smoke-{run}",
                "thread_id": f"hark-smoke-{run}",
                "author": {"id": "hark-smoke", "handle": "hark-smoke", "name": "Hark smoke test"},
                "text": text,
            },
        }
        body = json.dumps(payload).encode()
        return "/webhooks/generic", body, standard_webhooks_headers(body, key, message_id=f"msg_smoke_{run}")
    number = int(uuid.UUID(run).int % 10**9)
    payload = {
        "action": "created",
        "issue": {"number": number},
        "comment": {
            "id": number,
            "node_id": f"IC_hark_smoke_{run}",
            "body": text,
            "html_url": f"https://github.com/hark-smoke/smoke/issues/{number}#issuecomment-{number}",
            "user": {"id": 1, "login": "hark-smoke", "type": "User"},
            "created_at": now,
            "author_association": "NONE",
        },
        "repository": {"full_name": "hark-smoke/smoke"},
    }
    body = json.dumps(payload).encode()
    return "/webhooks/github", body, github_headers(body, key, "issue_comment", delivery=f"smoke-{run}")


class Smoke:
    def __init__(
        self,
        http: Http,
        credentials: Credentials,
        platform: Platform = "generic",
        timeout: float = 60,
        keep: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.platform = platform
        self.timeout = timeout
        self.keep = keep
        self.clock = clock
        self.sleep = sleep
        self.report = SmokeReport(http.base + "/", platform, credentials.source)

    def _step(self, name: str, started: float, ok: bool, detail: str) -> bool:
        self.report.steps.append(Step(name, ok, self.clock() - started, detail))
        return ok

    def _api(self, method: str, path: str) -> Answer:
        return self.http.request(
            method, path, headers={"x-api-key": self.credentials.api_key, "Accept": "application/json"}
        )

    def run(self) -> SmokeReport:
        run = str(uuid.uuid4())
        began = self.clock()
        try:
            self._run(run)
        except OSError as error:  # connection refused, DNS, TLS, a timeout
            self._step("reach the API", self.clock(), False, f"{type(error).__name__}: {error}")
        self.report.seconds = self.clock() - began
        return self.report

    def _run(self, run: str) -> None:
        started = self.clock()
        health = self.http.request("GET", "/health")
        if not self._step("health", started, health.status == 200, f"{health.status}"):
            return
        started = self.clock()
        path, body, headers = delivery(self.platform, run, self.credentials.signing_secret, forged=True)
        forged = self.http.request("POST", path, body, headers)
        refused = forged.status == 401
        detail = (
            f"{forged.status} {_problem(forged)}".rstrip() if refused else f"{forged.status}: a forged delivery got in"
        )
        if not self._step("forged delivery refused", started, refused, detail):
            return
        started = self.clock()
        path, body, headers = delivery(self.platform, run, self.credentials.signing_secret)
        accepted = self.http.request("POST", path, body, headers)
        receipt = accepted.json() if accepted.status == 200 else None
        ids = receipt.get("mention_ids") if isinstance(receipt, dict) else None
        if not isinstance(ids, list) or len(ids) != 1:
            self._step(
                "signed delivery accepted",
                started,
                False,
                f"{accepted.status} {_problem(accepted) or accepted.body[:200]!r}",
            )
            return
        mention_id = str(ids[0])
        self._step("signed delivery accepted", started, True, f"{accepted.status}, mention {mention_id}")
        delivered = self.clock()
        mention = self._follow(mention_id, delivered)
        if mention is None:
            return
        task = self._task(str(mention["task_id"]), mention_id, delivered)
        if task is not None and not self.keep:
            self._close(task)

    def _follow(self, mention_id: str, delivered: float) -> dict[str, Any] | None:
        """Poll the mention until it is classified and has its task (or the time is up)."""
        deadline = delivered + self.timeout
        classified = False
        wait = 0.2
        last = "not stored yet"
        while True:
            answer = self._api("GET", f"/v1/mentions/{mention_id}")
            if answer.status in (401, 403):
                self._step("classified", delivered, False, f"{answer.status} {_problem(answer)}: the key cannot read")
                return None
            found = answer.json() if answer.status == 200 else None
            if isinstance(found, dict) and found.get("classification") and not classified:
                classified = True
                c = found["classification"]
                if not c.get("needs_response"):
                    self._step("classified", delivered, False, f"classified as needing no response: {c.get('reasons')}")
                    return None
                self._step(
                    "classified",
                    delivered,
                    True,
                    f"needs a response, priority {c.get('priority')} ({c.get('analyzer')}), since delivery",
                )
            if isinstance(found, dict) and found.get("task_id"):
                return found
            if answer.status not in (200, 404):
                last = f"{answer.status} {_problem(answer)}"
            elif classified:
                last = "classified, no task yet"
            if self.clock() >= deadline:
                self._step(
                    "task opened" if classified else "classified",
                    delivered,
                    False,
                    f"not there after {self.timeout:.0f} s ({last}): see the classify and respond queues, their DLQs",
                )
                return None
            self.sleep(wait)
            wait = min(wait * 1.5, 1.0)

    def _task(self, task_id: str, mention_id: str, delivered: float) -> dict[str, Any] | None:
        answer = self._api("GET", f"/v1/tasks/{task_id}")
        task = answer.json() if answer.status == 200 else None
        ok = isinstance(task, dict) and mention_id in task.get("mention_ids", [])
        if not ok or not isinstance(task, dict):
            self._step("task opened", delivered, False, f"GET /v1/tasks/{task_id}: {answer.status} {_problem(answer)}")
            return None
        self._step(
            "task opened",
            delivered,
            True,
            f"{task_id} {task.get('status')} in {task.get('queue')}, priority {task.get('priority')}, since delivery",
        )
        return task

    def _close(self, task: dict[str, Any]) -> None:
        started = self.clock()
        answer = self._api("POST", f"/v1/tasks/{task['id']}/close")
        if answer.status == 200:
            self._step("task closed", started, True, "the smoke leaves nothing in the queue")
        elif answer.status == 403:
            # Not the stack's fault: this key may read but not work tasks.
            self._step("task closed", started, True, f"left open: the key may not close tasks ({task['id']})")
        else:
            self._step("task closed", started, False, f"{answer.status} {_problem(answer)}")


def _problem(answer: Answer) -> str:
    document = answer.json()
    if isinstance(document, dict):
        return str(document.get("type", "")).removeprefix("urn:hark:problem:") or str(document.get("message", ""))
    return ""


def stage_and_region(url: str, stage: str | None, env: Mapping[str, str]) -> tuple[str, str | None]:
    """The stage (and region) of the stack behind `url`: an API Gateway URL says both; a local one is `local`."""
    match = _API_GATEWAY.match(url)
    if stage:
        return stage, match.group("region") if match else None
    if match:
        return match.group("stage"), match.group("region")
    if re.match(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/?$", url):
        return "local", None
    return env.get("HARK_STAGE") or "dev", None


def choose_key(grants: Mapping[str, Any]) -> str | None:
    """A key that may read mentions and tasks, preferring one that may also close the smoke's task."""
    readers = [(k, g) for k, g in grants.items() if g.roles & READ_ROLES]
    readers.sort(key=lambda item: (not (item[1].roles & CLOSE_ROLES), "admin" not in item[1].roles, item[0]))
    return readers[0][0] if readers else None


def credentials_from_secret(
    env: Mapping[str, str],
    stage: str,
    region: str | None,
    secret_name: str | None,
    platform: Platform,
    key: str | None,
    secret: str | None,
) -> Credentials:
    from shared.secrets import SecretsManagerSecrets  # noqa: PLC0415
    from shared.settings import Settings  # noqa: PLC0415

    overrides = {"HARK_STAGE": stage, **({"AWS_REGION": region} if region else {})}
    settings = Settings.from_env({**env, **overrides})
    name = secret_name or SECRETS.physical_name(stage)
    try:
        values = SecretsManagerSecrets(settings, name).get()
    except HarkError as exc:
        raise SmokeError(
            f"could not read the secret {name} ({settings.region}): {exc}; or pass --key and --secret"
        ) from exc
    signing = secret or values.platform.get(platform)
    if not signing:
        raise SmokeError(
            f"the secret {name} has no `{platform}` signing secret: add one (docs/configuration.md) or pass --secret"
        )
    api_key = key or choose_key(values.api_keys)
    if not api_key:
        raise SmokeError(f"the secret {name} holds no API key that may read mentions: add one or pass --key")
    return Credentials(api_key, signing, f"secret {name}")


def run(
    env: Mapping[str, str],
    url: str,
    *,
    key: str | None,
    secret: str | None,
    platform: Platform,
    stage: str | None,
    secret_name: str | None,
    timeout: float,
    keep: bool,
    as_json: bool,
    out: IO[str],
    err: IO[str],
) -> int:
    """`hark smoke`: 0 when every step passed, 1 when one failed, 2 when it could not start."""
    if not re.match(r"^https?://", url):
        print(f"hark smoke: {url!r} is not an http(s) URL", file=err)
        return 2
    if key and secret:
        credentials = Credentials(key, secret, "the command line")
    else:
        found_stage, region = stage_and_region(url, stage, env)
        try:
            credentials = credentials_from_secret(env, found_stage, region, secret_name, platform, key, secret)
        except SmokeError as exc:
            print(f"hark smoke: {exc}", file=err)
            return 2
    report = Smoke(Http(url), credentials, platform, timeout=timeout, keep=keep).run()
    if as_json:
        print(json.dumps(report.document()), file=out)
    else:
        for line in report.lines():
            print(line, file=out)
    return 0 if report.ok else 1
