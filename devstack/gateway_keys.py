"""`hark keys sync`: the API keys in the deployed stack's secret, registered with API Gateway on their usage plans.

The partner API's keys live in one place, the secret's `api_keys` (and `api_key`); the functions resolve a key to
its user and roles from there. API Gateway needs the same keys as its own API keys, each on a usage plan, for the
per-key throttle and daily quota (`infra/api.py`: `hark-<stage>-partner` for keys whose roles are only `partner`
and `viewer`, `hark-<stage>-staff` for the rest). This makes API Gateway hold exactly the secret's keys:

- each key becomes the API key `hark-<stage>-<key id>` (`shared.auth.key_id`, a hash: the value is never shown,
  logged or used as a name), enabled, on the plan its roles call for and on no other Hark plan;
- a key registered by hand under another name (the old manual step) is adopted and renamed, not duplicated;
- a `hark-<stage>-k_...` key no longer in the secret is removed from its plans and deleted, so a revoked key stops
  at the gateway at once (the functions' 5-minute secret cache would otherwise let it through a little longer);
- keys shorter than API Gateway's 20 characters are refused, by id: they cannot call the API in AWS.

Idempotent: a second run changes nothing. `--dry-run` says what it would do and changes nothing.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal, Protocol

from shared.auth import Grant, key_id
from shared.aws import client, translate_errors
from shared.errors import HarkError, NotConfigured
from shared.resources import SECRETS
from shared.secrets import PARTNER_ROLES, SecretsManagerSecrets
from shared.settings import Settings

# API Gateway's own rule for an API key's value.
MIN_GATEWAY_KEY_CHARS = 20
Plan = Literal["partner", "staff"]
PLANS: tuple[Plan, ...] = ("partner", "staff")
Verb = Literal["create", "adopt", "update", "enable", "move", "add", "remove", "keep", "refuse"]


def prefix(stage: str) -> str:
    return f"hark-{stage}-"


def key_name(stage: str, value: str) -> str:
    return prefix(stage) + key_id(value)


def plan_name(stage: str, plan: Plan) -> str:
    """The usage plan's name, as `infra/api.py` gives it."""
    return f"{prefix(stage)}{plan}"


def plan_of(grant: Grant) -> Plan:
    return "partner" if grant.roles <= PARTNER_ROLES else "staff"


def description_of(stage: str, grant: Grant) -> str:
    return f"Hark {stage}: {grant.user} ({', '.join(sorted(grant.roles))}); managed by hark keys sync"


_MANAGED = re.compile(r"^hark-(?P<stage>[A-Za-z0-9-]+?)-(?P<id>k_[0-9a-f]{16})$")


def managed_stage(name: str) -> str | None:
    """The stage whose `hark keys sync` owns a key of this name, or None for a key it does not manage."""
    match = _MANAGED.match(name)
    return match.group("stage") if match else None


@dataclass(frozen=True)
class GatewayKey:
    id: str
    name: str
    enabled: bool
    description: str = ""


class Gateway(Protocol):
    """What the sync needs of API Gateway (an adapter over boto3 below; the tests run it against the emulator)."""

    def keys_named(self, name_prefix: str) -> list[GatewayKey]: ...
    def key_with_value(self, value: str) -> GatewayKey | None: ...
    def usage_plans(self, names: Iterable[str]) -> dict[str, str]: ...
    def plan_members(self, plan_id: str) -> set[str]: ...
    def create_key(self, name: str, value: str, description: str, tags: Mapping[str, str]) -> str: ...
    def update_key(self, key: str, *, name: str | None = None, description: str | None = None) -> None: ...
    def enable_key(self, key: str) -> None: ...
    def delete_key(self, key: str) -> None: ...
    def add_to_plan(self, plan_id: str, key: str) -> None: ...
    def remove_from_plan(self, plan_id: str, key: str) -> None: ...


@dataclass(frozen=True)
class Action:
    verb: Verb
    key_id: str
    detail: str = ""

    def line(self, dry_run: bool) -> str:
        past = {
            "create": "created",
            "adopt": "adopted",
            "update": "updated",
            "enable": "enabled",
            "move": "moved",
            "add": "added",
            "remove": "removed",
            "keep": "unchanged",
            "refuse": "REFUSED",
        }[self.verb]
        verb = f"would {self.verb}" if dry_run and self.verb not in ("keep", "refuse") else past
        return f"{verb:<15} {self.key_id}  {self.detail}".rstrip()


@dataclass
class SyncReport:
    stage: str
    dry_run: bool
    actions: list[Action] = field(default_factory=list)

    @property
    def problems(self) -> list[Action]:
        return [a for a in self.actions if a.verb == "refuse"]

    @property
    def changed(self) -> list[Action]:
        return [a for a in self.actions if a.verb not in ("keep", "refuse")]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for action in self.actions:
            counts[action.verb] = counts.get(action.verb, 0) + 1
        parts = ", ".join(f"{n} {verb}" for verb, n in sorted(counts.items())) or "no keys"
        mode = " (dry run: nothing changed)" if self.dry_run else ""
        return f"keys sync for stage {self.stage}: {parts}{mode}"


