"""Governance's "done when", over real HTTP on the local stack (`hark up` in its own process, the bundled
configuration): a mention naming a medicine and a side effect opens a safety case with its criteria and its 15-day
clock in the safety queue, and its export downloads as CSV; after `DELETE /v1/authors/...` none of that person's
text is in any API answer and the audit shows the erasure; each report answers for the demo stream, as JSON and
CSV."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from devstack.demo import deliveries, demo_secrets, send
from devstack.signing import meta_body, meta_headers
from shared.secrets import EnvSecrets
from shared.settings import DEV_API_KEY, Settings, dev_platform_secret
from tests.e2e.test_local_stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

KEYS = {
    DEV_API_KEY: {"user": "dev", "roles": ["agent", "admin", "viewer"]},
    "key-e2e-safety": {"user": "sam", "roles": ["safety"]},
    "key-e2e-viewer": {"user": "vic", "roles": ["viewer"]},
}
KEY = {grant["user"]: key for key, grant in KEYS.items()}
MEDICINE = "I started Zoloft last week and since then I have terrible nausea and dizziness every morning."


class Api:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def call(self, method: str, path: str, user: str = "dev", body: Any = None) -> requests.Response:
        headers = {"x-api-key": KEY[user]}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return requests.request(
            method, self.stack.url + path, headers=headers, data=json.dumps(body) if body else None, timeout=10
        )

    def json(self, path: str, user: str = "dev") -> Any:
        response = self.call("GET", path, user)
        assert response.status_code == 200, response.text
        return response.json()

    def submit(self, native: str, text: str, author: str, handle: str) -> str:
        payload = {"native_id": native, "author": {"id": author, "handle": handle}, "text": text}
        response = self.call("POST", "/v1/mentions", body=payload)
        assert response.status_code == 202, response.text
        return str(response.json()["mentions"][0]["id"])

    def task_of(self, mention_id: str) -> dict[str, Any]:
        def found() -> Any:
            response = self.call("GET", f"/v1/mentions/{mention_id}")
            return response.status_code == 200 and response.json().get("task_id")

        task: dict[str, Any] = self.json(f"/v1/tasks/{self.stack.wait_for(found, timeout=30)}")
        return task


def archived(stack: Stack) -> dict[str, str]:
    """The raw archive bucket's objects, every version, unpacked (key@version → the delivery as text)."""
    import gzip

    import boto3

    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{stack.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="hark-local",
        aws_secret_access_key="hark-local",
    )
    bucket = "hark-local-raw-archive"
    out = {}
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
        out[f"{version['Key']}@{version['VersionId']}"] = gzip.decompress(body).decode()
    return out


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    stack = start_stack(
        {
            "HARK_API_KEYS": json.dumps(KEYS),
            # No triage policy and no product list: the drug lexicon recognises the medicine out of the box.
            "HARK_SCHEDULE_SECONDS": "3600",
        }
    )
    try:
        yield Api(stack)
    finally:
        stop_stack(stack)


def test_a_medicine_and_a_side_effect_open_a_case_on_a_15_day_clock_that_exports_as_csv(api: Api) -> None:
    mention_id = api.submit("e2e-ae-1", MEDICINE, "pat-e2e", "pat_e2e")
    task = api.task_of(mention_id)
    assert task["queue"] == "safety"
    case_id = api.stack.wait_for(lambda: api.json(f"/v1/tasks/{task['id']}").get("safety_case_id"), timeout=20)
    case = api.json(f"/v1/safety-cases/{case_id}", "sam")
    assert (case["status"], case["queue"]) == ("open", "safety")
    assert {c["criterion"]: c["present"] for c in case["criteria"]} == {
        "patient": True,
        "reporter": True,
        "product": True,
        "event": True,
    }
    assert all(c["why"] for c in case["criteria"])
    received = datetime.fromisoformat(api.json(f"/v1/mentions/{mention_id}")["received_at"])
    assert datetime.fromisoformat(case["day0"]) == received
    assert datetime.fromisoformat(case["due_at"]) == received + timedelta(days=15)
    assert case["verbatim"][0]["text"] == MEDICINE
    assert any(n["case_id"] == case_id for n in api.json("/v1/notifications")["items"])

    download = api.call("GET", f"/v1/safety-cases/{case_id}/export?format=csv", "sam")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{case_id}.csv"'
    [row] = list(csv.DictReader(io.StringIO(download.text)))
    assert row["safetyreportid"] == case_id
    assert row["receivedate"] == received.date().isoformat()
    assert row["patient.drug.medicinalproduct"] == "Zoloft"
    assert case["product"]["match"] == "brand"  # the lexicon's: no product list was configured
    assert row["patient.summary.reportercomment"] == MEDICINE
    assert api.call("GET", f"/v1/safety-cases/{case_id}/export?format=csv", "vic").status_code == 403


