"""Storms and races over real HTTP, on the stack `make run` starts: several execution environments per function, as
Lambda runs several copies, so racing requests and racing redeliveries really race (the front, each SQS mapping and
the emulator's DynamoDB all serve them side by side).

- Every platform's delivery, sent many times at once and shuffled among the other platforms' → exactly one mention
  per message, one task per conversation, the task opened once.
- A message and its edit, each delivered many times in any order → one mention holding the edit, one task.
- Each platform's ready task sent by several requests at the same instant → one post on the platform; the racing
  requests get the reply that was sent or a 409 while it is in flight, never a second post.
- Agents claiming one task at the same instant → one holder; every other agent is told who holds it (409).

Bounded: a few hundred requests, every wait with a deadline."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devstack.fakes import PLATFORMS, Answer, FakePlatforms, _is_auth_call
from devstack.signing import github_headers
from shared.settings import dev_platform_secret
from tests.arrivals import ARRIVALS, COMPLAINT, MENTIONS, WEBHOOKS, Webhook, by_webhook, platform_of
from tests.conftest import webhook_fixture
from tests.e2e.test_answer_everywhere import Everywhere
from tests.e2e.test_local_stack import start_stack, stop_stack
from tests.functional.test_workflow import CONFIG, KEYS

pytestmark = pytest.mark.e2e

COPIES = 6  # deliveries of each message (GitHub, Meta and Slack retry for hours; a crisis multiplies them)
WORKERS = 8  # requests in flight at once, twice the stack's environments per function
REPLY_S = 0.4  # how long each platform takes to accept a reply: long enough for racing sends to overlap it


class SlowReplies(FakePlatforms):
    """The platforms' fakes, taking REPLY_S to accept a reply (a real platform takes a few hundred milliseconds)."""

    def _answer(self, method: str, target: str, body: Any, headers: dict[str, str]) -> Answer:
        platform, _, rest = target.lstrip("/").partition("/")
        if method != "GET" and not _is_auth_call(platform, "/" + rest.partition("?")[0]):
            time.sleep(REPLY_S)
        return super()._answer(method, target, body, headers)


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Everywhere]:
    config = tmp_path_factory.mktemp("storm") / "hark.yaml"
    config.write_text(CONFIG)
    with SlowReplies() as fake:
        env = {
            "HARK_CONFIG": str(config),
            "HARK_API_KEYS": json.dumps(KEYS),
            "HARK_SCHEDULE_SECONDS": "3600",
            **{f"HARK_API_BASE_{p.upper()}": fake.base(p) for p in PLATFORMS},
        }
        stack = start_stack(env)
        try:
            yield Everywhere(stack, fake)
        finally:
            stop_stack(stack)


def deliver(storm: Everywhere, hook: Webhook) -> list[str]:
    """One copy of a signed delivery; the mention ids its receipt names."""
    for _ in range(20):
        response = requests.post(storm.stack.url + hook.path, data=hook.body, headers=hook.headers, timeout=30)
        if response.status_code != 429:  # every environment busy: the platform would retry, so does this
            break
        time.sleep(float(response.headers.get("Retry-After", "1")))
    assert response.status_code == 200, (hook.path, response.status_code, response.text)
    return [hook.mention_id] if hook.mention_id else list(response.json()["mention_ids"])


def storm_of(copies: list[Callable[[], list[str]]]) -> list[list[str]]:
    random.Random(16).shuffle(copies)  # out of order: platforms and copies interleaved
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda send: send(), copies))


def task_id_of(storm: Everywhere, mention_id: str) -> str:
    def found() -> Any:
        response = storm.call("GET", f"/v1/mentions/{mention_id}")
        return response.status_code == 200 and response.json().get("task_id")

    return str(storm.stack.wait_for(found, timeout=60))


def test_a_storm_of_redeliveries_from_every_platform_makes_one_mention_and_one_task_each(storm: Everywhere) -> None:
    expected: dict[str, str] = {}  # arrival → its mention id
    copies: list[Callable[[], list[str]]] = []
    for arrival in ARRIVALS:
        if by_webhook(arrival):
            hook, _ = WEBHOOKS[arrival](1)
            if hook.prepare is not None:
                hook.prepare(storm.fake)
            copies += [lambda hook=hook: deliver(storm, hook)] * COPIES
        else:  # a poller's platform: the poller hands the core the same message on every overlapping poll
            mention, _ = MENTIONS[arrival](1)
            expected[arrival] = mention.id

            def admit(mention: Any = mention, arrival: str = arrival) -> list[str]:
                storm.ingest.admit([mention], correlation_id=f"storm-{arrival}", delivery_id=None)
                return [mention.id]

            copies += [admit] * COPIES
    receipts = storm_of(copies)
    for ids in receipts:
        assert len(ids) == 1, receipts  # each delivery carries one message
    named = Counter(ids[0] for ids in receipts)
    assert set(named.values()) == {COPIES}  # every copy of a delivery names the same mention
    assert len(named) == len(ARRIVALS)

    tasks = {mention_id: task_id_of(storm, mention_id) for mention_id in named}
    time.sleep(2)  # what a doubled message or task would need to show up
    for platform in {platform_of(a) for a in ARRIVALS}:
        items = storm.call("GET", f"/v1/mentions?platform={platform}&limit=100").json()["items"]
        listed = Counter(m["id"] for m in items)
        assert all(n == 1 for n in listed.values()), (platform, listed)
        assert set(listed) <= set(named), platform
    listed_tasks = storm.call("GET", "/v1/tasks?limit=100").json()["items"]
    ours = [t["id"] for t in listed_tasks if set(t["mention_ids"]) & set(named)]
    assert len(ours) == len(set(ours)) == len(set(tasks.values())) == len(ARRIVALS)  # one task per conversation
    for mention_id, task_id in tasks.items():
        task = storm.call("GET", f"/v1/tasks/{task_id}").json()
        assert task["mention_ids"] == [mention_id]
        actions = [e["action"] for e in storm.call("GET", f"/v1/tasks/{task_id}/audit", "carol").json()["items"]]
        assert actions.count("task.opened") == 1, (task_id, actions)


