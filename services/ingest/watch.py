"""The ingest core's `Notices` port for what the pollers act on: YouTube's WebSub says a video was published on a
configured channel, and the video is polled on its own (its `video:<id>` feed) for the source's `watch_for` from its
publication; a deleted video stops being polled. Every notice is also logged and counted as before."""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set
from datetime import datetime

from services.ingest.platforms.base import Notice
from services.ingest.polling import WATCHED, CursorStore
from services.ingest.service import LoggedNotices, Notices
from services.ingest.websub import record_leases
from shared.config import ConfigSource, YouTubeSource
from shared.observability import count, get_logger

SERVICE = "ingest"
WATCH = frozenset({"video.published", "video.updated"})


class VideoWatch:
    def __init__(self, config: ConfigSource, cursors: CursorStore, then: Notices | None = None) -> None:
        self._config = config
        self._cursors = cursors
        self._then = then or LoggedNotices()

    def notify(self, notices: Sequence[Notice]) -> None:
        self._then.notify(notices)
        record_leases(self._config, self._cursors, notices)  # WebSub leases verified or ended, for the renewer
        videos = [n for n in notices if n.platform == "youtube" and (n.kind in WATCH or n.kind == "video.deleted")]
        if not videos:
            return
        sources = [
            (sid, s)
            for sid, s in self._config.get().config.sources.items()
            if isinstance(s, YouTubeSource) and s.enabled
        ]
        for notice in videos:
            for source_id, source in sources:
                if notice.account_id != source.channel:
                    continue
                feed = f"{WATCHED}{notice.ref}"
                if notice.kind == "video.deleted":
                    self._cursors.unwatch(source_id, feed)
                    continue
                published = _moment(notice.detail.get("published")) or notice.at
                until = published + source.watch_for
                if until <= notice.at:
                    continue  # an old video's title changed: its comments come with the channel's
                self._cursors.watch(source_id, feed, {"video": notice.ref}, until)
                count(SERVICE, "VideosWatched")
                get_logger(SERVICE).info("video watched", extra={"source": source_id, "video": notice.ref})


class ConfiguredChannels(Set[str]):
    """The channels of the configured YouTube sources, for the WebSub connector's subscription check: read from the
    config at each check (it changes without a deploy). With no YouTube source configured, any channel is agreed,
    as the connector does without sources."""

    def __init__(self, config: ConfigSource) -> None:
        self._config = config

    def _channels(self) -> set[str]:
        return {s.channel for s in self._config.get().config.sources.values() if isinstance(s, YouTubeSource)}

    def __contains__(self, channel: object) -> bool:
        channels = self._channels()
        return not channels or channel in channels

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._channels()))

    def __len__(self) -> int:
        return len(self._channels())


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
