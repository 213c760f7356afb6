"""Hark's configuration as code: one validated document, one section per concern.

Sections today: `users` (who, roles, the ids of their keys, languages, capacity, away), `teams` (members, how work
is assigned, business hours, holidays, time zone), `queues` (the team that works each, its SLA policy, approval
tiers, who may work it, where a breach escalates), `routing` (ordered rules: the first that matches a mention
picks its queue), `sla` (first response, next response and resolution targets per priority and channel),
`templates` (suggested replies per intent and language), `workflow` (lease, reopen window, auto-close),
`voice` (the brand's own stock phrases), `safety` (the safety queue, the reporting clock, the scripted
acknowledgements) and `retention` (how long each kind of record is kept). A section another concern needs (the
pollers' `sources`) is added as one more optional field of `HarkConfig`, with its own model, so every file written
before it stays valid.

Where it comes from: `HARK_CONFIG` names a file (YAML or JSON), or `ssm:<parameter name>`; unset, the stack's
SSM parameter (`HARK_CONFIG_PARAMETER`, `/hark/<stage>/config`, which the CDK app and `hark up` create), read
through Powertools Parameters (cached five minutes, so a change needs no deploy). An empty document, or none at
all, is the bundled default (`shared/config_default.yaml`), which makes the demo work with the single dev key and
no approval tier.
`HARK_APPROVALS=<n>` forces n approval tiers on every queue (a local switch for trying approvals).

A document that breaks a rule is refused as a whole, with the path of every error (`routing[2].queue: no queue
'vip'`); `hark config check FILE` prints them. Keys never appear in the config: a user lists the ids of the keys
issued to them (`k_` and 16 hex digits, `hark keys id KEY` prints one), and the keys themselves stay in the
secret (`HARK_API_KEYS` locally).
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.auth import Grant, Role
from shared.errors import NotConfigured
from shared.events import Intent, PlatformId, SentimentLabel

DEFAULT_FILE = Path(__file__).with_name("config_default.yaml")
CACHE_SECONDS = 300
KEY_ID = r"^k_[0-9a-f]{16}$"
ID = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What a template may refer to; anything else in braces is an error at load.
TEMPLATE_VARIABLES = frozenset({"first_name", "name", "handle", "order_ref", "agent_name", "brand"})

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any) -> Any:
    """`90m`, `4h`, `2d`, `1h30m`; numbers are seconds; anything else is left to pydantic (ISO 8601 `PT4H`)."""
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match and any(match.groups()):
            days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return value


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Ident = Annotated[str, Field(pattern=ID)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class User(Section):
    """A person (or a partner tool) that works in Hark."""

    name: str | None = Field(default=None, max_length=128, description="Shown to colleagues; `{agent_name}`.")
    roles: tuple[Role, ...] = Field(min_length=1, description="agent, approver, safety, admin, viewer, partner.")
    keys: tuple[Annotated[str, Field(pattern=KEY_ID)], ...] = Field(
        default=(), description="Ids of the API keys issued to this user (never the keys): `hark keys id KEY`."
    )
    languages: tuple[str, ...] = Field(default=(), description="Languages this agent answers in; empty: any.")
    capacity: int = Field(default=10, ge=0, le=1000, description="Tasks held at once before assignment skips.")
    away: bool = Field(default=False, description="Away agents get no new assignments.")


class Interval(Section):
    start: time
    end: time


def _hours(value: Any) -> Any:
    """`"09:00-17:00"` → {start, end}."""
    if isinstance(value, str) and "-" in value:
        start, _, end = value.partition("-")
        return {"start": start.strip(), "end": end.strip()}
    return value


class Calendar(Section):
    """When a team works. No `hours`: around the clock."""

    timezone: str = Field(default="UTC", description="IANA time zone, e.g. `Europe/Berlin`.")
    hours: dict[Weekday, tuple[Annotated[Interval, BeforeValidator(_hours)], ...]] | None = Field(
        default=None,
        description='Working intervals per weekday, e.g. `mon: ["09:00-17:00"]`; a day left out '
        "is not worked. Unset: 24/7.",
    )
    holidays: tuple[date, ...] = Field(default=(), description="Dates not worked, in the team's time zone.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[Interval, ...]] | None) -> dict[str, tuple[Interval, ...]] | None:
        for day, intervals in (value or {}).items():
            for interval in intervals:
                if interval.end <= interval.start:
                    raise ValueError(f"{day}: an interval must end after it starts")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Team(Section):
    name: str | None = None
    members: tuple[str, ...] = Field(default=(), description="User ids.")
    assignment: Literal["manual", "round_robin"] = Field(
        default="manual",
        description="`manual`: agents claim tasks from the queue. `round_robin`: a new task goes to the member "
        "holding the fewest, skipping those away, at capacity, or without the customer's language.",
    )
    calendar: Calendar = Field(default_factory=Calendar)


class ApprovalTier(Section):
    name: str = Field(max_length=64)
    roles: tuple[Role, ...] = Field(default=("approver",), min_length=1, description="Who may approve this tier.")


class Queue(Section):
    team: str = Field(description="The team that works it.")
    sla: str = Field(default="default", description="The SLA policy (a key of `sla`).")
    approvals: tuple[ApprovalTier, ...] = Field(
        default=(), max_length=3, description="0-3 tiers, approved in order before a reply may be sent."
    )
    workers: tuple[Role, ...] = Field(
        default=("agent", "admin"), min_length=1, description="Roles that may claim and answer its tasks."
    )
    escalate_to: str | None = Field(default=None, description="Queue a breached task moves to, when escalating.")


class Match(Section):
    """Every condition given must hold; a list matches any of its values."""

    platform: tuple[PlatformId, ...] | None = None
    channel: tuple[str, ...] | None = Field(default=None, description="e.g. `messenger`, `github.issues`.")
    account: tuple[str, ...] | None = Field(default=None, description="The brand account addressed.")
    language: tuple[str, ...] | None = None
    intent: tuple[Intent, ...] | None = None
    sentiment: tuple[SentimentLabel, ...] | None = None
    priority_at_least: int | None = Field(default=None, ge=0, le=100)
    keywords: tuple[str, ...] | None = Field(default=None, description="Any of these words or phrases.")
    vip: bool | None = None
    toxic: bool | None = None
    adverse_event: bool | None = None


class Rule(Section):
    name: str | None = None
    when: Match = Field(default_factory=Match)
    queue: str


class SlaTarget(Section):
    priority_at_least: int = Field(default=0, ge=0, le=100)
    channels: tuple[str, ...] | None = Field(default=None, description="Only these channels; unset: any.")
    first_response: Duration
    next_response: Duration
    resolution: Duration
    business_hours: bool = Field(default=True, description="Count only the team's working hours.")


class SlaPolicy(Section):
    """The first target (in order) whose priority and channel match a task applies."""

    targets: tuple[SlaTarget, ...] = Field(min_length=1)
    near_breach: float = Field(default=0.8, gt=0, lt=1, description="Share of the target elapsed that warns.")
    escalate_on_breach: bool = False


class WhatsAppTemplate(Section):
    name: str
    language: str = "en_US"


class Template(Section):
    id: Ident
    intents: tuple[Intent, ...] = Field(default=(), description="Suggested for these intents; empty: any.")
    language: str = "en"
    text: str = Field(min_length=1, max_length=10_000)
    whatsapp: WhatsAppTemplate | None = Field(
        default=None, description="The approved WhatsApp template it stands for (sent outside the 24 h window)."
    )

    @field_validator("text")
    @classmethod
    def _known_variables(cls, value: str) -> str:
        unknown = set(re.findall(r"\{(\w+)\}", value)) - TEMPLATE_VARIABLES
        if unknown:
            raise ValueError(
                f"unknown variable(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(TEMPLATE_VARIABLES))}"
            )
        return value


class Workflow(Section):
    lease: Duration = Field(default=timedelta(minutes=15), description="How long a claim holds off colleagues.")
    reopen_within: Duration = Field(
        default=timedelta(days=7),
        description="A message this soon after closing reopens the task; later, it "
        "starts a new cycle (routed again, first-response clock).",
    )
    auto_close_after: Duration | None = Field(
        default=timedelta(days=7), description="A sent task the customer does not answer closes after this."
    )
    brand: str = Field(default="the team", description="`{brand}` in templates.")


class Voice(Section):
    phrases: tuple[str, ...] = Field(default=(), description="More stock phrases to flag.")
    allow: tuple[str, ...] = Field(default=(), description="Built-in phrases not to flag.")


class Safety(Section):
    """Suspected adverse events (pharmacovigilance). A thread with one goes to `queue` whatever the routing rules
    say, opens a safety case with a reporting clock, and notifies `notify_roles`; public replies on it are limited to
    the `acknowledgements`."""

    queue: str = Field(
        default="safety",
        description="Where a thread with a suspected adverse event goes, before any routing rule. Hark adds this "
        "queue when the document does not define it (the `safety` team's, or the default queue's team; the `urgent` "
        "SLA policy if there is one).",
    )
    reporting_days: int = Field(
        default=15, ge=1, le=90, description="Calendar days from day 0 (first receipt) to the regulatory report."
    )
    notify_roles: tuple[Role, ...] = Field(
        default=("safety",), min_length=1, description="Users with these roles are notified of every new case."
    )
    acknowledgements: tuple[str, ...] = Field(
        default=(),
        description="Template ids of the approved scripted acknowledgements: on a thread with a safety case, the "
        "only public replies the voice check lets through. None: no public reply on such a thread.",
    )


# Not one of a template's variables: an acknowledgement must not repeat what the reporter wrote.
ACKNOWLEDGEMENT_VARIABLES = frozenset({"first_name", "name", "handle", "agent_name", "brand"})


class Retention(Section):
    """How long each kind of record is kept (DynamoDB TTL, set by the table's owner when it writes; the raw archive by
    ingest). Unset (null): kept until erased. A person's erasure request removes their records sooner."""

    mentions: Duration | None = Field(
        default=timedelta(days=365), description="classify's record of every message heard, from its receipt."
    )
    inbox: Duration | None = Field(
        default=timedelta(days=365), description="Mentions as the command center shows them, from their receipt."
    )
    tasks: Duration | None = Field(default=timedelta(days=365), description="Tasks, from their last change.")
    notes: Duration | None = Field(default=timedelta(days=365), description="Private notes, from when written.")
    notifications: Duration | None = Field(default=timedelta(days=30), description="What people were told.")
    conversations: Duration | None = Field(
        default=timedelta(days=730),
        description="The facts reports are computed from (times, queues, agents; no text), from the start.",
    )
    audit_content: Duration | None = Field(
        default=None,
        description="The personal content of audit entries (texts, names). The entries themselves (who did what, "
        "when, in a hash chain) are never deleted.",
    )
    safety_cases: Duration | None = Field(
        default=None,
        description="Safety cases. Pharmacovigilance law keeps them for the life of the product and years after "
        "(EU GVP Module VI: at least 10 years after the marketing authorisation ends): leave unset unless told.",
    )
    archive: Duration | None = Field(
        default=timedelta(days=30),
        description="Raw webhook deliveries (the replay archive), from their arrival; at most the archive bucket's "
        "lifecycle rule.",
    )


