"""Incidents: what on-call must look at, from CloudWatch alarms (through SNS) and from the spike detector.

An alarm going to ALARM opens an incident for that alarm, or adds an occurrence to the one still open; going back to
OK resolves it (on-call sees that it recovered by itself). A redelivered SNS message (same MessageId) changes
nothing. A spike opens a crisis incident with why it spiked; another spike of the same brand within the cooldown
adds an occurrence instead of paging again.

Crisis mode: a crisis incident puts its brand into crisis mode when the policy says so (`auto_crisis_mode`), or when
on-call says so on acknowledging it; resolving the incident ends it. While a brand is in crisis mode, its new
tasks are raised in priority (`CrisisMode.priority_boost`), on-call is notified once when it starts, and the
incident carries a holding statement to post first. The task workflow reads crisis mode through the `CrisisModes`
port below (see docs/operations.md, "Crisis mode"): it never writes it.

Alarm descriptions carry their routing in tags before the text, written by the CDK app (`infra/monitoring.py`):
`[critical]`, `[warning]` or `[info]`; `[crisis]` for a crisis alert; `[brand:<name>]` for a brand's own alarm.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson

from shared.api.models import (
    AlarmDetails,
    AlarmReceipt,
    Incident,
    IncidentAction,
    IncidentEntry,
    IncidentQuery,
    Severity,
    SnsNotification,
    SpikeExplanation,
)
from shared.auth import Principal
from shared.errors import Conflict, InvalidBody, NotFound
from shared.events import utcnow
from shared.observability import count, get_logger
from shared.store.paging import Page

SERVICE = "respond"
DEFAULT_BRAND = "default"
SAVE_ATTEMPTS = 5
MAX_TIMELINE = 100
SEEN_MESSAGES_DAYS = 14

_TAG = re.compile(r"^\s*\[([a-z]+)(?::([A-Za-z0-9_.-]{1,64}))?\]")

DEFAULT_HOLDING_STATEMENT = (
    "We know some of you are having trouble{about} right now, and we're sorry. Our team is on it and we'll post an "
    "update here within the hour. Thank you for your patience."
)


@dataclass(frozen=True)
class CrisisMode:
    """A brand in crisis mode, as the task workflow reads it (the contract between incidents and tasks)."""

    brand: str
    incident_id: str
    since: datetime
    # Added to the priority of every new task of the brand while crisis mode lasts (capped at 100 by the reader).
    priority_boost: int
    holding_statement: str

    def boost(self, priority: int) -> int:
        return min(100, priority + self.priority_boost)


class CrisisModes(Protocol):
    """Read by the task workflow; written only by the incident service."""

    def active(self, brand: str) -> CrisisMode | None: ...


class CrisisStore(CrisisModes, Protocol):
    def start(self, mode: CrisisMode) -> bool: ...
    def end(self, brand: str, incident_id: str) -> bool: ...


class IncidentRepository(Protocol):
    def get(self, incident_id: str) -> Incident | None: ...
    def save(self, incident: Incident, version: int | None) -> int:
        """Write if unchanged since read at `version` (None: must be new); the new version. Conflict otherwise."""
        ...

    def get_versioned(self, incident_id: str) -> tuple[Incident, int] | None: ...
    def open_for(self, source: str) -> str | None:
        """The id of the incident last opened for `source`, if any."""
        ...

    def point(self, source: str, incident_id: str) -> None: ...
    def first_time(self, message_id: str, expires_at: datetime) -> bool:
        """Record that this SNS message was handled; False if it already was."""
        ...

    def list(self, *, status: str | None, cursor: str | None, limit: int) -> Page[Incident]: ...


class Notifier(Protocol):
    def notify(self, subject: str, message: str) -> None: ...


@dataclass(frozen=True)
class IncidentPolicy:
    auto_crisis_mode: bool = True
    crisis_priority_boost: int = 20
    spike_cooldown: timedelta = timedelta(minutes=60)
    holding_statement: str = DEFAULT_HOLDING_STATEMENT


@dataclass(frozen=True)
class ParsedAlarm:
    details: AlarmDetails
    severity: Severity
    crisis: bool
    brand: str
    text: str


def incident_id(*parts: str) -> str:
    raw = hashlib.sha256("\x1f".join(("incident", *parts)).encode()).digest()[:16]
    return "i_" + base64.b32encode(raw).decode().rstrip("=").lower()


def read_tags(description: str | None) -> tuple[Severity, bool, str, str]:
    """Severity, crisis flag, brand and the remaining text of an alarm description."""
    severity: Severity = "warning"
    crisis = False
    brand = DEFAULT_BRAND
    text = description or ""
    while match := _TAG.match(text):
        name, value = match.group(1), match.group(2)
        if name in ("critical", "warning", "info"):
            severity = name  # type: ignore[assignment]
        elif name == "crisis":
            crisis = True
        elif name == "brand" and value:
            brand = value
        text = text[match.end() :]
    return severity, crisis, brand, text.strip()


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        # CloudWatch writes "2026-11-26T10:15:00.123+0000"; fromisoformat wants "+00:00".
        return datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value))
    except ValueError:
        return None


def parse_alarm(message: str) -> ParsedAlarm:
    """A CloudWatch alarm state-change message (metric or composite alarm), from SNS's `Message` string."""
    try:
        document = orjson.loads(message)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody("the SNS Message is not JSON: it is not a CloudWatch alarm notification") from exc
    if not isinstance(document, dict) or not isinstance(document.get("AlarmName"), str):
        raise InvalidBody("the SNS Message is not a CloudWatch alarm notification (no AlarmName)")
    state = document.get("NewStateValue")
    if state not in ("ALARM", "OK", "INSUFFICIENT_DATA"):
        raise InvalidBody("the alarm notification has no NewStateValue of ALARM, OK or INSUFFICIENT_DATA")
    raw_trigger = document.get("Trigger")
    trigger: dict[str, Any] = raw_trigger if isinstance(raw_trigger, dict) else {}
    description = document.get("AlarmDescription") if isinstance(document.get("AlarmDescription"), str) else None
    severity, crisis, brand, text = read_tags(description)
    details = AlarmDetails(
        name=str(document["AlarmName"])[:255],
        state=state,
        previous_state=str(document.get("OldStateValue")) if document.get("OldStateValue") else None,
        reason=str(document.get("NewStateReason") or "")[:2000],
        description=text[:1024] or None,
        arn=str(document["AlarmArn"])[:512] if document.get("AlarmArn") else None,
        region=str(document["Region"])[:64] if document.get("Region") else None,
        account=str(document["AWSAccountId"])[:32] if document.get("AWSAccountId") else None,
        metric=str(trigger["MetricName"])[:255] if trigger.get("MetricName") else None,
        namespace=str(trigger["Namespace"])[:255] if trigger.get("Namespace") else None,
        threshold=_float(trigger.get("Threshold")),
        changed_at=_time(document.get("StateChangeTime")),
    )
    return ParsedAlarm(details, severity, crisis, brand, text)


