"""Governance through the real entry points against the moto server: a suspected adverse event opens a safety case
on its clock in the safety queue, public replies on the thread are scripted, the case is followed up, reported and
exported; a person's erasure reaches every copy and leaves the audit verifiable; reports and the audit log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.provision import put_secret
from services.classify import bootstrap as classify_bootstrap
from services.respond import bootstrap as respond_bootstrap
from services.respond.audit import seal
from shared.api.models import AuditEntry
from shared.secrets import EnvSecrets, to_document
from shared.settings import DEV_API_KEY, Settings
from tests.functional.conftest import Pipeline

KEYS = {
    DEV_API_KEY: {"user": "dev", "roles": ["agent", "admin", "viewer"]},
    "key-safety-01": {"user": "sam", "roles": ["safety"]},
    "key-agent-001": {"user": "alice", "roles": ["agent"]},
    "key-viewer-01": {"user": "vic", "roles": ["viewer"]},
}
KEY = {grant["user"]: key for key, grant in KEYS.items()}
CONFIG = """
version: 1
users:
  dev: {roles: [agent, admin, viewer]}
  sam: {name: Sam, roles: [safety]}
  alice: {name: Alice, roles: [agent]}
  vic: {roles: [viewer]}
teams:
  care: {members: [dev, alice]}
queues:
  care: {team: care}
routing: []
default_queue: care
sla:
  default:
    targets: [{first_response: 1h, next_response: 1h, resolution: 1d, business_hours: false}]
templates:
  - {id: care-en, intents: [complaint], text: "Hi {first_name}, sorry about that."}
  - {id: ae-ack, text: "Hi {first_name}, thank you for telling us. Our safety team may contact you in private."}
safety:
  acknowledgements: [ae-ack]
