"""Source health (pure): what respond knows of each source it hears and answers on.

Facts arrive from two places. Ingest's `source.observed` events say when deliveries were verified (or refused),
polls made, and when a platform ended a subscription; respond's own sends say when a reply went out or was refused.
A source is `unhealthy` when its credential was refused and cannot be refreshed (it stays so until the secret holds
another credential: its fingerprint differs) or when the platform ended the subscription (until a delivery
succeeds again); replies to an unhealthy source are not attempted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.models import Source, SourceCredential, SourceError
from shared.credentials import Credential
from shared.events import SourceObservation

Where = Literal["delivery", "poll", "send", "token", "notice"]


class Unhealthy(BaseModel):
    model_config = ConfigDict(frozen=True)

    since: datetime
    where: Literal["token", "notice"]
    code: str
    reason: str
    fingerprint: str | None = Field(default=None, description="The refused credential (token problems).")


class SourceState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    platform: str
    last_delivery_at: datetime | None = None
    last_poll_at: datetime | None = None
    last_send_at: datetime | None = None
    deliveries: int = 0
    polls: int = 0
    sends: int = 0
    send_failures: int = 0
    last_error: SourceError | None = None
    unhealthy: Unhealthy | None = None


def _later(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at > current else current


def _error(state: SourceState, where: Where, at: datetime, code: str, message: str) -> SourceError | None:
    if state.last_error is not None and state.last_error.at > at:
        return state.last_error
    return SourceError(at=at, where=where, code=code[:64], message=message[:500])


def observed(state: SourceState, seen: SourceObservation) -> SourceState:
    update: dict[str, object] = {}
    if seen.activity == "delivery":
        update["deliveries"] = state.deliveries + seen.count
        if seen.ok:
            update["last_delivery_at"] = _later(state.last_delivery_at, seen.at)
    elif seen.activity == "poll":
        update["polls"] = state.polls + seen.count
        if seen.ok:
            update["last_poll_at"] = _later(state.last_poll_at, seen.at)
    if not seen.ok:
        where: Where = seen.activity
        update["last_error"] = _error(state, where, seen.at, seen.code or "error", seen.message or "")
    if seen.activity == "notice" and not seen.ok:
        update["unhealthy"] = Unhealthy(
            since=seen.at,
            where="notice",
            code=seen.code or "ended",
            reason=f"{seen.platform} ended Hark's subscription ({seen.code}): {seen.message or 'subscribe again'}",
        )
    elif (
        seen.ok
        and state.unhealthy is not None
        and state.unhealthy.where == "notice"
        and seen.at > state.unhealthy.since
    ):
        update["unhealthy"] = None  # the platform delivers again
    return state.model_copy(update=update)


def sent(state: SourceState, at: datetime) -> SourceState:
    healed = state.unhealthy if state.unhealthy is not None and state.unhealthy.where == "notice" else None
    return state.model_copy(
        update={"last_send_at": _later(state.last_send_at, at), "sends": state.sends + 1, "unhealthy": healed}
    )


def send_failed(state: SourceState, at: datetime, code: str, message: str) -> SourceState:
    return state.model_copy(
        update={"send_failures": state.send_failures + 1, "last_error": _error(state, "send", at, code, message)}
    )


def revoked(state: SourceState, at: datetime, code: str, reason: str, fingerprint: str | None) -> SourceState:
    keep = (
        state.unhealthy is not None and state.unhealthy.where == "token" and state.unhealthy.fingerprint == fingerprint
    )
    return state.model_copy(
        update={
            "unhealthy": state.unhealthy
            if keep
            else Unhealthy(since=at, where="token", code=code, reason=reason, fingerprint=fingerprint),
            "last_error": _error(state, "token", at, code, reason),
        }
    )


def blocks(state: SourceState | None, credential: Credential | None) -> Unhealthy | None:
    """Why a reply must not be attempted: the credential the platform refused is still the one configured."""
    if state is None or state.unhealthy is None or state.unhealthy.where != "token":
        return None
    if credential is not None and credential.fingerprint != state.unhealthy.fingerprint:
        return None  # someone stored a new credential: try it
    return state.unhealthy


def view(platform: str, state: SourceState | None, credential: Credential | None, refreshable: bool) -> Source:
    state = state or SourceState(id=platform, platform=platform)
    problem = state.unhealthy
    if problem is not None and problem.where == "token" and blocks(state, credential) is None:
        problem = None
    seen = state.last_delivery_at or state.last_poll_at or state.last_send_at or state.last_error
    health: Literal["ok", "unhealthy", "unknown"] = "unhealthy" if problem else ("ok" if seen else "unknown")
    return Source(
        id=state.id,
        platform=platform,
        health=health,
        reason=problem.reason if problem else None,
        unhealthy_since=problem.since if problem else None,
        last_delivery_at=state.last_delivery_at,
        last_poll_at=state.last_poll_at,
        last_send_at=state.last_send_at,
        last_error=state.last_error,
        deliveries=state.deliveries,
        polls=state.polls,
        sends=state.sends,
        send_failures=state.send_failures,
        credential=SourceCredential(
            configured=True,
            refreshable=refreshable,
            expires_at=credential.expires_at,
            refreshed_at=credential.refreshed_at,
        )
        if credential is not None
        else SourceCredential(configured=False, refreshable=False),
    )
