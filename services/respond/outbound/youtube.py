"""YouTube Data API v3: a reply to a comment (`comments.insert`, under the thread's top-level comment: YouTube
threads one level deep) or, for a video, a new comment thread on it (`commentThreads.insert`). OAuth token with
`youtube.force-ssl`, refreshed hourly (shared/tokens.py). Each insert costs 50 units of the day's 10,000: a
`quotaExceeded` refusal says when the quota resets (midnight Pacific)."""

from __future__ import annotations

from services.respond.outbound import Delivered, Outbound, RulesOf, context_value
from services.respond.outbound.google_errors import google_error, next_pacific_midnight
from services.respond.outbound.http import HttpAnswer, call, retry_at
from services.respond.outbound.refusals import by_status, refused, unknown_thread
from shared.credentials import Credential
from shared.errors import PlatformRefused
from shared.events import utcnow

DEFAULT_BASE = "https://www.googleapis.com"
REASONS = {
    "quotaExceeded": "rate_limited",
    "rateLimitExceeded": "rate_limited",
    "userRateLimitExceeded": "rate_limited",
    "commentsDisabled": "window_closed",
    "commentTextTooLong": "too_long",
    "parentCommentNotFound": "not_found",
    "commentNotFound": "not_found",
    "videoNotFound": "not_found",
    "channelNotFound": "not_found",
    "forbidden": "forbidden",
    "insufficientPermissions": "forbidden",
    "ineligibleAccount": "forbidden",
    "authError": "bad_credentials",
}


class YouTubeSender(RulesOf):
    platform = "youtube"

    def __init__(self, base: str | None = None) -> None:
        self._base = (base or DEFAULT_BASE).rstrip("/")

    def send(self, reply: Outbound, credential: Credential) -> Delivered:
        headers = {"Authorization": f"Bearer {credential.access_token}"}
        video = context_value(reply, "video_id")
        if reply.kind == "post" and video:
            answer = call(
                "POST",
                f"{self._base}/youtube/v3/commentThreads?part=snippet",
                self.platform,
                json_body={"snippet": {"videoId": video, "topLevelComment": {"snippet": {"textOriginal": reply.text}}}},
                headers=headers,
            )
        else:
            # Replies go under the top-level comment, whichever comment in the thread is answered.
            parent = context_value(reply, "top_level_comment_id") or reply.thread_id or reply.reply_to
            if not parent:
                raise unknown_thread(self.platform, "no YouTube comment to reply under")
            answer = call(
                "POST",
                f"{self._base}/youtube/v3/comments?part=snippet",
                self.platform,
                json_body={"snippet": {"parentId": parent, "textOriginal": reply.text}},
                headers=headers,
            )
        made = str(answer.object().get("id") or "")
        if answer.ok and made:
            url = f"https://www.youtube.com/watch?v={video}&lc={made}" if video else None
            return Delivered(made, url)
        raise refusal(answer)


def refusal(answer: HttpAnswer) -> PlatformRefused:
    message, reason, _status = google_error(answer)
    code = REASONS.get(reason)
    now = utcnow()
    if reason == "quotaExceeded":
        return refused(
            "youtube",
            "rate_limited",
            f"{message} ({reason})",
            status=answer.status,
            retry_at=next_pacific_midnight(now),
            reason="YouTube's daily API quota is spent; it resets at midnight Pacific time",
        )
    if code is not None:
        when = retry_at(answer.headers, now) if code == "rate_limited" else None
        return refused("youtube", code, f"{message} ({reason})", status=answer.status, retry_at=when)
    return by_status("youtube", answer, message, retry_at(answer.headers, now))
