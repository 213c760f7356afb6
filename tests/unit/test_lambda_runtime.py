"""The local Lambda runtime runs several copies of a function at once, as Lambda does: a bounded pool of
environments, each serving one invocation at a time with its own composition root, and Chalice's per-invocation
state kept apart between them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.app import Chalice

from devstack import lambda_runtime
from devstack.lambda_runtime import Function, Throttled
from shared.bootstrap import LazyRoot, execution_environment
from shared.resources import FunctionSpec

SPEC = FunctionSpec(
    key="probe", service="probe", handler="tests.unit.test_lambda_runtime.probe", timeout_s=5, memory_mb=128
)


class Probe:
    """A handler that records how many invocations overlap, per environment and in all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.per_environment: dict[str, int] = {}
        self.overlaps_in_one_environment = 0
        self.hold = threading.Event()
        self.hold.set()

    def __call__(self, event: Any, context: Any) -> Any:
        stream = context.log_stream_name
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.per_environment[stream] = self.per_environment.get(stream, 0) + 1
            if self.per_environment[stream] > 1:
                self.overlaps_in_one_environment += 1
        try:
            self.hold.wait(5)
            time.sleep(event.get("sleep", 0.05))
            return {"root": id(roots.get()), "environment": stream}
        finally:
            with self.lock:
                self.running -= 1
                self.per_environment[stream] -= 1


probe = Probe()
roots: LazyRoot[object] = LazyRoot(lambda _env: object())


@pytest.fixture(autouse=True)
def fresh_probe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Probe]:
    global probe  # noqa: PLW0603 - the handler is loaded by its dotted path, as Lambda loads it
    probe = Probe()
    roots.override(None)
    yield probe
    roots.override(None)


def run_together(function: Function, count: int, **event: Any) -> list[Any]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: function.invoke(dict(event)), range(count)))


def test_invocations_run_side_by_side_up_to_the_pool_and_never_two_in_one_environment() -> None:
    function = Function(SPEC, concurrency=3)
    results = run_together(function, 9, sleep=0.2)
    assert probe.peak == 3 == function.peak
    assert probe.overlaps_in_one_environment == 0
    assert len(function.environments) == 3
    assert sum(e.invocations for e in function.environments) == 9
    # Each environment built its own root, and kept it for every invocation it served.
    by_environment: dict[str, set[int]] = {}
    for result in results:
        by_environment.setdefault(result["environment"], set()).add(result["root"])
    assert len(by_environment) == 3
    assert all(len(ids) == 1 for ids in by_environment.values())
    assert len({next(iter(ids)) for ids in by_environment.values()}) == 3


def test_one_environment_serialises_as_one_lambda_sandbox_does() -> None:
    function = Function(SPEC)
    run_together(function, 4, sleep=0.05)
    assert probe.peak == 1
    assert len(function.environments) == 1


def test_a_warm_environment_is_reused_before_a_new_one_starts() -> None:
    function = Function(SPEC, concurrency=4)
    for _ in range(5):
        function.invoke({"sleep": 0})
    assert len(function.environments) == 1


def test_past_the_pool_an_invocation_waits_then_is_throttled() -> None:
    function = Function(SPEC, concurrency=1, queue_wait_s=0.2)
    probe.hold.clear()
    first = threading.Thread(target=function.invoke, args=({"sleep": 0},))
    first.start()
    try:
        deadline = time.monotonic() + 5
        while probe.running == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(Throttled):
            function.invoke({"sleep": 0})
        assert function.throttles == 1
    finally:
        probe.hold.set()
        first.join(5)


def test_an_override_reaches_every_environment() -> None:
    function = Function(SPEC, concurrency=2)
    shared = object()
    roots.override(shared)
    results = run_together(function, 4, sleep=0.1)
    assert {r["root"] for r in results} == {id(shared)}


def test_roots_are_built_once_per_environment() -> None:
    built: list[str] = []
    root: LazyRoot[str] = LazyRoot(lambda _env: built.append("x") or f"root-{len(built)}")
    with execution_environment("a"):
        assert root.get() == root.get() == "root-1"
    with execution_environment("b"):
        assert root.get() == "root-2"
    with execution_environment("a"):
        assert root.get() == "root-1"
    assert root.get() == "root-3"  # outside any environment: the process's own (Lambda's only one)


def test_chalice_keeps_each_environments_request_apart() -> None:
    """Chalice puts the request being served on the app object; two environments serving at once must each read
    their own, or a view answers one caller with another's path, body or key."""
    app = Chalice(app_name="apart", env={}, configure_logs=False)
    arrived = threading.Barrier(2, timeout=5)

    @app.route("/echo/{word}", methods=["GET"])
    def echo(word: str) -> dict[str, str]:
        arrived.wait()  # both requests are inside the view before either reads the request
        request = app.current_request
        assert request is not None
        return {"word": word, "header": request.headers.get("x-caller", ""), "query": dict(request.query_params or {})}

    lambda_runtime._per_thread_chalice_state()

    def call(word: str) -> Any:
        event = {
            "resource": "/echo/{word}",
            "path": f"/echo/{word}",
            "httpMethod": "GET",
            "headers": {"x-caller": word},
            "multiValueHeaders": {"x-caller": [word]},
            "queryStringParameters": {"q": word},
            "multiValueQueryStringParameters": {"q": [word]},
            "pathParameters": {"word": word},
            "stageVariables": None,
            "requestContext": {"resourcePath": "/echo/{word}", "httpMethod": "GET", "path": f"/echo/{word}"},
            "body": None,
            "isBase64Encoded": False,
        }
        return app(event, lambda_runtime.LambdaContext("apart", 128, 5))

    with ThreadPoolExecutor(2) as pool:
        one, two = pool.map(call, ["one", "two"])
    assert json.loads(one["body"]) == {"word": "one", "header": "one", "query": {"q": "one"}}
    assert json.loads(two["body"]) == {"word": "two", "header": "two", "query": {"q": "two"}}
