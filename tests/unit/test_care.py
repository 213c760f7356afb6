"""The care workflow's pure parts: configuration, SLA maths, the state machine, the voice check, the audit chain and
the senders' reading of platform refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.respond import audit, sla, voice, workflow
from services.respond.outbound.github import refusal as github_refusal
from services.respond.outbound.http import HttpAnswer
from services.respond.outbound.meta import refusal as meta_refusal
from services.respond.routing import Load, pick_assignee
from services.respond.tasks import open_task
from shared.auth import Grant, Principal, key_id
from shared.config import DEFAULT_FILE, Calendar, InvalidConfig, load_file, load_text
from shared.errors import Conflict, NotPermitted
from shared.events import Draft
from tests.unit.test_tasks import NOW, classification, mention

CONFIG = load_file(DEFAULT_FILE).config
ALICE = Principal("alice", frozenset({"agent"}), "k_a")
BOB = Principal("bob", frozenset({"agent"}), "k_b")
BOSS = Principal("boss", frozenset({"admin"}), "k_c")


def test_the_bundled_config_is_valid_and_has_no_approval_tier() -> None:
    assert all(not q.approvals for q in CONFIG.queues.values())
    assert CONFIG.with_forced_approvals(2).queues["care"].approvals[1].name == "approval 2"


def test_a_bad_config_is_refused_with_the_path_of_every_error() -> None:
    text = """
queues: {care: {team: nobody, sla: missing}}
routing: [{queue: vip, when: {intent: [complain]}}]
default_queue: care
sla: {default: {targets: [{first_response: soon, next_response: 1h, resolution: 1d}]}}
templates: [{id: t1, text: "Hi {firstname}"}]
"""
    with pytest.raises(InvalidConfig) as raised:
        load_text(text, "hark.yaml")
    paths = {e["loc"] for e in raised.value.extra["errors"]}
    assert {"routing[0].when.intent[0]", "sla.default.targets[0].first_response", "templates[0].text"} <= paths
    fixed = text.replace("complain]", "complaint]").replace("soon", "2h").replace("firstname", "first_name")
    with pytest.raises(InvalidConfig) as raised:
        load_text(fixed, "hark.yaml")
    assert {e["loc"] for e in raised.value.extra["errors"]} == {
        "queues.care.team",
        "queues.care.sla",
        "routing[0].queue",
    }


def test_keys_are_named_by_id_and_the_config_decides_roles() -> None:
    config = load_text(
        f"""
users:
  alice: {{roles: [approver], keys: [{key_id("secret-key-1")}]}}
