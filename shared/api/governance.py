"""The governance API's models: safety cases (suspected adverse events on a reporting clock), a person's data
(their conversations, an access export, erasure), reports, and the audit log of what is not a task's. Like
`shared.api.models`, the edge validates with them and the OpenAPI document is generated from them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.api.models import EPOCH, AuditEntry, Note, Paging
from shared.api.models import _Strict as StrictModel
from shared.events import PlatformId, StoredMention, Task

Criterion = Literal["patient", "reporter", "product", "event"]
CRITERIA: tuple[Criterion, ...] = ("patient", "reporter", "product", "event")
CaseStatus = Literal["open", "followed_up", "reported", "not_a_case"]
FollowUpChannel = Literal["direct_message", "public_reply", "email", "phone", "other"]
FollowUpOutcome = Literal["pending", "information_received", "no_response", "declined", "unreachable"]
DismissReason = Literal["no_adverse_event", "no_product", "not_identifiable", "duplicate", "spam", "other"]


class _Strict(StrictModel):
    """The partner API's input models: unknown fields refused, times only as RFC 3339 text."""


def _plus(value: Any) -> Any:
    # A literal "+" in a query string arrives as a space unless the client encoded it.
    return value.strip().replace(" ", "+") if isinstance(value, str) else value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return max(value.astimezone(UTC), EPOCH)
    except OverflowError as exc:
        raise ValueError("the time is out of range") from exc


# Safety cases
class CriterionCheck(BaseModel):
    """One of the four minimum criteria of a valid adverse-event report (ICH E2D), as the case shows it."""

    criterion: Criterion
    present: bool
    why: str = Field(description="What shows it, or what is missing, in words a safety officer can check.")
    evidence: list[str] = Field(default_factory=list, description="The words or values that show it.")
    confirmed_at: AwareDatetime | None = Field(default=None, description="A follow-up confirmed it.")
    confirmed_by: str | None = None


class SuspectProduct(BaseModel):
    name: str = Field(description="As the reporter wrote it.")
    drug: str | None = Field(default=None, description="Its generic name (active substance), when known.")
    match: str | None = Field(
        default=None,
        description="How it was recognised: `policy` (the brand's product list), `generic`, `brand`, `name`, "
        "`misspelling`, `reference` (a medicine without its name) or `assumed` (the account's one product).",
    )
    own_product: bool | None = Field(default=None, description="One of the brand's products; null: not known.")
    how: str = Field(description="How it was recognised, in words.")


class Verbatim(BaseModel):
    """What the reporter wrote, exactly as received: the primary source."""

    mention_id: str
    text: str
    language: str | None = None
    channel: str
    said_at: AwareDatetime
    received_at: AwareDatetime
    url: str | None = Field(default=None, description="The message on its platform.")


class Reporter(BaseModel):
    platform: PlatformId
    id: str
    handle: str | None = None
    name: str | None = None
    url: str | None = Field(default=None, description="The platform link to the first message.")


class FollowUp(BaseModel):
    at: AwareDatetime
    by: str
    channel: FollowUpChannel
    outcome: FollowUpOutcome
    note: str | None = None
    confirms: list[Criterion] = Field(default_factory=list, description="Criteria the follow-up established.")


class CaseReport(BaseModel):
    """A submission of the case to the safety database or the authority."""

    kind: Literal["initial", "follow_up"]
    at: AwareDatetime
    by: str
    reference: str | None = Field(default=None, description="The safety database's case or E2B message id.")
    due_at: AwareDatetime
    within_deadline: bool
    note: str | None = None


class Dismissal(BaseModel):
    at: AwareDatetime
    by: str
    reason: DismissReason
    comment: str | None = None


class LegalHold(BaseModel):
    """An erasure request the case outlives, and why (GDPR Art. 17(3)(b) and (c))."""

    erasure_id: str
    requested_at: AwareDatetime
    requested_by: str
    kept: list[str] = Field(description="What the case keeps of the person.")
    basis: str


class SafetyCase(BaseModel):
    id: str
    task_id: str = Field(description="The conversation (task) the case came from.")
    status: CaseStatus
    queue: str
    day0: AwareDatetime = Field(description="First receipt by the company of the information (day 0).")
    due_at: AwareDatetime = Field(description="When the report is due: day 0 plus the reporting days (calendar).")
    reporting_days: int = 15
    days_left: int = Field(default=0, description="Calendar days until `due_at` (negative: overdue). Not stored.")
    overdue: bool = Field(default=False, description="Not reported and past `due_at`. Not stored.")
    criteria: list[CriterionCheck]
    valid: bool = Field(description="All four minimum criteria present: a valid case to report.")
    missing: list[Criterion] = Field(default_factory=list, description="What a follow-up should try to learn.")
    product: SuspectProduct | None = None
    events: list[str] = Field(default_factory=list, description="The reactions, as the reporter put them.")
    reaction_score: float = 0.0
    verbatim: list[Verbatim] = Field(description="Every message of the thread that reported it, oldest first.")
    reporter: Reporter
    platform: PlatformId
    channel: str
    follow_ups: list[FollowUp] = Field(default_factory=list)
    reports: list[CaseReport] = Field(default_factory=list)
    dismissal: Dismissal | None = None
    new_information_at: AwareDatetime | None = Field(
        default=None, description="More information arrived after the case was reported: a follow-up report is due."
    )
    holds: list[LegalHold] = Field(default_factory=list, description="Erasure requests the case outlives.")
    retention: str = Field(description="What the case keeps of the person, and why.")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = 0
    audit_hash: str = ""
    actions: list[str] = Field(default_factory=list, description="What may be done in this status. Not stored.")


