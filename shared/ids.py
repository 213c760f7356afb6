"""Deterministic ids: the same platform message always gets the same mention id and the same thread always gets
the same task id, so every retry and redelivery lands on the same record instead of creating a second one."""

from __future__ import annotations

import base64
import hashlib


def _digest(*parts: str) -> str:
    raw = hashlib.sha256("\x1f".join(parts).encode()).digest()[:16]
    return base64.b32encode(raw).decode().rstrip("=").lower()


PLATFORM_SOURCE = "platform"


def _namespaced(source: str, *parts: str) -> tuple[str, ...]:
    # What a platform told Hark keeps its historic hash; a partner's submissions hash inside their own namespace,
    # so a partner can never claim a platform message's id or thread.
    return parts if source == PLATFORM_SOURCE else (source, *parts)


def mention_id(platform: str, native_id: str, source: str = PLATFORM_SOURCE) -> str:
    return "m_" + _digest("mention", *_namespaced(source, platform, native_id))


def task_id(platform: str, thread_id: str, source: str = PLATFORM_SOURCE) -> str:
    return "t_" + _digest("task", *_namespaced(source, platform, thread_id))


def shard_of(identifier: str, shards: int) -> int:
    """A stable small integer for spreading one logical partition over several physical ones."""
    return int.from_bytes(hashlib.sha256(identifier.encode()).digest()[:4], "big") % shards


def safety_case_id(task_id: str) -> str:
    """One safety case per conversation thread: a redelivered or later message lands on the same case."""
    return "sc_" + _digest("safety-case", task_id)