queues: {{care: {{team: care}}}}
teams: {{care: {{}}}}
default_queue: care
sla: {{default: {{targets: [{{first_response: 1h, next_response: 1h, resolution: 1d}}]}}}}
""",
        "x",
    )
    from shared.config import bind_grants

    bound = bind_grants(
        {"secret-key-1": Grant("partner-x", frozenset({"partner"})), "other-key-2": Grant("bob", frozenset({"agent"}))},
        config,
    )
    assert bound["secret-key-1"] == Grant("alice", frozenset({"approver"}))
    assert bound["other-key-2"] == Grant("bob", frozenset({"agent"}))
    assert "secret-key-1" not in DEFAULT_FILE.read_text()


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    calendar = Calendar.model_validate(
        {
            "timezone": "Europe/Berlin",
            "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": ["2026-11-30"],
        }
    )
    friday_4pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
    # One hour on Friday, Monday the 30th is a holiday, three hours on Tuesday.
    assert sla.add_business_time(friday_4pm, timedelta(hours=4), calendar) == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert sla.add_business_time(friday_4pm, timedelta(hours=4), None) == friday_4pm + timedelta(hours=4)
    assert date(2026, 11, 30) in calendar.holidays


def test_the_sweep_marks_near_breach_then_breach_once() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    due = task.sla[0].due_at
    clocks, finding = sla.sweep_clocks(task, NOW + (due - NOW) * 0.9, 0.8)
    assert finding.near_breach == ("first_response",) and not finding.breached
    task = task.model_copy(update={"sla": clocks})
    clocks, finding = sla.sweep_clocks(task, due + timedelta(seconds=1), 0.8)
    assert finding.breached == ("first_response",)
    assert sla.state(clocks) == "breached"
    _, again = sla.sweep_clocks(task.model_copy(update={"sla": clocks}), due + timedelta(hours=1), 0.8)
    assert not again.breached


def test_a_claim_holds_off_colleagues_until_the_lease_expires_and_an_admin_takes_over() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    held = workflow.claim(task, ALICE, NOW, CONFIG)
    assert (held.status, held.holder) == ("assigned", "alice")
    with pytest.raises(Conflict) as raised:
        workflow.claim(held, BOB, NOW + timedelta(minutes=5), CONFIG)
    assert raised.value.extra["holder"] == "alice"
    with pytest.raises(NotPermitted):
        workflow.claim(held, BOB, NOW, CONFIG, takeover=True)
    assert (
        workflow.claim(held, BOSS.__class__("boss", frozenset({"admin"}), "k"), NOW, CONFIG, takeover=True).holder
        == "boss"
    )
    later = NOW + CONFIG.workflow.lease + timedelta(seconds=1)
    assert workflow.claim(held, BOB, later, CONFIG).holder == "bob"


def test_invalid_transitions_list_what_is_allowed() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    with pytest.raises(Conflict) as raised:
        workflow.submit(task, ALICE, NOW, CONFIG)
    assert raised.value.extra["status"] == "open"
    assert "claim" in raised.value.extra["allowed"] and "submit" not in raised.value.extra["allowed"]


def test_approvals_expire_with_a_new_draft_and_nobody_approves_their_own() -> None:
    config = CONFIG.with_forced_approvals(1)
    task = workflow.claim(open_task(mention(), classification(40), NOW, config), ALICE, NOW, config)
    draft = Draft(revision=1, text="Hi jo", author="alice", updated_at=NOW)
    task = workflow.submit(workflow.put_draft(task, ALICE, draft, NOW, config), ALICE, NOW, config)
    with pytest.raises(NotPermitted):
        workflow.approve(task, Principal("alice", frozenset({"admin"}), "k"), NOW, config)
    approved = workflow.approve(task, Principal("carol", frozenset({"approver"}), "k"), NOW, config)
    assert approved.status == "approved"
    redrafted = workflow.put_draft(approved, ALICE, draft.model_copy(update={"revision": 2}), NOW, config)
    assert (redrafted.status, redrafted.approvals) == ("drafting", ())
    with pytest.raises(Conflict):
        workflow.plan_send(redrafted, ALICE, NOW, config, None, retry=False)


def test_whatsapp_after_a_day_takes_only_a_template() -> None:
    dm = mention("hola", "w1", platform="meta", channel="whatsapp", kind="message")
    task = workflow.claim(open_task(dm, classification(40), NOW, CONFIG), ALICE, NOW, CONFIG)
    plain = workflow.put_draft(task, ALICE, Draft(revision=1, text="Hola", author="alice", updated_at=NOW), NOW, CONFIG)
    later = NOW + timedelta(hours=25)
    plain = plain.model_copy(update={"lease_until": later + timedelta(minutes=5)})
    with pytest.raises(Conflict) as raised:
        workflow.plan_send(plain, ALICE, later, CONFIG, None, retry=False)
    assert raised.value.extra["reason"] == "window_closed_template_only"
    templated = plain.model_copy(update={"draft": plain.draft.model_copy(update={"template": "followup-whatsapp"})})  # type: ignore[union-attr]
    assert workflow.plan_send(templated, ALICE, later, CONFIG, None, retry=False).template


def test_round_robin_skips_the_away_the_full_and_those_without_the_language() -> None:
    config = load_text(
        """
