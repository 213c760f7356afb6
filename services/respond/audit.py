"""The audit log (pure part): entries, their hash chain, the before/after of a change, and the personal content
an entry holds only by reference.

Every change to a task is one entry in the task's stream, numbered from 1 (the task's version after the change),
written in the same DynamoDB transaction as the task and only if that number is not taken. Each entry's hash
covers its content and the previous entry's hash, so an edited entry, a removed one or a gap shows when the
stream is verified. The configuration has its own stream (`config`), erasures theirs (`erasures`), each safety
case its own (its id).

Audit and erasure coexist by keeping people's words out of the chain. `hold_apart` moves every value that is not
on a short list of workflow facts (status, queue, holder, priorities, times, revision numbers...) into a separate
record, salted, and leaves in the entry the paths it moved (`sealed`) and the SHA-256 of salt and values
(`content_hash`), which the entry's own hash covers. Erasure deletes the separate record: the entry still says who
did what and when, the chain still verifies, and what was said is gone (the salt went with it, so the digest
cannot be matched against a guess). While the record is there, `restore` checks it against the digest.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from shared.api.models import AuditEntry

CONFIG_STREAM = "config"
ERASURE_STREAM = "erasures"
# What changes on every write, or is derived: not worth a line in the trail.
NOISE = frozenset({"updated_at", "version", "audit_hash", "actions", "lease_until", "due_at", "window", "rank"})

# Workflow facts that stay in the entry: no one's words, names or platform identifiers. Everything else is kept
# apart (a new field is personal until it is listed here).
INLINE_FIELDS = frozenset(
    {
        # tasks
        "id", "status", "priority", "queue", "route_rule", "holder", "held_since", "approval_tiers", "approvals",
        "sla", "sla_state", "window_closes_at", "last_customer_at", "responded_at", "snoozed_until", "closed_at",
        "cycle", "notes", "mention_count", "mention_ids", "preview_mention_id", "reply_to", "language", "intent",
        "channel", "kind", "platform", "source", "account_id", "created_at", "safety_case_id", "crisis_incident_id",
        # safety cases
        "task_id", "day0", "reporting_days", "valid", "missing", "reaction_score", "new_information_at",
    }
)  # fmt: skip
INLINE_DETAIL = frozenset(
    {
        "mention_id", "draft_revision", "revision", "warnings", "via", "platform_id", "tag", "reason", "user",
        "until", "at", "note", "mentions", "code", "retry", "erasure_id", "case_id", "outcome", "channel",
        "confirms", "kind", "within_deadline", "reference", "status", "sections",
    }
)  # fmt: skip
_PARTS = ("before", "after", "detail")


def hour_of(moment: datetime) -> str:
    """The UTC hour an entry was written in, as the export names it: `2026-12-02T06`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _canonical(entry: AuditEntry) -> bytes:
    # Fields added after the first entries were written are left out while empty, so those entries still verify.
    left_out = {"hash", "content"} | (
        {"sealed", "content_hash"} if not entry.sealed and not entry.content_hash else set()
    )
    body = entry.model_dump(mode="json", exclude=left_out)
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class Content:
    """The personal values of one entry, kept apart (`audit-content`), with the salt of their digest."""

    stream: str
    seq: int
    salt: str
    values: dict[str, dict[str, Any]]


def content_digest(salt: str, values: Mapping[str, Any]) -> str:
    return hashlib.sha256(salt.encode() + b"\x1f" + orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()


def hold_apart(
    entry: AuditEntry, inline_fields: frozenset[str] = INLINE_FIELDS, inline_detail: frozenset[str] = INLINE_DETAIL
) -> tuple[AuditEntry, Content | None]:
    """The entry with its personal values moved out, sealed again; and those values (None: there were none)."""
    kept: dict[str, dict[str, Any]] = {}
    moved: dict[str, dict[str, Any]] = {}
    for part in _PARTS:
        allowed = inline_detail if part == "detail" else inline_fields
        values: dict[str, Any] = getattr(entry, part)
        kept[part] = {k: v for k, v in values.items() if k in allowed}
        apart = {k: v for k, v in values.items() if k not in allowed and v not in (None, "", [], {})}
        if apart:
            moved[part] = apart
        # A value that was empty carries nothing personal; it stays, so the entry still shows what changed.
        kept[part].update({k: v for k, v in values.items() if k not in allowed and k not in apart})
    if not moved:
        return seal(entry), None
    salt = secrets.token_hex(16)
    stripped = entry.model_copy(
        update={
            **kept,
            "sealed": sorted(f"{part}.{key}" for part, values in moved.items() for key in values),
            "content_hash": content_digest(salt, moved),
            "content": "inline",
        }
    )
    return seal(stripped), Content(entry.stream, entry.seq, salt, moved)


def restore(entry: AuditEntry, content: Content | None) -> tuple[AuditEntry, list[str]]:
    """The entry as it was written, when its content is still kept (and intact); else marked erased."""
    if not entry.sealed:
        return entry, []
    if content is None:
        return entry.model_copy(update={"content": "erased"}), []
    if content_digest(content.salt, content.values) != entry.content_hash:
        return entry.model_copy(update={"content": "erased"}), [f"entry {entry.seq}'s content was altered"]
    merged = {part: {**getattr(entry, part), **content.values.get(part, {})} for part in _PARTS}
    return entry.model_copy(update={**merged, "content": "kept"}), []


def stream_kind(stream: str) -> str:
    """`task`, `safety_case`, `config` or `erasure`: what a stream records."""
    if stream.startswith("t_"):
        return "task"
    if stream.startswith("sc_"):
        return "safety_case"
    if stream == ERASURE_STREAM:
        return "erasure"
    return "config" if stream == CONFIG_STREAM else "other"


def seal(entry: AuditEntry) -> AuditEntry:
    digest = hashlib.sha256(entry.prev_hash.encode() + b"\x1f" + _canonical(entry)).hexdigest()
    return entry.model_copy(update={"hash": digest})


class Tracked(Protocol):
    """What has an audit stream: a task, a safety case."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def audit_hash(self) -> str: ...
    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


# What changes on every write of a safety case, or is derived when it is read.
CASE_NOISE = frozenset({"updated_at", "version", "audit_hash", "actions", "days_left", "overdue"})


def diff(
    before: Tracked | None, after: Tracked, noise: frozenset[str] = NOISE
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that changed, as they were and as they are."""
    new = after.model_dump(mode="json")
    old = before.model_dump(mode="json") if before is not None else {}
    keys = [k for k in new if k not in noise and old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys if k in old}, {k: new[k] for k in keys}


def entry_for(
    before: Tracked | None,
    after: Tracked,
    *,
    actor: str,
    action: str,
    at: datetime,
    detail: Mapping[str, Any] | None = None,
    noise: frozenset[str] = NOISE,
) -> AuditEntry:
    old, new = diff(before, after, noise)
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
