"""The contracts between Hark's parts: the normalised `Mention`, its `Classification`, the `Task` a human works on,
and the versioned `Envelope` every message between services travels in.

Producers are strict, consumers tolerant. Models ignore fields they do not know, so a producer that adds an optional
field does not break a consumer deployed before it; producers cannot add a field by accident, because mypy's pydantic
plugin refuses unknown keyword arguments (`init_forbid_extra`) and the contract tests compare what each producer
emits with the published fixtures. A consumer reads the versions it knows, upcasting older ones step by step
(`parse_envelope`); a body that is not an envelope at all, names an event the consumer does not take, or comes
from a newer major version is a `ContractError`, which the SQS edge parks in the dead-letter queue at once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar, get_args

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.errors import ContractError, validation_errors

# Route ids in `/webhooks/{platform}`, keys of the secrets, suffixes of HARK_API_BASE_<PLATFORM>; `reddit`,
# `wordpress` and `bluesky` arrive through pollers or partner tools, `generic` is any partner tool.
PlatformId = Literal[
    "meta",
    "x",
    "slack",
    "discord",
    "github",
    "youtube",
    "telegram",
    "twitch",
    "zendesk",
    "mastodon",
    "tiktok",
    "trustpilot",
    "google",
    "generic",
    "reddit",
    "wordpress",
    "bluesky",
]
PLATFORMS: tuple[str, ...] = get_args(PlatformId)

MentionKind = Literal["comment", "message", "post", "review"]
SentimentLabel = Literal["positive", "neutral", "negative", "mixed"]
Intent = Literal["question", "complaint", "request", "praise", "feedback", "spam", "other"]
TaskStatus = Literal[
    "open",
    "assigned",
    "drafting",
    "pending_approval",
    "approved",
    "sent",
    "send_failed",
    "escalated",
    "snoozed",
    "closed",
]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)

MAX_TEXT_CHARS = 100_000
# A stored mention must fit a 400 KB DynamoDB item and a 1 MiB SQS message; JSON escaping can multiply a character's
# size by six, so the budget is on the escaped form.
MAX_TEXT_JSON_BYTES = 150_000


def text_json_bytes(text: str) -> int:
    return len(json.dumps(text).encode())


def fit_text(text: str) -> tuple[str, bool]:
    """The text cut to the stored budget (by characters, then by escaped size), and whether it was cut."""
    cut = text[:MAX_TEXT_CHARS]
    if text_json_bytes(cut) > MAX_TEXT_JSON_BYTES:
        low, high = 0, len(cut)
        while low < high:  # the longest prefix that fits
            middle = (low + high + 1) // 2
            if text_json_bytes(cut[:middle]) <= MAX_TEXT_JSON_BYTES:
                low = middle
            else:
                high = middle - 1
        cut = cut[:low]
    return cut, len(cut) < len(text)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Contract(BaseModel):
    """Frozen; unknown fields are ignored when reading (tolerant consumers), refused by mypy when writing."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# Bounds on every field of a mention, so that a stored mention always fits a 400 KB DynamoDB item and a 1 MiB SQS
# message whatever a platform or partner sends: ingest checks them before it acknowledges anything.
MAX_ID_CHARS = 512
MAX_NAME_CHARS = 512
MAX_URL_CHARS = 2048
MAX_ATTACHMENTS = 20
MAX_REPLY_CONTEXT = 16
# More followers than any account on any platform has; a bigger number is a bug or a lie.
MAX_FOLLOWERS = 10_000_000_000

Identifier = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS)]


class Author(Contract):
    id: Identifier
    handle: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    name: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    followers: int | None = Field(default=None, ge=0, le=MAX_FOLLOWERS)


class Attachment(Contract):
    type: str = Field(max_length=64)
    url: str | None = Field(default=None, max_length=MAX_URL_CHARS)


