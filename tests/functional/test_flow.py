"""The walking skeleton's promises, at handler level: a signed delivery becomes exactly one classified mention
and a task; duplicates and tampered deliveries change nothing."""

from __future__ import annotations

from tests.conftest import webhook_fixture
from tests.functional.conftest import Pipeline


def test_signed_github_comment_becomes_one_classified_mention(pipeline: Pipeline) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    first = pipeline.github(body, "issue_comment")
    assert first.status_code == 200, first.text
    assert first.json["accepted"] == 1
    pipeline.flow()

    mentions = pipeline.get("/v1/mentions").json["items"]
    assert len(mentions) == 1
    mention = mentions[0]
    assert mention["platform"] == "github"
    assert mention["channel"] == "github.issue_comment"
    assert mention["thread_id"] == "Codertocat/Hello-World#1"
    assert mention["text"] == "You are totally right! I'll get this fixed right away."
    assert mention["classification"]["analyzer"] == "local"
    assert pipeline.get(f"/v1/mentions/{mention['id']}").json["id"] == mention["id"]

    again = pipeline.github(body, "issue_comment")
    assert again.status_code == 200
    assert again.json == first.json  # the same mention, by the same id
    pipeline.flow()
    assert len(pipeline.get("/v1/mentions").json["items"]) == 1
    assert len(pipeline.aws.scan("mentions")) == len(pipeline.aws.scan("inbox")) == 1


def test_tampered_delivery_is_refused_and_stores_nothing(pipeline: Pipeline) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    tampered = body.replace(b"totally right", b"totally wrong")
    from devstack.signing import github_headers
    from shared.settings import dev_platform_secret

    headers = github_headers(body, dev_platform_secret("github"), "issue_comment")
    response = pipeline.http.post("/webhooks/github", data=tampered, headers=headers)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["type"] == "urn:hark:problem:invalid-signature"
    assert pipeline.aws.queue_depth("classify") == 0
    # The genuine delivery is still accepted afterwards: a refusal keeps nothing.
    assert pipeline.github(body, "issue_comment").json["accepted"] == 1


def test_partner_complaint_becomes_a_task(pipeline: Pipeline) -> None:
    response = pipeline.submit(
        {
            "platform": "generic",
            "native_id": "ticket-4711",
            "author": {"id": "c-1", "handle": "jo"},
            "text": "My order never arrived and nobody answers my emails. I want a refund.",
        }
    )
    assert response.status_code == 202, response.text
    [accepted] = response.json["mentions"]
    assert accepted["status"] == "accepted"
    pipeline.flow()

    tasks = pipeline.get("/v1/tasks").json["items"]
    assert len(tasks) == 1
    task = tasks[0]
    assert task["status"] == "open"
    assert task["mention_ids"] == [accepted["id"]]
    assert task["queue"] == "care"
    assert task["priority"] >= 50
    assert pipeline.get(f"/v1/tasks/{task['id']}").json == task
    mention = pipeline.get(f"/v1/mentions/{accepted['id']}").json
    assert mention["task_id"] == task["id"]
    assert mention["classification"]["needs_response"] is True
