"""YouTube WebSub leases, renewed on a schedule: each configured YouTube source's channel stays subscribed at the hub.

A subscription lives as long as the hub's lease (Google grants about ten days, `hub.lease_seconds`). When the hub
verifies a subscription (`GET /webhooks/youtube?hub.mode=subscribe...`, the connector's `subscription.verified`
notice) the lease's end is kept beside the source's poll cursors (feed `websub`, expiring with the lease). The
scheduled renewer (`on_websub_renew`, every six hours) asks the hub again for every enabled source whose lease is
unknown, ended or ends within `RENEW_BEFORE`: `POST <hub>/subscribe` with the callback (`HARK_PUBLIC_URL` +
`/webhooks/youtube`), the channel's feed as topic, Hark's `youtube` secret as `hub.secret` (the notifications are
signed with it) and `hub.verify=async`. A request is remembered for `PENDING` (feed `websub:requested`, written
before asking, since the hub may verify before it answers), so runs do not ask again while the hub verifies; a
refusal or an unreachable hub clears it and is asked again at the next run. A source disabled or removed from the
config is no longer renewed, and its lease runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.ingest.platforms.base import Notice
from services.ingest.polling import CursorStore
from shared.config import ConfigSource, YouTubeSource
from shared.errors import HarkError, NotConfigured
from shared.events import utcnow
from shared.http import HttpAnswer, call
from shared.observability import count, get_logger
from shared.secrets import SecretSource

SERVICE = "ingest"
LEASE_FEED = "websub"  # the verified lease, beside the source's cursors; expires with the lease
PENDING_FEED = "websub:requested"  # a request the hub accepted and has not verified yet
LEASE_SECONDS = 864_000  # ten days, what Google's hub grants at most
RENEW_BEFORE = timedelta(days=2)  # four runs a day: a failing hub has eight tries before the lease ends
PENDING = timedelta(hours=1)  # the hub verifies within seconds; ask again an hour later if it never did
TOPIC = "https://www.youtube.com/xml/feeds/videos.xml?channel_id="

Http = Callable[..., HttpAnswer]


@dataclass
class Renewal:
    source: str
    outcome: str  # requested, current, pending, refused, failed, not_configured
    detail: str = ""
    lease_until: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        until = self.lease_until.isoformat() if self.lease_until else None
        return {"source": self.source, "outcome": self.outcome, "detail": self.detail, "lease_until": until}


@dataclass
class RenewReport:
    sources: list[Renewal] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sources": [s.as_dict() for s in self.sources]}


def topic_of(channel: str) -> str:
    return TOPIC + channel


class WebSubRenewer:
    def __init__(
        self,
        config: ConfigSource,
        cursors: CursorStore,
        secrets: SecretSource,
        public_url: str | None,
        http: Http = call,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._config = config
        self._cursors = cursors
        self._secrets = secrets
        self._public_url = public_url.rstrip("/") if public_url else None
        self._http = http
        self._clock = clock

    def renew(self) -> RenewReport:
        report = RenewReport()
        for source_id, source in self._config.get().config.sources.items():
            if isinstance(source, YouTubeSource) and source.enabled and source.websub:
                report.sources.append(self._renew(source_id, source))
        renewed = sum(1 for s in report.sources if s.outcome == "requested")
        if renewed:
            count(SERVICE, "WebSubRenewals", renewed)
        failed = sum(1 for s in report.sources if s.outcome in ("refused", "failed", "not_configured"))
        if failed:
            count(SERVICE, "WebSubRenewalFailures", failed)
        return report

    def _renew(self, source_id: str, source: YouTubeSource) -> Renewal:
        now = self._clock()
        try:
            cursors = self._cursors.load(source_id).cursors
        except HarkError as error:
            return self._said(Renewal(source_id, "failed", error.detail))
        lease = cursors.get(LEASE_FEED)
        until = lease.expires_at if lease is not None else None
        if until is not None and until - now > RENEW_BEFORE:
            return Renewal(source_id, "current", lease_until=until)
        pending = cursors.get(PENDING_FEED)
        if pending is not None and pending.expires_at is not None and pending.expires_at > now:
            return Renewal(source_id, "pending", "the hub has not verified the last request yet", until)
        try:
            # Marked before asking: the hub may verify (and the lease be kept) before its answer comes back.
            self._cursors.watch(source_id, PENDING_FEED, {"channel": source.channel}, now + PENDING)
            answer = self._subscribe(source)
        except NotConfigured as missing:
            return self._said(self._unmarked(Renewal(source_id, "not_configured", missing.detail, until)))
        except HarkError as error:
            return self._said(self._unmarked(Renewal(source_id, "failed", error.detail, until)))
        if not 200 <= answer.status < 300:
            body = answer.body if isinstance(answer.body, str) else str(answer.object() or "")
            refused = Renewal(source_id, "refused", f"the hub answered {answer.status}: {body[:200]}", until)
            return self._said(self._unmarked(refused))
        return self._said(Renewal(source_id, "requested", f"subscribe {source.channel} at {source.websub_hub}", until))

    def _unmarked(self, renewal: Renewal) -> Renewal:
        """The hub was not asked (or refused): the next run asks again."""
        try:
            self._cursors.unwatch(renewal.source, PENDING_FEED)
        except HarkError as error:
            get_logger(SERVICE).warning(
                "websub request not cleared", extra={"source": renewal.source, "error": error.detail}
            )
        return renewal

    def _subscribe(self, source: YouTubeSource) -> HttpAnswer:
        if not self._public_url:
            raise NotConfigured("HARK_PUBLIC_URL (the API's public URL) is not set: the hub has no callback")
        secret = self._secrets.get().platform_secret("youtube")
        form = {
            "hub.callback": f"{self._public_url}/webhooks/youtube",
            "hub.topic": topic_of(source.channel),
            "hub.mode": "subscribe",
            "hub.verify": "async",
            "hub.secret": secret,
            "hub.lease_seconds": str(LEASE_SECONDS),
        }
        return self._http("POST", f"{source.websub_hub}/subscribe", "youtube", form=form)

    def _said(self, renewal: Renewal) -> Renewal:
        level = "info" if renewal.outcome in ("requested", "current", "pending") else "warning"
        getattr(get_logger(SERVICE), level)(
            "websub lease", extra={"source": renewal.source, "outcome": renewal.outcome, "detail": renewal.detail}
        )
        return renewal


def record_leases(config: ConfigSource, cursors: CursorStore, notices: Any) -> None:
    """Keep each verified lease beside the sources of its channel (and forget the request); an ended
    subscription forgets the lease, so the next run subscribes again."""
    verified = [
        n for n in notices if isinstance(n, Notice) and n.platform == "youtube" and n.kind.startswith("subscription.")
    ]
    if not verified:
        return
    sources: Mapping[str, Any] = config.get().config.sources
    for notice in verified:
        for source_id, source in sources.items():
            if not isinstance(source, YouTubeSource) or source.channel != notice.account_id:
                continue
            if notice.kind == "subscription.verified":
                until = _moment(notice.detail.get("expires_at"))
                if until is None:
                    continue
                cursors.watch(source_id, LEASE_FEED, {"channel": source.channel}, until)
                cursors.unwatch(source_id, PENDING_FEED)
                get_logger(SERVICE).info("websub lease", extra={"source": source_id, "until": until.isoformat()})
            else:  # ended or denied
                cursors.unwatch(source_id, LEASE_FEED)
                cursors.unwatch(source_id, PENDING_FEED)


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


__all__ = ["LEASE_FEED", "PENDING_FEED", "RenewReport", "WebSubRenewer", "record_leases", "topic_of"]