class Mention(Contract):
    """One thing someone said, normalised from whichever platform it came from."""

    id: str = Field(max_length=64)
    platform: PlatformId
    channel: str = Field(max_length=64, description="Surface within the platform, e.g. `facebook.comment`.")
    kind: MentionKind
    native_id: Identifier = Field(description="The platform's own id of the message (what a reply refers to).")
    thread_id: Identifier = Field(description="The conversation this message belongs to; one task per thread.")
    parent_id: Identifier | None = None
    account_id: Identifier | None = Field(default=None, description="The brand's page, repository or number.")
    author: Author
    from_brand: bool = Field(default=False, description="Written by the brand itself (a reply, an echo).")
    addressed: bool | None = Field(
        default=True,
        description="Addressed to the brand (a comment on its page, a DM, a review); null when not known, as for "
        "a public post found by listening.",
    )
    text: str = Field(max_length=MAX_TEXT_CHARS)
    truncated: bool = Field(default=False, description="Something the sender sent was cut to fit (text, URL, name).")
    url: str | None = Field(default=None, max_length=MAX_URL_CHARS)
    lang: str | None = Field(default=None, max_length=16, description="Language hint given by the platform, if any.")
    attachments: tuple[Attachment, ...] = Field(default=(), max_length=MAX_ATTACHMENTS)
    rating: int | None = Field(default=None, ge=1, le=5, description="Star rating, where the platform has one.")
    created_at: AwareDatetime
    received_at: AwareDatetime
    edited_at: AwareDatetime | None = Field(default=None, description="When the author last edited it, if ever.")
    source: str = Field(
        default="platform",
        max_length=160,
        description="Who vouches for it: `platform` (a signed delivery or a poller's fetch from the platform), or "
        "`partner:<user>` (submitted through the partner API; its ids and threads live in that partner's namespace).",
    )
    reply_context: dict[str, Annotated[str, Field(max_length=MAX_URL_CHARS)]] = Field(
        default_factory=dict,
        max_length=MAX_REPLY_CONTEXT,
        description="What a reply needs beyond the ids above, as the connector found it: Discord `interaction_token` "
        "and `application_id`, Bluesky `cid`, `root_uri`, `root_cid`, Mastodon `visibility`, YouTube `video_id`, "
        "`top_level_comment_id`, ... Internal: never served by the API (`PRIVATE_REPLY_CONTEXT` are credentials).",
    )

    @field_validator("text")
    @classmethod
    def _text_fits(cls, text: str) -> str:
        if text_json_bytes(text) > MAX_TEXT_JSON_BYTES:
            raise ValueError(f"text is larger than {MAX_TEXT_JSON_BYTES} bytes once JSON-escaped")
        return text


class PiiSpan(Contract):
    type: str
    start: int
    end: int


class Entity(Contract):
    type: str
    text: str
    score: float = Field(ge=0, le=1)


# How a suspect product was recognised (see AdverseEventCriteria.match).
ProductMatch = Literal["policy", "generic", "brand", "name", "misspelling", "reference", "assumed"]


class AdverseEventCriteria(Contract):
    """The four minimum criteria of a valid adverse-event report, as far as the message shows them."""

    patient: bool
    reporter: bool
    product: str | None
    events: tuple[str, ...] = ()
    reaction_score: float = Field(default=0.0, ge=0, le=1)
    drug: str | None = Field(default=None, description="The product's generic name, when the drug lexicon knows it.")
    match: ProductMatch | None = Field(
        default=None,
        description="How the product was recognised: a name in the brand's policy, the lexicon's generic name, a "
        "brand, another name or a misspelling of one, a reference without a name (`your pill`), or the product the "
        "policy assumes.",
    )
    own_product: bool | None = Field(
        default=None, description="Whether it is one of the brand's products; null when the policy lists none."
    )


class Classification(Contract):
    """What Hark understood of a mention and what it decided. The fields of `hark classify` output."""

    language: str | None
    sentiment: SentimentLabel
    sentiment_score: float = Field(ge=0, le=1, description="Confidence in the sentiment label.")
    intent: Intent
    toxic: bool
    toxicity: float = Field(default=0.0, ge=0, le=1)
    pii: tuple[PiiSpan, ...] = ()
    adverse_event: bool = False
    adverse_event_criteria: AdverseEventCriteria | None = None
    needs_response: bool
    priority: int = Field(ge=0, le=100)
    reasons: tuple[str, ...] = ()
    entities: tuple[Entity, ...] = ()
    key_phrases: tuple[str, ...] = ()
    analyzer: str
    comprehend_apis: tuple[str, ...] = Field(default=(), description="Comprehend APIs called for this mention.")
    comprehend_units: int = Field(default=0, ge=0)
    classified_at: AwareDatetime


class StoredMention(Mention):
    """A mention as stored and served by the API: the mention, what classify made of it, and its task."""

    classification: Classification | None = None
    task_id: str | None = None
    deleted_at: AwareDatetime | None = Field(default=None, description="When it was deleted on its platform.")


class TaskPreview(Contract):
    author: str | None
    text: str
    url: str | None
    pii: tuple[PiiSpan, ...] = Field(default=(), description="Personal data in `text` (character spans).")


