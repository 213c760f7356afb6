"""Every webhook fixture in the repository says where it came from: a published payload with its licence, or a
payload written for Hark from the platform's documented schema (marked synthetic)."""

from __future__ import annotations

from tests.conftest import FIXTURES

FOLDER = FIXTURES / "webhooks"


def test_every_fixture_is_attributed_in_sources() -> None:
    sources = (FOLDER / "SOURCES.md").read_text(encoding="utf-8")
    files = {p.name for p in FOLDER.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    assert {name for name in files if f"| {name} |" not in sources} == set()


def test_synthetic_payloads_are_named_as_such() -> None:
    sources = (FOLDER / "SOURCES.md").read_text(encoding="utf-8")
    synthetic = sources.split("## Synthetic payloads", 1)[1].split("\n## ", 1)[0]
    named = {p.name for p in FOLDER.rglob("synthetic__*")}
    assert named, "the synthetic payloads are listed"
    assert {name for name in named if f"| {name} |" not in synthetic} == set()
