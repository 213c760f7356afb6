"""`hark keys sync` against the emulator's API Gateway and Secrets Manager: the secret's keys become API Gateway
keys on the plan their roles call for, revoked ones go, hand-registered ones are adopted, nothing else is touched,
a second run changes nothing, and no key value is ever printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from devstack import cli
from devstack.gateway_keys import plan_name
from shared.auth import key_id
from shared.aws import reset_clients

STAGE = "test"
ADMIN = "hark-test-admin-key-000000000001"
PARTNER = "hark-test-partner-key-0000000002"
AGENT = "hark-test-agent-key-000000000003"
SHORT = "short-key1"  # 10 characters: Hark accepts it, API Gateway does not
MANUAL = "hark-test-manual-key-00000000004"


@dataclass
class Emulator:
    url: str
    plans: dict[str, str]

    def client(self, service: str) -> Any:
        import boto3

        return boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="hark-test",
            aws_secret_access_key="hark-test",
        )

    def put_secret(self, document: dict[str, Any]) -> None:
        secrets = self.client("secretsmanager")
        try:
            secrets.create_secret(Name=f"hark/{STAGE}/secrets", SecretString=json.dumps(document))
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=f"hark/{STAGE}/secrets", SecretString=json.dumps(document))

    def keys(self) -> dict[str, dict[str, Any]]:
        items = self.client("apigateway").get_api_keys(includeValues=True)["items"]
        return {item["name"]: item for item in items}

    def members(self, plan: str) -> set[str]:
        items = self.client("apigateway").get_usage_plan_keys(usagePlanId=self.plans[plan])["items"]
        return {item["id"] for item in items}


@pytest.fixture
def emulator(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    for name, value in {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "hark-test",
        "AWS_SECRET_ACCESS_KEY": "hark-test",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HARK_STAGE"):
        monkeypatch.delenv(name, raising=False)
    reset_clients()
    emulator = Emulator(moto_url, {})
    gateway = emulator.client("apigateway")
    api = gateway.create_rest_api(name=f"hark-{STAGE}")
    # What the stack's usage plans are (infra/api.py; the template test holds the names to these).
    for plan in ("partner", "staff"):
        emulator.plans[plan] = gateway.create_usage_plan(
            name=plan_name(STAGE, plan), apiStages=[{"apiId": api["id"], "stage": STAGE}]
        )["id"]
    yield emulator
    reset_clients()


def run(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = cli.main(["keys", "sync", "--stage", STAGE, *extra])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    for value in (ADMIN, PARTNER, AGENT, SHORT, MANUAL):
        assert value not in output, "a key value was printed"
    return code, output


def name(value: str) -> str:
    return f"hark-{STAGE}-{key_id(value)}"


def test_the_secrets_keys_become_gateway_keys_on_their_plans(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.put_secret(
        {
            "api_key": ADMIN,  # the bootstrap key: user dev, admin
            "api_keys": {
                PARTNER: {"user": "acme-crm", "roles": ["partner", "viewer"]},
                AGENT: {"user": "alice", "roles": ["agent"]},
                SHORT: {"user": "bob", "roles": ["agent"]},
            },
        }
    )
    code, output = run(capsys)
    assert code == 1  # the short key is refused, the others are synced
    assert f"REFUSED         {key_id(SHORT)}" in output and "shorter than 20 characters" in output
    keys = emulator.keys()
    assert set(keys) == {name(ADMIN), name(PARTNER), name(AGENT)}
    for value in (ADMIN, PARTNER, AGENT):
        assert keys[name(value)]["value"] == value and keys[name(value)]["enabled"] is True
    assert keys[name(PARTNER)]["description"].startswith("Hark test: acme-crm (partner, viewer)")
    assert emulator.members("partner") == {keys[name(PARTNER)]["id"]}
    assert emulator.members("staff") == {keys[name(ADMIN)]["id"], keys[name(AGENT)]["id"]}
    assert "3 create, 1 refuse" in output

    # A second run changes nothing.
    before = emulator.keys()
    again, output = run(capsys)
    assert again == 1 and "3 keep, 1 refuse" in output
    assert emulator.keys() == before
    assert emulator.members("staff") == {keys[name(ADMIN)]["id"], keys[name(AGENT)]["id"]}


def test_revoked_keys_go_changed_roles_move_and_hand_registered_keys_are_adopted(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = emulator.client("apigateway")
    emulator.put_secret(
        {
            "api_keys": {
                PARTNER: {"user": "acme-crm", "roles": ["partner"]},
                AGENT: {"user": "alice", "roles": ["agent"]},
            }
        }
    )
    assert run(capsys)[0] == 0
    first = emulator.keys()
    # Registered by hand (the old manual step), on no plan; and keys sync must never touch the others.
    manual = gateway.create_api_key(name="acme second key", value=MANUAL, enabled=False)["id"]
    gateway.create_api_key(name="someone-elses-key", value="x" * 30, enabled=True)
    gateway.create_api_key(name="hark-prod-k_0123456789abcdef", value="y" * 30, enabled=True)

    # The agent key is revoked; the partner becomes an agent (staff plan); the hand-made key joins the secret.
    emulator.put_secret(
        {
            "api_keys": {
                PARTNER: {"user": "acme-crm", "roles": ["agent"]},
                MANUAL: {"user": "acme", "roles": ["partner"]},
            }
        }
    )
    dry, output = run(capsys, "--dry-run")
    assert dry == 0 and "would remove" in output and "would adopt" in output and "nothing changed" in output
    assert gateway.get_api_key(apiKey=manual)["name"] == "acme second key"  # a dry run changes nothing
    assert emulator.members("partner") == {first[name(PARTNER)]["id"]}

    code, output = run(capsys)
    assert code == 0, output
    keys = emulator.keys()
    assert name(AGENT) not in keys
    assert keys[name(MANUAL)]["id"] == manual and keys[name(MANUAL)]["enabled"] is True  # adopted, not duplicated
    assert {"someone-elses-key", "hark-prod-k_0123456789abcdef"} <= set(keys)
    assert emulator.members("staff") == {keys[name(PARTNER)]["id"]}
    assert emulator.members("partner") == {manual}
    assert f"moved           {key_id(PARTNER)}  partner → staff plan" in output
    assert f"removed         {key_id(AGENT)}" in output
    assert run(capsys)[1].count("unchanged") == 2


def test_a_key_another_stage_holds_is_refused_and_a_missing_stack_is_named(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = emulator.client("apigateway")
    gateway.create_api_key(name=f"hark-prod-{key_id(AGENT)}", value=AGENT, enabled=True)
    emulator.put_secret({"api_keys": {AGENT: {"user": "alice", "roles": ["agent"]}}})
    code, output = run(capsys)
    assert code == 1 and f"is already the API Gateway key hark-prod-{key_id(AGENT)}" in output

    assert cli.main(["keys", "sync", "--stage", "nowhere", "--secret-name", f"hark/{STAGE}/secrets"]) == 1
    assert "no usage plan hark-nowhere-partner, hark-nowhere-staff" in capsys.readouterr().err
