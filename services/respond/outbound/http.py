"""The senders' HTTP client is the shared one (`shared/http.py`): a reply is one request, stdlib only."""

from __future__ import annotations

from shared.http import HttpAnswer, call, post_json, retry_at

__all__ = ["HttpAnswer", "call", "post_json", "retry_at"]
