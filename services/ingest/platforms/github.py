"""GitHub webhooks: issues, issue and pull-delivery comments, discussions and their comments.

Signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`. The handshake is a signed `ping`
event. The body is JSON or form-encoded (`payload=<json>`), chosen per hook. GitHub never redelivers on its own,
but a manual redelivery repeats the delivery, and a repository hook and an organisation hook both fire for the
same comment, so duplicates are recognised by the object's global node id, not by the delivery id.

An `edited` issue, discussion or comment is the same mention with `edited_at` (its `updated_at`); a `deleted` one is
a deletion. Every other action (labels, assignments, locks, answers) is acknowledged and ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs

import orjson
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Parsed,
    Person,
    build_deletion,
    build_mention,
    check_prefixed_hex,
    from_iso,
    hmac_hex,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidHeader, validation_errors
from shared.events import Mention, MentionDeletion
from shared.secrets import SecretValues

# Comments by these are the brand's own side of the conversation.
BRAND_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
# What a new message is called, per event; `edited` and `deleted` are the same for all.
CREATED = {"issue_comment": "created", "issues": "opened", "discussion": "created", "discussion_comment": "created"}
Found = Mention | MentionDeletion | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class User(_Model):
    id: StrictInt | StrictStr
    login: str
    type: str = "User"


class Comment(_Model):
    id: StrictInt
    node_id: str | None = None
    body: str | None = None
    html_url: str
    user: User
    created_at: str
    updated_at: str | None = None
    author_association: str = "NONE"
    parent_id: StrictInt | None = None


class Issue(_Model):
    id: StrictInt
    node_id: str | None = None
    number: StrictInt
    title: str
    body: str | None = None
    html_url: str
    user: User
    created_at: str
    updated_at: str | None = None
    author_association: str = "NONE"


class Repository(_Model):
    full_name: str


class ThreadRef(_Model):
    """The issue or discussion a comment belongs to: only its number is needed (the comment is the message)."""

    number: StrictInt


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

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None  # GitHub checks a new hook with a signed `ping` delivery instead

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        expected = hmac_hex(secrets.platform_secret(self.platform), delivery.body)
        check_prefixed_hex(delivery.headers.get("x-hub-signature-256"), "sha256=", expected)

    def delivery_id(self, delivery: Delivery) -> str | None:
        return delivery.headers.get("x-github-delivery")

    def parse(self, delivery: Delivery) -> Parsed:
        event = delivery.headers.get("x-github-event")
        if not event:
            raise InvalidHeader("the X-GitHub-Event header is missing")
        payload = _payload(delivery)
        if event == "ping":
            pong = {"ok": True, "zen": text_or_none(payload.get("zen")), "hook_id": payload.get("hook_id")}
            return Parsed(answer=Answer(orjson.dumps(pong).decode(), "application/json"))
        action = payload.get("action")
        if event not in CREATED or action not in (CREATED[event], "edited", "deleted"):
            return Parsed(ignored=1)
        try:
            found = self._found(event, str(action), payload, delivery)
        except ValidationError as exc:
            raise InvalidBody(f"not a GitHub {event[:40]} payload", errors=validation_errors(exc)) from exc
        if isinstance(found, Mention):
            return Parsed(mentions=[found])
        if isinstance(found, MentionDeletion):
            return Parsed(deletions=[found])
        return Parsed(ignored=1)

    def _found(self, event: str, action: str, payload: dict[str, Any], delivery: Delivery) -> Found:
        if event == "issue_comment":
            ic = IssueCommentEvent.model_validate(payload)
            thread = f"{ic.repository.full_name}#{ic.issue.number}"
            return self._comment(event, action, ic.comment, ic.repository, thread, delivery)
        if event == "issues":
            issue_event = IssuesEvent.model_validate(payload)
            thread = f"{issue_event.repository.full_name}#{issue_event.issue.number}"
            return self._post(event, action, issue_event.issue, issue_event.repository, thread, delivery)
        if event == "discussion":
            d = DiscussionEvent.model_validate(payload)
            thread = f"{d.repository.full_name}/discussions/{d.discussion.number}"
            return self._post(event, action, d.discussion, d.repository, thread, delivery)
        dc = DiscussionCommentEvent.model_validate(payload)
        thread = f"{dc.repository.full_name}/discussions/{dc.discussion.number}"
        return self._comment(event, action, dc.comment, dc.repository, thread, delivery)

    def _comment(
        self, event: str, action: str, comment: Comment, repo: Repository, thread: str, delivery: Delivery
    ) -> Found:
        native_id = comment.node_id or f"{event}:{comment.id}"
        if action == "deleted":
            return build_deletion(self.platform, native_id, delivery.received_at, delivery.received_at)
        if comment.user.type == "Bot":
            return None
        return build_mention(
            platform=self.platform,
            channel=f"github.{event}",
            kind="comment",
            native_id=native_id,
            thread_id=thread,
            parent_id=str(comment.parent_id) if comment.parent_id else None,
            account_id=repo.full_name,
            author=Person(id=str(comment.user.id), handle=comment.user.login),
            from_brand=comment.author_association in BRAND_ASSOCIATIONS,
            text=comment.body or "",
            url=comment.html_url,
            created_at=from_iso(comment.created_at),
            received_at=delivery.received_at,
            edited_at=_edited_at(action, comment.updated_at, delivery),
        )

    def _post(self, event: str, action: str, post: Issue, repo: Repository, thread: str, delivery: Delivery) -> Found:
        native_id = post.node_id or f"{event}:{post.id}"
        if action == "deleted":
            return build_deletion(self.platform, native_id, delivery.received_at, delivery.received_at)
        if post.user.type == "Bot":
            return None
        text = post.title if not post.body else f"{post.title}\n\n{post.body}"
        return build_mention(
            platform=self.platform,
            channel=f"github.{event}",
            kind="post",
            native_id=native_id,
            thread_id=thread,
            account_id=repo.full_name,
            author=Person(id=str(post.user.id), handle=post.user.login),
            from_brand=post.author_association in BRAND_ASSOCIATIONS,
            text=text,
            url=post.html_url,
            created_at=from_iso(post.created_at),
            received_at=delivery.received_at,
            edited_at=_edited_at(action, post.updated_at, delivery),
        )


def _edited_at(action: str, updated_at: str | None, delivery: Delivery) -> datetime | None:
    if action != "edited":
        return None
    return from_iso(updated_at) if updated_at else delivery.received_at


def _payload(delivery: Delivery) -> dict[str, Any]:
    raw = delivery.body
    if delivery.content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(raw.decode("utf-8", errors="replace"))
        if "payload" not in fields:
            raise InvalidBody("a form-encoded GitHub delivery carries its JSON in the `payload` field")
        raw = fields["payload"][0].encode()
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidBody("a GitHub delivery is a JSON object")
    return payload