def sync(grants: Mapping[str, Grant], gateway: Gateway, stage: str, *, dry_run: bool = False) -> SyncReport:
    """Make API Gateway hold exactly `grants`' keys, each on its plan. Key values are passed to API Gateway only;
    everything reported names keys by id."""
    return _Sync(gateway, stage, dry_run).run(grants)


class _Sync:
    def __init__(self, gateway: Gateway, stage: str, dry_run: bool) -> None:
        self.gateway = gateway
        self.stage = stage
        self.dry_run = dry_run
        self.report = SyncReport(stage, dry_run)
        self.plan_ids: dict[Plan, str] = {}
        self.members: dict[Plan, set[str]] = {}

    def note(self, verb: Verb, kid: str, detail: str = "") -> None:
        self.report.actions.append(Action(verb, kid, detail))

    def run(self, grants: Mapping[str, Grant]) -> SyncReport:
        names = {plan: plan_name(self.stage, plan) for plan in PLANS}
        plans = self.gateway.usage_plans(names.values())
        missing = [n for n in names.values() if n not in plans]
        if missing:
            raise NotConfigured(
                f"no usage plan {', '.join(missing)} in this account and region: is the stack Hark-{self.stage} "
                "deployed here (make deploy STAGE=...), with these credentials and this AWS_REGION?"
            )
        self.plan_ids = {plan: plans[names[plan]] for plan in PLANS}
        self.members = {plan: self.gateway.plan_members(self.plan_ids[plan]) for plan in PLANS}
        existing = {
            k.name: k for k in self.gateway.keys_named(prefix(self.stage)) if managed_stage(k.name) == self.stage
        }
        wanted: set[str] = set()
        for value, grant in sorted(grants.items(), key=lambda item: key_id(item[0])):
            if len(value) < MIN_GATEWAY_KEY_CHARS:
                self.note(
                    "refuse",
                    key_id(value),
                    f"({grant.user}) is shorter than {MIN_GATEWAY_KEY_CHARS} characters, which API Gateway refuses: "
                    "it cannot call the API in AWS; issue a longer key",
                )
                continue
            name = key_name(self.stage, value)
            wanted.add(name)
            self.one(value, grant, existing.get(name))
        for name, stale in sorted(existing.items()):
            if name not in wanted:
                self.remove(name, stale)
        return self.report

    def one(self, value: str, grant: Grant, key: GatewayKey | None) -> None:
        kid = key_id(value)
        plan = plan_of(grant)
        description = description_of(self.stage, grant)
        if key is None:
            key = self.register(value, grant, kid, plan, description)
            if key is None:
                return
        else:
            changed = False
            if not key.enabled:
                changed = True
                self.note("enable", kid, f"{plan} plan ({grant.user})")
                if not self.dry_run:
                    self.gateway.enable_key(key.id)
            if key.description != description:
                changed = True
                self.note("update", kid, f"{plan} plan ({grant.user}): description")
                if not self.dry_run:
                    self.gateway.update_key(key.id, description=description)
            placed = key.id in self.members[plan] and not any(key.id in self.members[p] for p in PLANS if p != plan)
            if placed and not changed:
                self.note("keep", kid, f"{plan} plan ({grant.user})")
                return
        self.place(key, kid, plan)

    def register(self, value: str, grant: Grant, kid: str, plan: Plan, description: str) -> GatewayKey | None:
        """A key API Gateway does not hold under its name: adopt it if it was registered by hand, else create it.
        None when nothing more is to be done (refused, or a dry run's creation)."""
        name = key_name(self.stage, value)
        found = self.gateway.key_with_value(value)
        if found is not None and managed_stage(found.name) not in (None, self.stage):
            self.note(
                "refuse",
                kid,
                f"({grant.user}) is already the API Gateway key {found.name}: key values are unique per account and "
                "region, so each stage needs keys of its own",
            )
            return None
        if found is not None:
            self.note("adopt", kid, f"{plan} plan ({grant.user}), registered by hand as {found.name!r}; renamed")
            if not self.dry_run:
                self.gateway.update_key(found.id, name=name, description=description)
                if not found.enabled:
                    self.gateway.enable_key(found.id)
            return GatewayKey(found.id, name, True, description)
        self.note("create", kid, f"{plan} plan ({grant.user})")
        if self.dry_run:
            return None
        tags = {"hark:stage": self.stage, "hark:key-id": kid}
        return GatewayKey(self.gateway.create_key(name, value, description, tags), name, True, description)

    def place(self, key: GatewayKey, kid: str, plan: Plan) -> None:
        """Put the key on its plan and off the other Hark plan."""
        moved = False
        for other in PLANS:
            if other != plan and key.id in self.members[other]:
                moved = True
                self.note("move", kid, f"{other} → {plan} plan")
                if not self.dry_run:
                    self.gateway.remove_from_plan(self.plan_ids[other], key.id)
        if key.id in self.members[plan]:
            return
        registered = any(a.key_id == kid and a.verb in ("create", "adopt") for a in self.report.actions)
        if not (moved or registered):
            self.note("add", kid, f"to the {plan} plan")
        if not self.dry_run:
            self.gateway.add_to_plan(self.plan_ids[plan], key.id)

    def remove(self, name: str, key: GatewayKey) -> None:
        self.note("remove", name.removeprefix(prefix(self.stage)), "no longer in the secret")
        if self.dry_run:
            return
        for plan in PLANS:
            if key.id in self.members[plan]:
                self.gateway.remove_from_plan(self.plan_ids[plan], key.id)
        self.gateway.delete_key(key.id)


