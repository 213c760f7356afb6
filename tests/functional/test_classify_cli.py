"""`hark classify`: the JSONL contract of DESIGN.md, end to end through the console command."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

FIELDS = {
    "id",
    "language",
    "sentiment",
    "needs_response",
    "priority",
    "reasons",
    "intent",
    "toxic",
    "pii",
    "adverse_event",
    "analyzer",
}


def run(lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", "classify", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        check=False,
    )


def test_one_line_out_per_line_in_with_the_contract_fields() -> None:
    result = run(
        [
            json.dumps({"id": 1, "text": "@AcmeHelp I was charged twice and nobody answers. I want a refund."}),
            json.dumps({"id": "b", "text": "¿Tienen tienda en Madrid?", "lang": "es", "platform": "meta"}),
            json.dumps({"id": 3, "text": "Check out my channel for free followers http://spam.example"}),
        ]
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, "b", 3]
    for row in rows:
        assert set(row) >= FIELDS
        assert row["analyzer"] == "local"
        assert 0 <= row["priority"] <= 100
    complaint, question, spam = rows
    assert (complaint["intent"], complaint["needs_response"], complaint["language"]) == ("complaint", True, "en")
    assert complaint["reasons"][0].startswith("complaint")
    assert (question["intent"], question["language"]) == ("question", "es")
    assert (spam["intent"], spam["needs_response"]) == ("spam", False)


def test_bad_lines_are_reported_and_skipped() -> None:
    result = run(["{not json", json.dumps({"text": "no id"}), "", json.dumps({"id": 7, "text": "thanks!"})])
    assert result.returncode == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [7]
    # Where on the line it broke: the second character, a key without its quotes.
    assert "line 1: skipped, not JSON:" in result.stderr and "at column 2" in result.stderr
    # The reader is told what to fix, field by field.
    assert "line 2: skipped, not a classify request: id: Field required" in result.stderr
