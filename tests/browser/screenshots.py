"""`make screenshots`: the README's tour, taken from a local stack running the demo stream, and how fast the first
view is (printed, and written next to the pictures as first-view.json). Not a test: it writes into docs/images/.

    python -m tests.browser.screenshots docs/images
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from devstack.fakes import FakePlatforms
from tests.browser.harness import DEV_KEY, Stack, chromium, local_stack, sign_in

DESKTOP = {"width": 1440, "height": 900}
WALL = {"width": 1920, "height": 1080}
RUNS = 5


def wait_for_demo(stack: Stack) -> None:
    """The demo stream posts a dozen messages; wait until the inbox stops growing."""
    deadline = time.monotonic() + 90
    last, steady = -1, 0
    while time.monotonic() < deadline and steady < 6:
        count = len(stack.get("/v1/mentions?limit=200")["items"])
        steady = steady + 1 if count == last and count > 0 else 0
        last = count
        time.sleep(0.5)


def first_view_ms(browser: Any, url: str) -> dict[str, float]:
    """A returning user in a fresh tab (the key already in the tab's session): from navigation to the queue's
    first task on screen, and to the inbox's first mention."""
    queue, inbox = [], []
    for _ in range(RUNS):
        context = browser.new_context(viewport=DESKTOP)
        context.add_init_script(f"sessionStorage.setItem('hark.apiKey', {json.dumps(DEV_KEY)})")
        page = context.new_page()
        page.goto(url + "/#/queue")
        page.locator(".task-card").first.wait_for()
        queue.append(page.evaluate("performance.now()"))
        page.goto(url + "/#/inbox")
        page.reload()
        page.locator(".mention-card").first.wait_for()
        inbox.append(page.evaluate("performance.now()"))
        context.close()
    return {
        "queue_median_ms": round(statistics.median(queue), 1),
        "queue_max_ms": round(max(queue), 1),
        "inbox_median_ms": round(statistics.median(inbox), 1),
        "inbox_max_ms": round(max(inbox), 1),
        "runs": RUNS,
    }


def shoot(out: Path) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    with FakePlatforms() as fake:
        env = {"HARK_API_BASE_GITHUB": fake.base("github"), "HARK_API_BASE_META": fake.base("meta")}
        with local_stack(demo=True, env=env) as stack, chromium() as browser:
            wait_for_demo(stack)
            context = browser.new_context(viewport=DESKTOP, color_scheme="dark", reduced_motion="reduce")
            page = context.new_page()
            page.goto(stack.url + "/")
            page.get_by_label("API key").wait_for()
            page.screenshot(path=str(out / "sign-in.png"))
            sign_in(page, stack.url)

            # The queue with the most urgent task open, claimed, and a first draft the voice check speaks up about.
            page.locator(".task-card").first.wait_for()
            page.locator(".task-card .card-link").first.click()
            page.get_by_role("toolbar", name="Task actions").get_by_role("button", name="Claim").click()
            page.locator(".task-facts", has_text="Held by you").wait_for()
            page.get_by_label("Reply text").fill(
                "We apologise for any inconvenience. Please be advised that we are looking into it."
            )
            page.get_by_role("button", name="Save draft").click()
            page.get_by_role("status", name="Voice check").wait_for()
            page.screenshot(path=str(out / "queue-and-task.png"))

            page.goto(stack.url + "/#/inbox")
            page.locator(".mention-card").first.wait_for()
            page.locator(".mention-card .card-link").nth(1).click()
            page.locator(".detail-pane h2").first.wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / "inbox.png"))

            page.goto(stack.url + "/#/overview")
            page.locator("#overview-title").wait_for()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(800)
            page.screenshot(path=str(out / "overview.png"), full_page=True)

            # Drug safety's screen: a reported reaction to a medicine, on its clock, with its four criteria.
            reported = stack.submit(
                "I started taking Zoloft last week and since then I have terrible nausea and dizziness. Normal?",
                author={"id": "pat-77", "handle": "kim_r"},
            )
            task_id = stack.wait_for(lambda: stack.get(f"/v1/mentions/{reported}").get("task_id"))
            case_id = stack.wait_for(lambda: stack.get(f"/v1/tasks/{task_id}").get("safety_case_id"))
            page.goto(f"{stack.url}/#/safety/{case_id}")
            page.locator("#case-title").wait_for()
            page.locator(".case-card").first.wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / "safety-case.png"))

            page.goto(stack.url + "/#/reports")
            page.get_by_role("region", name="Sources").get_by_role("table").wait_for()
            page.locator(".report-stack table caption", has_text="First response").or_(
                page.get_by_text("Nothing in this period.")
            ).first.wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / "reports.png"), full_page=True)

            page.keyboard.press("?")
            page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
            page.screenshot(path=str(out / "shortcuts.png"))
            context.close()

            wall = browser.new_context(viewport=WALL, reduced_motion="reduce")
            wall.add_init_script(f"sessionStorage.setItem('hark.apiKey', {json.dumps(DEV_KEY)})")
            screen = wall.new_page()
            screen.goto(stack.url + "/wall")
            screen.locator(".wall-screen").wait_for()
            screen.wait_for_load_state("networkidle")
            screen.wait_for_timeout(1000)
            screen.screenshot(path=str(out / "wall.png"))
            wall.close()

            timings = first_view_ms(browser, stack.url)
    (out / "first-view.json").write_text(json.dumps(timings, indent=2) + "\n")
    return timings


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/images")
    timings = shoot(out)
    print(f"screenshots in {out}/")
    print(
        f"first view (fresh tab, key in session, {timings['runs']} runs):"
        f" queue median {timings['queue_median_ms']} ms (max {timings['queue_max_ms']}),"
        f" inbox median {timings['inbox_median_ms']} ms (max {timings['inbox_max_ms']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