def test_after_erasure_none_of_the_persons_text_is_in_any_answer_and_the_audit_shows_it(api: Api) -> None:
    words = "My blender exploded on the first use and burnt my kitchen counter"
    body = meta_body(
        {
            "object": "page",
            "entry": [
                {
                    "id": "104559371234567",
                    "time": int(time.time()),
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "item": "comment",
                                "verb": "add",
                                "comment_id": "77_e2e_erase",
                                "post_id": "104559371234567_77",
                                "parent_id": "104559371234567_77",
                                "from": {"id": "99001", "name": "Rae Quinn"},
                                "created_time": int(time.time()),
                                "message": words,
                            },
                        }
                    ],
                }
            ],
        }
    )
    delivered = requests.post(
        api.stack.url + "/webhooks/meta", data=body, headers=meta_headers(body, dev_platform_secret("meta")), timeout=10
    )
    assert delivered.status_code == 200, delivered.text
    [mention_id] = delivered.json()["mention_ids"]
    task = api.task_of(mention_id)
    assert any("blender exploded" in text for text in archived(api.stack).values())
    note = api.call("POST", f"/v1/tasks/{task['id']}/notes", body={"text": "Rae Quinn wants a call back"})
    assert note.status_code == 200
    assert [m["text"] for m in api.json("/v1/authors/meta/99001")["mentions"]] == [words]

    erased = api.call("DELETE", "/v1/authors/meta/99001?reference=DSAR-E2E")
    assert erased.status_code == 202, erased.text
    erasure_id = erased.json()["erasure_id"]

    def recorded() -> Any:
        items = api.json("/v1/audit?action=author.erased")["items"]
        return next((e for e in items if e["detail"]["erasure_id"] == erasure_id), None)

    entry = api.stack.wait_for(recorded, timeout=30)
    assert entry["actor"] == "dev" and entry["detail"]["reference"] == "DSAR-E2E"
    assert entry["detail"]["counts"]["inbox_mentions"] == 1
    answers = [
        api.call("GET", path).text
        for path in (
            "/v1/mentions",
            f"/v1/tasks/{task['id']}",
            f"/v1/tasks/{task['id']}/thread",
            f"/v1/tasks/{task['id']}/notes",
            f"/v1/tasks/{task['id']}/audit",
            "/v1/tasks",
            "/v1/authors/meta/99001",
            "/v1/authors/meta/99001/export",
            "/v1/audit?kind=erasure",
            "/v1/notifications",
        )
    ]
    for answer in answers:
        for said in ("blender exploded", "Rae Quinn", "kitchen counter"):
            assert said not in answer, (said, answer[:200])
    assert api.call("GET", f"/v1/mentions/{mention_id}").status_code == 404
    # Nor in the raw archive: the bucket itself is asked, every version of every object.
    for text in archived(api.stack).values():
        assert "blender exploded" not in text and "Rae Quinn" not in text
    assert entry["detail"]["counts"]["archived_deliveries"] == 1
    trail = api.json(f"/v1/tasks/{task['id']}/audit")
    assert trail["problems"] == [] and trail["items"][-1]["action"] == "author.erased"


def test_each_report_answers_for_the_demo_stream_as_json_and_csv(api: Api) -> None:
    # The stream `hark up` plays, signed with the development secrets, sent at once rather than paced.
    secrets = demo_secrets(EnvSecrets(Settings.from_env({"HARK_API_KEYS": json.dumps(KEYS)})).get())
    sent = [send(api.stack.url, d) for d in deliveries(secrets, DEV_API_KEY)]
    assert all(status < 300 for status, _ in sent), sent
    api.stack.wait_for(lambda: len(api.json("/v1/mentions?limit=200")["items"]) >= 15, timeout=90)
    for name in ("first-response", "resolution", "sla", "volume", "sentiment", "intent", "safety"):
        report = api.json(f"/v1/reports/{name}", "vic")
        assert report["name"] == name and report["rows"], report
        download = api.call("GET", f"/v1/reports/{name}?format=csv", "vic")
        assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert list(rows[0]) == report["columns"] and len(rows) == len(report["rows"])
    volume = api.json("/v1/reports/volume", "vic")
    platforms = {r["key"] for r in volume["rows"] if r["dimension"] == "platform"}
    assert {"github", "meta", "generic", "trustpilot", "reddit"} <= platforms
    assert api.json("/v1/reports/sentiment?bucket=hour", "vic")["summary"]["total"] >= 10
