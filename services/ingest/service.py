"""The ingest core: from what a platform or partner sent to mentions on the classify queue, every refusal explicit.

It takes typed inputs (a `Delivery`, a `Handshake`, a partner's submissions with its `Principal`) and returns
domain results or raises domain errors; the Chalice edge, a poller, `hark replay` and the tests all call it the same
way. Order of checks for a delivery: size, signature on the raw bytes, content type, body. Nothing is kept before all
of them pass, and every mention is fitted to the contract's bounds, so whatever is acknowledged can be stored. Then
the raw delivery is archived (`archive.py`) and its mentions queued, each carrying its archive key; if either
fails the delivery is refused (503) and the platform retries it. `replay` re-drives an archived delivery through
the same parse and queue, without the signature check (the archive keeps no signatures, and only ingest writes it).

Redeliveries are not looked up here. A mention's id is a hash of where it came from and the platform's id for it,
so every copy of a message carries the same id, and its owner's conditional write (classify's mentions table,
respond's inbox and tasks) keeps the first and drops the rest. That costs a duplicate one queue message, and saves
every delivery two DynamoDB round trips per message, which is what lets a 400-message Meta batch be acknowledged
within Slack's and Discord's three seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from pydantic import ValidationError

from services.ingest.archive import Archive, ArchivedDelivery, author_key
from services.ingest.observations import ENDING_NOTICES, NoObserver, Observer
from services.ingest.platforms.base import (
    Answer,
    Connector,
    Delivery,
    Handshake,
    Notice,
    Parsed,
    Person,
    build_mention,
)
from shared.api.models import PartnerMention
from shared.auth import Principal, Role
from shared.errors import (
    HarkError,
    InvalidBody,
    InvalidSignature,
    NoHandshake,
    NotConfigured,
    NotFound,
    NotPermitted,
    StaleDelivery,
    TooLarge,
    Unavailable,
    UnsupportedContentType,
)
from shared.events import (
    PLATFORMS,
    Arrival,
    AuthorErased,
    AuthorErasure,
    Envelope,
    Mention,
    MentionDeleted,
    MentionDeletion,
    MentionReceived,
    PlatformId,
    SourceActivity,
    SourceObservation,
)
from shared.observability import count, get_logger
from shared.secrets import SecretSource
from shared.settings import Settings

SERVICE = "ingest"
# Roles that may submit a mention in the brand's own name (a reply the brand posted elsewhere).
BRAND_AUTHORS: frozenset[Role] = frozenset({"agent", "admin"})


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        """Send every envelope; the ids of those that could not be sent."""


class Notices(Protocol):
    def notify(self, notices: Sequence[Notice]) -> None:
        """Hand on what a platform said that is not a message (a new video, a lease, a revoked subscription)."""


class LoggedNotices:
    """Until a part of Hark subscribes to them, notices are logged (one structured line each) and counted."""

    def notify(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            get_logger(SERVICE).info(
                "platform notice",
                extra={
                    "platform": notice.platform,
                    "notice": notice.kind,
                    "ref": notice.ref,
                    "account_id": notice.account_id,
                    "at": notice.at.isoformat(),
                    **{f"detail_{k}": v for k, v in notice.detail.items()},
                },
            )
        if notices:
            count(SERVICE, "PlatformNotices", len(notices))


@dataclass(frozen=True)
class Receipt:
    """A delivery kept: archived, its mentions on their way to classification, its deletions to every owner of a
    copy; `ignored` events carried no message."""

    mentions: tuple[Mention, ...]
    ignored: int = 0
    deletions: tuple[MentionDeletion, ...] = ()
    archive_key: str | None = None


@dataclass(frozen=True)
class Erasure:
    """An erasure under way: the raw archive is done, classify and respond have been told."""

    event: AuthorErasure
    archived_deliveries: int | None


@dataclass(frozen=True)
class Submitted:
    mention: Mention
    repeat: bool  # the same mention appears earlier in the same submission


class IngestService:
    def __init__(
        self,
        settings: Settings,
        secrets: SecretSource,
        publisher: Publisher,
        connectors: Mapping[str, Connector],
        notices: Notices | None = None,
        observer: Observer | None = None,
        *,
        archive: Archive | None = None,
    ) -> None:
        """`archive` None: deliveries are not archived (tests and tools that only parse)."""
        self._settings = settings
        self._secrets = secrets
        self._publisher = publisher
        self._connectors = connectors
        self._notices = notices or LoggedNotices()
        self._archive = archive
        self._observer = observer or NoObserver()

    def connector(self, platform: str) -> Connector:
        connector = self._connectors.get(platform)
        if connector is None:
            raise NotFound(f"there is no webhook for platform {platform[:40]!r}", platforms=sorted(self._connectors))
        return connector

    def handshake(self, handshake: Handshake) -> Answer:
        answer = self.connector(handshake.platform).handshake(handshake, self._secrets.get())
        if answer is None:
            raise NoHandshake(f"{handshake.platform} has no subscription handshake; its webhooks are delivered")
        count(SERVICE, "HandshakesAnswered")
        self._notify(answer.notices)
        return answer

    def receive(self, delivery: Delivery) -> Receipt | Answer:
        """Verify, parse and keep one delivery; or the answer its protocol expects (a ping, a challenge)."""
        connector = self.connector(delivery.platform)
        limit = self._settings.max_webhook_bytes
        if len(delivery.body) > limit:
            raise TooLarge(f"the body is {len(delivery.body)} bytes; the limit is {limit}", limit=limit)
        try:
            connector.verify(delivery, self._secrets.get())
        except InvalidSignature as refused:
            count(SERVICE, "SignaturesRejected")
            code = "stale_delivery" if isinstance(refused, StaleDelivery) else "invalid_signature"
            self.observe(
                delivery.platform, "delivery", delivery.received_at, ok=False, code=code, message=refused.detail
            )
            raise
        except NotConfigured as missing:
            self.observe(
                delivery.platform,
                "delivery",
                delivery.received_at,
                ok=False,
                code="not_configured",
                message=missing.detail,
            )
            raise
        parsed = self._parse(connector, delivery)
        delivery_id = _token(connector.delivery_id(delivery)) or _token(delivery.request_id) or str(uuid.uuid4())
        mentions = _unique(parsed.mentions)
        deletions = list({d.id: d for d in parsed.deletions}.values())
        archive_key = None
        # Whatever the delivery carried is kept raw before it is acted on; a bare protocol exchange (a ping) is not.
        if self._archive is not None and (mentions or deletions or parsed.notices or parsed.ignored):
            archive_key = self._archive.keep(
                delivery, delivery_id, {author_key(m.platform, m.author.id) for m in mentions}
            )
            count(SERVICE, "DeliveriesArchived")
        self.admit(
            mentions, correlation_id=delivery_id, delivery_id=delivery_id, archive_key=archive_key, deletions=deletions
        )
        self.observe(delivery.platform, "delivery", delivery.received_at)
        self._notify(parsed.notices)
        if parsed.ignored:
            count(SERVICE, "EventsIgnored", parsed.ignored)
        get_logger(SERVICE).info(
            "webhook delivery",
            extra={
                "platform": delivery.platform,
                "delivery_id": delivery_id,
                "archive_key": archive_key,
                "accepted": len(mentions),
                "deleted": len(deletions),
                "ignored": parsed.ignored,
            },
        )
        if parsed.answer is not None:
            return parsed.answer
        return Receipt(tuple(mentions), parsed.ignored, tuple(deletions), archive_key)

    def replay(self, archived: ArchivedDelivery) -> Receipt:
        """Re-drive an archived delivery: parse and queue it again as it first arrived (same arrival time, same
        ids), trusting the archive instead of a signature. Its owners drop whatever they already hold, so a replay
        adds only what was lost downstream."""
        delivery = archived.delivery
        parsed = self._parse(self.connector(delivery.platform), delivery)
        mentions = _unique(parsed.mentions)
        deletions = list({d.id: d for d in parsed.deletions}.values())
        self.admit(
            mentions,
            correlation_id=archived.delivery_id,
            delivery_id=archived.delivery_id,
            archive_key=archived.key,
            deletions=deletions,
        )
        # Notices are not sent again: they were acted on when the delivery arrived, and are no one's to drop.
        count(SERVICE, "DeliveriesReplayed")
        return Receipt(tuple(mentions), parsed.ignored, tuple(deletions), archived.key)

    def _parse(self, connector: Connector, delivery: Delivery) -> Parsed:
        if delivery.content_type not in connector.content_types:
            raise UnsupportedContentType(
                f"content type {delivery.content_type[:64] or '(none)'} is not accepted here",
                accepted=sorted(connector.content_types),
            )
        try:
            return connector.parse(delivery)
        except HarkError as refused:
            self.observe(
                delivery.platform,
                "delivery",
                delivery.received_at,
                ok=False,
                code="invalid_body",
                message=refused.detail,
            )
            raise
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            # A shape the parser did not foresee is still the sender's malformed body, not a failure of ours.
            get_logger(SERVICE).warning(
                "unparsed delivery", extra={"platform": delivery.platform, "error": type(exc).__name__}
            )
            raise InvalidBody(f"the body is not a {delivery.platform} delivery Hark can read") from exc

    def observe(
        self,
        platform: str,
        activity: SourceActivity,
        at: datetime,
        *,
        ok: bool = True,
        code: str | None = None,
        message: str | None = None,
        count: int = 1,
        source: str | None = None,
        account_id: str | None = None,
    ) -> None:
        """Tell respond what was seen of a source (a delivery, a poll, a notice); pollers call it after each poll.
        Never raises: the observation is not worth a delivery."""
        if platform not in self._connectors and activity != "poll":
            return
        try:
            seen = SourceObservation(
                source=source or platform,
                platform=cast(PlatformId, platform),
                activity=activity,
                at=at,
                count=count,
                ok=ok,
                code=code[:64] if code else None,
                message=message[:500] if message else None,
                account_id=account_id,
            )
            self._observer.observe(seen)
        except (HarkError, ValueError) as error:
            get_logger(SERVICE).warning("source not observed", extra={"platform": platform, "error": str(error)})

    def _notify(self, notices: Sequence[Notice]) -> None:
        self._notices.notify(notices)
        for notice in notices:
            if notice.kind in ENDING_NOTICES:
                said = ", ".join(f"{k}: {v}" for k, v in notice.detail.items())
                self.observe(
                    notice.platform,
                    "notice",
                    notice.at,
                    ok=False,
                    code=notice.kind,
                    message=f"{notice.ref}" + (f" ({said})" if said else ""),
                    account_id=notice.account_id,
                )
            elif notice.kind == "subscription.verified":
                self.observe(notice.platform, "notice", notice.at, account_id=notice.account_id)

    def submit(
        self,
        principal: Principal,
        submissions: Sequence[PartnerMention],
        *,
        received_at: datetime,
        request_id: str = "",
    ) -> list[Submitted]:
        """A partner tool's mentions, in its own namespace: it cannot claim a platform's ids or threads, and writes
        as the brand only with a role that may."""
        if any(s.from_brand for s in submissions) and not principal.has_any(BRAND_AUTHORS):
            raise NotPermitted(
                f"{principal.user} may not submit mentions as the brand (from_brand); that needs the agent or "
                "admin role",
                needs=sorted(BRAND_AUTHORS),
            )
        source = f"partner:{principal.user}"
        try:
            mentions = [_partner_mention(s, source, received_at) for s in submissions]
        except ValidationError as exc:  # a value the API model allows but the contract does not
            raise InvalidBody("a mention does not fit the contract") from exc
        unique = _unique(mentions)
        correlation_id = _token(request_id) or str(uuid.uuid4())
        self.admit(unique, correlation_id=correlation_id, delivery_id=None)
        seen: set[str] = set()
        answered = []
        for mention in mentions:
            answered.append(Submitted(mention, repeat=mention.id in seen))
            seen.add(mention.id)
        return answered

    def erase(
        self, principal: Principal, platform: str, author_id: str, *, reference: str | None, requested_at: datetime
    ) -> Erasure:
        """A person's erasure enters here, at the front door: ingest erases its raw archive first (a failure answers
        503 before anyone is told, and the request can simply be repeated), then tells classify, which erases its
        mentions and tells respond. Repeating a request erases again; nothing is lost by it."""
        if platform not in PLATFORMS:
            raise NotFound(f"there is no platform {platform[:32]!r}", platforms=list(PLATFORMS))
        archived = self._archive.erase_author(platform, author_id) if self._archive is not None else None
        event = AuthorErasure(
            erasure_id="er_" + uuid.uuid4().hex,
            platform=platform,  # type: ignore[arg-type]
            author_id=author_id,
            requested_by=principal.user,
            requested_at=requested_at,
            reference=reference,
            archived_deliveries=archived,
        )
        envelope = AuthorErased.wrap(event, correlation_id=event.erasure_id, producer=SERVICE, occurred_at=requested_at)
        if self._publisher.publish([envelope]):
            raise Unavailable("the erasure could not be queued; repeat the request")
        count(SERVICE, "ErasuresRequested")
        get_logger(SERVICE).info(
            "erasure requested",
            extra={"erasure_id": event.erasure_id, "platform": platform, "by": principal.user, "archived": archived},
        )
        return Erasure(event, archived)

    def admit(
        self,
        mentions: Sequence[Mention],
        *,
        correlation_id: str,
        delivery_id: str | None,
        archive_key: str | None = None,
        deletions: Sequence[MentionDeletion] = (),
    ) -> None:
        """Queue every mention and deletion, or raise `Unavailable` so the sender retries the whole delivery (what
        was queued comes back as a duplicate, which its owner drops)."""
        if not mentions and not deletions:
            return
        envelopes: list[Envelope[Any]] = [
            MentionReceived.wrap(
                Arrival(mention=m, delivery_id=delivery_id, archive_key=archive_key),
                correlation_id=correlation_id,
                producer=SERVICE,
                occurred_at=m.created_at,
            )
            for m in mentions
        ]
        envelopes += [
            MentionDeleted.wrap(d, correlation_id=correlation_id, producer=SERVICE, occurred_at=d.deleted_at)
            for d in deletions
        ]
        failed = self._publisher.publish(envelopes)
        failed_ids = set(failed)
        if mentions:
            count(SERVICE, "MentionsAccepted", sum(1 for e in envelopes[: len(mentions)] if e.id not in failed_ids))
        if deletions:
            count(SERVICE, "DeletionsAccepted", sum(1 for e in envelopes[len(mentions) :] if e.id not in failed_ids))
        if failed:
            count(SERVICE, "EnqueueFailures", len(failed))
            raise Unavailable(f"{len(failed)} of {len(envelopes)} events could not be queued; retry the delivery")


def _unique(mentions: Sequence[Mention]) -> list[Mention]:
    """One of each: the same message twice in one delivery is queued once."""
    first: dict[str, Mention] = {}
    for mention in mentions:
        first.setdefault(mention.id, mention)
    return list(first.values())


def _partner_mention(submitted: PartnerMention, source: str, received_at: datetime) -> Mention:
    return build_mention(
        platform=submitted.platform,
        channel=submitted.channel or f"{submitted.platform}.api",
        kind=submitted.kind,
        native_id=submitted.native_id,
        thread_id=submitted.thread_id or submitted.native_id,
        parent_id=submitted.parent_id,
        account_id=submitted.account_id,
        author=Person(**submitted.author.model_dump()),
        from_brand=submitted.from_brand,
        addressed=submitted.addressed,
        text=submitted.text,
        url=str(submitted.url) if submitted.url else None,
        lang=submitted.lang,
        rating=submitted.rating,
        created_at=submitted.created_at or received_at,
        received_at=received_at,
        source=source,
    )


def _token(candidate: str | None) -> str | None:
    """A caller-supplied id, kept only if it is a short printable token."""
    if candidate and len(candidate) <= 128 and candidate.isprintable():
        return candidate
    return None
