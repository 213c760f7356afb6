"""One module per platform; `CONNECTORS` is the registry the webhook route dispatches on.

`CONNECTORS` holds every connector as it works with no configuration (Google's refuses with NotConfigured until it
has keys and an API client); `connectors(settings, secrets)` is the registry the composition root uses, with
Google's keys, audience and review fetcher built from the settings.
"""

from __future__ import annotations

from services.ingest.platforms.base import Connector
from services.ingest.platforms.discord import Discord
from services.ingest.platforms.generic import Generic
from services.ingest.platforms.github import GitHub
from services.ingest.platforms.google import Google
from services.ingest.platforms.mastodon import Mastodon
from services.ingest.platforms.meta import Meta
from services.ingest.platforms.slack import Slack
from services.ingest.platforms.telegram import Telegram
from services.ingest.platforms.tiktok import TikTok
from services.ingest.platforms.trustpilot import Trustpilot
from services.ingest.platforms.twitch import Twitch
from services.ingest.platforms.x import X
from services.ingest.platforms.youtube import YouTube
from services.ingest.platforms.zendesk import Zendesk

CONNECTORS: dict[str, Connector] = {
    c.platform: c
    for c in (
        Meta(),
        X(),
        Slack(),
        Discord(),
        GitHub(),
        YouTube(),
        Telegram(),
        Twitch(),
        Zendesk(),
        Mastodon(),
        TikTok(),
        Trustpilot(),
        Google(),
        Generic(),
    )
}
