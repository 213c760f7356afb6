"""The contracts between Hark's parts: the normalised `Mention`, its `Classification`, the `Task` a human works on,
and the versioned `Envelope` every message between services travels in.

A consumer parses exactly the envelope versions it understands (`parse_envelope`); anything else is a
`ContractError`, which fails only that SQS record and, after the queue's retries, parks it in the dead-letter queue.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from shared.errors import ContractError, validation_errors

# Route ids in `/webhooks/{platform}`, keys of the secrets, suffixes of HARK_API_BASE_<PLATFORM>; `reddit` and
# `wordpress` arrive through pollers or partner tools, `generic` is any partner tool.
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
]
PLATFORMS: tuple[str, ...] = get_args(PlatformId)

MentionKind = Literal["comment", "message", "post", "review"]
SentimentLabel = Literal["positive", "neutral", "negative", "mixed"]
Intent = Literal["question", "complaint", "request", "praise", "feedback", "spam", "other"]
TaskStatus = Literal["open", "closed"]
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
    """Frozen, strict about unknown fields: a typo in a producer is caught by the contract tests."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Author(Contract):
    id: str
    handle: str | None = None
    name: str | None = None
    followers: int | None = Field(default=None, ge=0)


class Attachment(Contract):
    type: str
    url: str | None = None


class Mention(Contract):
    """One thing someone said, normalised from whichever platform it came from."""

    id: str
    platform: PlatformId
    channel: str = Field(description="Surface within the platform, e.g. `facebook.comment`, `messenger`.")
    kind: MentionKind
    native_id: str = Field(description="The platform's own id of the message (what a reply refers to).")
    thread_id: str = Field(description="The conversation this message belongs to; one task per thread.")
    parent_id: str | None = None
    account_id: str | None = Field(default=None, description="The brand's page, repository or number.")
    author: Author
    from_brand: bool = Field(default=False, description="Written by the brand itself (a reply, an echo).")
    addressed: bool | None = Field(
        default=True,
        description="Addressed to the brand (a comment on its page, a DM, a review); null when not known, as for "
        "a public post found by listening.",
    )
    text: str
    truncated: bool = False
    url: str | None = None
    lang: str | None = Field(default=None, description="Language hint given by the platform, if any.")
    attachments: tuple[Attachment, ...] = ()
    rating: int | None = Field(default=None, ge=1, le=5, description="Star rating, where the platform has one.")
    created_at: AwareDatetime
    received_at: AwareDatetime


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


class TaskPreview(Contract):
    author: str | None
    text: str
    url: str | None


class Task(Contract):
    id: str
    status: TaskStatus
    priority: int = Field(ge=0, le=100)
    queue: str
    mention_ids: tuple[str, ...] = Field(description="The thread's most recent mentions (up to 200).")
    mention_count: int = Field(default=1, ge=1, description="All mentions the task has absorbed.")
    due_at: AwareDatetime
    platform: PlatformId
    thread_id: str
    reasons: tuple[str, ...] = ()
    preview: TaskPreview
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = 0


class ClassifiedMention(Contract):
    mention: Mention
    classification: Classification


DataT = TypeVar("DataT", bound=BaseModel)
EnvelopeT = TypeVar("EnvelopeT", bound="Envelope[Any]")


class Envelope(Contract, Generic[DataT]):
    """Every message between services. `event` + `version` say which contract `data` follows."""

    EVENT: ClassVar[str]
    VERSION: ClassVar[int]

    event: str
    version: int
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


class MentionReceived(Envelope[Mention]):
    """ingest → classify: a new mention, deduplicated and normalised."""

    EVENT: ClassVar[str] = "mention.received"
    VERSION: ClassVar[int] = 1
    event: Literal["mention.received"]
    version: Annotated[int, Field(ge=1, le=1)]


class MentionClassified(Envelope[ClassifiedMention]):
    """classify → respond: a stored, classified mention that needs a human."""

    EVENT: ClassVar[str] = "mention.classified"
    VERSION: ClassVar[int] = 1
    event: Literal["mention.classified"]
    version: Annotated[int, Field(ge=1, le=1)]


def parse_envelope(raw: str | bytes, expected: type[EnvelopeT]) -> EnvelopeT:
    try:
        return expected.model_validate_json(raw)
    except ValidationError as exc:
        raise ContractError(
            f"not a {expected.EVENT} v{expected.VERSION} envelope: {exc.error_count()} error(s)",
            errors=validation_errors(exc),
        ) from exc
