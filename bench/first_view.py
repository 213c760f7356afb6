"""The command center's first view, in Debian's Chromium against the local stack with the demo stream: a returning
user opening a fresh tab (the key already in the tab's session), from navigation to the queue's first task on
screen, and to the inbox's first mention.

    python -m bench.first_view [--runs N] [--baseline DIR]

`--baseline DIR` compares with another build of web/ (a copy of services/respond/static made before a change):
the two builds take turns, run by run, on the same stack, so the machine's load weighs on both alike. respond
picks up whichever build is in services/respond/static (it reads it again when index.html changes); the current
build is put back at the end."""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parents[1] / "services" / "respond" / "static"
RUNS = 9


def _install(build: Path) -> None:
    for item in STATIC.iterdir():
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()
    shutil.copytree(build, STATIC, dirs_exist_ok=True)


def _served(url: str, build: Path) -> None:
    """Wait until respond serves this build's page (it re-reads the build when index.html changes)."""
    import requests

    want = (build / "index.html").read_text(encoding="utf-8")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if requests.get(url + "/", timeout=5).text == want:
            return
        time.sleep(0.2)
    raise RuntimeError("respond did not pick up the build")


def _one(browser: Any, url: str, key: str) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(f"sessionStorage.setItem('hark.apiKey', {json.dumps(key)})")
    try:
        page = context.new_page()
        page.goto(url + "/#/queue")
        page.locator(".task-card").first.wait_for()
        queue = float(page.evaluate("performance.now()"))
        page.goto(url + "/#/inbox")
        page.reload()
        page.locator(".mention-card").first.wait_for()
        inbox = float(page.evaluate("performance.now()"))
        return queue, inbox
    finally:
        context.close()


def _summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1), "n": len(samples)}


def first_view(runs: int = RUNS, baseline: Path | None = None) -> dict[str, Any]:
    import os

    from devstack.fakes import FakePlatforms
    from tests.browser.harness import DEV_KEY, chromium, local_stack
    from tests.browser.screenshots import wait_for_demo

    builds: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as scratch:
        current = Path(scratch) / "current"
        shutil.copytree(STATIC, current)
        builds["current"] = current
        if baseline is not None:
            builds["baseline"] = baseline
        samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in builds}
        try:
            with FakePlatforms() as fake:
                env = {"HARK_API_BASE_GITHUB": fake.base("github"), "HARK_API_BASE_META": fake.base("meta")}
                with local_stack(demo=True, env=env) as stack, chromium() as browser:
                    wait_for_demo(stack)
                    _one(browser, stack.url, DEV_KEY)  # warm: the first page load compiles the stack's paths
                    order = list(builds)
                    for n in range(runs):
                        for name in order if n % 2 == 0 else order[::-1]:
                            if len(builds) > 1:
                                _install(builds[name])
                                _served(stack.url, builds[name])
                            queue, inbox = _one(browser, stack.url, DEV_KEY)
                            samples[name][0].append(queue)
                            samples[name][1].append(inbox)
        finally:
            if len(builds) > 1:
                _install(current)
    result: dict[str, Any] = {"load_average": round(os.getloadavg()[0], 1)}
    for name, (queue, inbox) in samples.items():
        result[name] = {"queue_first_task": _summary(queue), "inbox_first_mention": _summary(inbox)}
    return result


def main(argv: list[str]) -> int:
    runs, baseline = RUNS, None
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag == "--runs":
            runs = int(args.pop(0))
        elif flag == "--baseline":
            baseline = Path(args.pop(0))
        else:
            print(__doc__)
            return 2
    print(json.dumps(first_view(runs, baseline), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