class HarkConfig(Section):
    version: Literal[1] = 1
    users: dict[Ident, User] = Field(default_factory=dict)
    teams: dict[Ident, Team] = Field(default_factory=dict)
    queues: dict[Ident, Queue] = Field(min_length=1)
    routing: tuple[Rule, ...] = ()
    default_queue: str
    sla: dict[Ident, SlaPolicy] = Field(min_length=1)
    templates: tuple[Template, ...] = ()
    workflow: Workflow = Field(default_factory=Workflow)
    voice: Voice = Field(default_factory=Voice)
    safety: Safety = Field(default_factory=Safety)
    retention: Retention = Field(default_factory=Retention)

    @model_validator(mode="before")
    @classmethod
    def _with_safety_queue(cls, data: Any) -> Any:
        """A suspected adverse event must never wait in a care queue: the safety queue exists even when the
        document leaves it out."""
        if not isinstance(data, dict) or not isinstance(data.get("queues"), dict) or not data["queues"]:
            return data
        safety = data.get("safety")
        name = safety.get("queue", "safety") if isinstance(safety, dict) else getattr(safety, "queue", "safety")
        queues = data["queues"]
        if not isinstance(name, str) or name in queues:
            return data
        default = queues.get(data.get("default_queue")) or next(iter(queues.values()))

        def field(model: Any, key: str) -> Any:
            return model.get(key) if isinstance(model, dict) else getattr(model, key, None)

        teams, policies = data.get("teams") or {}, data.get("sla") or {}

        def pick(preferred: str, fallback: Any, defined: Any) -> Any:
            # What exists, so a mistake elsewhere in the document is reported once, where it was made.
            if preferred in defined:
                return preferred
            return fallback if fallback in defined or not defined else next(iter(defined))

        team = pick("safety", field(default, "team"), teams)
        policy = pick("urgent", field(default, "sla") or "default", policies)
        added = {"team": team, "sla": policy, "workers": ["safety", "agent", "admin"]}
        return {**data, "queues": {**queues, name: added}}

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def queue(self, name: str) -> Queue:
        return self.queues.get(name) or self.queues[self.default_queue]

    def team_of(self, queue: str) -> Team:
        return self.teams.get(self.queue(queue).team) or Team()

    def with_forced_approvals(self, tiers: int) -> HarkConfig:
        if tiers <= 0:
            return self
        forced = tuple(ApprovalTier(name=f"approval {n}", roles=("approver", "admin")) for n in range(1, tiers + 1))
        queues = {name: q.model_copy(update={"approvals": forced}) for name, q in self.queues.items()}
        return self.model_copy(update={"queues": queues})