class SafetyCasePage(BaseModel):
    items: list[SafetyCase]
    next_cursor: str | None


class SafetyCaseQuery(Paging):
    status: CaseStatus | None = Field(default=None, description="Only this status.")
    overdue: bool | None = Field(default=None, description="Only cases past their reporting deadline (or not).")
    since: AwareDatetime | None = Field(default=None, description="Day 0 at or after (RFC 3339, with offset).")
    until: AwareDatetime | None = Field(default=None, description="Day 0 before.")
    product: str | None = Field(default=None, min_length=1, max_length=128, description="Product or generic name.")

    plus_sign = field_validator("since", "until", mode="before")(_plus)
    in_utc = field_validator("since", "until")(_utc)


class FollowUpBody(_Strict):
    channel: FollowUpChannel
    outcome: FollowUpOutcome
    note: str | None = Field(default=None, max_length=4000)
    confirms: list[Criterion] = Field(default_factory=list, max_length=4, description="Criteria now established.")


class ReportBody(_Strict):
    reference: str | None = Field(default=None, min_length=1, max_length=128, description="Safety database id.")
    reported_at: AwareDatetime | None = Field(default=None, description="When it was submitted (default: now).")
    note: str | None = Field(default=None, max_length=4000)


class DismissBody(_Strict):
    reason: DismissReason
    comment: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _other_says_why(self) -> DismissBody:
        if self.reason == "other" and not self.comment:
            raise ValueError("a dismissal for another reason needs a comment")
        return self


class IntakePacket(BaseModel):
    """A safety case as an intake packet for a safety database, with E2B(R2)-minded element names
    (`safetyreportid`, `receivedate`, `primarysource`, `patient.reaction[].primarysourcereaction`,
    `patient.drug[].medicinalproduct`, `patient.summary.narrativeincludeclinical`...); what Hark knows beyond E2B
    is under `hark`. `?format=csv` gives the same as one CSV row."""

    model_config = ConfigDict(extra="allow")

    safetyreportid: str
    safetyreportversion: int
    reporttype: str = Field(description="`1`: spontaneous report.")
    receivedate: str = Field(description="Day 0: first receipt (YYYY-MM-DD).")
    receiptdate: str = Field(description="Most recent information (YYYY-MM-DD).")
    transmissiondate: str
    serious: str | None = Field(default=None, description="The safety team's assessment; not Hark's.")
    fulfillexpeditecriteria: str | None = None
    primarysource: dict[str, Any]
    patient: dict[str, Any]
    hark: dict[str, Any]


class ExportQuery(_Strict):
    format: Literal["json", "csv"] = Field(default="json", description="`json` or `csv`.")


# A person's data: their conversations, what Hark holds of them, erasure
class ErasureQuery(_Strict):
    reference: str | None = Field(
        default=None, min_length=1, max_length=128, description="Your reference for the request (a ticket number)."
    )


class ErasureReceipt(BaseModel):
    """The erasure is under way: ingest erased its raw archive and told classify and respond to erase theirs;
    the audit shows the erasure (`GET /v1/audit?action=author.erased`) once respond has done its part."""

    erasure_id: str
    platform: PlatformId
    author_id: str
    requested_by: str
    requested_at: AwareDatetime
    reference: str | None = None
    status: Literal["accepted"] = "accepted"
    archived_deliveries: int | None = Field(
        default=None, description="Raw deliveries erased from the archive (null: no archive in this deployment)."
    )


class ErasureRecord(BaseModel):
    """What an erasure did, as respond recorded it (no content)."""

    erasure_id: str
    requested_by: str
    requested_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    reference: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    safety_cases_kept: list[str] = Field(default_factory=list)


class AuthorConversation(BaseModel):
    task_id: str
    status: str
    queue: str
    priority: int
    updated_at: AwareDatetime


