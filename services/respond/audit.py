"""The audit log (pure part): entries, their hash chain, and the before/after of a change.

Every change to a task is one entry in the task's stream, numbered from 1 (the task's version after the change),
written in the same DynamoDB transaction as the task and only if that number is not taken. Each entry's hash
covers its content and the previous entry's hash, so an edited entry, a removed one or a gap shows when the
stream is verified. The configuration has its own stream (`config`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson

from shared.api.models import AuditEntry
from shared.events import Task

CONFIG_STREAM = "config"
# What changes on every write, or is derived: not worth a line in the trail.
NOISE = frozenset({"updated_at", "version", "audit_hash", "actions", "lease_until", "due_at", "window", "rank"})


def _canonical(entry: AuditEntry) -> bytes:
    body = entry.model_dump(mode="json", exclude={"hash"})
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def seal(entry: AuditEntry) -> AuditEntry:
    digest = hashlib.sha256(entry.prev_hash.encode() + b"\x1f" + _canonical(entry)).hexdigest()
    return entry.model_copy(update={"hash": digest})


def diff(before: Task | None, after: Task) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that changed, as they were and as they are."""
    new = after.model_dump(mode="json")
    old = before.model_dump(mode="json") if before is not None else {}
    keys = [k for k in new if k not in NOISE and old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys if k in old}, {k: new[k] for k in keys}


def entry_for(
    before: Task | None,
    after: Task,
    *,
    actor: str,
    action: str,
    at: datetime,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    old, new = diff(before, after)
    return seal(
        AuditEntry(
            stream=after.id,
            seq=after.version + 1,
            at=at,
            actor=actor,
            action=action,
            before=old,
            after=new,
            detail=dict(detail or {}),
            prev_hash=after.audit_hash,
        )
    )


def verify(entries: Iterable[AuditEntry], prev_hash: str | None = None, first_seq: int | None = None) -> list[str]:
    """What is wrong with a run of consecutive entries: edited content, a broken link, a gap. Empty: intact."""
    problems: list[str] = []
    expected_seq = first_seq
    previous = prev_hash
    for entry in entries:
        if expected_seq is not None and entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (found {entry.seq})")
        if previous is not None and entry.prev_hash != previous:
            problems.append(f"entry {entry.seq} does not follow entry {entry.seq - 1}")
        if seal(entry).hash != entry.hash:
            problems.append(f"entry {entry.seq} was altered")
        expected_seq, previous = entry.seq + 1, entry.hash
    return problems
