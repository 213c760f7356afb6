"""Cold-start hygiene: importing a Lambda entry module reads no configuration and builds no AWS client. Checked
in a fresh interpreter, with os.environ and botocore's client factory watched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.resources import FUNCTIONS
from tests.conftest import ROOT

PROBE = r"""
import json, os, sys, traceback
from pathlib import Path

root = Path(sys.argv[1]).resolve()
reads = []

class Watched(type(os.environ)):
    def _note(self, key):
        # Who asked: the innermost caller outside os.py (os.getenv delegates to environ.get).
        for frame in reversed(traceback.extract_stack()[:-2]):
            if frame.filename == os.__file__:
                continue
            path = Path(frame.filename).resolve()
            if path.is_file() and root in path.parents and ".venv" not in path.parts:
                reads.append(f"{key} by {path.relative_to(root)}:{frame.lineno}")
            break
    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)
    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)
    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

os.environ.__class__ = Watched

import botocore.session
clients = []
original = botocore.session.Session.create_client
def spy(self, *args, **kwargs):
    clients.append(args[0] if args else kwargs.get("service_name"))
    return original(self, *args, **kwargs)
botocore.session.Session.create_client = spy

import importlib
module = importlib.import_module(sys.argv[2])
print(json.dumps({"reads": reads, "clients": clients}))
"""


@pytest.mark.parametrize("module", sorted({spec.handler.rpartition(".")[0] for spec in FUNCTIONS}))
def test_importing_an_entry_module_has_no_side_effects(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), module],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    observed = json.loads(result.stdout.strip().splitlines()[-1])
    assert observed == {"reads": [], "clients": []}


def test_the_probe_would_notice_a_read(tmp_path: Path) -> None:
    # The watcher is only worth something if it can fail. The module that misbehaves lives outside the source tree.
    (tmp_path / "_probe_reads_env.py").write_text("import os\nSTAGE = os.environ.get('HARK_STAGE')\n")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), "_probe_reads_env"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    observed = json.loads(result.stdout.strip().splitlines()[-1])
    assert observed["reads"] == ["HARK_STAGE by _probe_reads_env.py:2"]


def test_ingest_loads_no_aws_sdk_until_its_first_request() -> None:
    # Slack and Discord give a webhook three seconds, cold start included: botocore and PynamoDB (the archive's
    # index) are imported by the composition root on the first request, not by the entry module.
    probe = (
        "import sys, services.ingest.app\n"
        "print(sorted(m for m in ('botocore', 'boto3', 'pynamodb') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