class TaskWarning(Contract):
    """Something an agent or approver should look at, with the words that triggered it."""

    code: str = Field(
        description="`stock_phrase`, `jargon`, `language`, `too_long`, `no_greeting`, `pii`, "
        "`window_closed`, `window_closing`, ..."
    )
    message: str
    words: tuple[str, ...] = ()


class Draft(Contract):
    revision: int = Field(ge=1, description="Increases with every change; approvals are for one revision.")
    text: str
    template: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    author: str
    updated_at: AwareDatetime
    warnings: tuple[TaskWarning, ...] = ()


class Approval(Contract):
    tier: int = Field(ge=1)
    tier_name: str
    approver: str
    draft_revision: int
    at: AwareDatetime


class Rejection(Contract):
    reason: str
    comment: str | None = None
    by: str
    draft_revision: int
    at: AwareDatetime


class SentReply(Contract):
    """A reply that went out: on the platform (`via: platform`, with the platform's id of it) or handed back to
    the partner tool the conversation came from (`via: partner`)."""

    draft_revision: int
    text: str
    by: str
    at: AwareDatetime
    via: Literal["platform", "partner"] = "platform"
    platform_id: str | None = None
    url: str | None = None
    tag: str | None = None
    mention_id: str | None = Field(default=None, description="The reply as it appears in the thread.")


class SendError(Contract):
    """The platform's refusal, as it gave it."""

    platform: str
    code: str = Field(
        description="`rate_limited`, `window_closed`, `not_found`, `bad_credentials`, `forbidden`, `too_long`, "
        "`duplicate`, `platform_error`, `unreachable`, `unknown_thread`, `refused` (outbound/refusals.py)"
    )
    message: str = Field(description="The platform's own words.")
    retryable: bool
    status: int | None = None
    at: AwareDatetime
    draft_revision: int
    reason: str | None = Field(default=None, description="What happened, in a sentence a person understands.")
    retry_at: AwareDatetime | None = Field(
        default=None, description="When the platform takes a retry (its Retry-After or rate-limit reset)."
    )


class SlaClock(Contract):
    name: Literal["first_response", "next_response", "resolution"]
    started_at: AwareDatetime
    due_at: AwareDatetime
    stopped_at: AwareDatetime | None = None
    near_breach_at: AwareDatetime | None = Field(default=None, description="When the sweep found it near breach.")
    breached_at: AwareDatetime | None = Field(default=None, description="When the sweep found it breached.")


class ReplyWindow(Contract):
    """The platform's own reply window (Messenger and Instagram: 24 h, 7 days with the human-agent tag;
    WhatsApp: 24 h, then approved templates only)."""

    channel: str
    closes_at: AwareDatetime
    tag_closes_at: AwareDatetime | None = Field(default=None, description="Until when the HUMAN_AGENT tag works.")
    after: Literal["tag", "template", "none"] = Field(description="What still works after `closes_at`.")


class Annotation(Contract):
    at: AwareDatetime
    kind: Literal["mention_deleted", "mention_edited", "brand_replied", "erased", "escalated", "config"]
    mention_id: str | None = None
    text: str


class TaskAuthor(Contract):
    id: str
    handle: str | None = None
    name: str | None = None


