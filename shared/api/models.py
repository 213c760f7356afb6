"""The partner API's request and response models. The Chalice edge validates with them and the OpenAPI document is
generated from them, so what is published is what the code accepts and returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

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
    text_json_bytes,
)
from shared.store.paging import MAX_CURSOR, MAX_PAGE

MAX_BATCH = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