"""
AE_TEXT = "I started taking Zoloft last week and since then I have had terrible nausea and dizziness."


class Gov:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def call(self, method: str, path: str, user: str = "dev", body: Any = None) -> Any:
        headers = {"x-api-key": KEY[user]}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        return self.pipeline.http.open(path, method=method, headers=headers, data=data)

    def say(self, native: str, text: str, author: str = "pat-1", **extra: Any) -> str:
        payload = {"native_id": native, "author": {"id": author, "handle": f"h_{author}"}, "text": text, **extra}
        response = self.pipeline.submit(payload)
        assert response.status_code == 202, response.text
        self.pipeline.flow()
        return str(response.get_json()["mentions"][0]["id"])

    def mention(self, mention_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", f"/v1/mentions/{mention_id}").get_json()
        return found


@pytest.fixture
def gov(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Gov]:
    config = tmp_path / "hark.yaml"
    config.write_text(CONFIG)
    settings = Settings.from_env({**pipeline.aws.env, "HARK_API_KEYS": json.dumps(KEYS)})
    put_secret(
        pipeline.aws.client("secretsmanager"),
        pipeline.aws.env["HARK_SECRETS_NAME"],
        to_document(EnvSecrets(settings).get()),
    )
    monkeypatch.setenv("HARK_CONFIG", str(config))
    # The product dictionary the current detector needs; a drug lexicon needs none.
    monkeypatch.setenv("HARK_TRIAGE_POLICY", json.dumps({"products": ["Zoloft"]}))
    classify_bootstrap.root.override(None)
    respond_bootstrap.root.override(None)
    yield Gov(pipeline)
    classify_bootstrap.root.override(None)
    respond_bootstrap.root.override(None)


def _case_of(gov: Gov, mention_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    task = gov.call("GET", f"/v1/tasks/{gov.mention(mention_id)['task_id']}").get_json()
    assert task["safety_case_id"], task
    case = gov.call("GET", f"/v1/safety-cases/{task['safety_case_id']}").get_json()
    return task, case


def test_an_adverse_event_opens_a_case_on_its_clock_without_any_routing_rule(gov: Gov) -> None:
    mention_id = gov.say("ae-1", AE_TEXT)
    stored = gov.mention(mention_id)
    assert stored["classification"]["adverse_event"] is True
    task, case = _case_of(gov, mention_id)
    # No routing rule names adverse events: the safety queue comes first anyway, and exists though undefined.
    assert (task["queue"], task["route_rule"]) == ("safety", -1)
    assert case["status"] == "open" and case["queue"] == "safety"
    day0 = datetime.fromisoformat(case["day0"])
    assert day0 == datetime.fromisoformat(stored["received_at"])
    assert datetime.fromisoformat(case["due_at"]) == day0 + timedelta(days=15)
    assert case["days_left"] in (14, 15) and case["overdue"] is False
    criteria = {c["criterion"]: c for c in case["criteria"]}
    assert all(c["present"] for c in criteria.values()) and case["valid"] is True
    assert criteria["product"]["evidence"] == ["Zoloft"] and "brand's list" in criteria["product"]["why"]
    assert set(criteria["event"]["evidence"]) == {"nausea", "dizziness"}
    assert "i" in criteria["patient"]["evidence"]
    assert criteria["reporter"]["evidence"] == ["h_pat-1", "pat-1"]
    assert case["verbatim"][0]["text"] == AE_TEXT
    assert case["reporter"] == {"platform": "generic", "id": "pat-1", "handle": "h_pat-1", "name": None, "url": None}
    assert case["product"]["name"] == "Zoloft" and case["product"]["match"] == "policy"
    assert "pharmacovigilance" in case["retention"]

    # The safety role is told; the agent and the viewer may not read the case.
    told = gov.call("GET", "/v1/notifications", "sam").get_json()["items"]
    assert [(n["kind"], n["case_id"]) for n in told] == [("safety_case", case["id"])]
    assert gov.call("GET", f"/v1/safety-cases/{case['id']}", "alice").status_code == 403
    assert gov.call("GET", "/v1/safety-cases", "vic").status_code == 403
    listed = gov.call("GET", "/v1/safety-cases?status=open", "sam").get_json()["items"]
    assert [c["id"] for c in listed] == [case["id"]]
    assert gov.call("GET", "/v1/safety-cases?overdue=true", "sam").get_json()["items"] == []

    # A redelivery changes nothing; a second message in the thread adds to the same case.
    again = gov.pipeline.submit({"native_id": "ae-1", "author": {"id": "pat-1", "handle": "h_pat-1"}, "text": AE_TEXT})
    assert again.status_code == 202
    gov.pipeline.flow()
    assert len(_case_of(gov, mention_id)[1]["verbatim"]) == 1


def test_public_replies_on_a_safety_thread_are_the_approved_acknowledgement(gov: Gov) -> None:
    task, _ = _case_of(gov, gov.say("ae-2", AE_TEXT))
    tid = task["id"]
    assert gov.call("POST", f"/v1/tasks/{tid}/claim").status_code == 200
    refused = gov.call("PUT", f"/v1/tasks/{tid}/draft", body={"text": "Hi! Nausea is a known side effect, relax."})
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == "safety_acknowledgement_only"
    assert refused.get_json()["templates"] == ["ae-ack"]
    care = gov.call("PUT", f"/v1/tasks/{tid}/draft", body={"template": "care-en"})
    assert care.status_code == 409
    padded = gov.call("PUT", f"/v1/tasks/{tid}/draft", body={"template": "ae-ack", "variables": {"first_name": "x"}})
    assert padded.status_code == 409
    suggested = gov.call("GET", f"/v1/tasks/{tid}/suggestions").get_json()["items"]
    assert [s["template"] for s in suggested] == ["ae-ack"]
    ack = gov.call("PUT", f"/v1/tasks/{tid}/draft", body={"template": "ae-ack"})
    assert ack.status_code == 200, ack.text
    sent = gov.call("POST", f"/v1/tasks/{tid}/send")
    assert sent.status_code == 200, sent.text
    assert sent.get_json()["replies"][0]["text"].startswith("Hi h_pat-1, thank you for telling us.")


def test_a_case_is_followed_up_reported_and_exported(gov: Gov) -> None:
    mention_id = gov.say("ae-3", AE_TEXT, author="pat-3")
    _, case = _case_of(gov, mention_id)
    cid = case["id"]
    followed = gov.call(
        "POST",
        f"/v1/safety-cases/{cid}/follow-ups",
        "sam",
        {"channel": "direct_message", "outcome": "information_received", "note": "dose 50 mg", "confirms": ["patient"]},
    )
    assert followed.status_code == 200, followed.text
    body = followed.get_json()
    assert body["status"] == "followed_up" and body["follow_ups"][0]["outcome"] == "information_received"
    assert gov.call("POST", f"/v1/safety-cases/{cid}/dismiss", "alice", {"reason": "spam"}).status_code == 403
    bad = gov.call("POST", f"/v1/safety-cases/{cid}/dismiss", "sam", {"reason": "other"})
    assert bad.status_code == 400  # another reason needs a comment
    reported = gov.call("POST", f"/v1/safety-cases/{cid}/report", "sam", {"reference": "ARGUS-2026-0042"})
    assert reported.status_code == 200, reported.text
    done = reported.get_json()
    assert done["status"] == "reported"
    assert (done["reports"][0]["kind"], done["reports"][0]["within_deadline"]) == ("initial", True)
    assert done["actions"] == ["follow_up", "report"]
    twice = gov.call("POST", f"/v1/safety-cases/{cid}/report", "sam", {})
    assert twice.status_code == 409 and twice.get_json()["allowed"] == ["follow_up"]
    assert gov.call("POST", f"/v1/safety-cases/{cid}/dismiss", "sam", {"reason": "spam"}).status_code == 409

    exported = gov.call("GET", f"/v1/safety-cases/{cid}/export", "sam")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "application/json"
    assert exported.headers["Content-Disposition"] == f'attachment; filename="{cid}.json"'
    packet = exported.get_json()
    assert packet["safetyreportid"] == cid and packet["reporttype"] == "1"
    assert packet["receivedate"] == case["day0"][:10]
    assert packet["patient"]["drug"][0]["medicinalproduct"] == "Zoloft"
    assert [r["primarysourcereaction"] for r in packet["patient"]["reaction"]] == ["nausea", "dizziness"]
    assert packet["patient"]["summary"]["reportercomment"] == AE_TEXT
    as_csv = gov.call("GET", f"/v1/safety-cases/{cid}/export?format=csv", "sam")
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    [row] = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert row["safetyreportid"] == cid and row["hark.status"] == "reported"
    assert row["patient.reaction.primarysourcereaction"] == "nausea; dizziness"
    assert row["hark.report_reference"] == "ARGUS-2026-0042"

    # Every change is on record, outside any task's trail, hash-chained; the words kept apart are shown while kept.
    trail = gov.call("GET", f"/v1/audit?stream={cid}").get_json()
    assert [e["action"] for e in trail["items"]] == ["case.opened", "case.followed_up", "case.reported"]
    assert trail["problems"] == []
    assert trail["items"][0]["content"] == "kept" and "after.verbatim" in trail["items"][0]["sealed"]
    assert trail["items"][0]["after"]["verbatim"][0]["text"] == AE_TEXT
    log = gov.call("GET", "/v1/audit?kind=safety_case&action=case.reported").get_json()
    assert [e["stream"] for e in log["items"]] == [cid]
    newest = gov.call("GET", "/v1/audit?limit=2").get_json()
    assert [e["action"] for e in newest["items"]] == ["case.reported", "case.followed_up"] and newest["next_cursor"]
    older = gov.call("GET", f"/v1/audit?limit=2&cursor={newest['next_cursor']}").get_json()
    assert older["items"][0]["action"] == "case.opened"
    assert gov.call("GET", "/v1/audit?cursor=not-ours!").status_code == 400
    assert gov.call("GET", "/v1/audit", "sam").status_code == 403


def test_a_case_missing_a_criterion_is_reported_once_a_follow_up_confirms_it(gov: Gov) -> None:
    # A partner tool that does not know who wrote it: no identifiable reporter.
    _, case = _case_of(gov, gov.say("ae-4", AE_TEXT, author="unknown"))
    cid = case["id"]
    assert (case["valid"], case["missing"]) == (False, ["reporter"])
    reporter = next(c for c in case["criteria"] if c["criterion"] == "reporter")
    assert reporter["present"] is False and "no identity" in reporter["why"]
    refused = gov.call("POST", f"/v1/safety-cases/{cid}/report", "sam", {"reference": "R-1"})
    assert refused.status_code == 409 and refused.get_json()["missing"] == ["reporter"]
    gov.call(
        "POST",
        f"/v1/safety-cases/{cid}/follow-ups",
        "sam",
        {"channel": "email", "outcome": "information_received", "confirms": ["reporter"]},
    )
    confirmed = gov.call("GET", f"/v1/safety-cases/{cid}", "sam").get_json()
    assert confirmed["valid"] is True
    reporter = next(c for c in confirmed["criteria"] if c["criterion"] == "reporter")
    assert (reporter["present"], reporter["confirmed_by"]) == (True, "sam")
    assert gov.call("POST", f"/v1/safety-cases/{cid}/report", "sam", {"reference": "R-1"}).status_code == 200


def test_a_dismissed_case_opens_again_with_more_information(gov: Gov) -> None:
    _, case = _case_of(gov, gov.say("ae-5", AE_TEXT, author="pat-5"))
    cid = case["id"]
    dismissed = gov.call("POST", f"/v1/safety-cases/{cid}/dismiss", "sam", {"reason": "duplicate"})
    assert dismissed.status_code == 200 and dismissed.get_json()["status"] == "not_a_case"
    assert dismissed.get_json()["dismissal"]["reason"] == "duplicate"
    assert dismissed.get_json()["actions"] == []
    gov.say("ae-5b", "Still dizzy today, I think it is the Zoloft", author="pat-5", thread_id="ae-5")
    reopened = gov.call("GET", f"/v1/safety-cases/{cid}", "sam").get_json()
    assert reopened["status"] == "open" and len(reopened["verbatim"]) == 2
    assert reopened["day0"] == case["day0"]  # day 0 stays the first receipt


def test_erasure_reaches_every_copy_and_leaves_a_verifiable_audit(gov: Gov) -> None:
    complaint = "I was charged twice for my subscription, my card ends 4242. Refund me please, Kim Doe"
    first = gov.say("er-1", complaint, author="kim-7")
    task = gov.call("GET", f"/v1/tasks/{gov.mention(first)['task_id']}").get_json()
    tid = task["id"]
    assert gov.call("POST", f"/v1/tasks/{tid}/claim").status_code == 200
    drafted = gov.call("PUT", f"/v1/tasks/{tid}/draft", body={"text": "Hi Kim Doe, I'm refunding it now."})
    assert drafted.status_code == 200
    assert gov.call("POST", f"/v1/tasks/{tid}/send").status_code == 200
    assert gov.call("POST", f"/v1/tasks/{tid}/notes", body={"text": "Kim Doe called too"}).status_code == 200
    ae = gov.say("er-2", AE_TEXT, author="kim-7")
    case_id = _case_of(gov, ae)[1]["id"]
    other = gov.say("er-3", "Where is my parcel? It has been two weeks.", author="lee-2")

    view = gov.call("GET", "/v1/authors/generic/kim-7").get_json()
    assert {m["id"] for m in view["mentions"]} == {first, ae}
    assert view["safety_cases"] == [case_id]  # dev is an admin
    assert gov.call("GET", "/v1/authors/generic/kim-7", "alice").get_json()["safety_cases"] == []
    exported = gov.call("GET", "/v1/authors/generic/kim-7/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    access = exported.get_json()
    assert {m["id"] for m in access["mentions"]} == {first, ae}
    assert [n["text"] for n in access["notes"]] == ["Kim Doe called too"]
    assert [c["id"] for c in access["safety_cases"]] == [case_id]
    assert gov.call("GET", "/v1/authors/generic/kim-7/export", "alice").status_code == 403

    assert gov.call("DELETE", "/v1/authors/generic/kim-7", "alice").status_code == 403
    assert gov.call("DELETE", "/v1/authors/nowhere/kim-7").status_code == 404
    receipt = gov.call("DELETE", "/v1/authors/generic/kim-7?reference=DSAR-77")
    assert receipt.status_code == 202, receipt.text
    erasure = receipt.get_json()
    assert (erasure["status"], erasure["reference"], erasure["requested_by"]) == ("accepted", "DSAR-77", "dev")
    gov.pipeline.flow()

    # None of Kim's words in any answer (but the safety case, which says why it keeps them).
    answers = [
        gov.call("GET", "/v1/mentions").get_data(as_text=True),
        gov.call("GET", f"/v1/tasks/{tid}").get_data(as_text=True),
        gov.call("GET", f"/v1/tasks/{tid}/thread").get_data(as_text=True),
        gov.call("GET", f"/v1/tasks/{tid}/notes").get_data(as_text=True),
        gov.call("GET", f"/v1/tasks/{tid}/audit").get_data(as_text=True),
        gov.call("GET", "/v1/authors/generic/kim-7").get_data(as_text=True),
        gov.call("GET", "/v1/audit?kind=erasure").get_data(as_text=True),
        gov.call("GET", "/v1/audit?kind=config").get_data(as_text=True),
        gov.call("GET", "/v1/tasks").get_data(as_text=True),
        gov.call("GET", "/v1/notifications").get_data(as_text=True),
    ]
    for answer in answers:
        # "ends 4242", not "4242": timestamps and hashes in an answer may hold those four digits.
        for words in ("charged twice", "Kim Doe", "ends 4242", "refunding it now", "Zoloft last week"):
            assert words not in answer, (words, answer[:300])
    assert gov.call("GET", f"/v1/mentions/{first}").status_code == 404
    assert gov.mention(other)["text"].startswith("Where is my parcel")
    for table in ("mentions", "inbox", "audit-content"):
        dump = json.dumps(gov.pipeline.aws.scan(table))
        assert "charged twice" not in dump and "Kim Doe" not in dump, table

    scrubbed = gov.call("GET", f"/v1/tasks/{tid}").get_json()
    assert scrubbed["preview"]["text"] == "[erased]" and scrubbed["author"] is None
    assert scrubbed["replies"][0]["text"] == "[erased]"
    trail = gov.call("GET", f"/v1/tasks/{tid}/audit").get_json()
    assert trail["problems"] == []  # the chain still verifies
    assert {e["content"] for e in trail["items"] if e["sealed"]} == {"erased"}
    assert [e["action"] for e in trail["items"]][-1] == "author.erased"

    log = gov.call("GET", "/v1/audit?action=author.erased").get_json()
    [entry] = log["items"]
    assert entry["stream"] == "erasures" and entry["actor"] == "dev"
    assert entry["detail"]["erasure_id"] == erasure["erasure_id"]
    assert entry["detail"]["counts"]["inbox_mentions"] == 2
    assert entry["detail"]["counts"]["classified_mentions"] == 2
    assert entry["detail"]["counts"]["safety_cases_kept"] == 1
    assert "kim-7" not in json.dumps(entry)
    assert seal(AuditEntry.model_validate({**entry, "content": "inline"})).hash == entry["hash"]

    # The safety case keeps what the law requires and says so.
    kept = gov.call("GET", f"/v1/safety-cases/{case_id}").get_json()
    assert kept["verbatim"][0]["text"] == AE_TEXT
    assert [h["erasure_id"] for h in kept["holds"]] == [erasure["erasure_id"]]
    assert "17(3)" in kept["holds"][0]["basis"]
    case_trail = gov.call("GET", f"/v1/audit?stream={case_id}").get_json()
    assert case_trail["items"][0]["content"] == "kept" and case_trail["items"][-1]["action"] == "case.held"
    after = gov.call("GET", "/v1/authors/generic/kim-7").get_json()
    assert after["mentions"] == [] and [e["erasure_id"] for e in after["erasures"]] == [erasure["erasure_id"]]

    # A message Kim wrote before the request, still on its way then, does not bring her back.
    late = gov.pipeline.submit(
        {
            "native_id": "er-9",
            "author": {"id": "kim-7"},
            "text": "one more thing about my charged twice subscription",
            "created_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        }
    )
    assert late.status_code == 202
    gov.pipeline.flow()
    assert "charged twice" not in gov.call("GET", "/v1/mentions").get_data(as_text=True)

    # A redelivered erasure event does nothing twice.
    gov.call("DELETE", "/v1/authors/generic/kim-7")
    gov.pipeline.flow()
    assert len(gov.call("GET", "/v1/audit?action=author.erased").get_json()["items"]) == 2


def test_each_report_answers_as_json_and_csv(gov: Gov) -> None:
    mention_id = gov.say("rp-1", "My order never arrived and nobody answers. I want a refund.", author="ro-1")
    tid = gov.mention(mention_id)["task_id"]
    gov.call("POST", f"/v1/tasks/{tid}/claim")
    gov.call("PUT", f"/v1/tasks/{tid}/draft", body={"text": "Hi there, I'm sorry! Refund is on its way."})
    assert gov.call("POST", f"/v1/tasks/{tid}/send").status_code == 200
    assert gov.call("POST", f"/v1/tasks/{tid}/close").status_code == 200
    gov.say("rp-2", AE_TEXT, author="ro-2")

    summaries = {}
    for name in ("first-response", "resolution", "sla", "volume", "sentiment", "intent", "safety"):
        report = gov.call("GET", f"/v1/reports/{name}", "vic")
        assert report.status_code == 200, report.text
        body = report.get_json()
        assert body["name"] == name and body["rows"] and body["columns"]
        as_csv = gov.call("GET", f"/v1/reports/{name}?format=csv", "vic")
        assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
        assert list(rows[0]) == body["columns"] and len(rows) == len(body["rows"])
        summaries[name] = body
    first = summaries["first-response"]
    assert (first["rows"][0]["answered"], first["rows"][0]["conversations"]) == (1, 2)
    assert first["summary"]["p50_seconds"] is not None
    assert summaries["resolution"]["summary"]["resolved"] == 1
    assert summaries["sla"]["summary"]["attainment_percent"]["first_response"] == 100.0
    volume = summaries["volume"]
    assert (volume["summary"]["mentions"], volume["summary"]["replies"]) == (2, 1)
    assert [(r["key"], r["replies"]) for r in volume["rows"] if r["dimension"] == "agent"] == [("dev", 1)]
    assert summaries["sentiment"]["summary"]["total"] == summaries["intent"]["summary"]["total"] == 2
    assert (summaries["safety"]["summary"]["opened"], summaries["safety"]["summary"]["open"]) == (1, 1)


def test_reports_refuse_what_they_cannot_answer(gov: Gov) -> None:
    assert gov.call("GET", "/v1/reports/nps").status_code == 404
    assert gov.call("GET", "/v1/reports/sla?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z").status_code == 400
    assert gov.call("GET", "/v1/reports/sla?format=xml").status_code == 400
    assert gov.call("GET", "/v1/reports/sla?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z").status_code == 400


def test_records_expire_as_the_retention_says(gov: Gov) -> None:
    mention_id = gov.say("rt-1", "My order never arrived and nobody answers. I want a refund.", author="rt-9")
    received = datetime.fromisoformat(gov.mention(mention_id)["received_at"])
    [item] = [i for i in gov.pipeline.aws.scan("inbox") if i["id"]["S"] == mention_id]
    assert abs(int(item["expires_at"]["N"]) - (received + timedelta(days=365)).timestamp()) < 2
    [stored] = [i for i in gov.pipeline.aws.scan("mentions") if i["id"]["S"] == mention_id]
    assert abs(int(stored["expires_at"]["N"]) - (received + timedelta(days=365)).timestamp()) < 2
    facts = gov.pipeline.aws.scan("conversations")
    assert facts and all("expires_at" in f for f in facts)
    assert all("expires_at" not in c for c in gov.pipeline.aws.scan("audit-content"))  # kept: unset


@pytest.fixture
def unconfigured(gov: Gov, monkeypatch: pytest.MonkeyPatch) -> Gov:
    """No triage policy and no product list anywhere: what a brand has before it configures anything."""
    monkeypatch.delenv("HARK_TRIAGE_POLICY", raising=False)
    classify_bootstrap.root.override(None)
    return gov


LIPITOR = "My son has been taking Lipitor for two weeks and now he has awful muscle pain and headaches."


def test_with_no_policy_a_medicine_and_a_side_effect_open_a_case_that_exports_as_csv(unconfigured: Gov) -> None:
    gov = unconfigured
    mention_id = gov.say("np-1", LIPITOR, author="par-1")
    stored = gov.mention(mention_id)
    assert stored["classification"]["adverse_event"] is True
    task, case = _case_of(gov, mention_id)
    assert task["queue"] == "safety" and (case["status"], case["queue"]) == ("open", "safety")
    criteria = {c["criterion"]: c for c in case["criteria"]}
    assert all(c["present"] and c["why"] for c in criteria.values()), criteria
    # Recognised by the drug lexicon (a brand name of atorvastatin), not by any list the brand gave.
    assert (case["product"]["name"], case["product"]["match"]) == ("Lipitor", "brand")
    assert criteria["product"]["evidence"] == ["Lipitor"]
    assert set(criteria["event"]["evidence"]) == {"muscle pain", "headaches"}
    day0 = datetime.fromisoformat(case["day0"])
    assert day0 == datetime.fromisoformat(stored["received_at"])
    assert datetime.fromisoformat(case["due_at"]) == day0 + timedelta(days=15)
    listed = gov.call("GET", "/v1/safety-cases?status=open", "sam").get_json()["items"]
    assert [c["id"] for c in listed] == [case["id"]]

    download = gov.call("GET", f"/v1/safety-cases/{case['id']}/export?format=csv", "sam")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{case["id"]}.csv"'
    [row] = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert row["safetyreportid"] == case["id"]
    assert row["patient.drug.medicinalproduct"] == "Lipitor"
    assert row["patient.reaction.primarysourcereaction"] == "muscle pain; headaches"
    assert row["patient.summary.reportercomment"] == LIPITOR


ARCHIVE_BUCKET = "hark-local-raw-archive"


def _archived(gov: Gov) -> dict[str, str]:
    """Every object (every version of it) in the raw archive, unpacked: key → the delivery as text."""
    import gzip

    s3 = gov.pipeline.aws.client("s3")
    versions = s3.list_object_versions(Bucket=ARCHIVE_BUCKET)
    out = {}
    for version in versions.get("Versions", []):
        body = s3.get_object(Bucket=ARCHIVE_BUCKET, Key=version["Key"], VersionId=version["VersionId"])["Body"]
        out[f"{version['Key']}@{version['VersionId']}"] = gzip.decompress(body.read()).decode()
    assert not versions.get("DeleteMarkers"), "the archive is unversioned: a delete removes, it leaves no marker"
    return out


def _dm(sender: str, mid: str, text: str) -> bytes:
    from devstack.signing import meta_body

    messaging = [
        {"sender": {"id": sender}, "recipient": {"id": "1"}, "timestamp": 1, "message": {"mid": mid, "text": text}}
    ]
    return meta_body({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": messaging}]})


def test_erasure_over_http_deletes_the_persons_raw_deliveries_from_the_archive_bucket(gov: Gov) -> None:
    theirs = "Jo Rivers here, my parcel to 12 Elm Street never came"
    for n, (sender, text) in enumerate([("jo-5", theirs), ("jo-5", "Jo again, still nothing"), ("max-8", "Hi there")]):
        delivered = gov.pipeline.meta(_dm(sender, f"m.arch-{n}", text))
        assert delivered.status_code == 200, delivered.get_data(as_text=True)
    gov.pipeline.flow()
    before = _archived(gov)
    assert len(before) == 3 and sum("Jo Rivers" in d for d in before.values()) == 1

    receipt = gov.call("DELETE", "/v1/authors/meta/jo-5?reference=DSAR-ARCH")
    assert receipt.status_code == 202, receipt.get_data(as_text=True)
    erasure = receipt.get_json()
    gov.pipeline.flow()

    after = _archived(gov)  # the bucket itself, not an API's word for it
    assert len(after) == 1 and all("Jo " not in d and "Elm Street" not in d for d in after.values())
    assert "Hi there" in next(iter(after.values()))  # another person's delivery stays
    index = json.dumps(gov.pipeline.aws.scan("archive-index"))
    assert "jo-5" not in index and "max-8" in index
    [entry] = gov.call("GET", "/v1/audit?action=author.erased").get_json()["items"]
    assert entry["detail"]["erasure_id"] == erasure["erasure_id"]
    assert entry["detail"]["counts"]["archived_deliveries"] == 2
    assert "jo-5" not in json.dumps(entry) and "Jo Rivers" not in json.dumps(entry)


def test_each_hours_audit_entries_are_exported_once_to_the_object_lock_bucket(gov: Gov) -> None:
    from devstack.lambda_runtime import Function
    from devstack.scheduler import scheduled_event
    from services.respond import audit_export
    from shared.resources import RESPOND_AUDIT_EXPORT

    mention_id = gov.say("ax-1", "My order never arrived and nobody answers. I want a refund.", author="ax-1")
    tid = gov.mention(mention_id)["task_id"]
    assert gov.call("POST", f"/v1/tasks/{tid}/claim").status_code == 200
    trail = gov.call("GET", f"/v1/tasks/{tid}/audit").get_json()["items"]
    written = datetime.fromisoformat(trail[-1]["at"])

    # The scheduled function, with its own role's intents: this hour has not ended, so it is not written yet.
    first = Function(RESPOND_AUDIT_EXPORT).invoke(scheduled_event("audit-export", written))
    assert all(k.startswith("audit/") for k in first["exported"])
    hour = written.replace(minute=0, second=0, microsecond=0)
    key = audit_export.export_key(hour)
    assert key not in first["exported"]  # this hour has not ended

    exporter = audit_export.build(gov.pipeline.aws.env)
    later = exporter.run(now=hour + timedelta(hours=1, minutes=6))
    assert later.exported == [key] and later.entries >= len(trail)
    s3 = gov.pipeline.aws.client("s3")
    obj = s3.get_object(Bucket="hark-local-audit-export", Key=key)
    exported = audit_export.decode(obj["Body"].read())
    mine = [e for e in exported if e.stream == trail[0]["stream"]]
    assert [e.hash for e in mine] == [e["hash"] for e in trail]  # the entries as the chain holds them
    assert "never arrived" not in json.dumps([e.model_dump(mode="json") for e in exported])  # no one's words
    head = s3.head_object(Bucket="hark-local-audit-export", Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=365 * 6)
    # Written once: the next run leaves the hour alone, and a run racing it cannot write a second version.
    assert key not in exporter.run(now=hour + timedelta(hours=2, minutes=6)).exported
    racing = audit_export.S3ExportBucket(Settings.from_env(gov.pipeline.aws.env))
    assert racing.put(key, audit_export.encode([]), {"hour": "racing"}) is False
    versions = s3.list_object_versions(Bucket="hark-local-audit-export", Prefix=key)["Versions"]
    assert len(versions) == 1
