"""What every connector test checks the same way: each fixture in the repository has a written expectation of what
it yields (mention by mention, field by field, or "ignored"), and the parse must equal it exactly. A parser that
returned nothing, or the wrong thread, author or account, fails here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from services.ingest.platforms.base import Connector, Delivery, Parsed
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


def ignored(count: int = 1) -> dict[str, int]:
    return {"ignored": count}


def check_fixture(
    connector: Connector,
    folder: Path,
    name: str,
    expected: Mapping[str, Any] | list[Mapping[str, Any]],
    delivery: Callable[[bytes, str], Delivery],
) -> Parsed:
    parsed = connector.parse(delivery((folder / name).read_bytes(), name))
    if isinstance(expected, dict) and "ignored" in expected:
        assert parsed.mentions == []
        assert parsed.ignored == expected["ignored"]
        return parsed
    wanted = expected if isinstance(expected, list) else [expected]
    assert [summary(m) for m in parsed.mentions] == [
        {**{"parent_id": None, "url": None, "attachments": [], "rating": None, "edited_at": None}, **w} for w in wanted
    ]
    for mention in parsed.mentions:
        assert mention.platform == connector.platform
        assert mention.source == "platform"
    return parsed


def fixtures_without_expectation(folder: Path, expected: Mapping[str, Any], pattern: str = "*.json") -> set[str]:
    return {p.name for p in folder.glob(pattern)} - set(expected)
