"""The care workflow through the real entry points (API Gateway events, the respond queue) against the moto server
and a local fake of the platform APIs: claim, collision, draft with a voice check, approvals, sending once, refusals
and retries, the Messenger window, the brand's own replies, notes, the SLA sweep and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.demo import _github_comment, _github_issue
from devstack.fakes import FakePlatforms, github_rate_limited, meta_window_closed
from devstack.provision import put_secret
from devstack.signing import meta_body
from services.respond import bootstrap as respond_bootstrap
from shared.auth import key_id
from shared.secrets import EnvSecrets, to_document
from shared.settings import Settings
from tests.functional.conftest import Pipeline

KEYS = {
    "key-alice-123": {"user": "alice", "roles": ["agent"]},
    "key-bob-12345": {"user": "bob", "roles": ["agent"]},
    "key-carol-123": {"user": "carol", "roles": ["approver"]},
    "key-dave-1234": {"user": "dave", "roles": ["agent", "approver"]},
    "key-admin-123": {"user": "boss", "roles": ["admin"]},
    "key-partner-1": {"user": "zendesk", "roles": ["partner", "agent"]},
}
KEY = {grant["user"]: key for key, grant in KEYS.items()}

CONFIG = f"""
version: 1
users:
  alice: {{name: Alice, roles: [agent], languages: [en]}}
  bob: {{name: Bob, roles: [agent]}}
  carol: {{name: Carol, roles: [approver]}}
  dave: {{name: Dave, roles: [agent, approver]}}
  boss: {{roles: [admin, agent]}}
  zendesk: {{roles: [partner, agent], keys: [{key_id("key-partner-1")}]}}
teams:
  care: {{members: [alice, bob, dave]}}
queues:
  care: {{team: care, approvals: [{{name: lead, roles: [approver]}}]}}
  social: {{team: care}}
routing:
  - {{when: {{platform: [meta]}}, queue: social}}
  - {{when: {{platform: [generic]}}, queue: social}}
default_queue: care
sla:
  default:
    targets: [{{first_response: 1h, next_response: 1h, resolution: 1d, business_hours: false}}]
