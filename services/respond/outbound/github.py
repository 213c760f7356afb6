"""GitHub: a comment on the issue or pull request (REST), or on the discussion (GraphQL `addDiscussionComment`,
threaded under the comment answered when it is a top-level one). Tokens: an App installation token or a PAT with
`issues:write` / `discussions:write`."""

from __future__ import annotations

import re
from typing import Any

from services.respond.outbound import Delivered, Outbound, RulesOf
from services.respond.outbound.http import HttpAnswer, post_json, retry_at
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://api.github.com"
API_VERSION = "2022-11-28"
ISSUE = re.compile(r"^(?P<owner>[^/#]+)/(?P<repo>[^/#]+)#(?P<number>\d+)$")
DISCUSSION = re.compile(r"^(?P<owner>[^/#]+)/(?P<repo>[^/#]+)/discussions/(?P<number>\d+)$")


class GitHubSender(RulesOf):
    platform = "github"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "hark",
        }

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        token = credential.access_token
        issue = ISSUE.match(reply.thread_id)
        if issue:
            url = f"{self._base}/repos/{issue['owner']}/{issue['repo']}/issues/{issue['number']}/comments"
            answer = post_json(url, {"body": reply.text}, self._headers(token), self.platform)
            if answer.status != 201 or not isinstance(answer.body, dict):
                raise refusal(answer)
            return Delivered(str(answer.body.get("node_id") or answer.body.get("id")), answer.body.get("html_url"))
        discussion = DISCUSSION.match(reply.thread_id)
        if discussion:
            return self._discussion(discussion, reply, token)
        raise PlatformRefused(
            f"cannot tell which GitHub issue or discussion {reply.thread_id[:100]} is",
            platform=self.platform,
            code="unknown_thread",
            message=reply.thread_id[:200],
            retryable=False,
            status=None,
        )

    def _graphql(self, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
        answer = post_json(
            f"{self._base}/graphql", {"query": query, "variables": variables}, self._headers(token), self.platform
        )
        if answer.status != 200 or not isinstance(answer.body, dict):
            raise refusal(answer)
        if answer.body.get("errors"):
            first = answer.body["errors"][0]
            kind = str(first.get("type") or "graphql_error").lower()
            raise PlatformRefused(
                f"GitHub refused: {first.get('message')}",
                platform=self.platform,
                code=kind,
                message=str(first.get("message"))[:500],
                retryable=kind == "rate_limited",
                status=answer.status,
            )
        data = answer.body.get("data")
        return data if isinstance(data, dict) else {}

    def _discussion(self, match: re.Match[str], reply: Outbound, token: str) -> Delivered:
        found = self._graphql(
            "query($owner:String!,$name:String!,$number:Int!){repository(owner:$owner,name:$name)"
            "{discussion(number:$number){id}}}",
            {"owner": match["owner"], "name": match["repo"], "number": int(match["number"])},
            token,
        )
        discussion = ((found.get("repository") or {}).get("discussion") or {}).get("id")
        if not discussion:
            raise PlatformRefused(
                "GitHub has no such discussion",
                platform=self.platform,
                code="not_found",
                message=reply.thread_id[:200],
                retryable=False,
                status=404,
            )
        variables: dict[str, Any] = {"discussionId": discussion, "body": reply.text}
        if reply.kind == "comment" and reply.reply_to and reply.reply_to.startswith("DC_"):
            variables["replyToId"] = reply.reply_to
        made = self._graphql(
            "mutation($discussionId:ID!,$body:String!,$replyToId:ID){addDiscussionComment(input:"
            "{discussionId:$discussionId,body:$body,replyToId:$replyToId}){comment{id url}}}",
            variables,
            token,
        )
        comment = ((made.get("addDiscussionComment") or {}).get("comment")) or {}
        if not comment.get("id"):
            raise PlatformRefused(
                "GitHub did not return the comment",
                platform=self.platform,
                code="no_comment",
                message="",
                retryable=True,
                status=200,
            )
        return Delivered(str(comment["id"]), comment.get("url"))


def refusal(answer: HttpAnswer) -> PlatformRefused:
    body = answer.body if isinstance(answer.body, dict) else {}
    message = str(body.get("message") or body.get("raw") or f"HTTP {answer.status}")[:500]
    status = answer.status
    if status == 429 or (
        status == 403 and (answer.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower())
    ):
        code, retryable = "rate_limited", True
    elif status == 401:
        code, retryable = "bad_credentials", False
    elif status == 403:
        code, retryable = "forbidden", False
    elif status in (404, 410):
        code, retryable = "not_found", False
    elif status == 422:
        code, retryable = "unprocessable", False
    elif status >= 500:
        code, retryable = "platform_error", True
    else:
        code, retryable = f"http_{status}", False
    extra: dict[str, Any] = {}
    if code == "rate_limited":
        when = retry_at(answer.headers, utcnow(), reset="x-ratelimit-reset")
        if when is not None:
            extra["retry_at"] = when.isoformat()
    return PlatformRefused(
        f"GitHub refused the reply: {message}",
        platform="github",
        code=code,
        message=message,
        retryable=retryable,
        status=status,
        **extra,
    )
