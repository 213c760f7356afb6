"""Shared fixtures. Layers by cost: unit (no network), functional (handlers against a moto server on 127.0.0.1),
contract (event models over JSON fixtures), infra (CDK synth), e2e (the local stack in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Plain asserts in the shared connector checks explain their failures like the tests' own.
pytest.register_assert_rewrite("tests.connectors")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

# Property-based tests: a modest number of examples in `make test`, many more in `make fuzz`
# (--hypothesis-profile=fuzz). No example database, and hypothesis' own files (its constants cache) go to a
# temporary folder: nothing may be written into the checkout.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hark-hypothesis-"))
settings.register_profile("hark", max_examples=12, deadline=None, database=None, print_blob=True)
settings.register_profile("fuzz", max_examples=600, deadline=None, database=None, print_blob=True)
settings.load_profile("hark")


def _tree_changes() -> set[str]:
    """What `git status` reports, untracked files included (empty outside a git checkout)."""
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return set(result.stdout.splitlines()) if result.returncode == 0 else set()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_TREE] = _tree_changes()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No test may write into the source tree: the suite must leave the checkout as it found it."""
    before = session.config.stash.get(_TREE, None)
    if before is None:
        return
    written = sorted(_tree_changes() - before)
    if written:
        print("\nTests changed the source tree:\n  " + "\n  ".join(written))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_TREE = pytest.StashKey[set[str]]()


def webhook_fixture(platform: str, name: str) -> bytes:
    return (FIXTURES / "webhooks" / platform / name).read_bytes()


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from devstack.consistency import atomic_dynamodb, atomic_sqs
    from devstack.emulator import speed_up

    atomic_dynamodb()  # as the local stack does: each DynamoDB request atomic, as in DynamoDB
    atomic_sqs()  # and each SQS action on a queue's messages (racing receivers otherwise get 500s)
    speed_up()  # as the local stack does: moto's SQS otherwise slows with every message queued
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Aws:
    url: str
    env: dict[str, str]
    queue_urls: dict[str, str]
    queue_arns: dict[str, str]

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="hark-test",
            aws_secret_access_key="hark-test",
        )

    def queue_depth(self, key: str, dlq: bool = False) -> int:
        sqs = self.client("sqs")
        url = self.queue_urls[key]
        if dlq:
            url = url + "-dlq"
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def scan(self, table: str) -> list[dict[str, Any]]:
        return list(self.client("dynamodb").scan(TableName=f"hark-local-{table}")["Items"])


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A clean emulator with Hark's resources, and an environment pointing every service at it."""
    import requests

    from devstack.provision import provision
    from services.classify import bootstrap as classify_bootstrap
    from services.ingest import bootstrap as ingest_bootstrap
    from services.respond import bootstrap as respond_bootstrap
    from services.respond import incident_bootstrap
    from shared.aws import reset_clients
    from shared.secrets import EnvSecrets, to_document
    from shared.settings import Settings

    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    base = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "hark-test",
        "AWS_SECRET_ACCESS_KEY": "hark-test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HARK_STAGE": "local",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    for key, value in base.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "HARK_API_KEY", "HARK_SECRET_GITHUB", "HARK_SECRET_META"):
        monkeypatch.delenv(key, raising=False)
    reset_clients()
    aws = Aws(moto_url, base, {}, {})
    clients = {name: aws.client(name) for name in ("dynamodb", "sqs", "secretsmanager", "sns", "s3", "ssm")}
    settings = Settings.from_env(base)
    provisioned = provision(clients, "local", to_document(EnvSecrets(settings).get()))
    for key, value in provisioned.env.items():
        monkeypatch.setenv(key, value)
    aws.env = {**base, **provisioned.env}
    aws.queue_urls, aws.queue_arns = provisioned.queue_urls, provisioned.queue_arns
    roots = (ingest_bootstrap.root, classify_bootstrap.root, respond_bootstrap.root, incident_bootstrap.root)
    for root in roots:
        root.override(None)
    yield aws
    for root in roots:
        root.override(None)
    reset_clients()