users:
  ann: {roles: [agent], languages: [en]}
  ben: {roles: [agent], away: true}
  cat: {roles: [agent], capacity: 1}
  dan: {roles: [agent]}
teams: {care: {members: [ann, ben, cat, dan], assignment: round_robin}}
queues: {care: {team: care}}
default_queue: care
sla: {default: {targets: [{first_response: 1h, next_response: 1h, resolution: 1d}]}}
""",
        "x",
    )
    loads = {"ann": Load(0, None), "ben": Load(0, None), "cat": Load(1, None), "dan": Load(2, NOW)}
    assert pick_assignee(config, "care", "en", loads) == "ann"
    assert pick_assignee(config, "care", "es", loads) == "dan"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("We apologise for any inconvenience. Please be advised.", {"stock_phrase", "no_greeting"}),
        ("Hi Jo, going forward I will escalate this.", {"jargon"}),
        ("Hi Jo, write to me at jo.smith@example.com", {"pii"}),
        ("Hola Jo, lo siento mucho, ya lo estoy revisando ahora mismo.", {"language"}),
        ("Hi Jo, " + "x" * 2100, {"too_long"}),
        ("Hi Jo, I'm sorry about this. I'm on it now.", set()),
    ],
)
def test_the_voice_check_flags_what_a_person_would_not_say(text: str, codes: set[str]) -> None:
    channel = "messenger" if "x" * 100 in text else "facebook.comment"
    context = voice.Context(
        channel=channel,
        platform="meta",
        kind="comment",
        language="en",
        names=("Jo",),
        customer_text="my email is jo.smith@example.com",
    )
    found = {w.code for w in voice.check(text, context)}
    assert found == codes
    for warning in voice.check(text, context):
        assert warning.words or warning.code == "no_greeting"


def test_the_audit_chain_shows_an_edit_and_a_gap() -> None:
    task = open_task(mention(), classification(40), NOW, CONFIG)
    first = audit.entry_for(None, task, actor="hark", action="task.opened", at=NOW)
    claimed = workflow.claim(task, ALICE, NOW, CONFIG).model_copy(update={"version": 1, "audit_hash": first.hash})
    second = audit.entry_for(task, claimed, actor="alice", action="claim", at=NOW)
    assert audit.verify([first, second], "", 1) == []
    assert second.after["holder"] == "alice" and second.before["status"] == "open"
    forged = second.model_copy(update={"actor": "bob"})
    assert audit.verify([first, forged], "", 1) == ["entry 2 was altered"]
    assert "entry 1 is missing (found 2)" in audit.verify([second], "", 1)


def test_platform_refusals_are_read_as_the_platform_means_them() -> None:
    limited = github_refusal(HttpAnswer(403, {"x-ratelimit-remaining": "0"}, {"message": "API rate limit exceeded"}))
    assert (limited.extra["code"], limited.extra["retryable"]) == ("rate_limited", True)
    assert github_refusal(HttpAnswer(401, {}, {"message": "Bad credentials"})).extra["code"] == "bad_credentials"
    assert github_refusal(HttpAnswer(410, {}, {"message": "This issue was deleted"})).extra["code"] == "not_found"
    window = meta_refusal(
        HttpAnswer(400, {}, {"error": {"message": "outside of allowed window", "code": 10, "error_subcode": 2018278}})
    )
    assert (window.extra["code"], window.extra["retryable"]) == ("window_closed", False)
    assert "subcode 2018278" in window.extra["message"]
    assert meta_refusal(HttpAnswer(400, {}, {"error": {"message": "x", "code": 190}})).extra["code"] == "bad_token"
    assert meta_refusal(HttpAnswer(400, {}, {"error": {"message": "x", "code": 4}})).extra["retryable"] is True


def test_the_config_reference_in_docs_is_generated_from_the_model() -> None:
    from shared.config import reference_markdown
    from tests.conftest import ROOT

    assert (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8") == reference_markdown(), (
        "run: .venv/bin/hark config reference > docs/config-reference.md"
    )
