"""The inbox's search reaching past what the screen has loaded (respond filters every stored mention), an admin's
reports and source health, and the wall screen at the size of a wall: 1920 by 1080, axe-clean, nothing cut off."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.harness import DEV_KEY, Stack, sign_in
from tests.browser.test_command_center import card, describe_violations, run_axe

pytestmark = pytest.mark.browser


def submit_batch(stack: Stack, texts: list[str]) -> list[str]:
    body = {
        "mentions": [
            {"native_id": f"bulk-{uuid.uuid4().hex}", "author": {"id": f"b-{i}", "handle": f"fan_{i}"}, "text": t}
            for i, t in enumerate(texts)
        ]
    }
    response = requests.post(
        stack.url + "/v1/mentions",
        data=json.dumps(body),
        headers={"content-type": "application/json", "x-api-key": DEV_KEY},
        timeout=30,
    )
    response.raise_for_status()
    return [str(m["id"]) for m in response.json()["mentions"]]


def test_the_inbox_search_finds_what_the_screen_has_not_loaded(page: Any, stack: Stack) -> None:
    token = uuid.uuid4().hex[:10]
    needle = stack.submit(f"Needle {token}: the export button does nothing at all")
    stack.classified(needle)
    # Enough newer mentions that the needle is not on the inbox's first page (50).
    ids = submit_batch(stack, [f"Thanks for the update, number {n}" for n in range(60)])
    stack.wait_for(lambda: needle not in {m["id"] for m in stack.get("/v1/mentions?limit=50")["items"]}, timeout=60)
    stack.classified(ids[-1])
    sign_in(page, stack.url)
    page.goto(stack.url + "/#/inbox")
    page.locator(".mention-card").first.wait_for()
    assert card(page, token).count() == 0  # not loaded

    page.get_by_role("searchbox", name="Search the inbox").fill(token)
    card(page, token).wait_for(timeout=15_000)
    assert "in every stored mention" in page.locator("#inbox-title").inner_text()
    assert page.locator(".mention-card").count() == 1
    # While searching, a new mention that matches arrives live, without a reload.
    page.evaluate("window.__sameDocument = true")
    later = stack.submit(f"Same here, {token} again: export still broken")
    stack.classified(later)
    card(page, f"{token} again").wait_for(timeout=15_000)
    assert page.locator(".mention-card").count() == 2 and page.evaluate("window.__sameDocument") is True

    page.get_by_role("button", name="Clear filters").click()
    page.locator(".mention-card").nth(10).wait_for()
    assert card(page, f"Needle {token}").count() == 0


def test_an_admin_sees_reports_and_source_health_and_an_agent_does_not(page: Any, stack: Stack) -> None:
    stack.submit("The app crashes when I upload a photo. Please help!")
    sign_in(page, stack.url, key="hark-test-agent-key")
    nav = page.get_by_role("navigation", name="Screens")
    assert nav.get_by_role("link", name="Reports").count() == 0
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, stack.url)
    nav.get_by_role("link", name="Reports").click()
    sources = page.get_by_role("region", name="Sources")
    sources.get_by_role("table").wait_for()
    served = {s["id"]: s for s in stack.get("/v1/sources")["items"]}
    assert sources.locator("tbody tr").count() == len(served) > 0
    for health in {s["health"] for s in served.values()}:
        label = {"ok": "✓ ok", "unhealthy": "✗ unhealthy", "unknown": "not seen yet"}[health]
        assert sources.get_by_text(label).count() >= 1

    report = page.get_by_role("region", name="First response")
    report.get_by_role("table").or_(report.get_by_text("Nothing in this period.")).first.wait_for()
    page.get_by_label("Report", exact=True).select_option("volume")
    volume = page.get_by_role("region", name=stack.get("/v1/reports/volume")["title"])
    volume.get_by_role("columnheader", name="mentions").wait_for()
    with page.expect_download() as download:
        volume.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    assert "mentions" in Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
    page.wait_for_load_state("networkidle")
    assert not (v := run_axe(page)), "reports: " + describe_violations(v)


def test_the_wall_fills_a_1920_by_1080_screen_without_cutting_anything_off(browser: Any, stack: Stack) -> None:
    stack.submit("Is the service down? Nothing loads since this morning.")
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        wall = context.new_page()
        errors: list[str] = []
        wall.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(wall, stack.url, key="hark-test-viewer-key", path="/wall")
        wall.locator(".wall-screen").wait_for()
        for title in ("Mentions per hour", "How it feels", "What people want"):
            wall.get_by_role("heading", name=title).wait_for()
        wall.locator(".wall-chart canvas").nth(2).wait_for()
        wall.locator(".wall-latest li").first.wait_for()
        wall.wait_for_load_state("networkidle")
        assert not (v := run_axe(wall)), "wall at 1920x1080: " + describe_violations(v)
        layout = wall.evaluate(
            """() => {
              const box = (el) => el.getBoundingClientRect();
              const cut = [...document.querySelectorAll('.wtile-value, .wtile-label, .wall-chart h2, .wall-author')]
                .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent);
              return {
                wide: document.documentElement.scrollWidth,
                tall: document.documentElement.scrollHeight,
                bottom: Math.max(...[...document.querySelectorAll('.wall-tiles, .wall-charts, .wall-latest')]
                  .map((el) => box(el).bottom)),
                value: parseFloat(getComputedStyle(document.querySelector('.wtile-value')).fontSize),
                charts: [...document.querySelectorAll('.wall-chart')].map((el) => box(el).top),
                cut,
              };
            }"""
        )
        assert layout["wide"] <= 1920, "the wall scrolls sideways"
        assert layout["tall"] <= 1080 and layout["bottom"] <= 1080, f"the wall needs scrolling: {layout}"
        assert layout["value"] >= 64, "figures too small to read across a room"
        assert len(set(layout["charts"])) == 1, "the three charts side by side"
        assert layout["cut"] == [], f"text cut off: {layout['cut']}"
        assert errors == []
    finally:
        context.close()
