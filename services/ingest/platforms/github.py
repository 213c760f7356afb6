"""GitHub webhooks: issues, issue and pull-request comments, discussions and their comments.

Signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`. The handshake is a signed `ping`
event. The body is JSON or form-encoded (`payload=<json>`), chosen per hook. GitHub never redelivers on its own,
but a manual redelivery repeats the delivery, and a repository hook and an organisation hook both fire for the
same comment, so duplicates are recognised by the object's global node id, not by the delivery id.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qs

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from services.ingest.platforms.base import (
    WEEK,
    Candidate,
    Parsed,
    build_mention,
    check_prefixed_hex,
    from_iso,
    hmac_hex,
)
from shared.errors import BadRequest, validation_errors
from shared.events import Author
from shared.http import HttpRequest, Reply
from shared.secrets import SecretValues

# Comments by these are the brand's own side of the conversation.
BRAND_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class User(_Model):
    id: int | str
    login: str
    type: str = "User"


class Comment(_Model):
    id: int
    node_id: str | None = None
    body: str | None = None
    html_url: str
    user: User
    created_at: str
    author_association: str = "NONE"
    parent_id: int | None = None


class Issue(_Model):
    id: int
    node_id: str | None = None
    number: int
    title: str
    body: str | None = None
    html_url: str
    user: User
    created_at: str
    author_association: str = "NONE"


class Repository(_Model):
    full_name: str


class ThreadRef(_Model):
    """The issue or discussion a comment belongs to: only its number is needed (the comment is the message)."""

    number: int


class IssueCommentEvent(_Model):
    action: str
    issue: ThreadRef
    comment: Comment
    repository: Repository


class IssuesEvent(_Model):
    action: str
    issue: Issue
    repository: Repository


class DiscussionEvent(_Model):
    action: str
    discussion: Issue
    repository: Repository


class DiscussionCommentEvent(_Model):
    action: str
    discussion: ThreadRef
    comment: Comment
    repository: Repository


class GitHub:
    platform: Literal["github"] = "github"
    content_types = frozenset({"application/json", "application/x-www-form-urlencoded"})
    dedupe_ttl_s = WEEK

    def handshake(self, request: HttpRequest, secrets: SecretValues) -> Reply | None:
        return None

    def verify(self, request: HttpRequest, secrets: SecretValues) -> None:
        expected = hmac_hex(secrets.platform_secret(self.platform), request.body)
        check_prefixed_hex(request.headers.get("x-hub-signature-256"), "sha256=", expected)

    def correlation_id(self, request: HttpRequest) -> str | None:
        return request.headers.get("x-github-delivery")

    def parse(self, request: HttpRequest) -> Parsed:
        event = request.headers.get("x-github-event")
        if not event:
            raise BadRequest("the X-GitHub-Event header is missing")
        payload = _payload(request)
        if event == "ping":
            return Parsed(reply=Reply(json={"ok": True, "zen": payload.get("zen"), "hook_id": payload.get("hook_id")}))
        try:
            candidate = self._candidate(event, payload, request)
        except ValidationError as exc:
            raise BadRequest(f"not a GitHub {event} payload", errors=validation_errors(exc)) from exc
        return Parsed(candidates=[candidate]) if candidate else Parsed(ignored=1)

    def _candidate(self, event: str, payload: dict[str, Any], request: HttpRequest) -> Candidate | None:
        if event == "issue_comment":
            ic = IssueCommentEvent.model_validate(payload)
            if ic.action != "created":
                return None
            return self._comment(
                event, ic.comment, ic.repository, f"{ic.repository.full_name}#{ic.issue.number}", request
            )
        if event == "issues":
            issue_event = IssuesEvent.model_validate(payload)
            if issue_event.action != "opened":
                return None
            issue = issue_event.issue
            return self._post(
                event,
                issue,
                issue_event.repository,
                f"{issue_event.repository.full_name}#{issue.number}",
                request,
            )
        if event == "discussion":
            d = DiscussionEvent.model_validate(payload)
            if d.action != "created":
                return None
            thread = f"{d.repository.full_name}/discussions/{d.discussion.number}"
            return self._post(event, d.discussion, d.repository, thread, request)
        if event == "discussion_comment":
            dc = DiscussionCommentEvent.model_validate(payload)
            if dc.action != "created":
                return None
            thread = f"{dc.repository.full_name}/discussions/{dc.discussion.number}"
            return self._comment(event, dc.comment, dc.repository, thread, request)
        return None

    def _comment(
        self, event: str, comment: Comment, repo: Repository, thread: str, request: HttpRequest
    ) -> Candidate | None:
        if comment.user.type == "Bot":
            return None
        native_id = comment.node_id or f"{event}:{comment.id}"
        mention = build_mention(
            platform=self.platform,
            channel=f"github.{event}",
            kind="comment",
            native_id=native_id,
            thread_id=thread,
            parent_id=str(comment.parent_id) if comment.parent_id else None,
            account_id=repo.full_name,
            author=Author(id=str(comment.user.id), handle=comment.user.login),
            from_brand=comment.author_association in BRAND_ASSOCIATIONS,
            text=comment.body or "",
            url=comment.html_url,
            created_at=from_iso(comment.created_at),
            received_at=request.received_at,
        )
        return Candidate.new_message(mention)

    def _post(self, event: str, post: Issue, repo: Repository, thread: str, request: HttpRequest) -> Candidate | None:
        if post.user.type == "Bot":
            return None
        native_id = post.node_id or f"{event}:{post.id}"
        text = post.title if not post.body else f"{post.title}\n\n{post.body}"
        mention = build_mention(
            platform=self.platform,
            channel=f"github.{event}",
            kind="post",
            native_id=native_id,
            thread_id=thread,
            account_id=repo.full_name,
            author=Author(id=str(post.user.id), handle=post.user.login),
            from_brand=post.author_association in BRAND_ASSOCIATIONS,
            text=text,
            url=post.html_url,
            created_at=from_iso(post.created_at),
            received_at=request.received_at,
        )
        return Candidate.new_message(mention)


def _payload(request: HttpRequest) -> dict[str, Any]:
    raw = request.body
    if request.content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(raw.decode("utf-8", errors="replace"))
        if "payload" not in fields:
            raise BadRequest("a form-encoded GitHub delivery carries its JSON in the `payload` field")
        raw = fields["payload"][0].encode()
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise BadRequest("a GitHub delivery is a JSON object")
    return payload