class AuthorView(BaseModel):
    """A person as the agent's author panel shows them: who, what they said (newest first), their conversations."""

    platform: PlatformId
    id: str
    handle: str | None = None
    name: str | None = None
    mentions: list[StoredMention]
    next_cursor: str | None
    mention_count: int | None = Field(
        default=None, description="How many messages Hark holds from them, on every page."
    )
    conversations: list[AuthorConversation] = Field(description="The tasks of the mentions on this page.")
    safety_cases: list[str] = Field(default_factory=list, description="Case ids (safety and admin callers only).")
    erasures: list[ErasureRecord] = Field(default_factory=list, description="Erasures done on request.")


AUTHOR_KEY = re.compile(r"^[a-z]{1,32}/[^/,]{1,512}$")
MAX_AUTHOR_COUNTS = 50


class AuthorCountQuery(_Strict):
    authors: str = Field(
        min_length=3,
        max_length=MAX_AUTHOR_COUNTS * 545,
        pattern=r"^[a-z]{1,32}/[^/,]{1,512}(,[a-z]{1,32}/[^/,]{1,512})*$",
        description=f"Up to {MAX_AUTHOR_COUNTS} people as `platform/author_id`, comma-separated (ids URL-encoded).",
    )

    @field_validator("authors")
    @classmethod
    def _keys(cls, value: str) -> str:
        keys = value.split(",")
        if len(keys) > MAX_AUTHOR_COUNTS:
            raise ValueError(f"at most {MAX_AUTHOR_COUNTS} people at once")
        if not all(AUTHOR_KEY.match(k) for k in keys):
            raise ValueError("each person is `platform/author_id`")
        return value


class AuthorCounts(BaseModel):
    """How many messages Hark holds from each person asked about (the inbox's author history), keyed as asked."""

    counts: dict[str, int]


class AuthorExport(BaseModel):
    """Everything Hark holds of one person (GDPR Art. 15 and 20), as one JSON document."""

    platform: PlatformId
    id: str
    generated_at: AwareDatetime
    generated_by: str
    mentions: list[StoredMention]
    conversations: list[Task] = Field(description="Their conversations as the brand worked them, replies included.")
    notes: list[Note] = Field(description="Private notes on those conversations.")
    safety_cases: list[SafetyCase]
    erasures: list[ErasureRecord]
    sources: dict[str, str] = Field(description="Where each part comes from and how long it is kept.")


# Reports
ReportName = Literal["first-response", "resolution", "sla", "volume", "sentiment", "intent", "safety"]
REPORTS: tuple[str, ...] = ("first-response", "resolution", "sla", "volume", "sentiment", "intent", "safety")
MAX_REPORT_DAYS = 400


class ReportQuery(_Strict):
    since: AwareDatetime | None = Field(default=None, description="From (default: 30 days before `until`).")
    until: AwareDatetime | None = Field(default=None, description="Until, exclusive (default: now).")
    format: Literal["json", "csv"] = "json"
    bucket: Literal["hour", "day", "week"] = Field(default="day", description="Over-time reports: the step.")
    group_by: Literal["queue", "platform", "channel", "none"] = Field(
        default="queue", description="Time reports: one row per queue, platform or channel."
    )

    plus_sign = field_validator("since", "until", mode="before")(_plus)
    in_utc = field_validator("since", "until")(_utc)

    @model_validator(mode="after")
    def _window(self) -> ReportQuery:
        if self.since is not None and self.until is not None:
            if self.since >= self.until:
                raise ValueError("since must be before until")
            if self.until - self.since > timedelta(days=MAX_REPORT_DAYS):
                raise ValueError(f"a report covers at most {MAX_REPORT_DAYS} days")
        return self


class Report(BaseModel):
    """One report: a table (`columns`, `rows`; the CSV has the same) and the totals in `summary`."""

    name: ReportName
    title: str
    since: AwareDatetime
    until: AwareDatetime
    generated_at: AwareDatetime
    columns: list[str]
    rows: list[dict[str, Any]]
    summary: dict[str, Any] = Field(default_factory=dict)
    definitions: dict[str, str] = Field(default_factory=dict, description="What each column counts.")
    truncated: bool = Field(default=False, description="More records than a report reads; narrow the window.")


# The audit log of everything that is not a task's
AuditKind = Literal["config", "erasure", "safety_case"]


class AuditQuery(Paging):
    stream: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9_:-]+$",
        description="One stream, oldest first with its hash chain verified: `config`, `erasures`, a case id.",
    )
    kind: AuditKind | None = Field(default=None, description="Only configuration changes, erasures or cases.")
    action: str | None = Field(default=None, min_length=1, max_length=64, description="e.g. `author.erased`.")
    actor: str | None = Field(default=None, min_length=1, max_length=128)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None

    plus_sign = field_validator("since", "until", mode="before")(_plus)
    in_utc = field_validator("since", "until")(_utc)


class AuditLogPage(BaseModel):
    """Newest first (one stream: oldest first); `problems` lists what verification found (empty: intact)."""

    items: list[AuditEntry]
    next_cursor: str | None
    problems: list[str] = Field(default_factory=list)
