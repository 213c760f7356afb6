"""GitHub: signature, the published payloads (each with what it must yield), and the shapes GitHub may send."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from devstack.signing import github_headers
from services.ingest.platforms.base import Delivery, Handshake, hmac_hex
from services.ingest.platforms.github import GitHub
from shared.errors import InvalidBody, InvalidHeader, InvalidSignature
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, load_json, webhook_fixture
from tests.connectors import check_fixture, deleted, fixtures_without_expectation, ignored

SECRET = "s3cret"
SECRETS = SecretValues(platform={"github": SECRET})
ARRIVAL = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
FOLDER = FIXTURES / "webhooks" / "github"
github = GitHub()


def delivery(body: bytes, event: str, secret: str = SECRET, **headers: str) -> Delivery:
    all_headers = {k.lower(): v for k, v in github_headers(body, secret, event).items()}
    all_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return Delivery("github", body, ARRIVAL, headers=all_headers)


def by_event(body: bytes, name: str) -> Delivery:
    return delivery(body, name.split("__", 1)[0])


CODERTOCAT = {"id": "21031067", "handle": "Codertocat"}
EXPECTED: dict[str, Any] = {
    "issue_comment__created.payload.json": {
        "channel": "github.issue_comment",
        "kind": "comment",
        "native_id": "MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==",
        "thread_id": "Codertocat/Hello-World#1",
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,  # the repository's owner answering on its own issue
        "text": "You are totally right! I'll get this fixed right away.",
        "url": "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400",
        "created_at": "2019-05-15T15:20:21Z",
    },
    "issues__opened.payload.json": {
        "channel": "github.issues",
        "kind": "post",
        "native_id": "MDU6SXNzdWU0NDQ1MDAwNDE=",
        "thread_id": "Codertocat/Hello-World#1",  # the issue and its comments are one conversation
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,
        "text": "Spelling error in the README file\n\nIt looks like you accidently spelled 'commit' with two 't's.",
        "url": "https://github.com/Codertocat/Hello-World/issues/1",
        "created_at": "2019-05-15T15:20:18Z",
    },
    "issues__opened.with-empty-body.payload.json": {
        "channel": "github.issues",
        "kind": "post",
        "native_id": "MDU6SXNzdWU0NDQ1MDAwNDE=",
        "thread_id": "Codertocat/Hello-World#1",
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,
        "text": "Spelling error in the README file",
        "url": "https://github.com/Codertocat/Hello-World/issues/1",
        "created_at": "2019-05-15T15:20:18Z",
    },
    "discussion_comment__created.payload.json": {
        "channel": "github.discussion_comment",
        "kind": "comment",
        "native_id": "MDE3OkRpc2N1c3Npb25Db21tZW50NTUwMDYy",
        "thread_id": "Codertocat/Hello-World/discussions/4",
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,
        "text": "ANSWER",
        "url": "https://github.com/Codertocat/Hello-World/discussions/4#discussioncomment-550062",
        "created_at": "2021-03-30T20:21:30Z",
    },
    # An edit is the same mention (same node id) with the time GitHub says it was updated.
    "issue_comment__edited.payload.json": {
        "channel": "github.issue_comment",
        "kind": "comment",
        "native_id": "MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==",
        "thread_id": "Codertocat/Hello-World#1",
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,
        "text": "You are totally right! I'll get this fixed today.",
        "url": "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400",
        "created_at": "2019-05-15T15:20:21Z",
        "edited_at": "2019-05-15T15:20:22Z",
    },
    "issues__edited.payload.json": {
        "channel": "github.issues",
        "kind": "post",
        "native_id": "MDU6SXNzdWU0NDQ1MDAwNDE=",
        "thread_id": "Codertocat/Hello-World#1",
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,
        "text": "Spelling error in the README file\n\nIt looks like you accidently spelled 'commit' with two 't's.",
        "url": "https://github.com/Codertocat/Hello-World/issues/1",
        "created_at": "2019-05-15T15:20:18Z",
        "edited_at": "2019-05-15T15:20:18Z",
    },
    "discussion__edited.payload.json": {
        "channel": "github.discussion",
        "kind": "post",
        "native_id": "MDEwOkRpc2N1c3Npb24zMjk5NjE0",
        "thread_id": "Codertocat/Hello-World/discussions/4",
        "account_id": "Codertocat/Hello-World",
        "author": CODERTOCAT,
        "from_brand": True,
        "text": "TEST edit\n\nTEST edit",
        "url": "https://github.com/Codertocat/Hello-World/discussions/4",
        "created_at": "2021-03-30T20:09:52Z",
        "edited_at": "2021-03-30T20:26:24Z",
    },
    # A deletion names the message; GitHub does not say when, so it is the arrival time.
    "issue_comment__deleted.payload.json": deleted(("MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==", "2026-11-26T09:30:00Z")),
    "issues__deleted.payload.json": deleted(("MDU6SXNzdWU0NDQ1MDAwNDE=", "2026-11-26T09:30:00Z")),
    "discussion_comment__deleted.payload.json": deleted(
        ("MDE3OkRpc2N1c3Npb25Db21tZW50NTUwMDYy", "2026-11-26T09:30:00Z")
    ),
    # State changes are not messages.
    "discussion__answered.payload.json": ignored(),
    "issues__labeled.payload.json": ignored(),
}
EXPECTED["issue_comment__created.with-installation.payload.json"] = EXPECTED["issue_comment__created.payload.json"]


def test_every_fixture_in_the_repository_has_an_expectation() -> None:
    assert fixtures_without_expectation(FOLDER, EXPECTED, "*__*.json") == {"ping__payload.json"}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_each_published_payload_yields_what_it_should(name: str, expected: Any) -> None:
    check_fixture(github, FOLDER, name, expected, by_event)


def test_hmac_matches_githubs_published_vector() -> None:
    vector = load_json(FOLDER / "signature-vector.json")
    assert "sha256=" + hmac_hex(vector["secret"], vector["payload"].encode()) == vector["X-Hub-Signature-256"]


def test_verify_accepts_the_signed_body() -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    github.verify(delivery(body, "issue_comment"), SECRETS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: replace(d, body=d.body + b" "), "does not match"),
        (lambda d: replace(d, headers={"x-github-event": "ping"}), "missing"),
        (lambda d: replace(d, headers={**d.headers, "x-hub-signature-256": "sha1=abc"}), "does not start"),
        (lambda d: replace(d, headers={**d.headers, "x-hub-signature-256": "sha256=" + "0" * 64}), "does not match"),
    ],
)
def test_verify_refuses_tampering(mutate: Any, message: str) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(InvalidSignature, match=message):
        github.verify(mutate(delivery(body, "issue_comment")), SECRETS)


def test_verify_refuses_another_secret() -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(InvalidSignature):
        github.verify(delivery(body, "issue_comment", secret="other"), SECRETS)


def test_a_comment_needs_only_the_number_of_its_issue() -> None:
    payload = {
        "action": "created",
        "issue": {"number": 42},
        "comment": {
            "id": 7,
            "body": "The CSV export is broken again",
            "html_url": "https://github.com/octo/widgets/issues/42#issuecomment-7",
            "user": {"login": "dev", "id": 5},
            "created_at": "2026-11-26T10:00:00Z",
        },
        "repository": {"full_name": "octo/widgets"},
    }
    [mention] = github.parse(delivery(json.dumps(payload).encode(), "issue_comment")).mentions
    assert (mention.thread_id, mention.native_id, mention.from_brand) == ("octo/widgets#42", "issue_comment:7", False)


def test_a_comment_by_someone_outside_the_repository_is_not_the_brand() -> None:
    payload = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    payload["comment"]["author_association"] = "NONE"
    [mention] = github.parse(delivery(json.dumps(payload).encode(), "issue_comment")).mentions
    assert mention.from_brand is False


def test_form_encoded_delivery_is_read_from_payload_field() -> None:
    raw = webhook_fixture("github", "issue_comment__created.payload.json").decode()
    body = urlencode({"payload": raw}).encode()
    form = delivery(body, "issue_comment", content_type="application/x-www-form-urlencoded")
    github.verify(form, SECRETS)
    [mention] = github.parse(form).mentions
    assert mention.native_id == "MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA=="


def test_ping_is_answered_with_its_zen_and_other_events_are_ignored() -> None:
    ping = github.parse(delivery(webhook_fixture("github", "ping__payload.json"), "ping"))
    assert ping.answer is not None
    assert json.loads(ping.answer.body) == {
        "ok": True,
        "zen": "Anything added dilutes everything else.",
        "hook_id": 109948940,
    }
    assert ping.mentions == []
    other = github.parse(delivery(b'{"action": "created"}', "star"))
    assert (other.mentions, other.ignored) == ([], 1)
    assert github.handshake(Handshake("github", {}), SECRETS) is None


def test_bot_comments_are_ignored() -> None:
    payload = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    payload["comment"]["user"]["type"] = "Bot"
    assert github.parse(delivery(json.dumps(payload).encode(), "issue_comment")).ignored == 1


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (b"{not json", "issue_comment"),
        (b"[1, 2]", "issue_comment"),
        (b'{"action": "created", "issue": {}}', "issue_comment"),
        (b"payload=%7Bbroken", "issue_comment"),
    ],
)
def test_malformed_bodies_are_refused(body: bytes, event: str) -> None:
    content_type = "application/x-www-form-urlencoded" if body.startswith(b"payload=") else "application/json"
    with pytest.raises(InvalidBody):
        github.parse(delivery(body, event, content_type=content_type))


def test_a_missing_event_header_is_refused_as_a_header_problem() -> None:
    with pytest.raises(InvalidHeader, match="X-GitHub-Event"):
        github.parse(Delivery("github", b"{}", ARRIVAL, headers={"content-type": "application/json"}))
