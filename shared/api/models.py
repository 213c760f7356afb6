"""The partner API's request and response models. The Chalice edge validates with them and the OpenAPI document is
generated from them, so what is published is what the code accepts and returns."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    HttpUrl,
    RootModel,
    Tag,
    field_validator,
    model_validator,
)

from shared.events import (
    MAX_FOLLOWERS,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_TEXT_JSON_BYTES,
    MentionKind,
    PlatformId,
    StoredMention,
    Task,
    TaskStatus,
    TaskWarning,
    text_json_bytes,
)
from shared.store.paging import MAX_CURSOR, MAX_PAGE

MAX_BATCH = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _is_time(annotation: Any) -> bool:
    return annotation in (datetime, AwareDatetime) or any(_is_time(arg) for arg in get_args(annotation))


def _trimmed(schema: dict[str, Any]) -> None:
    """Strings are trimmed before their length is checked: say so in the document, so that a value the schema
    allows (a lone tab, a vertical tab) is not refused as empty. `\\S` is "a character that is not space"."""
    for prop in schema.get("properties", {}).values():
        for option in (prop, *prop.get("anyOf", ())):
            if option.get("type") == "string" and option.get("minLength", 0) >= 1 and "pattern" not in option:
                option["pattern"] = r"\S"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_trimmed)

    @model_validator(mode="before")
    @classmethod
    def _times_are_text(cls, data: Any) -> Any:
        """A time is RFC 3339 text with an offset, as the OpenAPI document says; pydantic alone would also read a
        number (`0`, `"0.5"`) as seconds since 1970, so the code would take what the schema refuses."""
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                value = data.get(info.alias or name)
                number = isinstance(value, int | float) and not isinstance(value, bool)
                if _is_time(info.annotation) and (number or (isinstance(value, str) and _NUMBER.fullmatch(value))):
                    raise ValueError(f"{info.alias or name} must be an RFC 3339 time with an offset, not a number")
        return data


class PartnerAuthor(_Strict):
    id: str = Field(min_length=1, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    name: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    followers: int | None = Field(default=None, ge=0, le=MAX_FOLLOWERS)


class PartnerMention(_Strict):
    """A mention as a partner tool submits it. `native_id` is its id in the system it came from; submitting the
    same (`platform`, `native_id`) again is recognised as a duplicate."""

    platform: PlatformId = "generic"
    channel: str | None = Field(default=None, max_length=64)
    kind: MentionKind = "comment"
    native_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    thread_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)
    parent_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)
    account_id: str | None = Field(default=None, min_length=1, max_length=MAX_ID_CHARS)
    author: PartnerAuthor
    from_brand: bool = False
    addressed: bool | None = Field(default=True, description="false or null for posts found by listening")
    text: str = Field(max_length=MAX_TEXT_CHARS)
    url: HttpUrl | None = Field(default=None, max_length=2048)
    lang: str | None = Field(default=None, min_length=2, max_length=16)
    rating: int | None = Field(default=None, ge=1, le=5)
    created_at: AwareDatetime | None = None

    @field_validator("text")
    @classmethod
    def _fits(cls, text: str) -> str:
        if text_json_bytes(text) > MAX_TEXT_JSON_BYTES:
            raise ValueError(f"text is larger than {MAX_TEXT_JSON_BYTES} bytes once JSON-escaped")
        return text


class PartnerBatch(_Strict):
    mentions: list[PartnerMention] = Field(min_length=1, max_length=MAX_BATCH)


def _submission_kind(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "mentions" in value else "one"


OneOrBatch = Annotated[
    Annotated[PartnerBatch, Tag("batch")] | Annotated[PartnerMention, Tag("one")],
    Discriminator(_submission_kind),
]


class Submission(RootModel[OneOrBatch]):
    """One mention object, or `{"mentions": [...]}` with up to 100."""

    @property
    def mentions(self) -> list[PartnerMention]:
        return self.root.mentions if isinstance(self.root, PartnerBatch) else [self.root]


class SubmissionItem(BaseModel):
    id: str
    native_id: str
    status: Literal["accepted", "duplicate"] = Field(
        description="`accepted`, or `duplicate` when the same mention appears earlier in this submission."
    )


class SubmissionResult(BaseModel):
    mentions: list[SubmissionItem]


class WebhookReceipt(BaseModel):
    """What a platform is told about its delivery."""

    accepted: int = Field(description="Messages kept: archived and on their way to classification.")
    ignored: int = Field(description="Events that carry no message (reactions, receipts, typing).")
    mention_ids: list[str]
    deleted: int = Field(default=0, description="Messages deleted on the platform, passed on to every copy.")


Cursor = Annotated[str, Field(min_length=1, max_length=MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+$")]


class Paging(_Strict):
    cursor: Cursor | None = Field(default=None, description="`next_cursor` of the previous page.")
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description="Page size.")


class MentionQuery(Paging):
    after: Cursor | None = Field(
        default=None,
        description="The live feed: only mentions stored after this position (`feed_cursor` of a listing, or "
        "`next_cursor` of the previous `after` answer), oldest first. Never repeats or skips one; what was stored "
        "in the last few seconds waits for the next call, so that one stored late is not passed over.",
    )
    platform: PlatformId | None = Field(default=None, description="Only this platform.")
    needs_response: bool | None = Field(default=None, description="Only mentions that need (or not) a human.")
    since: AwareDatetime | None = Field(default=None, description="Received at or after (RFC 3339, with offset).")
    # The command center's filters and search, applied by respond to every stored mention (not only a page of them).
    network: str | None = Field(
        default=None, pattern=r"^[a-z]{1,32}$", description="A platform or a channel's network (`instagram`)."
    )
    account: str | None = Field(default=None, min_length=1, max_length=256, description="The account addressed.")
    sentiment: Literal["positive", "neutral", "negative", "mixed"] | None = None
    intent: str | None = Field(default=None, min_length=1, max_length=64)
    language: str | None = Field(default=None, min_length=1, max_length=16, description="As classified (`en`).")
    queue: str | None = Field(
        default=None, min_length=1, max_length=64, description="Conversations still being worked in this queue."
    )
    assignee: str | None = Field(
        default=None, min_length=1, max_length=128, description="Conversations this user holds (`me`: the caller)."
    )
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Words in the text or the author's handle or name, any case (a viewer's search sees masked text). "
        "A filtered listing reads up to 1,000 mentions per call: fewer than `limit` items with a `next_cursor` "
        "means read on.",
    )

    @field_validator("since", mode="before")
    @classmethod
    def _plus_sign(cls, value: Any) -> Any:
        # A literal "+" in a query string arrives as a space unless the client encoded it.
        return value.strip().replace(" ", "+") if isinstance(value, str) else value

    @field_validator("since")
    @classmethod
    def _not_before_epoch(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return max(value.astimezone(UTC), EPOCH)
        except OverflowError as exc:
            raise ValueError("the time is out of range") from exc

    @model_validator(mode="after")
    def _one_direction(self) -> MentionQuery:
        if self.after is not None and (self.cursor is not None or self.since is not None):
            raise ValueError("`after` reads forwards; it cannot be combined with `cursor` or `since`")
        return self


class TaskQuery(Paging):
    status: TaskStatus | None = Field(default=None, description="Only this status.")
    queue: str | None = Field(default=None, min_length=1, max_length=64, description="Only this queue.")
    holder: str | None = Field(
        default=None, min_length=1, max_length=128, description="Only tasks this user holds (`me`: the caller)."
    )
    active: bool = Field(default=False, description="Only tasks still being worked: every status but `closed`.")


class ClaimQuery(_Strict):
    takeover: bool = Field(default=False, description="An admin takes the task from its holder.")


class AssignBody(_Strict):
    user: str = Field(min_length=1, max_length=128, description="The user id to give the task to.")


MAX_NOTE_CHARS = 10_000
MAX_DRAFT_CHARS = 65_536


class NoteBody(_Strict):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="Private; `@user` notifies them.")


class DraftBody(_Strict):
    """Either `text`, or a `template` id with `variables` (first_name, handle, order_ref, ...; what is not given
    is filled from the task and the agent)."""

    text: str | None = Field(default=None, min_length=1, max_length=MAX_DRAFT_CHARS)
    template: str | None = Field(default=None, min_length=1, max_length=64)
    variables: dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=20
    )

    @model_validator(mode="after")
    def _one_of(self) -> DraftBody:
        if (self.template is None) == (self.text is None):
            raise ValueError("give either text or template")
        return self


class ApproveBody(_Strict):
    draft_revision: int | None = Field(default=None, ge=1, description="The revision the approver read.")


RejectReason = Literal["tone", "accuracy", "policy", "legal", "medical", "privacy", "other"]


class RejectBody(_Strict):
    reason: RejectReason
    comment: str | None = Field(default=None, max_length=2000)


class SendBody(_Strict):
    tag: Literal["HUMAN_AGENT"] | None = Field(
        default=None, description="Messenger/Instagram: answer a message older than 24 h (up to 7 days)."
    )
    public: bool = Field(
        default=True,
        description="Zendesk: false posts an internal note (the requester does not see it; the response clock runs).",
    )


class SnoozeBody(_Strict):
    until: AwareDatetime


class AuditEntry(BaseModel):
    """One change, as recorded."""

    model_config = ConfigDict(frozen=True)

    stream: str = Field(description="The task id (or `config`).")
    seq: int = Field(ge=1)
    at: AwareDatetime
    actor: str = Field(description="The user, or `hark` for what Hark did by itself.")
    action: str
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""
    sealed: list[str] = Field(
        default_factory=list,
        description="Values kept apart as personal content (`after.preview`, `detail.text`): erasure deletes them "
        "and leaves the entry, whose `hash` covers `content_hash`, not the content.",
    )
    content_hash: str = Field(default="", description="SHA-256 of the salted content kept apart.")
    content: Literal["inline", "kept", "erased"] = Field(
        default="inline",
        description="Not hashed: `kept` when the content kept apart is shown, `erased` when erasure removed it.",
    )


class AuditPage(BaseModel):
    """A task's trail, oldest first; `problems` lists what verification of this page found (empty: intact)."""

    items: list[AuditEntry]
    next_cursor: str | None
    problems: list[str] = Field(default_factory=list)


