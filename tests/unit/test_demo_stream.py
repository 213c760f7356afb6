"""The demo stream `make run` plays is signed the way the stack checks: every webhook delivery in it is accepted by
the ingest core with the development secrets, and says something (a mention, or an edit of one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from devstack.demo import deliveries, demo_secrets
from services.ingest.bootstrap import connectors
from services.ingest.platforms.base import Answer, Delivery
from services.ingest.service import IngestService, Receipt
from shared.events import Envelope
from shared.secrets import EnvSecrets
from shared.settings import DEV_API_KEY, Settings


class Collect:
    def __init__(self) -> None:
        self.sent: list[Envelope[Any]] = []

    def publish(self, envelopes: Sequence[Envelope[Any]]) -> list[str]:
        self.sent.extend(envelopes)
        return []


def test_every_webhook_delivery_of_the_demo_is_accepted() -> None:
    settings = Settings()
    secrets = EnvSecrets(settings)
    service = IngestService(settings, secrets, Collect(), connectors(settings, secrets))
    stream = list(deliveries(demo_secrets(secrets.get()), DEV_API_KEY))
    webhooks = [d for d in stream if d.path.startswith("/webhooks/")]
    platforms = {d.path.removeprefix("/webhooks/") for d in webhooks}
    assert platforms >= {"github", "meta", "slack", "x", "telegram", "twitch", "trustpilot", "discord"}
    for demo in webhooks:
        outcome = service.receive(
            Delivery(
                demo.path.removeprefix("/webhooks/"),
                demo.body,
                datetime.now(UTC),
                headers={k.lower(): v for k, v in demo.headers.items()},
            )
        )
        if isinstance(outcome, Answer):  # Discord answers the command it kept
            assert '"type":4' in outcome.body, demo.label
        else:
            assert isinstance(outcome, Receipt)
            assert len(outcome.mentions) == 1, demo.label
