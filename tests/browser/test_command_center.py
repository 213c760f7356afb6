"""The command center as a community manager meets it: sign in with a key, the inbox filling itself as mentions
are stored, a hostile mention staying text, the screens accessible (axe-core), the role deciding what is offered,
and the pages' security headers."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
import requests

from tests.browser.conftest import Watched
from tests.browser.harness import AXE, DEV_KEY, Stack, sign_in

pytestmark = pytest.mark.browser


def card(page: Any, token: str) -> Any:
    return page.locator(".mention-card", has_text=token)


def test_signing_in_asks_for_the_key_and_keeps_it_for_the_tab_only(page: Any, stack: Stack, browser: Any) -> None:
    page.goto(stack.url + "/")
    page.get_by_label("API key").fill("not-a-key-hark-issued")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="not one Hark issued").wait_for()

    page.get_by_label("API key").fill("hark-test-partner-key")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="partner tools").wait_for()

    sign_in(page, stack.url)
    assert page.get_by_role("navigation", name="Screens").is_visible()
    assert page.locator(".who .user").inner_text() == "dev"
    assert page.evaluate("sessionStorage.getItem('hark.apiKey')") == DEV_KEY
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    page.reload()  # the same tab keeps its session
    page.get_by_role("button", name="Sign out").wait_for()

    other = browser.new_context()  # another browser session does not
    try:
        fresh = other.new_page()
        fresh.goto(stack.url + "/")
        fresh.get_by_label("API key").wait_for()
    finally:
        other.close()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key").wait_for()
    assert page.evaluate("sessionStorage.getItem('hark.apiKey')") is None


def test_new_mentions_arrive_without_reloading_once_each(page: Any, stack: Stack) -> None:
    sign_in(page, stack.url)
    page.get_by_role("link", name="Inbox").click()
    page.locator("#inbox-title").wait_for()
    page.evaluate("window.__sameDocument = true")
    token = uuid.uuid4().hex[:10]
    first = stack.submit(f"My parcel {token} never arrived and nobody answers. Where is it?")
    stack.classified(first)
    card(page, token).wait_for(timeout=15_000)
    second = stack.submit(f"Still waiting on {token}-2, this is the third time I ask")
    stack.classified(second)
    card(page, f"{token}-2").wait_for(timeout=15_000)
    time.sleep(4.5)  # two more polls: the mentions of the settling window come again and must not be shown twice
    assert card(page, token).count() == 2  # the first card and the second (which names the token too)
    assert card(page, f"{token}-2").count() == 1
    assert page.evaluate("window.__sameDocument") is True
    # Newest on top.
    texts = page.locator(".mention-card .mention-text").all_inner_texts()
    assert texts.index(next(t for t in texts if f"{token}-2" in t)) < texts.index(
        next(t for t in texts if token in t and f"{token}-2" not in t)
    )


def test_a_mention_carrying_html_and_script_stays_text(watched: Watched, stack: Stack) -> None:
    page = watched.page
    token = uuid.uuid4().hex[:10]
    payload = (
        f'<img src="/x-{token}.png" onerror="window.__pwned=1"><script>window.__pwned=2</script>'
        f'<b id="bold-{token}">refund</b> <a href="javascript:window.__pwned=3">click</a> {token} I need help'
    )
    mention_id = stack.submit(payload, author={"id": f"x-{token}", "handle": f'<i id="h-{token}">evil</i>'})
    mention = stack.classified(mention_id)
    sign_in(page, stack.url)
    page.goto(f"{stack.url}/#/inbox/{mention_id}")
    shown = card(page, token)
    shown.wait_for(timeout=15_000)
    assert payload in shown.inner_text()
    assert f'<i id="h-{token}">evil</i>' in shown.inner_text()
    detail = page.locator(".detail-pane")
    detail.get_by_text(token).first.wait_for()
    if mention.get("task_id"):
        page.locator(".thread .mention-text", has_text=token).wait_for()
    time.sleep(0.5)
    assert page.evaluate("window.__pwned") is None
    for selector in (f"#bold-{token}", f"#h-{token}", f'img[src="/x-{token}.png"]', "script:not([src])"):
        assert page.locator(selector).count() == 0, selector
    # Nothing tried to load the image the payload names.
    assert not [r for r in watched.foreign if token in r]


def test_the_pages_allow_nothing_but_their_own_origin(stack: Stack) -> None:
    for path in ("/", "/wall"):
        response = requests.get(stack.url + path, timeout=10)
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe" not in csp
        assert "frame-ancestors 'none'" in csp and "require-trusted-types-for 'script'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-cache"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), "an inline script"
        assert "<style" not in response.text and " style=" not in response.text
        for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', response.text):
            served = requests.get(stack.url + asset, timeout=10)
            assert served.status_code == 200, asset
            assert "immutable" in served.headers["Cache-Control"]
            assert served.headers["Content-Security-Policy"] == csp
    missing = requests.get(stack.url + "/assets/nothing-here.js", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core from npm (web/node_modules), evaluated in the page by the test driver: the page's own CSP and
    Trusted Types stay as strict as users get them (they refuse any script the page did not ship)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in violations)


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_every_screen_passes_axe(page: Any, stack: Stack, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    mention_id = stack.submit("The app logs me out every hour, it is really annoying. Can you fix it?")
    task_id = stack.wait_for(lambda: stack.get(f"/v1/mentions/{mention_id}").get("task_id"))
    page.goto(stack.url + "/")
    page.get_by_label("API key").wait_for()
    assert not (v := run_axe(page)), "sign-in: " + describe_violations(v)
    sign_in(page, stack.url)
    screens = {
        "queue and task": f"/#/queue/{task_id}",
        "inbox": f"/#/inbox/{mention_id}",
        "overview": "/#/overview",
    }
    for name, path in screens.items():
        page.goto(stack.url + path)
        page.locator("#main h1, #main h2").first.wait_for()
        page.wait_for_load_state("networkidle")
        assert not (v := run_axe(page)), f"{name}: " + describe_violations(v)
    page.get_by_role("button", name="Shortcuts").click()
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    assert not (v := run_axe(page)), "shortcuts: " + describe_violations(v)
    page.keyboard.press("Escape")
    page.goto(stack.url + "/wall")
    page.locator(".wall-screen").wait_for()
    page.wait_for_load_state("networkidle")
    assert not (v := run_axe(page)), "wall: " + describe_violations(v)


def test_the_keyboard_drives_the_loop(page: Any, stack: Stack) -> None:
    stack.submit("Where is my order? I paid a week ago and it never shipped. Need an answer")
    sign_in(page, stack.url)
    page.locator(".task-card").first.wait_for()
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    help_dialog.wait_for()
    for what in ("Claim the task", "Send the reply", "Close the task", "Open the next task"):
        assert help_dialog.get_by_text(what).is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.locator(".task-card.current").wait_for()
    first = page.url
    page.keyboard.press("j")
    page.wait_for_function("(u) => location.href !== u", arg=first) if page.locator(".task-card").count() > 1 else None
    page.keyboard.press("g")
    page.keyboard.press("i")
    page.locator("#inbox-title").wait_for()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.type") == "search"


def test_a_viewer_sees_the_work_but_is_offered_no_action_and_no_personal_data(page: Any, stack: Stack) -> None:
    token = uuid.uuid4().hex[:8]
    author = {"id": f"jo-{token}", "handle": f"jo_{token}"}
    mention_id = stack.submit(
        f"Order {token} is broken, write to me at jo.{token}@example.com please, I need a refund", author=author
    )
    mention = stack.classified(mention_id)
    assert any(span["type"] == "EMAIL" for span in mention["classification"]["pii"])
    task_id = stack.wait_for(lambda: stack.get(f"/v1/mentions/{mention_id}").get("task_id"))
    # The same person again, in a conversation of its own: the author panel of either shows the other.
    later = stack.submit(f"And the invoice {token} is wrong too, can someone help?", author=author, thread_id=token)
    later_task = stack.wait_for(lambda: stack.get(f"/v1/mentions/{later}").get("task_id"))
    assert later_task != task_id

    sign_in(page, stack.url, key="hark-test-viewer-key")
    page.goto(f"{stack.url}/#/inbox/{mention_id}")
    shown = card(page, f"Order {token}")
    shown.wait_for(timeout=15_000)
    assert f"jo.{token}@example.com" not in page.locator("body").inner_text()
    assert "[email hidden]" in shown.inner_text()
    shown.locator(".history").filter(has_text="2 messages").wait_for()  # the author's history count
    page.goto(f"{stack.url}/#/queue/{task_id}")
    page.locator("#task-title").wait_for()
    toolbar = page.get_by_role("toolbar", name="Task actions")
    assert toolbar.get_by_role("button").count() == 0
    assert (
        page.locator("textarea#draft").count() == 0
        or page.locator("textarea#draft").get_attribute("readonly") is not None
    )
    page.goto(f"{stack.url}/#/queue/{later_task}")
    panel = page.get_by_role("region", name="Author")
    panel.get_by_text("2 messages").wait_for()
    assert panel.locator(f'a[href="#/queue/{task_id}"]').inner_text() == "open in social"  # the other conversation
    assert "[email hidden]" in panel.inner_text()  # what they said before, as a viewer may see it
    assert f"jo.{token}@example.com" not in page.locator("body").inner_text()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, stack.url)  # the dev key (agent, admin) sees the address it must answer
    page.goto(f"{stack.url}/#/inbox/{mention_id}")
    card(page, f"Order {token}").wait_for(timeout=15_000)
    assert f"jo.{token}@example.com" in card(page, f"Order {token}").inner_text()
    page.goto(f"{stack.url}/#/queue/{later_task}")
    page.get_by_role("region", name="Author").get_by_text(f"jo.{token}@example.com").wait_for()


def test_an_edit_replaces_the_mention_shown_instead_of_adding_one(page: Any, stack: Stack) -> None:
    from devstack.signing import github_headers
    from shared.settings import dev_platform_secret
    from tests.conftest import webhook_fixture

    token = uuid.uuid4().hex[:10]

    def deliver(name: str, body_text: str) -> str:
        payload = json.loads(webhook_fixture("github", name))
        payload["comment"]["id"] = int(token[:8], 16)  # a comment of its own, edited once
        payload["comment"]["body"] = body_text
        body = json.dumps(payload).encode()
        response = requests.post(
            stack.url + "/webhooks/github",
            data=body,
            headers=github_headers(body, dev_platform_secret("github"), "issue_comment"),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["mention_ids"][0])

    sign_in(page, stack.url)
    page.goto(stack.url + "/#/inbox")
    page.locator("#inbox-title").wait_for()
    first = deliver("issue_comment__created.payload.json", f"Export {token} crashes every time, please fix it")
    card(page, token).wait_for(timeout=15_000)
    again = deliver("issue_comment__edited.payload.json", f"Export {token} crashes every time since Monday, please fix")
    assert again == first  # an edit is the same mention
    card(page, token).filter(has_text="since Monday").wait_for(timeout=15_000)
    time.sleep(2.5)
    assert card(page, token).count() == 1