class Note(BaseModel):
    key: str
    task_id: str
    author: str
    text: str
    mentions: list[str] = Field(default_factory=list, description="Users notified by an @mention.")
    at: AwareDatetime


class NotePage(BaseModel):
    items: list[Note]
    next_cursor: str | None


class Notification(BaseModel):
    key: str
    user: str
    kind: Literal[
        "mentioned",
        "assigned",
        "sla_near_breach",
        "sla_breached",
        "rejected",
        "approval_needed",
        "safety_case",
        "source_unhealthy",
    ]
    task_id: str | None = None
    by: str | None = None
    text: str
    at: AwareDatetime
    case_id: str | None = Field(default=None, description="The safety case it is about.")


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: str | None


class Suggestion(BaseModel):
    template: str
    language: str
    text: str
    warnings: list[TaskWarning]


class Suggestions(BaseModel):
    """Replies suggested from the configured templates for the task's intent and language, filled in."""

    items: list[Suggestion]


class SweepResult(BaseModel):
    """What one SLA sweep did."""

    at: AwareDatetime
    checked: int
    near_breach: int
    breached: int
    escalated: int
    woken: int
    closed: int
    breached_tasks: list[str] = Field(default_factory=list)


class ConfigView(BaseModel):
    """The configuration in force, its fingerprint and where it came from."""

    digest: str
    source: str
    config: dict[str, Any]