class Task(Contract):
    id: str
    status: TaskStatus
    priority: int = Field(ge=0, le=100)
    queue: str
    mention_ids: tuple[str, ...] = Field(description="The thread's most recent mentions (up to 200).")
    mention_count: int = Field(default=1, ge=1, description="All mentions the task has absorbed.")
    due_at: AwareDatetime = Field(
        description="The next deadline: the response clock while the customer waits "
        "(never later than the platform's reply window), else resolution."
    )
    platform: PlatformId
    thread_id: str
    reasons: tuple[str, ...] = ()
    preview: TaskPreview
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = 0
    channel: str = ""
    kind: MentionKind | None = None
    source: str = "platform"
    account_id: str | None = None
    language: str | None = None
    intent: Intent | None = None
    author: TaskAuthor | None = None
    preview_mention_id: str | None = None
    route_rule: int | None = Field(
        default=None, description="The routing rule that chose the queue (its index; -1: the safety rule)."
    )
    reply_to: str | None = Field(default=None, description="Mention id a reply answers (the latest customer one).")
    holder: str | None = Field(default=None, description="Who holds it (claimed or assigned).")
    lease_until: AwareDatetime | None = Field(default=None, description="Colleagues cannot claim it before this.")
    held_since: AwareDatetime | None = None
    draft: Draft | None = None
    approval_tiers: tuple[str, ...] = Field(default=(), description="The queue's tiers, in order.")
    approvals: tuple[Approval, ...] = Field(default=(), description="For the current draft revision.")
    rejection: Rejection | None = None
    replies: tuple[SentReply, ...] = Field(default=(), description="Replies sent (latest 20).")
    send_error: SendError | None = None
    sla: tuple[SlaClock, ...] = ()
    sla_state: Literal["ok", "near_breach", "breached"] = "ok"
    window_closes_at: AwareDatetime | None = Field(
        default=None, description="The platform's reply window; null where the platform has none (public comments)."
    )
    window: ReplyWindow | None = None
    warnings: tuple[TaskWarning, ...] = Field(default=(), description="The draft's voice warnings and the window's.")
    last_customer_at: AwareDatetime | None = None
    responded_at: AwareDatetime | None = Field(
        default=None, description="The brand's latest reply, from Hark or on the platform directly."
    )
    snoozed_until: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    cycle: int = Field(default=1, ge=1, description="Conversations in this thread (a late message starts one).")
    notes: int = Field(default=0, ge=0, description="Private notes on the task.")
    annotations: tuple[Annotation, ...] = Field(
        default=(), description="Edits, deletions, replies on the platform (latest 50)."
    )
    audit_hash: str = Field(default="", description="Hash of the latest audit entry.")
    safety_case_id: str | None = Field(
        default=None, description="The thread reported a suspected adverse event: its safety case."
    )
    crisis_incident_id: str | None = Field(
        default=None,
        description="A message of it arrived while its brand was in crisis mode: the incident (its priority was "
        "raised, and the holding statement is suggested while crisis mode lasts).",
    )
    actions: tuple[str, ...] = Field(default=(), description="What may be done in this status (not stored).")


class ClassifiedMention(Contract):
    mention: Mention
    classification: Classification


DataT = TypeVar("DataT", bound=BaseModel)
EnvelopeT = TypeVar("EnvelopeT", bound="Envelope[Any]")
Upcast = Callable[[dict[str, Any]], dict[str, Any]]


class Envelope(Contract, Generic[DataT]):
    """Every message between services. `event` + `version` say which contract `data` follows.

    `VERSION` is the version this code writes and the newest it reads; `UPCASTS[n]` turns the `data` of version n
    into that of version n + 1, so a message written by an older producer (or parked in a DLQ before a deploy) is
    still understood. Adding an optional field is not a new version; removing, renaming or retyping one is.
    """

    EVENT: ClassVar[str]
    VERSION: ClassVar[int]
    UPCASTS: ClassVar[Mapping[int, Upcast]] = {}

    event: str
    version: int = Field(ge=1)
    id: str
    correlation_id: str
    occurred_at: AwareDatetime
    emitted_at: AwareDatetime
    producer: str
    data: DataT

    @classmethod
    def wrap(cls, data: DataT, *, correlation_id: str, producer: str, occurred_at: datetime) -> Self:
        return cls(
            event=cls.EVENT,
            version=cls.VERSION,
            id=str(uuid.uuid4()),
            correlation_id=correlation_id,
            occurred_at=occurred_at,
            emitted_at=utcnow(),
            producer=producer,
            data=data,
        )


class Arrival(Contract):
    """A mention as ingest received it, and where its raw delivery is archived (for replay and erasure)."""

    mention: Mention
    delivery_id: str | None = Field(default=None, max_length=256)
    archive_key: str | None = Field(default=None, max_length=1024)


class MentionDeletion(Contract):
    """The author (or the platform) deleted a message Hark heard."""

    id: str
    platform: PlatformId
    native_id: str
    deleted_at: AwareDatetime


class AuthorErasure(Contract):
    """A person's right to erasure: every service forgets what it holds of `author_id` on `platform`."""

    erasure_id: str
    platform: PlatformId
    author_id: str
    requested_by: str
    requested_at: AwareDatetime
    reference: str | None = Field(default=None, max_length=128, description="The requester's reference (a ticket).")
    archived_deliveries: int | None = Field(
        default=None, description="Raw deliveries ingest erased from its archive (null: no archive)."
    )
    classified_mentions: int | None = Field(default=None, description="Mentions classify erased (set as it relays).")


def _arrival_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    # v1 carried the bare mention; v2 wraps it with its delivery, unknown for messages written by v1 producers.
    return {"mention": data, "delivery_id": None, "archive_key": None}


class MentionReceived(Envelope[Arrival]):
    """ingest → classify: a message heard on a platform or submitted by a partner, normalised. An edit of a known
    message arrives as the same mention id with a later `edited_at`."""

    EVENT: ClassVar[str] = "mention.received"
    VERSION: ClassVar[int] = 2
    UPCASTS: ClassVar[Mapping[int, Upcast]] = {1: _arrival_from_v1}
    event: Literal["mention.received"]


