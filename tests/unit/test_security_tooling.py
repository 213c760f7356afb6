"""The security checks `make lint` and `make audit` run, held to what they promise: bandit is on and finds what it
should in the folders it is given; `make audit` says so when no vulnerability database answers and never fails
then; a URL Hark opens is the web's, never a local file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.http import open_url
from tools import audit

ROOT = Path(__file__).resolve().parents[2]


def test_make_lint_runs_bandit_over_every_folder_that_ships_or_runs_the_stack() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [dirs] = re.findall(r"^BANDIT_DIRS := (.+)$", makefile, re.MULTILINE)
    assert set(dirs.split()) == {"services", "shared", "devstack", "infra", "tools"}
    [lint] = re.findall(r"^lint: .*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert "bandit -q -c pyproject.toml -r $(BANDIT_DIRS)" in lint


def test_bandit_with_the_projects_settings_still_finds_a_planted_finding(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import subprocess\nimport hashlib\n\n\n"
        "def run(command: str) -> None:\n"
        "    subprocess.call(command, shell=True)\n"
        "    hashlib.md5(command.encode())\n"
        '    assert command, "asserts are skipped on purpose"\n'
    )
    found = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-c", str(ROOT / "pyproject.toml"), "-f", "custom",
         "--msg-template", "{test_id}", str(planted)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert found.returncode == 1, found.stderr
    assert set(found.stdout.split()) == {"B602", "B324"}  # shell=True, MD5; the skipped assert not reported


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "data:,hello", "/etc/passwd"])
def test_open_url_refuses_anything_but_http_and_https_before_opening_it(url: str) -> None:
    with pytest.raises(ValueError, match="only http and https"):
        open_url(url, timeout=1)


def test_audit_says_when_no_vulnerability_database_answers_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    audited: list[str] = []
    status = audit.main(
        [],
        ask=lambda service, _timeout: {"osv": "Name or service not known", "pypi": "HTTP 404"}[service],
        requirements=lambda: "requests==2.34.2\n",
        audit=lambda _reqs, service: audited.append(service) or 1,
    )
    out = capsys.readouterr().out
    assert status == 0
    assert audited == []  # nothing run that would read as a clean bill
    assert "no vulnerability database is reachable" in out
    assert "osv: Name or service not known" in out and "pypi: HTTP 404" in out
    assert "Nothing was audited" in out


def test_audit_uses_the_first_service_that_answers_and_fails_on_a_known_vulnerability() -> None:
    asked: list[str] = []
    audited: list[tuple[str, str]] = []

    def ask(service: str, _timeout: float) -> str | None:
        asked.append(service)
        return None if service == "pypi" else "timed out"

    def run(requirements: str, service: str) -> int:
        audited.append((requirements, service))
        return 1  # pip-audit found one

    assert audit.main([], ask=ask, requirements=lambda: "x==1\n", audit=run) == 1
    assert asked == ["osv", "pypi"]
    assert audited == [("x==1\n", "pypi")]
