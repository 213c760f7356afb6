"""Google APIs' error document (`{"error": {"code", "message", "status", "errors": [{"reason", "domain"}]}}`),
shared by YouTube and Business Profile."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.respond.outbound.http import HttpAnswer

PACIFIC = ZoneInfo("America/Los_Angeles")


def google_error(answer: HttpAnswer) -> tuple[str, str, str]:
    """(message, reason, status) of a Google error answer."""
    found = answer.object().get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    details = error.get("errors") if isinstance(error.get("errors"), list) else []
    first = details[0] if details and isinstance(details[0], dict) else {}
    message = str(error.get("message") or answer.object().get("raw") or f"HTTP {answer.status}")
    return message, str(first.get("reason") or ""), str(error.get("status") or "")


def next_pacific_midnight(now: datetime) -> datetime:
    """When a Google API's daily quota resets (midnight Pacific time)."""
    local = now.astimezone(PACIFIC)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(now.tzinfo)
