"""An agent works a conversation end to end in the browser, against the local stack and a local fake of the
platform's API: claim, draft (the voice check speaks up inline), submit, a second key approves, send (the
platform gets the reply exactly once), close; and the keyboard-only loop on a queue without approval."""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

import pytest
import requests

from devstack.demo import _github_issue
from devstack.fakes import FakePlatforms
from devstack.signing import github_headers, meta_body, meta_headers
from shared.settings import dev_platform_secret
from tests.browser.harness import Stack, sign_in

pytestmark = pytest.mark.browser

COMPLAINT = "I was charged twice for my subscription and support never answered. I want a refund now."


def github_complaint(stack: Stack, number: int, text: str) -> str:
    body = json.dumps(_github_issue(number, "Charged twice", text, "dana-ops", 501)).encode()
    response = requests.post(
        stack.url + "/webhooks/github",
        data=body,
        headers=github_headers(body, dev_platform_secret("github"), "issues"),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    mention_id = response.json()["mention_ids"][0]
    return str(stack.wait_for(lambda: stack.get(f"/v1/mentions/{mention_id}").get("task_id")))


def messenger_question(stack: Stack, psid: str, text: str) -> str:
    ms = int(time.time() * 1000)
    event = {
        "sender": {"id": psid},
        "recipient": {"id": "104559"},
        "timestamp": ms,
        "message": {"mid": f"m_{psid}", "text": text},
    }
    body = meta_body({"object": "page", "entry": [{"id": "104559", "time": ms, "messaging": [event]}]})
    response = requests.post(
        stack.url + "/webhooks/meta", data=body, headers=meta_headers(body, dev_platform_secret("meta")), timeout=10
    )
    assert response.status_code == 200, response.text
    mention_id = response.json()["mention_ids"][0]
    return str(stack.wait_for(lambda: stack.get(f"/v1/mentions/{mention_id}").get("task_id")))


def status_of(page: Any) -> str:
    return str(page.locator(".task-title-row .pill").last.inner_text())


def wait_status(page: Any, status: str) -> None:
    page.locator(".task-title-row .pill", has_text=status).wait_for(timeout=10_000)


def test_claim_draft_approve_send_close_reaches_the_platform_once(
    browser: Any, page: Any, stack: Stack, fake: FakePlatforms
) -> None:
    number = random.randint(20_000, 99_999)
    task_id = github_complaint(stack, number, COMPLAINT)

    sign_in(page, stack.url, key="hark-test-agent-key")
    page.locator(".task-card", has_text="charged twice").first.wait_for()
    page.goto(f"{stack.url}/#/queue/{task_id}")
    toolbar = page.get_by_role("toolbar", name="Task actions")
    toolbar.get_by_role("button", name="Claim").click()
    page.locator(".task-facts", has_text="Held by you").wait_for()

    reply = page.get_by_label("Reply text")
    reply.fill("We apologise for any inconvenience.")
    page.get_by_role("button", name="Save draft").click()
    warnings = page.get_by_role("status", name="Voice check")
    warnings.wait_for()
    assert "we apologise for any inconvenience" in warnings.inner_text().lower()
    assert warnings.locator("mark.warned").count() >= 1

    reply.fill("Hi dana-ops, I'm Ana from the billing team. I can see the double charge and I have refunded it.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for approval").click()
    wait_status(page, "pending approval")
    assert page.get_by_role("button", name="Approve").count() == 0  # never one's own draft
    assert page.get_by_role("button", name="Send reply").count() == 0  # not before approval

    approver = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        second = approver.new_page()
        sign_in(second, stack.url, key="hark-test-approver-key")
        second.goto(f"{stack.url}/#/queue/{task_id}")
        second.get_by_role("button", name="Approve").click()
        wait_status(second, "approved")
        assert second.get_by_role("button", name="Claim").count() == 0  # approvers approve, agents work
    finally:
        approver.close()

    page.reload()
    page.get_by_role("button", name="Send reply").click()
    wait_status(page, "sent")
    page.locator(".msg-sent", has_text="I have refunded it").wait_for()
    posted = [r for r in fake.sent("github") if r.path.endswith(f"/issues/{number}/comments")]
    assert len(posted) == 1
    assert "I have refunded it" in posted[0].body["body"]

    page.get_by_role("toolbar", name="Task actions").get_by_role("button", name="Close").click()
    wait_status(page, "closed")
    page.locator("details.audit summary").click()
    trail = page.locator(".audit-list")
    trail.get_by_text("send").first.wait_for()
    text = trail.inner_text()
    for actor, action in (("ana", "claim"), ("ana", "submit"), ("abe", "approve"), ("ana", "send"), ("ana", "close")):
        assert f"{actor} {action}" in text, (actor, action, text)
    assert "Hash chain verified" in page.locator("details.audit").inner_text()
    assert len([r for r in fake.sent("github") if r.path.endswith(f"/issues/{number}/comments")]) == 1


def test_the_keyboard_alone_claims_replies_sends_and_closes(page: Any, stack: Stack, fake: FakePlatforms) -> None:
    psid = str(random.randint(10**9, 10**10))
    token = uuid.uuid4().hex[:6]
    task_id = messenger_question(stack, psid, f"Hi! Do you ship to Canada ({token}), and how long does it take?")
    sign_in(page, stack.url)
    page.goto(f"{stack.url}/#/queue/{task_id}")
    page.locator("#task-title").wait_for()
    page.locator("body").click(position={"x": 5, "y": 300})  # focus on the page, not a field
    page.keyboard.press("c")
    page.locator(".task-facts", has_text="Held by you").wait_for()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "draft"
    page.keyboard.type("Hi there, Dev here. Yes, we ship to Canada: it takes 5 to 7 days.")
    page.keyboard.press("Control+Enter")
    page.locator(".composer-meta", has_text="Draft 1").wait_for()
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    wait_status(page, "sent")
    sent = [r for r in fake.sent("meta") if (r.body.get("recipient") or {}).get("id") == psid]
    assert len(sent) == 1 and "we ship to Canada" in json.dumps(sent[0].body)
    page.keyboard.press("e")
    wait_status(page, "closed")