class IncidentService:
    def __init__(
        self,
        incidents: IncidentRepository,
        crisis: CrisisStore,
        notifier: Notifier,
        policy: IncidentPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._incidents = incidents
        self._crisis = crisis
        self._notifier = notifier
        self.policy = policy or IncidentPolicy()
        self._clock = clock

    # Alarms (SNS → respond)
    def receive_alarm(self, notification: SnsNotification, by: str = "cloudwatch") -> AlarmReceipt:
        if notification.type != "Notification":
            raise InvalidBody(
                f"an SNS {notification.type} is not an alarm; subscribe respond's alarm function to the topic "
                "(the stack does), not this URL"
            )
        alarm = parse_alarm(notification.message)
        now = self._clock()
        if not self._incidents.first_time(notification.message_id, now + timedelta(days=SEEN_MESSAGES_DAYS)):
            return AlarmReceipt(incident=None, outcome="duplicate")
        source = f"alarm:{alarm.details.name}"
        current = self._open(source)
        state = alarm.details.state
        log = get_logger(SERVICE)
        if state == "ALARM":
            if current is not None:
                updated = self._change(
                    current.id,
                    lambda i: i.model_copy(
                        update={"occurrences": i.occurrences + 1, "alarm": alarm.details, "updated_at": now}
                    ),
                    f"alarm fired again: {alarm.details.reason}"[:500],
                    by,
                )
                return AlarmReceipt(incident=updated, outcome="updated")
            incident = Incident(
                id=incident_id(source, notification.message_id),
                kind="alarm",
                source=source,
                title=alarm.text.split("\n", 1)[0][:200] or alarm.details.name,
                severity=alarm.severity,
                status="open",
                brand=alarm.brand,
                crisis=alarm.crisis,
                opened_at=now,
                updated_at=now,
                alarm=alarm.details,
                holding_statement=self._holding(None) if alarm.crisis else None,
                timeline=[IncidentEntry(at=now, what=f"opened: {alarm.details.reason}"[:500], by=by)],
            )
            opened = self._open_new(incident)
            log.warning("incident opened", extra={"incident_id": opened.id, "source": source})
            return AlarmReceipt(incident=opened, outcome="opened")
        if current is None:
            return AlarmReceipt(incident=None, outcome="ignored")
        if state == "OK":
            resolved = self._resolve(current.id, by, f"alarm back to OK: {alarm.details.reason}"[:500])
            return AlarmReceipt(incident=resolved, outcome="resolved")
        updated = self._change(
            current.id,
            lambda i: i.model_copy(update={"alarm": alarm.details, "updated_at": now}),
            f"alarm has insufficient data: {alarm.details.reason}"[:500],
            by,
        )
        return AlarmReceipt(incident=updated, outcome="updated")

    # Spikes (the detector)
    def raise_spike(self, brand: str, why: SpikeExplanation) -> tuple[Incident, bool]:
        """Open a crisis incident for a spike, or add to the one raised within the cooldown. (incident, opened)."""
        now = self._clock()
        source = f"spike:{brand}"
        current = self._open(source)
        if current is not None and now - current.updated_at < self.policy.spike_cooldown:
            updated = self._change(
                current.id,
                lambda i: i.model_copy(update={"occurrences": i.occurrences + 1, "why": why, "updated_at": now}),
                f"still spiking: {why.summary}"[:500],
                "spike-detector",
            )
            return updated, False
        incident = Incident(
            id=incident_id(source, now.isoformat()),
            kind="spike",
            source=source,
            title=f"Negative surge for {brand}: {why.summary}"[:200],
            severity="critical",
            status="open",
            brand=brand,
            crisis=True,
            opened_at=now,
            updated_at=now,
            why=why,
            holding_statement=self._holding(why),
            timeline=[IncidentEntry(at=now, what=f"opened: {why.summary}"[:500], by="spike-detector")],
        )
        return self._open_new(incident), True

    # On-call (HTTP)
    def list(self, _principal: Principal, query: IncidentQuery) -> Page[Incident]:
        return self._incidents.list(status=query.status, cursor=query.cursor, limit=query.limit)

    def get(self, _principal: Principal, incident_id: str) -> Incident:
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"there is no incident {incident_id}")
        return incident

    def acknowledge(self, principal: Principal, incident_id: str, action: IncidentAction) -> Incident:
        now = self._clock()

        def ack(incident: Incident) -> Incident:
            if incident.status == "resolved":
                raise Conflict(f"incident {incident.id} is already resolved", status=incident.status)
            return incident.model_copy(
                update={
                    "status": "acknowledged",
                    "acknowledged_at": incident.acknowledged_at or now,
                    "acknowledged_by": incident.acknowledged_by or principal.user,
                    "updated_at": now,
                }
            )

        note = f"acknowledged{': ' + action.note if action.note else ''}"
        incident = self._change(incident_id, ack, note[:500], principal.user)
        if action.crisis_mode is True and not incident.crisis_mode:
            incident = self._start_crisis(incident, principal.user)
        elif action.crisis_mode is False and incident.crisis_mode:
            incident = self._end_crisis(incident, principal.user, "crisis mode ended on acknowledgement")
        return incident

    def resolve(self, principal: Principal, incident_id: str, action: IncidentAction) -> Incident:
        note = f"resolved{': ' + action.note if action.note else ''}"
        return self._resolve(incident_id, principal.user, note[:500])

    # Internals
    def _holding(self, why: SpikeExplanation | None) -> str:
        about = ""
        if why is not None and why.top_terms:
            about = f" with {why.top_terms[0].term}"
        return self.policy.holding_statement.replace("{about}", about)

    def _open(self, source: str) -> Incident | None:
        current_id = self._incidents.open_for(source)
        if current_id is None:
            return None
        current = self._incidents.get(current_id)
        if current is None or current.status == "resolved":
            return None
        return current

    def _open_new(self, incident: Incident) -> Incident:
        try:
            self._incidents.save(incident, None)
        except Conflict:
            # The same message raced itself (an SNS retry while the first delivery was still running).
            existing = self._incidents.get(incident.id)
            assert existing is not None
            return existing
        self._incidents.point(incident.source, incident.id)
        count(SERVICE, "IncidentsOpened")
        if incident.severity == "critical":
            self._notifier.notify(
                f"[Hark] {incident.title}"[:100],
                f"{incident.title}\nIncident {incident.id} is open: GET /v1/incidents/{incident.id}",
            )
        if incident.crisis and self.policy.auto_crisis_mode:
            return self._start_crisis(incident, "policy")
        return incident

    def _start_crisis(self, incident: Incident, by: str) -> Incident:
        holding = incident.holding_statement or self._holding(incident.why)
        mode = CrisisMode(
            brand=incident.brand,
            incident_id=incident.id,
            since=self._clock(),
            priority_boost=self.policy.crisis_priority_boost,
            holding_statement=holding,
        )
        started = self._crisis.start(mode)
        updated = self._change(
            incident.id,
            lambda i: i.model_copy(update={"crisis_mode": True, "holding_statement": holding}),
            f"crisis mode started for {incident.brand} (new tasks +{mode.priority_boost} priority)"
            if started
            else f"{incident.brand} is already in crisis mode",
            by,
        )
        if started:
            count(SERVICE, "CrisisModeStarted")
            self._notifier.notify(
                f"[Hark] Crisis mode: {incident.brand}"[:100],
                f"{incident.title}\n\nSuggested holding statement:\n{holding}\n\nIncident: {incident.id}",
            )
        return updated

    def _end_crisis(self, incident: Incident, by: str, what: str) -> Incident:
        self._crisis.end(incident.brand, incident.id)
        return self._change(incident.id, lambda i: i.model_copy(update={"crisis_mode": False}), what, by)

    def _resolve(self, incident_id: str, by: str, what: str) -> Incident:
        now = self._clock()

        def resolve(incident: Incident) -> Incident:
            if incident.status == "resolved":
                return incident
            return incident.model_copy(
                update={"status": "resolved", "resolved_at": now, "resolved_by": by, "updated_at": now}
            )

        incident = self._change(incident_id, resolve, what, by)
        if incident.crisis_mode:
            incident = self._end_crisis(incident, by, "crisis mode ended with the incident")
        return incident

    def _change(self, incident_id: str, change: Callable[[Incident], Incident], what: str, by: str) -> Incident:
        for _attempt in range(SAVE_ATTEMPTS):
            found = self._incidents.get_versioned(incident_id)
            if found is None:
                raise NotFound(f"there is no incident {incident_id}")
            current, version = found
            updated = change(current)
            entry = IncidentEntry(at=self._clock(), what=what, by=by)
            updated = updated.model_copy(update={"timeline": [*updated.timeline, entry][-MAX_TIMELINE:]})
            try:
                self._incidents.save(updated, version)
            except Conflict:
                continue
            return updated
        raise Conflict(f"incident {incident_id} kept changing; try again")