class ApiGatewayKeys:
    """The API Gateway adapter: boto3 calls in, the project's types out, AWS errors translated."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _pages(self, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator(operation)
        return [item for page in paginator.paginate(**kwargs) for item in page.get("items", [])]

    @staticmethod
    def _key(item: Mapping[str, Any]) -> GatewayKey:
        return GatewayKey(
            str(item["id"]), str(item.get("name") or ""), bool(item.get("enabled")), str(item.get("description") or "")
        )

    def keys_named(self, name_prefix: str) -> list[GatewayKey]:
        with translate_errors("list API Gateway keys"):
            items = self._pages("get_api_keys", nameQuery=name_prefix, includeValues=False)
        return [self._key(i) for i in items if str(i.get("name") or "").startswith(name_prefix)]

    def key_with_value(self, value: str) -> GatewayKey | None:
        # Values are compared here, in memory, and never kept or shown.
        with translate_errors("list API Gateway keys"):
            items = self._pages("get_api_keys", includeValues=True)
        for item in items:
            if hmac.compare_digest(str(item.get("value") or "").encode(), value.encode()):
                return self._key(item)
        return None

    def usage_plans(self, names: Iterable[str]) -> dict[str, str]:
        wanted = set(names)
        with translate_errors("list API Gateway usage plans"):
            items = self._pages("get_usage_plans")
        return {str(p["name"]): str(p["id"]) for p in items if p.get("name") in wanted}

    def plan_members(self, plan_id: str) -> set[str]:
        with translate_errors("list a usage plan's keys"):
            items = self._pages("get_usage_plan_keys", usagePlanId=plan_id)
        return {str(i["id"]) for i in items}

    def create_key(self, name: str, value: str, description: str, tags: Mapping[str, str]) -> str:
        with translate_errors("create an API Gateway key"):
            created = self._client.create_api_key(
                name=name, value=value, description=description, enabled=True, tags=dict(tags)
            )
        return str(created["id"])

    def update_key(self, key: str, *, name: str | None = None, description: str | None = None) -> None:
        changes = (("name", name), ("description", description))
        operations = [{"op": "replace", "path": f"/{attr}", "value": v} for attr, v in changes if v is not None]
        if operations:
            with translate_errors("update an API Gateway key"):
                self._client.update_api_key(apiKey=key, patchOperations=operations)

    def enable_key(self, key: str) -> None:
        with translate_errors("enable an API Gateway key"):
            self._client.update_api_key(
                apiKey=key, patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}]
            )

    def delete_key(self, key: str) -> None:
        with translate_errors("delete an API Gateway key"):
            self._client.delete_api_key(apiKey=key)

    def add_to_plan(self, plan_id: str, key: str) -> None:
        with translate_errors("add a key to a usage plan"):
            self._client.create_usage_plan_key(usagePlanId=plan_id, keyId=key, keyType="API_KEY")

    def remove_from_plan(self, plan_id: str, key: str) -> None:
        with translate_errors("remove a key from a usage plan"):
            self._client.delete_usage_plan_key(usagePlanId=plan_id, keyId=key)


def run(env: Mapping[str, str], stage: str, secret_name: str | None, dry_run: bool, out: IO[str], err: IO[str]) -> int:
    """`hark keys sync`: 0 when API Gateway holds exactly the secret's keys, 1 when a key was refused or AWS said
    no. Credentials and region are the AWS SDK's usual ones (AWS_PROFILE, AWS_REGION, ...)."""
    settings = Settings.from_env({**env, "HARK_STAGE": stage})
    name = secret_name or SECRETS.physical_name(stage)
    try:
        grants = SecretsManagerSecrets(settings, name).get().api_keys
        gateway = ApiGatewayKeys(client("apigateway", settings))
        report = sync(grants, gateway, stage, dry_run=dry_run)
    except HarkError as exc:
        print(f"keys sync failed: {exc} (secret {name}, region {settings.region})", file=err)
        return 1
    for action in report.actions:
        print(action.line(report.dry_run), file=out)
    print(report.summary(), file=out)
    for problem in report.problems:
        print(f"refused {problem.key_id}: {problem.detail}", file=err)
    return 1 if report.problems else 0