def test_a_message_and_its_edit_in_any_order_make_one_mention_holding_the_edit(storm: Everywhere) -> None:
    created = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    edited = json.loads(webhook_fixture("github", "issue_comment__edited.payload.json"))
    created["comment"]["id"] = edited["comment"]["id"] = 7_016_000_001
    for payload in (created, edited):  # a customer's comment (the fixture's is the repository owner's)
        payload["comment"]["author_association"] = "NONE"
        payload["comment"]["user"] = {"login": "sam-storm", "id": 7016, "type": "User"}
    created["comment"]["body"] = COMPLAINT
    edited["comment"]["body"] = f"{COMPLAINT} Edit: it happened again this morning."
    hooks = []
    for n, payload in enumerate((created, edited)):
        body = json.dumps(payload).encode()
        headers = github_headers(body, dev_platform_secret("github"), "issue_comment", f"storm-edit-{n}")
        hooks.append(Webhook("/webhooks/github", body, headers))
    receipts = storm_of([lambda hook=hook: deliver(storm, hook) for hook in hooks for _ in range(COPIES)])
    [mention_id] = {ids[0] for ids in receipts}
    task_id = task_id_of(storm, mention_id)

    def edited_text() -> Any:
        mention = storm.call("GET", f"/v1/mentions/{mention_id}").json()
        return mention["text"] == edited["comment"]["body"] and mention

    mention = storm.stack.wait_for(edited_text, timeout=60)
    assert mention["edited_at"]
    thread = storm.call("GET", f"/v1/tasks/{task_id}/thread").json()["items"]
    assert [m["id"] for m in thread] == [mention_id]


def test_racing_sends_of_each_platforms_task_post_one_reply(storm: Everywhere) -> None:
    racers = 3  # within the stack's four environments, so all three are inside `send` together
    ready = {arrival: storm.ready(arrival, 2) for arrival in ARRIVALS}
    statuses: Counter[int] = Counter()
    for arrival, (task_id, where) in ready.items():
        start = threading.Barrier(racers, timeout=30)

        def send(_: int, task_id: str = task_id, start: threading.Barrier = start) -> requests.Response:
            start.wait()
            return storm.call("POST", f"/v1/tasks/{task_id}/send")

        with ThreadPoolExecutor(racers) as pool:
            answers = list(pool.map(send, range(racers)))
        statuses.update(a.status_code for a in answers)
        assert {a.status_code for a in answers} <= {200, 409}, [(a.status_code, a.text) for a in answers]
        assert any(a.status_code == 200 for a in answers), arrival
        for answer in answers:
            if answer.status_code == 409:  # told the reply is on its way, with the problem's reason
                assert answer.headers["Content-Type"] == "application/problem+json"
                assert answer.json()["reason"] == "send_in_progress", answer.text
        task = storm.call("GET", f"/v1/tasks/{task_id}").json()
        assert task["status"] == "sent" and len(task["replies"]) == 1, (arrival, task)
        assert len(storm.posted(platform_of(arrival), where)) == 1, arrival
    assert statuses[409] > 0, statuses  # the in-flight path ran


def test_agents_claiming_one_task_at_the_same_instant_leave_one_holder(storm: Everywhere) -> None:
    agents = ["alice", "bob", "dave"]
    for n in range(3, 7):
        hook, _ = WEBHOOKS["github"](n)
        task_id = task_id_of(storm, deliver(storm, hook)[0])
        start = threading.Barrier(len(agents), timeout=30)

        def claim(user: str, task_id: str = task_id, start: threading.Barrier = start) -> requests.Response:
            start.wait()
            return storm.call("POST", f"/v1/tasks/{task_id}/claim", user)

        with ThreadPoolExecutor(len(agents)) as pool:
            answers = dict(zip(agents, pool.map(claim, agents), strict=True))
        won = [user for user, answer in answers.items() if answer.status_code == 200]
        assert len(won) == 1, {u: (a.status_code, a.text) for u, a in answers.items()}
        [holder] = won
        for user, answer in answers.items():
            if user != holder:
                assert answer.status_code == 409, answer.text
                assert answer.json()["holder"] == holder
        task = storm.call("GET", f"/v1/tasks/{task_id}").json()
        assert task["holder"] == holder
        trail = storm.call("GET", f"/v1/tasks/{task_id}/audit", "carol").json()["items"]
        assert [e["actor"] for e in trail if e["action"] == "claim"] == [holder]