class MentionPage(BaseModel):
    items: list[StoredMention]
    next_cursor: str | None
    feed_cursor: str | None = Field(
        default=None,
        description="Pass as `after` to receive what is stored from now on (mentions of the last few seconds may "
        "come again: they are the same ids).",
    )


class Me(BaseModel):
    """Who the key acts as: its user, roles and the key's id (a hash, never the key)."""

    user: str
    roles: list[str]
    key_id: str


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


class Health(BaseModel):
    status: Literal["ok"]
    service: str
    stage: str


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` lists each invalid field for validation problems."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


# Incidents (respond): CloudWatch alarms and detected spikes, acknowledged and resolved by on-call.
IncidentStatus = Literal["open", "acknowledged", "resolved"]
IncidentKind = Literal["alarm", "spike"]
Severity = Literal["critical", "warning", "info"]


class SnsNotification(BaseModel):
    """An SNS message as AWS delivers it (HTTP/S subscription body, or a Lambda event record's `Sns`): the
    CloudWatch alarm state change is the JSON string in `Message`. Fields SNS adds for Lambda are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] = Field(alias="Type")
    message_id: str = Field(alias="MessageId", min_length=1, max_length=128)
    topic_arn: str = Field(default="", alias="TopicArn", max_length=512)
    subject: str | None = Field(default=None, alias="Subject", max_length=512)
    message: str = Field(alias="Message", max_length=256 * 1024)
    timestamp: AwareDatetime | None = Field(default=None, alias="Timestamp")


class TermCount(BaseModel):
    term: str
    count: int


class SpikeExplanation(BaseModel):
    """Why a spike was raised: the rule, the numbers it compared, and what the surge was about."""

    rule: str = Field(description="`burst`, `hour_baseline` or `day_baseline`.")
    summary: str
    window_minutes: int
    mentions: int = Field(description="Mentions in the window.")
    negative: int = Field(description="Negative mentions in the window.")
    baseline: float | None = Field(default=None, description="What the baseline expected for the window.")
    threshold: float = Field(description="The count the rule needed to fire.")
    negative_share: float
    baseline_negative_share: float | None = None
    top_terms: list[TermCount] = Field(default_factory=list, description="Most frequent words of negative ones.")
    platforms: dict[str, int] = Field(default_factory=dict)
    accounts: dict[str, int] = Field(default_factory=dict, description="The brand accounts addressed.")
    sample_mention_ids: list[str] = Field(default_factory=list)


class AlarmDetails(BaseModel):
    name: str
    state: str
    previous_state: str | None = None
    reason: str = ""
    description: str | None = None
    arn: str | None = None
    region: str | None = None
    account: str | None = None
    metric: str | None = None
    namespace: str | None = None
    threshold: float | None = None
    changed_at: datetime | None = None


class IncidentEntry(BaseModel):
    at: datetime
    what: str
    by: str


class Incident(BaseModel):
    id: str
    kind: IncidentKind
    source: str = Field(description="The alarm's name, or the detector rule and brand.")
    title: str
    severity: Severity
    status: IncidentStatus
    brand: str
    crisis: bool = Field(description="A crisis alert (volume or sentiment surge), not a pipeline fault.")
    crisis_mode: bool = Field(default=False, description="This incident put its brand into crisis mode.")
    holding_statement: str | None = Field(default=None, description="A suggested first public reply.")
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    occurrences: int = 1
    alarm: AlarmDetails | None = None
    why: SpikeExplanation | None = None
    timeline: list[IncidentEntry] = Field(default_factory=list)


class IncidentQuery(Paging):
    status: IncidentStatus | None = Field(default=None, description="Only this status (default: all).")


class IncidentPage(BaseModel):
    items: list[Incident]
    next_cursor: str | None


class IncidentAction(_Strict):
    note: str | None = Field(default=None, max_length=2000)
    crisis_mode: bool | None = Field(
        default=None, description="On ack: put the brand into crisis mode (true) or not (false)."
    )


class AlarmReceipt(BaseModel):
    incident: Incident | None = Field(description="The incident the alarm opened or updated; null if ignored.")
    outcome: Literal["opened", "updated", "resolved", "duplicate", "ignored"]


class SourceError(BaseModel):
    at: datetime
    where: Literal["delivery", "poll", "send", "token", "notice"]
    code: str
    message: str


class SourceCredential(BaseModel):
    configured: bool
    refreshable: bool = Field(description="Hark can refresh it when it expires (an OAuth refresh token, a session).")
    expires_at: datetime | None = None
    refreshed_at: datetime | None = None


class Source(BaseModel):
    """A platform Hark hears and answers on, and how it is doing."""

    id: str
    platform: str
    health: Literal["ok", "unhealthy", "unknown"] = Field(
        description="`unhealthy`: its credential was refused and cannot be refreshed, or the platform ended the "
        "subscription; replies are not attempted until a new credential is stored. `unknown`: nothing seen yet."
    )
    reason: str | None = Field(default=None, description="Why it is unhealthy, and what to do.")
    unhealthy_since: datetime | None = None
    last_delivery_at: datetime | None = Field(default=None, description="A webhook delivery verified (to the minute).")
    last_poll_at: datetime | None = None
    last_send_at: datetime | None = Field(default=None, description="A reply the platform took.")
    last_error: SourceError | None = None
    deliveries: int = 0
    polls: int = 0
    sends: int = 0
    send_failures: int = 0
    credential: SourceCredential | None = None


class SourcePage(BaseModel):
    items: list[Source]


# The overview (respond): hourly counts kept as mentions are stored and SLA clocks stop.
class OverviewQuery(_Strict):
    hours: int = Field(default=24, ge=1, le=168, description="How many hours back, up to a week.")


class OverviewHour(BaseModel):
    start: AwareDatetime
    mentions: int
    needs_response: int
    by_network: dict[str, int] = Field(
        description="Facebook, Instagram, Messenger and WhatsApp apart; else the platform."
    )
    by_sentiment: dict[str, int]
    by_intent: dict[str, int]


class ClockStats(BaseModel):
    """One SLA clock (first response, next response, resolution) over the period: how many stopped, how many in
    time, and their median and 90th percentile durations (estimated from duration buckets)."""

    stopped: int
    within_sla: int
    median_s: float | None
    p90_s: float | None


class Overview(BaseModel):
    """What was heard, hour by hour (oldest first, every hour of the period), and how fast it was answered."""

    generated_at: AwareDatetime
    hours: int
    buckets: list[OverviewHour]
    this_hour: int = Field(description="Mentions stored since the top of the current hour.")
    usual_this_hour: float | None = Field(
        description="The mean of the same hour on the previous seven days that were counted; null without history."
    )
    first_response: ClockStats
    next_response: ClockStats
    resolution: ClockStats
