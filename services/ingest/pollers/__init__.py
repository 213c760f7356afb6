"""One module per polled platform; `POLLERS` is the registry the scheduled pollers and the ingest core's trusted
path (`IngestService.take`) dispatch on. Each module holds the pure parts (feeds, requests, reading a page, the
parser); `services/ingest/polling.py` walks them and keeps the cursors, `pollers/http.py` and `pollers/auth.py`
make and sign the requests."""

from __future__ import annotations

from services.ingest.pollers.base import Poller
from services.ingest.pollers.bluesky import Bluesky
from services.ingest.pollers.discord import Discord
from services.ingest.pollers.reddit import Reddit
from services.ingest.pollers.tiktok import TikTok
from services.ingest.pollers.wordpress import WordPress
from services.ingest.pollers.youtube import YouTube

POLLERS: dict[str, Poller] = {p.platform: p for p in (Reddit(), WordPress(), YouTube(), Bluesky(), Discord(), TikTok())}