"""
COMPLAINT = "I was charged twice for my subscription and support never answered. I want a refund now."


@dataclass
class Care:
    pipeline: Pipeline
    fake: FakePlatforms

    def call(self, method: str, path: str, user: str, body: Any = None) -> Any:
        headers = {"x-api-key": KEY[user]}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        return self.pipeline.http.open(path, method=method, headers=headers, data=data)

    def task_for(self, mention_id: str) -> dict[str, Any]:
        mention = self.call("GET", f"/v1/mentions/{mention_id}", "alice").get_json()
        assert mention["task_id"], mention
        task: dict[str, Any] = self.call("GET", f"/v1/tasks/{mention['task_id']}", "alice").get_json()
        return task

    def github_issue(self, number: int, text: str = COMPLAINT) -> str:
        body = json.dumps(_github_issue(number, "Charged twice", text, "dana-ops", 501)).encode()
        response = self.pipeline.github(body, "issues")
        assert response.status_code == 200, response.text
        self.pipeline.flow()
        return str(response.get_json()["mention_ids"][0])


@pytest.fixture
def care(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Care]:
    config = tmp_path / "hark.yaml"
    config.write_text(CONFIG)
    # The functions read keys from the secret, as in AWS: put ours there.
    settings = Settings.from_env({**pipeline.aws.env, "HARK_API_KEYS": json.dumps(KEYS)})
    put_secret(
        pipeline.aws.client("secretsmanager"),
        pipeline.aws.env["HARK_SECRETS_NAME"],
        to_document(EnvSecrets(settings).get()),
    )
    with FakePlatforms() as fake:
        monkeypatch.setenv("HARK_CONFIG", str(config))
        monkeypatch.setenv("HARK_API_BASE_GITHUB", fake.base("github"))
        monkeypatch.setenv("HARK_API_BASE_META", fake.base("meta"))
        respond_bootstrap.root.override(None)
        yield Care(pipeline, fake)
        respond_bootstrap.root.override(None)


def test_a_github_complaint_is_claimed_drafted_approved_and_sent_once_on_record(care: Care) -> None:
    task = care.task_for(care.github_issue(4711))
    tid = task["id"]
    assert (task["status"], task["queue"]) == ("open", "care")
    assert task["due_at"] and "claim" in task["actions"]

    claimed = care.call("POST", f"/v1/tasks/{tid}/claim", "alice")
    assert claimed.status_code == 200, claimed.text
    assert (claimed.get_json()["status"], claimed.get_json()["holder"]) == ("assigned", "alice")
    second = care.call("POST", f"/v1/tasks/{tid}/claim", "bob")
    assert second.status_code == 409
    assert second.get_json()["holder"] == "alice"

    drafted = care.call("PUT", f"/v1/tasks/{tid}/draft", "alice", {"text": "We apologise for any inconvenience."})
    assert drafted.status_code == 200, drafted.text
    warnings = {w["code"]: w["words"] for w in drafted.get_json()["draft"]["warnings"]}
    assert warnings["stock_phrase"] == ["we apologise for any inconvenience"]
    assert "no_greeting" in warnings
    assert {w["code"] for w in drafted.get_json()["warnings"]} >= {"stock_phrase"}

    early = care.call("POST", f"/v1/tasks/{tid}/send", "alice")
    assert early.status_code == 409 and early.get_json()["allowed"] == ["submit"]
    assert care.call("POST", f"/v1/tasks/{tid}/submit", "alice").get_json()["status"] == "pending_approval"
    assert care.call("POST", f"/v1/tasks/{tid}/approve", "alice").status_code == 403  # an agent, not an approver
    approved = care.call("POST", f"/v1/tasks/{tid}/approve", "carol", {"draft_revision": 1})
    assert approved.status_code == 200, approved.text
    assert approved.get_json()["status"] == "approved"

    sent = care.call("POST", f"/v1/tasks/{tid}/send", "alice")
    assert sent.status_code == 200, sent.text
    again = care.call("POST", f"/v1/tasks/{tid}/send", "alice")
    assert again.status_code == 200
    posted = care.fake.sent("github")
    assert [(r.path, r.body) for r in posted] == [
        ("/repos/acme/acme-app/issues/4711/comments", {"body": "We apologise for any inconvenience."})
    ]
    final = again.get_json()
    assert final["status"] == "sent"
    assert final["replies"][0]["platform_id"].startswith("IC_fake")
    assert final["sla"][0]["stopped_at"] is not None

    trail = care.call("GET", f"/v1/tasks/{tid}/audit", "carol").get_json()
    assert trail["problems"] == []
    steps = [(e["action"], e["actor"]) for e in trail["items"]]
    assert steps == [
        ("task.opened", "hark"),
        ("claim", "alice"),
        ("draft", "alice"),
        ("submit", "alice"),
        ("approve", "carol"),
        ("send", "alice"),
    ]
    thread = care.call("GET", f"/v1/tasks/{tid}/thread", "alice").get_json()["items"]
    assert [m["from_brand"] for m in thread] == [False, True]
    assert thread[-1]["text"] == "We apologise for any inconvenience."


def test_no_self_approval_and_a_changed_draft_drops_its_approval(care: Care) -> None:
    tid = care.task_for(care.github_issue(4712))["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "dave")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "dave", {"text": "Hi Dana, I'm on it."})
    care.call("POST", f"/v1/tasks/{tid}/submit", "dave")
    own = care.call("POST", f"/v1/tasks/{tid}/approve", "dave")
    assert own.status_code == 403
    assert "self-approval" in own.get_json()["detail"]
    care.call("POST", f"/v1/tasks/{tid}/approve", "carol")
    changed = care.call("PUT", f"/v1/tasks/{tid}/draft", "dave", {"text": "Hi Dana, fixed now."}).get_json()
    assert (changed["status"], changed["approvals"], changed["draft"]["revision"]) == ("drafting", [], 2)
    rejected = care.call("POST", f"/v1/tasks/{tid}/submit", "dave")
    assert rejected.status_code == 200
    no = care.call("POST", f"/v1/tasks/{tid}/reject", "carol", {"reason": "tone", "comment": "warmer please"})
    assert no.get_json()["rejection"]["reason"] == "tone"
    told = care.call("GET", "/v1/notifications", "dave").get_json()["items"]
    assert told[0]["kind"] == "rejected"


def test_a_refusal_leaves_send_failed_with_the_reason_and_a_retry_sends_once(care: Care) -> None:
    tid = care.task_for(care.github_issue(4713))["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "alice")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "alice", {"text": "Hi Dana, refund is on its way."})
    care.call("POST", f"/v1/tasks/{tid}/submit", "alice")
    care.call("POST", f"/v1/tasks/{tid}/approve", "carol")
    status, body, headers = github_rate_limited()
    care.fake.refuse("github", status, body, **headers)
    refused = care.call("POST", f"/v1/tasks/{tid}/send", "alice")
    assert refused.status_code == 502
    problem = refused.get_json()
    assert (problem["code"], problem["retryable"], problem["task_status"]) == ("rate_limited", True, "send_failed")
    task = care.call("GET", f"/v1/tasks/{tid}", "alice").get_json()
    assert task["status"] == "send_failed"
    assert "rate limit" in task["send_error"]["message"]
    assert care.call("POST", f"/v1/tasks/{tid}/send", "alice").status_code == 409  # retry is the way now
    retried = care.call("POST", f"/v1/tasks/{tid}/retry", "alice")
    assert retried.status_code == 200, retried.text
    assert care.call("POST", f"/v1/tasks/{tid}/retry", "alice").get_json()["status"] == "sent"  # a repeat
    assert len(care.fake.sent("github")) == 2  # the refused attempt and one real post


def _messenger(mid: str, psid: str, text: str, at: datetime) -> bytes:
    ms = int(at.timestamp() * 1000)
    event = {
        "sender": {"id": psid},
        "recipient": {"id": "104559"},
        "timestamp": ms,
        "message": {"mid": mid, "text": text},
    }
    return meta_body({"object": "page", "entry": [{"id": "104559", "time": ms, "messaging": [event]}]})


def test_an_old_messenger_message_needs_the_human_agent_tag(care: Care) -> None:
    old = datetime.now(UTC) - timedelta(hours=30)
    response = care.pipeline.meta(_messenger("m_old1", "3003", "My order never arrived and nobody answers!", old))
    assert response.status_code == 200, response.text
    care.pipeline.flow()
    task = care.task_for(response.get_json()["mention_ids"][0])
    tid = task["id"]
    assert task["queue"] == "social"
    assert "window_closed" in {w["code"] for w in task["warnings"]}
    care.call("POST", f"/v1/tasks/{tid}/claim", "bob")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "bob", {"text": "Hi, Bob here: I'm checking your order now."})
    plain = care.call("POST", f"/v1/tasks/{tid}/send", "bob")
    assert plain.status_code == 409
    assert (plain.get_json()["reason"], plain.get_json()["needs_tag"]) == ("window_closed", "HUMAN_AGENT")
    assert care.fake.sent("meta") == []
    tagged = care.call("POST", f"/v1/tasks/{tid}/send", "bob", {"tag": "HUMAN_AGENT"})
    assert tagged.status_code == 200, tagged.text
    [request] = care.fake.sent("meta")
    assert request.path == "/v21.0/104559/messages"
    assert (request.body["messaging_type"], request.body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert request.body["recipient"] == {"id": "3003"}


def test_a_window_refusal_by_the_platform_is_shown_as_it_gave_it(care: Care) -> None:
    response = care.pipeline.meta(
        _messenger("m_new1", "3004", "Where is my refund? Nobody answers.", datetime.now(UTC))
    )
    care.pipeline.flow()
    tid = care.task_for(response.get_json()["mention_ids"][0])["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "bob")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "bob", {"text": "Hi, Bob here, looking at it."})
    care.fake.refuse("meta", 400, meta_window_closed())
    refused = care.call("POST", f"/v1/tasks/{tid}/send", "bob").get_json()
    assert refused["code"] == "window_closed"
    assert "outside of allowed window" in refused["message"]


def test_the_brands_reply_on_github_stops_the_clock(care: Care) -> None:
    tid = care.task_for(care.github_issue(4714))["id"]
    payload = _github_comment(4714, 99001, "Thanks Dana, refund issued.", "acme-support", 1, "MEMBER")
    assert care.pipeline.github(json.dumps(payload).encode(), "issue_comment").status_code == 200
    care.pipeline.flow()
    task = care.call("GET", f"/v1/tasks/{tid}", "alice").get_json()
    assert task["status"] == "sent"
    assert task["responded_at"] is not None
    assert task["sla"][0]["stopped_at"] is not None
    assert task["annotations"][-1]["kind"] == "brand_replied"


def test_a_partner_conversation_is_answered_through_the_partner_not_a_platform(care: Care) -> None:
    submitted = care.call(
        "POST",
        "/v1/mentions",
        "zendesk",
        {"native_id": "zd-1", "author": {"id": "c-1", "handle": "jo"}, "text": COMPLAINT},
    )
    assert submitted.status_code == 202, submitted.text
    care.pipeline.flow()
    tid = care.task_for(submitted.get_json()["mentions"][0]["id"])["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "bob")
    care.call("PUT", f"/v1/tasks/{tid}/draft", "bob", {"text": "Hi jo, Bob here: the refund is on its way."})
    sent = care.call("POST", f"/v1/tasks/{tid}/send", "bob").get_json()
    assert sent["replies"][0]["via"] == "partner"
    assert care.fake.sent() == []
    thread = care.call("GET", f"/v1/tasks/{tid}/thread", "zendesk").get_json()["items"]
    assert thread[-1]["from_brand"] is True


def test_notes_notify_who_they_mention_and_an_admin_can_take_over(care: Care) -> None:
    tid = care.task_for(care.github_issue(4715))["id"]
    care.call("POST", f"/v1/tasks/{tid}/claim", "alice")
    note = care.call("POST", f"/v1/tasks/{tid}/notes", "alice", {"text": "@bob can you check the billing log?"})
    assert note.status_code == 200, note.text
    assert note.get_json()["mentions"] == ["bob"]
    told = care.call("GET", "/v1/notifications", "bob").get_json()["items"]
    assert told[0]["kind"] == "mentioned" and told[0]["task_id"] == tid
    assert care.call("POST", f"/v1/tasks/{tid}/claim?takeover=true", "bob").status_code == 403
    taken = care.call("POST", f"/v1/tasks/{tid}/claim?takeover=true", "boss")
    assert taken.get_json()["holder"] == "boss"


def test_the_sweep_marks_a_breach_past_due_and_counts_it(care: Care) -> None:
    task = care.task_for(care.github_issue(4716))
    service = respond_bootstrap.root.get().service
    due = datetime.fromisoformat(task["due_at"])
    assert service.sweep(due - timedelta(minutes=50)).breached == 0
    result = service.sweep(due + timedelta(minutes=1))
    assert result.breached == 1 and task["id"] in result.breached_tasks
    swept = care.call("GET", f"/v1/tasks/{task['id']}", "alice").get_json()
    assert swept["sla_state"] == "breached"
    assert swept["sla"][0]["breached_at"] is not None
    assert service.sweep(due + timedelta(minutes=2)).breached == 0  # a breach is counted once
    assert care.call("GET", "/v1/notifications", "alice").get_json()["items"][0]["kind"] == "sla_breached"


def test_invalid_transitions_answer_409_with_what_is_allowed(care: Care) -> None:
    tid = care.task_for(care.github_issue(4717))["id"]
    closed = care.call("POST", f"/v1/tasks/{tid}/close", "alice")
    assert closed.get_json()["status"] == "closed"
    again = care.call("POST", f"/v1/tasks/{tid}/claim", "alice")
    assert again.status_code == 409
    assert set(again.get_json()["allowed"]) == {"note", "reopen"}
    assert care.call("POST", f"/v1/tasks/{tid}/reopen", "alice").get_json()["status"] == "open"


def test_the_config_and_its_changes_are_on_record(care: Care) -> None:
    view = care.call("GET", "/v1/config", "boss").get_json()
    assert view["digest"].startswith("c_")
    trail = care.call("GET", "/v1/config/audit", "boss").get_json()
    assert trail["items"][0]["action"] == "config.loaded"
    assert trail["items"][0]["after"]["digest"] == view["digest"]
    assert care.call("GET", "/v1/config", "alice").status_code == 403
