"""The Graph API adapter for Instagram mentions: the comment or caption a mention webhook names.

`GET {base}/v21.0/{ig-user-id}?fields=mentioned_comment.comment_id(<id>){...}` (or `mentioned_media.media_id`) with
the Meta token (`tokens.meta`, `HARK_TOKEN_META`; it needs `instagram_basic` and `instagram_manage_comments`).
The base URL is `HARK_API_BASE_META` (default `https://graph.facebook.com`), so tests point it at a local fake.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from services.ingest.platforms.base import from_iso, text_or_none
from services.ingest.platforms.meta import Mentioned
from shared.errors import InvalidBody, NotConfigured, Unavailable
from shared.http import open_url

API_BASE = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"
TIMEOUT_S = 5.0
GONE = 100  # "Unsupported get request / object does not exist"
BAD_TOKEN = frozenset({102, 190})


class GraphInstagramMentions:
    def __init__(self, base_url: str, token: Callable[[], str], timeout: float = TIMEOUT_S) -> None:
        self._base = f"{base_url.rstrip('/')}/{GRAPH_VERSION}"
        self._token = token
        self._timeout = timeout

    def comment(self, account: str, comment_id: str) -> Mentioned | None:
        fields = f"mentioned_comment.comment_id({comment_id}){{id,text,username,timestamp,media{{id,permalink}}}}"
        found = self._get(account, fields, "mentioned_comment")
        if found is None:
            return None
        raw_media = found.get("media")
        media: dict[str, Any] = raw_media if isinstance(raw_media, dict) else {}
        return _mentioned(found, text_or_none(found.get("text")), media.get("id"), media.get("permalink"))

    def media(self, account: str, media_id: str) -> Mentioned | None:
        fields = f"mentioned_media.media_id({media_id}){{id,caption,username,timestamp,permalink}}"
        found = self._get(account, fields, "mentioned_media")
        if found is None:
            return None
        return _mentioned(found, text_or_none(found.get("caption")), found.get("id"), found.get("permalink"))

    def _get(self, account: str, fields: str, key: str) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({"fields": fields})
        request = urllib.request.Request(  # noqa: S310 - the configured API base
            f"{self._base}/{urllib.parse.quote(account, safe='')}?{query}",
            headers={"Authorization": f"Bearer {self._token()}", "Accept": "application/json"},
        )
        try:
            with open_url(request, timeout=self._timeout) as response:
                document = json.loads(response.read())
        except urllib.error.HTTPError as error:
            code = _graph_code(error)
            if error.code == 400 and code == GONE:
                return None
            if error.code in (401, 403) or code in BAD_TOKEN:
                raise NotConfigured(f"the Graph API refused Hark's Meta token ({error.code})") from error
            raise Unavailable(f"the Graph API answered {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise Unavailable("the Graph API could not be reached or answered garbage") from error
        found = document.get(key) if isinstance(document, dict) else None
        if not isinstance(found, dict) or not found.get("id"):
            raise Unavailable(f"the Graph API answered without {key}")
        return found


def _graph_code(error: urllib.error.HTTPError) -> int | None:
    try:
        code = json.loads(error.read()).get("error", {}).get("code")
    except (ValueError, AttributeError, OSError):
        return None
    return code if isinstance(code, int) else None


def _mentioned(found: dict[str, Any], text: str | None, media_id: Any, permalink: Any) -> Mentioned:
    try:
        created = from_iso(found["timestamp"]) if isinstance(found.get("timestamp"), str) else None
    except InvalidBody:
        created = None
    return Mentioned(
        id=str(found["id"]),
        text=text or "",
        username=text_or_none(found.get("username")),
        created_at=created,
        media_id=str(media_id) if media_id else None,
        permalink=text_or_none(permalink),
    )
