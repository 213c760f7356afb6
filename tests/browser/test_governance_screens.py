"""Governance in the command center: drug safety works a suspected adverse event on its reporting clock (the
deadline counting down, near and over due standing out), and only the roles that may act on a case are offered
anything; the author panel shows a person's history to everyone who reads the conversation, masked for a viewer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.harness import Stack, sign_in
from tests.browser.test_command_center import describe_violations, run_axe

pytestmark = pytest.mark.browser

DAY = 86_400


def adverse_event(stack: Stack, token: str, author: str) -> tuple[str, dict[str, Any]]:
    """A reported reaction to a named medicine: its task and its safety case."""
    mention_id = stack.submit(
        f"Since I started Zoloft ({token}) I have terrible nausea and dizziness every morning. Is that normal?",
        author={"id": author, "handle": f"pat_{token}"},
        thread_id=f"th-{token}",
    )
    # The first mention of a run waits for classify's cold start (its models): minutes on a loaded machine.
    task = stack.wait_for(lambda: (t := stack.get(f"/v1/mentions/{mention_id}")).get("task_id") and t, timeout=120)
    task_id = str(task["task_id"])
    case_id = stack.wait_for(lambda: stack.get(f"/v1/tasks/{task_id}").get("safety_case_id"), timeout=60)
    return task_id, stack.get(f"/v1/safety-cases/{case_id}", key="hark-test-safety-key")


def test_drug_safety_works_a_case_on_its_clock_and_only_they_may(page: Any, stack: Stack) -> None:
    token = uuid.uuid4().hex[:8]
    task_id, case = adverse_event(stack, token, f"pat-{token}")
    due = datetime.fromisoformat(case["due_at"])

    # An agent sees the conversation carries a case, and nothing of drug safety's to open or do.
    sign_in(page, stack.url, key="hark-test-agent-key")
    page.goto(f"{stack.url}/#/queue/{task_id}")
    panel = page.get_by_role("region", name="Safety case")
    panel.get_by_text("drug safety has a case").wait_for()
    assert panel.get_by_role("link").count() == 0
    assert page.get_by_role("navigation", name="Screens").get_by_role("link", name="Safety").count() == 0
    page.get_by_role("button", name="Sign out").click()

    # Drug safety: the case from the task, on its 15-day clock.
    page.clock.install()
    sign_in(page, stack.url, key="hark-test-safety-key")
    page.goto(f"{stack.url}/#/queue/{task_id}")
    # Click once the conversation and the case are read: panels that fill in later move what is under the pointer.
    page.get_by_role("region", name="Safety case").get_by_text("Zoloft, all four criteria").wait_for()
    page.get_by_role("region", name="Conversation").get_by_text(f"Zoloft ({token})").wait_for()
    page.get_by_role("region", name="Safety case").get_by_role("link", name="Open the safety case").click()
    page.locator("#case-title").filter(has_text="Zoloft").wait_for()
    clock = page.locator(".task-facts .case-clock")
    assert "14d" in clock.inner_text() and "left to report" in clock.inner_text()
    assert "cc-ok" in str(clock.get_attribute("class"))
    criteria = page.get_by_role("region", name="The four minimum criteria")
    assert criteria.locator("li.present").count() == 4
    for words in ("nausea", "Zoloft", f"pat_{token}"):
        assert words in criteria.inner_text()
    assert token in page.get_by_role("region", name="In the reporter's words").inner_text()
    assert not (v := run_axe(page)), "safety case: " + describe_violations(v)

    # Two days before the deadline it stands out; past it, it says it is overdue.
    page.clock.set_system_time(due - timedelta(days=2))
    page.locator(".task-facts .case-clock.cc-near").wait_for()
    assert page.locator(f'.case-card[data-case="{case["id"]}"].case-near').count() == 1
    page.clock.set_system_time(due + timedelta(hours=5))
    page.locator(".task-facts .case-clock.cc-overdue").filter(has_text="overdue by 5h").wait_for()
    page.clock.set_system_time(datetime.now(UTC))

    # A follow-up, then the report: the history says who did what, the clock stops within the deadline.
    page.get_by_role("button", name="Record a follow-up…").click()
    form = page.get_by_role("form", name="Record a follow-up")
    form.get_by_label("Outcome").select_option("information_received")
    form.get_by_label("Note").fill(f"Patient confirmed by DM {token}")
    form.get_by_role("button", name="Save the follow-up").click()
    history = page.get_by_role("region", name="Follow-ups and reports")
    history.get_by_text(f"Patient confirmed by DM {token}").wait_for()
    assert "sara: follow-up by direct message, information received" in history.inner_text()
    page.get_by_role("button", name="Record the report…").click()
    form = page.get_by_role("form", name="Record the report")
    form.get_by_label("Safety database reference").fill(f"PV-{token}")
    form.get_by_role("button", name="Report now").click()
    history.get_by_text(f"reported as PV-{token}, within the deadline").wait_for()
    page.locator(".task-facts .case-clock").filter(has_text="Reported within the deadline").wait_for()
    assert page.get_by_role("button", name="Not a case…").count() == 0  # a reported case is not dismissed
    stored = stack.get(f"/v1/safety-cases/{case['id']}", key="hark-test-safety-key")
    assert stored["status"] == "reported" and stored["reports"][0]["reference"] == f"PV-{token}"

    # The list filters on the server: reported cases only, then a product that is not this one.
    page.goto(f"{stack.url}/#/safety")
    page.get_by_label("Status").select_option("reported")
    page.locator(f'.case-card[data-case="{case["id"]}"]').wait_for()
    page.get_by_placeholder("Product or generic name").fill("ibuprofen")
    page.get_by_placeholder("Product or generic name").press("Enter")
    page.get_by_text("No case matches these filters.").wait_for()
