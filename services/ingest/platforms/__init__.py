"""One module per platform; `CONNECTORS` is the registry the webhook route dispatches on."""

from __future__ import annotations

from services.ingest.platforms.base import Connector
from services.ingest.platforms.github import GitHub
from services.ingest.platforms.meta import Meta
from services.ingest.platforms.slack import Slack
from services.ingest.platforms.telegram import Telegram
from services.ingest.platforms.twitch import Twitch
from services.ingest.platforms.x import X

CONNECTORS: dict[str, Connector] = {c.platform: c for c in (GitHub(), Meta(), X(), Slack(), Telegram(), Twitch())}
