"""Incidents against the emulator: an alarm as AWS delivers it (HTTP and the Lambda SNS event) becomes an incident
on-call can list, acknowledge and resolve; a burst of negative mentions through the whole pipeline makes the spike
detector open a crisis incident that says why, and puts the brand into crisis mode."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from services.respond import incident_bootstrap
from services.respond.incident_bootstrap import build
from services.respond.incident_store import DynamoCrisisModes
from services.respond.spikes import SpikeWatch
from shared.events import utcnow
from shared.resources import RESPOND_ALARMS, RESPOND_WATCH
from tests.conftest import FIXTURES
from tests.functional.conftest import API_KEY, Pipeline

ALARM = json.loads((FIXTURES / "alarms" / "dlq-alarm.sns.json").read_text())


def notification(state: str = "ALARM", message_id: str = "m-1", **changes: Any) -> dict[str, Any]:
    alarm = {**json.loads(ALARM["Message"]), "NewStateValue": state, **changes}
    return {**ALARM, "MessageId": message_id, "Message": json.dumps(alarm)}


def post(pipeline: Pipeline, path: str, body: Any, api_key: str | None = API_KEY) -> Any:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    return pipeline.http.post(path, data=json.dumps(body), headers=headers)


def test_an_alarm_becomes_an_incident_that_on_call_acknowledges_and_resolves(pipeline: Pipeline) -> None:
    response = post(pipeline, "/v1/incidents/alarms", notification())
    assert response.status_code == 200, response.text
    receipt = response.json
    assert receipt["outcome"] == "opened"
    incident = receipt["incident"]
    assert incident["kind"] == "alarm" and incident["status"] == "open" and incident["severity"] == "critical"
    assert incident["alarm"]["name"] == "hark-dev-dlq-classify"
    assert incident["title"].startswith("Messages in the classify dead-letter queue")

    # SNS delivers at least once: the same message changes nothing.
    again = post(pipeline, "/v1/incidents/alarms", notification())
    assert again.json["outcome"] == "duplicate"
    # The alarm firing again (a new message) is one more occurrence of the same incident.
    more = post(pipeline, "/v1/incidents/alarms", notification(message_id="m-2"))
    assert more.json["outcome"] == "updated" and more.json["incident"]["id"] == incident["id"]

    listed = pipeline.get("/v1/incidents?status=open").json
    assert [i["id"] for i in listed["items"]] == [incident["id"]]
    detail = pipeline.get(f"/v1/incidents/{incident['id']}").json
    assert detail["occurrences"] == 2

    acked = post(pipeline, f"/v1/incidents/{incident['id']}/ack", {"note": "looking"})
    assert acked.status_code == 200 and acked.json["status"] == "acknowledged"
    assert acked.json["acknowledged_by"] == "dev"

    # The alarm recovering resolves it.
    ok = post(pipeline, "/v1/incidents/alarms", notification("OK", message_id="m-3"))
    assert ok.json["outcome"] == "resolved"
    resolved = pipeline.get(f"/v1/incidents/{incident['id']}").json
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "dev"
    assert [e["what"].split(":")[0] for e in resolved["timeline"]] == [
        "opened",
        "alarm fired again",
        "acknowledged",
        "alarm back to OK",
    ]
    conflict = post(pipeline, f"/v1/incidents/{incident['id']}/ack", {})
    assert conflict.status_code == 409
    assert pipeline.get("/v1/incidents?status=open").json["items"] == []


def test_the_alarm_route_wants_an_admin_and_an_alarm(pipeline: Pipeline) -> None:
    assert post(pipeline, "/v1/incidents/alarms", notification(), api_key=None).status_code == 401
    not_alarm = {**ALARM, "Message": json.dumps({"hello": "world"})}
    refused = post(pipeline, "/v1/incidents/alarms", not_alarm)
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    confirmation = {**ALARM, "Type": "SubscriptionConfirmation"}
    assert post(pipeline, "/v1/incidents/alarms", confirmation).status_code == 400
    assert pipeline.get("/v1/incidents/i_aaaaaaaaaaaaaaaaaaaaaaaaaa").status_code == 404
    assert pipeline.get("/v1/incidents/nope").status_code == 404


def test_in_aws_the_alarm_topic_invokes_the_alarm_handler(pipeline: Pipeline) -> None:
    from devstack.lambda_runtime import Function

    handler = Function(RESPOND_ALARMS)
    sns_record = {k: v for k, v in notification(message_id="lambda-1").items() if k != "SigningCertURL"}
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": ALARM["TopicArn"] + ":sub",
                "Sns": {**sns_record, "SigningCertUrl": ALARM["SigningCertURL"], "MessageAttributes": {}},
            },
            {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "MessageId": "x", "Message": "nonsense"}},
        ]
    }
    assert handler.invoke(event) == {"outcomes": ["opened", "refused"]}
    [incident] = pipeline.get("/v1/incidents").json["items"]
    assert incident["alarm"]["name"] == "hark-dev-dlq-classify"


NEGATIVE = [
    "The checkout crashed again and I was charged twice. This is terrible, I want a refund",
    "Charged twice after the checkout crashed, awful service, fix it",
    "Your checkout is broken and crashed on me, charged twice, furious",
    "Terrible: checkout crashed, money gone twice, nobody answers",
]


def test_a_burst_of_negative_mentions_opens_a_crisis_incident_that_says_why(pipeline: Pipeline) -> None:
    mentions = [
        {
            "platform": "x",
            "native_id": f"burst-{i}",
            "author": {"id": f"angry-{i}", "handle": f"angry{i}"},
            "account_id": "@acme",
            "text": NEGATIVE[i % len(NEGATIVE)] + f" (#{i})",
        }
        for i in range(26)
    ]
    assert pipeline.submit({"mentions": mentions}).status_code == 202
    pipeline.flow()
    stored = pipeline.get("/v1/mentions?limit=100").json["items"]
    negatives = [m for m in stored if m["classification"]["sentiment"] == "negative"]
    assert len(negatives) >= 20, [m["classification"]["sentiment"] for m in stored]

    # The watch runs on its schedule, a little after the mentions were stored (it stays clear of index lag).
    root = build(pipeline.aws.env)
    later = utcnow() + timedelta(seconds=30)
    watch = SpikeWatch(root.watch._signals, root.watch._inbox, root.service, clock=lambda: later)
    incident_bootstrap.root.override(root.__class__(root.settings, root.crisis, root.service, watch))
    from devstack.lambda_runtime import Function
    from devstack.scheduler import scheduled_event

    result = Function(RESPOND_WATCH).invoke(scheduled_event("watch", later))
    assert result["counted"] == 26 and result["raised"] == ["default"]

    [incident] = pipeline.get("/v1/incidents").json["items"]
    assert incident["kind"] == "spike" and incident["crisis"] and incident["severity"] == "critical"
    why = incident["why"]
    assert why["rule"] == "burst" and why["negative"] == len(negatives)
    assert {"checkout", "crashed", "charged"} <= {t["term"] for t in why["top_terms"][:5]}
    assert why["platforms"] == {"x": len(negatives)} and why["accounts"] == {"@acme": len(negatives)}
    # Crisis mode, with a holding statement about what people are saying.
    assert incident["crisis_mode"] is True
    assert f"trouble with {why['top_terms'][0]['term']} right now" in incident["holding_statement"]
    mode = root.crisis.active("default")
    assert mode is not None and mode.incident_id == incident["id"] and mode.boost(70) == 90

    # A second run within the cooldown adds to the incident instead of paging again; nothing is counted twice.
    again = Function(RESPOND_WATCH).invoke(scheduled_event("watch", later))
    assert again["counted"] == 0
    # Resolving ends crisis mode.
    done = post(pipeline, f"/v1/incidents/{incident['id']}/resolve", {"note": "statement posted, fix deployed"})
    assert done.status_code == 200 and done.json["crisis_mode"] is False
    assert root.crisis.active("default") is None


def _oncall_inbox(pipeline: Pipeline) -> tuple[Any, str]:
    """An SQS queue subscribed to the on-call topic: what the community lead's pager would receive."""
    sqs, sns = pipeline.aws.client("sqs"), pipeline.aws.client("sns")
    url = sqs.create_queue(QueueName="oncall-pager")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=pipeline.aws.env["HARK_TOPIC_ONCALL_ARN"], Protocol="sqs", Endpoint=arn)
    return sqs, url


