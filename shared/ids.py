"""Deterministic ids: the same platform message always gets the same mention id and the same thread always gets
the same task id, so every retry and redelivery lands on the same record instead of creating a second one."""

from __future__ import annotations

import base64
import hashlib


def _digest(*parts: str) -> str:
    raw = hashlib.sha256("\x1f".join(parts).encode()).digest()[:16]
    return base64.b32encode(raw).decode().rstrip("=").lower()


def mention_id(platform: str, native_id: str) -> str:
    return "m_" + _digest("mention", platform, native_id)


def task_id(platform: str, thread_id: str) -> str:
    return "t_" + _digest("task", platform, thread_id)


def shard_of(identifier: str, shards: int) -> int:
    """A stable small integer for spreading one logical partition over several physical ones."""
    return int.from_bytes(hashlib.sha256(identifier.encode()).digest()[:4], "big") % shards