class MentionClassified(Envelope[ClassifiedMention]):
    """classify → respond: a mention stored for the first time, with what classify made of it. Sent for every
    mention, whether or not it needs a human (`classification.needs_response`): respond keeps the inbox, and the
    brand's own replies stop SLA clocks."""

    EVENT: ClassVar[str] = "mention.classified"
    VERSION: ClassVar[int] = 1
    event: Literal["mention.classified"]


class MentionUpdated(Envelope[ClassifiedMention]):
    """classify → respond: a stored mention was edited on its platform and classified again."""

    EVENT: ClassVar[str] = "mention.updated"
    VERSION: ClassVar[int] = 1
    event: Literal["mention.updated"]


SourceActivity = Literal["delivery", "poll", "notice"]


class SourceObservation(Contract):
    """What ingest saw of a source: deliveries verified (or refused), polls made, a platform's notice that a
    subscription or authorisation ended. Counts since the previous observation of the same kind."""

    source: str = Field(max_length=160, description="The source's id (the platform id, or its configured name).")
    platform: PlatformId
    activity: SourceActivity
    at: AwareDatetime = Field(description="The latest of the activities counted.")
    count: int = Field(default=1, ge=0)
    ok: bool = True
    code: str | None = Field(default=None, max_length=64, description="What went wrong, when something did.")
    message: str | None = Field(default=None, max_length=500)
    account_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    fingerprint: str | None = Field(
        default=None,
        max_length=64,
        description="The credential the platform refused and will not refresh (`code` token_revoked or "
        "token_refused): the source is unhealthy until the secret holds another.",
    )


class MentionDeleted(Envelope[MentionDeletion]):
    """ingest → classify → respond: a message was deleted on its platform; each owner marks its copy deleted."""

    EVENT: ClassVar[str] = "mention.deleted"
    VERSION: ClassVar[int] = 1
    event: Literal["mention.deleted"]


class AuthorErased(Envelope[AuthorErasure]):
    """ingest → classify → respond: erase a person; each owner deletes its copies, then passes it on."""

    EVENT: ClassVar[str] = "author.erased"
    VERSION: ClassVar[int] = 1
    event: Literal["author.erased"]


class SourceObserved(Envelope[SourceObservation]):
    """ingest → respond: deliveries, polls and notices of a source, for its health (`GET /v1/sources`)."""

    EVENT: ClassVar[str] = "source.observed"
    VERSION: ClassVar[int] = 1
    event: Literal["source.observed"]


EVENTS: tuple[type[Envelope[Any]], ...] = (
    MentionReceived,
    MentionClassified,
    MentionUpdated,
    MentionDeleted,
    AuthorErased,
    SourceObserved,
)
# Reply context that is a credential (Discord's interaction token posts as the app for 15 minutes): kept between
# services, never served by the API.
PRIVATE_REPLY_CONTEXT = frozenset({"interaction_token"})


def parse_envelope(raw: str | bytes, accepted: Sequence[type[Envelope[Any]]]) -> Envelope[Any]:
    """The envelope in `raw`, upcast to the newest version its event has. A `ContractError` means the message can
    never be processed by this consumer: it is not an envelope, names an event not in `accepted`, comes from a newer
    major version, or its data breaks the contract."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError("not an envelope: the body is not JSON") from exc
    if not isinstance(document, dict):
        raise ContractError("not an envelope: the body is not a JSON object")
    by_event = {model.EVENT: model for model in accepted}
    event, version = document.get("event"), document.get("version")
    model = by_event.get(event) if isinstance(event, str) else None
    if model is None:
        raise ContractError(f"not an envelope this consumer takes: event {str(event)[:64]!r}", accepts=sorted(by_event))
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ContractError(f"{model.EVENT}: the version is not a positive whole number")
    if version > model.VERSION:
        raise ContractError(f"{model.EVENT} v{version} is newer than this consumer reads (v{model.VERSION})")
    data = document.get("data")
    for step in range(version, model.VERSION):
        if not isinstance(data, dict):
            break  # validation below says what is wrong
        data = model.UPCASTS[step](data)
    try:
        return model.model_validate({**document, "version": model.VERSION, "data": data})
    except ValidationError as exc:
        raise ContractError(
            f"not a valid {model.EVENT} v{version} envelope: {exc.error_count()} error(s)",
            errors=validation_errors(exc),
        ) from exc
