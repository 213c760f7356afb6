"""What every connector test checks the same way: each fixture in the repository has a written expectation of what
it yields (mention by mention, field by field; deletions; notices; the protocol's answer; how many events were
ignored), and the parse must equal it exactly. A parser that returned nothing, or the wrong thread, author or
account, or a message where there was none, fails here.

An expectation is a mention (a dict of its fields) or a list of them, `ignored(n)`, `deleted(...)`, or an
`outcome(...)` that spells out several parts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from services.ingest.platforms.base import Connector, Delivery, Notice, Parsed
from shared.events import Mention

# Fields every expectation spells out; ids, arrival time and hints the platform never sent are checked elsewhere.
FIELDS = (
    "channel",
    "kind",
    "native_id",
    "thread_id",
    "parent_id",
    "account_id",
    "author",
    "from_brand",
    "text",
    "url",
    "attachments",
    "rating",
    "created_at",
    "edited_at",
)


def summary(mention: Mention) -> dict[str, Any]:
    dumped = mention.model_dump(mode="json")
    author = {k: v for k, v in dumped["author"].items() if v is not None}
    out = {field: dumped[field] for field in FIELDS}
    out["author"] = author
    return out


PARTS = ("mentions", "deleted", "ignored", "notices", "answer")


def ignored(count: int = 1) -> dict[str, int]:
    return {"ignored": count}


def deleted(*deletions: tuple[str, str], ignored: int = 0) -> dict[str, Any]:
    """Deletions as (native id, deleted_at ISO time)."""
    return {"deleted": [{"native_id": n, "deleted_at": at} for n, at in deletions], "ignored": ignored}


def outcome(**parts: Any) -> dict[str, Any]:
    unknown = set(parts) - set(PARTS)
    assert not unknown, unknown
    return parts


def notice_summary(notice: Notice) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": notice.kind, "ref": notice.ref, "at": notice.at.isoformat()}
    if notice.account_id is not None:
        out["account_id"] = notice.account_id
    if notice.detail:
        out["detail"] = dict(notice.detail)
    return out


def outcome_of(parsed: Parsed) -> dict[str, Any]:
    return {
        "mentions": [summary(m) for m in parsed.mentions],
        "deleted": [
            {"native_id": d.native_id, "deleted_at": d.deleted_at.isoformat().replace("+00:00", "Z")}
            for d in parsed.deletions
        ],
        "ignored": parsed.ignored,
        "notices": [notice_summary(n) for n in parsed.notices],
        "answer": None if parsed.answer is None else {"body": parsed.answer.body, "type": parsed.answer.content_type},
    }


def expected_outcome(expected: Mapping[str, Any] | list[Mapping[str, Any]]) -> dict[str, Any]:
    if isinstance(expected, list):
        parts: dict[str, Any] = {"mentions": expected}
    elif any(k in PARTS for k in expected):
        parts = dict(expected)
    else:
        parts = {"mentions": [expected]}
    defaults = {"parent_id": None, "url": None, "attachments": [], "rating": None, "edited_at": None}
    return {
        "mentions": [{**defaults, **m} for m in parts.get("mentions", [])],
        "deleted": parts.get("deleted", []),
        "ignored": parts.get("ignored", 0),
        "notices": parts.get("notices", []),
        "answer": parts.get("answer"),
    }


def check_fixture(
    connector: Connector,
    folder: Path,
    name: str,
    expected: Mapping[str, Any] | list[Mapping[str, Any]],
    delivery: Callable[[bytes, str], Delivery],
) -> Parsed:
    parsed = connector.parse(delivery((folder / name).read_bytes(), name))
    assert outcome_of(parsed) == expected_outcome(expected)
    for mention in parsed.mentions:
        assert mention.platform == connector.platform
        assert mention.source == "platform"
    for deletion in parsed.deletions:
        assert deletion.platform == connector.platform
    return parsed


def fixtures_without_expectation(folder: Path, expected: Mapping[str, Any], pattern: str = "*.json") -> set[str]:
    return {p.name for p in folder.glob(pattern)} - set(expected)
