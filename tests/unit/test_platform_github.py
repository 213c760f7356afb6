from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest

from devstack.signing import github_headers
from services.ingest.platforms.base import hmac_hex
from services.ingest.platforms.github import GitHub
from shared.errors import BadRequest, HarkError, InvalidSignature
from shared.http import HttpRequest
from shared.secrets import SecretValues
from tests.conftest import FIXTURES, SHARED_FIXTURES, load_json, webhook_fixture

SECRET = "s3cret"
SECRETS = SecretValues(platform={"github": SECRET})
ARRIVAL = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
github = GitHub()


def request(body: bytes, event: str, secret: str = SECRET, **headers: str) -> HttpRequest:
    all_headers = {k.lower(): v for k, v in github_headers(body, secret, event).items()}
    all_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return HttpRequest("POST", "/webhooks/github", headers=all_headers, body=body, received_at=ARRIVAL)


def test_hmac_matches_githubs_published_vector() -> None:
    vector = load_json(FIXTURES / "webhooks" / "github" / "signature-vector.json")
    assert "sha256=" + hmac_hex(vector["secret"], vector["payload"].encode()) == vector["X-Hub-Signature-256"]


def test_verify_accepts_the_signed_body() -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    github.verify(request(body, "issue_comment"), SECRETS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.__class__(**{**r.__dict__, "body": r.body + b" "}), "does not match"),
        (lambda r: r.__class__(**{**r.__dict__, "headers": {"x-github-event": "ping"}}), "missing"),
        (
            lambda r: r.__class__(**{**r.__dict__, "headers": {**r.headers, "x-hub-signature-256": "sha1=abc"}}),
            "does not start",
        ),
    ],
)
def test_verify_refuses_tampering(mutate: object, message: str) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(InvalidSignature, match=message):
        github.verify(mutate(request(body, "issue_comment")), SECRETS)  # type: ignore[operator]


def test_verify_refuses_another_secret() -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    with pytest.raises(InvalidSignature):
        github.verify(request(body, "issue_comment", secret="other"), SECRETS)


def test_issue_comment_becomes_a_mention() -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    parsed = github.parse(request(body, "issue_comment"))
    [candidate] = parsed.candidates
    mention = candidate.mention
    assert mention.platform == "github"
    assert mention.channel == "github.issue_comment"
    assert mention.kind == "comment"
    assert mention.native_id == "MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA=="
    assert mention.thread_id == "Codertocat/Hello-World#1"
    assert mention.account_id == "Codertocat/Hello-World"
    assert mention.author.handle == "Codertocat"
    assert mention.author.id == "21031067"
    assert mention.from_brand is True  # the repository owner answering
    assert mention.url == "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400"
    assert mention.created_at == datetime(2019, 5, 15, 15, 20, 21, tzinfo=UTC)
    assert mention.received_at == ARRIVAL
    assert candidate.dedupe_key == mention.id  # a fixed-size hash of (platform, native id)


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
    [candidate] = github.parse(request(json.dumps(payload).encode(), "issue_comment")).candidates
    assert (candidate.mention.thread_id, candidate.mention.native_id) == ("octo/widgets#42", "issue_comment:7")


def test_a_comment_by_someone_outside_the_repository_is_not_the_brand() -> None:
    payload = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    payload["comment"]["author_association"] = "NONE"
    [candidate] = github.parse(request(json.dumps(payload).encode(), "issue_comment")).candidates
    assert candidate.mention.from_brand is False


def test_opened_issue_joins_title_and_body_and_shares_the_comments_thread() -> None:
    parsed = github.parse(request(webhook_fixture("github", "issues__opened.payload.json"), "issues"))
    [candidate] = parsed.candidates
    assert candidate.mention.kind == "post"
    assert candidate.mention.text.startswith("Spelling error in the README file\n\nIt looks like")
    assert candidate.mention.thread_id == "Codertocat/Hello-World#1"
    empty = github.parse(request(webhook_fixture("github", "issues__opened.with-empty-body.payload.json"), "issues"))
    assert "\n" not in empty.candidates[0].mention.text


def test_discussion_comment_threads_on_the_discussion() -> None:
    parsed = github.parse(
        request(webhook_fixture("github", "discussion_comment__created.payload.json"), "discussion_comment")
    )
    [candidate] = parsed.candidates
    assert candidate.mention.thread_id == "Codertocat/Hello-World/discussions/4"
    assert candidate.mention.channel == "github.discussion_comment"


def test_form_encoded_delivery_is_read_from_payload_field() -> None:
    raw = webhook_fixture("github", "issue_comment__created.payload.json").decode()
    body = urlencode({"payload": raw}).encode()
    req = request(body, "issue_comment", content_type="application/x-www-form-urlencoded")
    github.verify(req, SECRETS)
    assert len(github.parse(req).candidates) == 1


def test_ping_is_answered_and_other_actions_are_ignored() -> None:
    ping = github.parse(request(webhook_fixture("github", "ping__payload.json"), "ping"))
    assert ping.reply is not None
    assert ping.reply.json["ok"] is True
    assert ping.candidates == []
    edited = github.parse(request(webhook_fixture("github", "issue_comment__edited.payload.json"), "issue_comment"))
    assert (edited.candidates, edited.ignored) == ([], 1)
    other = github.parse(request(b'{"action": "created"}', "star"))
    assert other.ignored == 1


def test_bot_comments_are_ignored() -> None:
    payload = json.loads(webhook_fixture("github", "issue_comment__created.payload.json"))
    payload["comment"]["user"]["type"] = "Bot"
    assert github.parse(request(json.dumps(payload).encode(), "issue_comment")).ignored == 1


@pytest.mark.parametrize(
    ("body", "event"),
    [
        (b"{not json", "issue_comment"),
        (b"[1, 2]", "issue_comment"),
        (b'{"action": "created", "issue": {}}', "issue_comment"),
        (b"payload=%7Bbroken", "issue_comment"),
    ],
)
def test_malformed_bodies_are_bad_requests(body: bytes, event: str) -> None:
    content_type = "application/x-www-form-urlencoded" if body.startswith(b"payload=") else "application/json"
    with pytest.raises(BadRequest):
        github.parse(request(body, event, content_type=content_type))


def test_missing_event_header_is_a_bad_request() -> None:
    req = HttpRequest("POST", "/webhooks/github", headers={"content-type": "application/json"}, body=b"{}")
    with pytest.raises(BadRequest, match="X-GitHub-Event"):
        github.parse(req)


def _published_fixtures() -> list[Path]:
    folder = SHARED_FIXTURES / "github"
    return (
        sorted(folder.glob("*.json"))
        if folder.is_dir()
        else sorted((FIXTURES / "webhooks" / "github").glob("*__*.json"))
    )


@pytest.mark.parametrize("path", _published_fixtures(), ids=lambda p: p.name)
def test_every_published_github_payload_parses_or_is_refused_cleanly(path: Path) -> None:
    event = path.name.split("__", 1)[0]
    try:
        parsed = github.parse(request(path.read_bytes(), event))
    except HarkError as error:
        assert error.status == 400
        return
    for candidate in parsed.candidates:
        assert candidate.mention.text or candidate.mention.kind == "post"
        assert candidate.mention.native_id