@dataclass(frozen=True)
class ConfigError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InvalidConfig(NotConfigured):
    """The configuration document breaks a rule; `errors` has the path of each."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def references(config: HarkConfig) -> list[ConfigError]:
    """What the schema alone cannot check: every name used is defined, nothing is defined twice."""
    return [*_people(config), *_queues(config)]


def _people(config: HarkConfig) -> list[ConfigError]:
    errors: list[ConfigError] = []
    for name, team in config.teams.items():
        for n, member in enumerate(team.members):
            if member not in config.users:
                errors.append(ConfigError(f"teams.{name}.members[{n}]", f"no user {member!r}"))
    seen_keys: dict[str, str] = {}
    for name, user in config.users.items():
        for n, kid in enumerate(user.keys):
            if kid in seen_keys:
                errors.append(ConfigError(f"users.{name}.keys[{n}]", f"key {kid} is also {seen_keys[kid]}'s"))
            seen_keys[kid] = name
    return errors


def _queues(config: HarkConfig) -> list[ConfigError]:
    errors: list[ConfigError] = []
    fallback = config.queues.get(config.default_queue)
    for name, queue in config.queues.items():
        # The safety queue Hark adds borrows the default queue's team and policy: a mistake there is reported once.
        borrowed = name == config.safety.queue and name != config.default_queue and fallback is not None
        if queue.team not in config.teams and not (borrowed and fallback and queue.team == fallback.team):
            errors.append(ConfigError(f"queues.{name}.team", f"no team {queue.team!r}"))
        if queue.sla not in config.sla and not (borrowed and fallback and queue.sla == fallback.sla):
            errors.append(ConfigError(f"queues.{name}.sla", f"no SLA policy {queue.sla!r}"))
        if queue.escalate_to is not None and queue.escalate_to not in config.queues:
            errors.append(ConfigError(f"queues.{name}.escalate_to", f"no queue {queue.escalate_to!r}"))
    for n, rule in enumerate(config.routing):
        if rule.queue not in config.queues:
            errors.append(ConfigError(f"routing[{n}].queue", f"no queue {rule.queue!r}"))
    if config.default_queue not in config.queues:
        errors.append(ConfigError("default_queue", f"no queue {config.default_queue!r}"))
    ids: set[str] = set()
    for n, template in enumerate(config.templates):
        if template.id in ids:
            errors.append(ConfigError(f"templates[{n}].id", f"template {template.id!r} is defined twice"))
        ids.add(template.id)
    templates = {t.id: t for t in config.templates}
    for n, ack in enumerate(config.safety.acknowledgements):
        found = templates.get(ack)
        if found is None:
            errors.append(ConfigError(f"safety.acknowledgements[{n}]", f"no template {ack!r}"))
            continue
        extra = set(re.findall(r"\{(\w+)\}", found.text)) - ACKNOWLEDGEMENT_VARIABLES
        if extra:
            errors.append(
                ConfigError(
                    f"safety.acknowledgements[{n}]",
                    f"template {ack!r} uses {', '.join(sorted(extra))}: an acknowledgement may name only "
                    f"{', '.join(sorted(ACKNOWLEDGEMENT_VARIABLES))}",
                )
            )
    return errors


def parse_document(text: str, source: str) -> Any:
    try:
        import yaml  # noqa: PLC0415 - only loading a config needs it

        return yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError and its marks
        raise InvalidConfig(
            f"{source}: not valid YAML or JSON: {exc}", errors=[{"loc": [], "msg": str(exc)[:500]}]
        ) from exc


def validate(document: Any, source: str) -> HarkConfig:
    """The config in `document`, or `InvalidConfig` listing the path of every error."""
    if not isinstance(document, dict):
        raise InvalidConfig(f"{source}: the configuration is a mapping of sections", errors=[])
    try:
        config = HarkConfig.model_validate(document)
    except ValidationError as exc:
        problems = [
            ConfigError(_path(tuple(e["loc"])), str(e["msg"]))
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        raise _refusal(source, problems) from exc
    problems = references(config)
    if problems:
        raise _refusal(source, problems)
    return config


def _refusal(source: str, problems: list[ConfigError]) -> InvalidConfig:
    listed = "; ".join(map(str, problems[:20]))
    return InvalidConfig(
        f"{source}: {len(problems)} error(s): {listed}",
        errors=[{"loc": p.path, "msg": p.message} for p in problems],
    )


def load_text(text: str, source: str) -> HarkConfig:
    return validate(parse_document(text, source), source)


def digest(config: HarkConfig) -> str:
    """A short fingerprint of the effective config: what the audit log records a change by."""
    canonical = orjson.dumps(config.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return "c_" + hashlib.sha256(canonical).hexdigest()[:16]


@dataclass(frozen=True)
class LoadedConfig:
    config: HarkConfig
    digest: str
    source: str


class ConfigSource(Protocol):
    def get(self) -> LoadedConfig: ...


class StaticConfig:
    def __init__(self, config: HarkConfig, source: str = "memory") -> None:
        self._loaded = LoadedConfig(config, digest(config), source)

    def get(self) -> LoadedConfig:
        return self._loaded


def load_file(path: Path, approvals: int = 0) -> LoadedConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidConfig(f"{path}: cannot be read: {exc.strerror}", errors=[]) from exc
    config = load_text(text, str(path)).with_forced_approvals(approvals)
    return LoadedConfig(config, digest(config), str(path))


class ParameterConfig:
    """An SSM parameter holding the document, through Powertools Parameters (cached, so a change is picked up
    within `CACHE_SECONDS` without a deploy)."""

    def __init__(self, name: str, ssm: Any, approvals: int = 0) -> None:
        self._name = name
        self._ssm = ssm
        self._approvals = approvals
        self._provider: Any = None
        self._last: tuple[str, LoadedConfig] | None = None
        self._lock = threading.Lock()

    def get(self) -> LoadedConfig:
        from shared.aws import translate_errors  # noqa: PLC0415

        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415

            self._provider = SSMProvider(boto3_client=self._ssm)
        with translate_errors("read configuration"):
            text = str(self._provider.get(self._name, max_age=CACHE_SECONDS))
        with self._lock:
            if self._last is None or self._last[0] != text:
                # An empty document (what a fresh stack provisions) means every section at the bundled default.
                empty = text.strip() in ("", "{}")
                source = f"ssm:{self._name}" + (" (empty: the bundled default)" if empty else "")
                body = DEFAULT_FILE.read_text(encoding="utf-8") if empty else text
                config = load_text(body, source).with_forced_approvals(self._approvals)
                self._last = (text, LoadedConfig(config, digest(config), source))
            return self._last[1]


def config_source(settings: Any) -> ConfigSource:
    """From `HARK_CONFIG` (a file, or `ssm:<name>`), else the stack's parameter (`HARK_CONFIG_PARAMETER`), else the
    bundled default."""
    location: str | None = settings.config or (
        f"ssm:{settings.config_parameter}" if getattr(settings, "config_parameter", None) else None
    )
    approvals: int = settings.approvals
    if location and location.startswith("ssm:"):
        from shared.aws import client  # noqa: PLC0415

        return ParameterConfig(location.removeprefix("ssm:"), client("ssm", settings), approvals)
    loaded = load_file(Path(location) if location else DEFAULT_FILE, approvals)
    return _Fixed(loaded)


class _Fixed:
    def __init__(self, loaded: LoadedConfig) -> None:
        self._loaded = loaded

    def get(self) -> LoadedConfig:
        return self._loaded


def bind_grants(grants: dict[str, Grant], config: HarkConfig) -> dict[str, Grant]:
    """Keys as the config says: a key whose id a user lists acts as that user; a user the config defines has the
    roles the config gives (the secret says whose a key is, the config what they may do)."""
    from shared.auth import key_id  # noqa: PLC0415

    owners = {kid: name for name, user in config.users.items() for kid in user.keys}
    bound: dict[str, Grant] = {}
    for key, grant in grants.items():
        user = owners.get(key_id(key), grant.user)
        configured = config.users.get(user)
        bound[key] = Grant(user, frozenset(configured.roles)) if configured else grant
    return bound


def working_intervals(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    """The working intervals of `day` (in the calendar's zone), as aware datetimes."""
    if day in calendar.holidays:
        return []
    zone = calendar.zone
    if calendar.hours is None:
        start = datetime.combine(day, time(0), zone)
        return [(start, datetime.combine(day + timedelta(days=1), time(0), zone))]
    return [
        (datetime.combine(day, i.start, zone), datetime.combine(day, i.end, zone))
        for i in calendar.hours.get(WEEKDAYS[day.weekday()], ())
    ]


def reference_markdown() -> str:
    """The config reference (docs/config-reference.md), generated from the models."""
    from shared.config_docs import render  # noqa: PLC0415

    return render()


class ConfiguredSecrets:
    """A secret source whose API keys resolve to users as the config says (`bind_grants`)."""

    def __init__(self, secrets: Any, config: ConfigSource) -> None:
        self._secrets = secrets
        self._config = config

    def get(self) -> Any:
        from dataclasses import replace  # noqa: PLC0415

        values = self._secrets.get()
        return replace(values, api_keys=bind_grants(dict(values.api_keys), self._config.get().config))
