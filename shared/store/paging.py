"""Cursor pagination over several sorted DynamoDB partitions at once.

A listing that spans partitions (feed shards, task statuses) is a k-way merge of one lazy query per partition.
The cursor is the sort key of the last item returned, so a page never repeats or skips an item, and it stays
valid however many items arrive in the meantime.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Generic, TypeVar

from shared.errors import InvalidQuery

T = TypeVar("T")

MAX_PAGE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": sort_key}).encode()).decode().rstrip("=")


_SORT_KEY = re.compile(r"[\w:.#-]{1,200}")
MAX_CURSOR = 400


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    refused = InvalidQuery("the cursor is not one this API issued", parameter="cursor")
    if len(cursor) > MAX_CURSOR:
        raise refused
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = value["k"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise refused from exc
    if not isinstance(key, str) or not _SORT_KEY.fullmatch(key):
        raise refused
    return key


def merge_pages(
    streams: Iterable[Iterable[T]], sort_key: Callable[[T], str], limit: int, *, descending: bool
) -> Page[T]:
    """Take `limit` items from already-sorted streams, in order, and say where the next page starts."""
    merged = heapq.merge(*streams, key=sort_key, reverse=descending)
    taken = list(islice(merged, limit + 1))
    if len(taken) <= limit:
        return Page(taken, None)
    items = taken[:limit]
    return Page(items, encode_cursor(sort_key(items[-1])))


def time_key(moment: datetime) -> str:
    """A fixed-width UTC timestamp whose string order is its time order (a sort-key prefix)."""
    m = moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}Z"