def test_a_crisis_alarm_puts_the_brand_in_crisis_mode_raising_tasks_and_suggesting_the_holding_statement(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs, pager = _oncall_inbox(pipeline)
    complaint = {"platform": "x", "author": {"id": "cal-1", "handle": "cal"}, "account_id": "@acme"}
    text = "The app keeps crashing when I try to pay, please help"
    assert pipeline.submit({**complaint, "native_id": "calm-1", "text": text}).status_code == 202
    pipeline.flow()
    [calm] = pipeline.get("/v1/tasks").json["items"]
    assert calm["crisis_incident_id"] is None

    crisis = notification(
        message_id="crisis-1",
        AlarmName="hark-dev-crisis",
        AlarmDescription="[critical][crisis] Mention volume and negative share are both unusual",
    )
    opened = post(pipeline, "/v1/incidents/alarms", crisis)
    assert opened.status_code == 200, opened.text
    incident = opened.json["incident"]
    assert incident["crisis"] and incident["crisis_mode"] is True and incident["holding_statement"]
    # On-call is told once, with the holding statement to post first.
    paged = sqs.receive_message(QueueUrl=pager, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    assert any(incident["holding_statement"] in json.loads(m["Body"])["Message"] for m in paged), paged

    # Three at once, as a storm arrives: crisis mode is read once for respond's batch, not once a mention.
    reads: list[str] = []
    active = DynamoCrisisModes.active
    monkeypatch.setattr(DynamoCrisisModes, "active", lambda self, brand: reads.append(brand) or active(self, brand))
    storm = [{**complaint, "native_id": f"storm-{n}", "author": {"id": f"storm-{n}"}, "text": text} for n in (2, 3)]
    assert pipeline.submit(
        {"mentions": [{**complaint, "native_id": "storm-1", "author": {"id": "cal-2"}, "text": text}, *storm]}
    ).status_code
    pipeline.flow()
    assert reads == ["default"]
    monkeypatch.undo()
    [raised] = [t for t in pipeline.get("/v1/tasks").json["items"] if t["author"]["id"] == "cal-2"]
    assert raised["priority"] == min(100, calm["priority"] + 20), (raised["priority"], calm["priority"])
    assert raised["crisis_incident_id"] == incident["id"]
    assert "crisis mode: +20 priority" in raised["reasons"]
    suggested = pipeline.get(f"/v1/tasks/{raised['id']}/suggestions").json["items"]
    assert suggested[0]["template"] == "crisis-holding-statement"
    assert suggested[0]["text"] == incident["holding_statement"]
    # The calm task, opened before, is not raised and is not offered the statement.
    before = pipeline.get(f"/v1/tasks/{calm['id']}/suggestions").json["items"]
    assert all(s["template"] != "crisis-holding-statement" for s in before)
    assert pipeline.get(f"/v1/tasks/{calm['id']}").json["priority"] == calm["priority"]
    # The agent drafts from it as from a template.
    assert post(pipeline, f"/v1/tasks/{raised['id']}/claim", {}).status_code == 200
    drafted = pipeline.http.put(
        f"/v1/tasks/{raised['id']}/draft",
        data=json.dumps({"template": "crisis-holding-statement"}),
        headers={"Content-Type": "application/json", "x-api-key": API_KEY},
    )
    assert drafted.status_code == 200, drafted.text
    assert drafted.json["draft"]["text"] == incident["holding_statement"]

    # Resolving ends crisis mode: new tasks are not raised, the statement is no longer offered.
    assert post(pipeline, f"/v1/incidents/{incident['id']}/resolve", {}).status_code == 200
    assert pipeline.submit({**complaint, "native_id": "after-1", "author": {"id": "cal-3"}, "text": text}).status_code
    pipeline.flow()
    [after] = [t for t in pipeline.get("/v1/tasks").json["items"] if t["author"]["id"] == "cal-3"]
    assert after["priority"] == calm["priority"] and after["crisis_incident_id"] is None
    assert pipeline.get(f"/v1/tasks/{raised['id']}/suggestions").json["items"][:1] != suggested[:1]
