"""What connectors keep for the reply beyond the ids (`Mention.reply_context`), as the senders read it: Discord's
interaction token and application id, Mastodon's visibility and language; and how it is bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from services.ingest.platforms.base import Delivery, Person, build_mention
from services.ingest.platforms.discord import Discord
from services.ingest.platforms.mastodon import Mastodon
from shared.events import MAX_REPLY_CONTEXT, MAX_URL_CHARS
from tests.conftest import FIXTURES

ARRIVAL = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)


def delivery(platform: str, name: str) -> Delivery:
    body = (FIXTURES / "webhooks" / platform / name).read_bytes()
    return Delivery(platform, body, ARRIVAL, headers={"content-type": "application/json"})


def test_a_discord_command_keeps_what_its_follow_up_needs() -> None:
    [mention] = Discord().parse(delivery("discord", "synthetic__slash-command-with-options.json")).mentions
    assert mention.reply_context == {
        "interaction_token": "aW50ZXJhY3Rpb24tdG9rZW4",
        "application_id": "1300000000000000000",
        "ephemeral": "true",
    }


def test_a_mastodon_status_keeps_its_visibility_and_language() -> None:
    [mention] = Mastodon().parse(delivery("mastodon", "synthetic__status-created.json")).mentions
    assert mention.reply_context["visibility"] == "public"
    assert mention.reply_context.get("language") == "en"


def test_reply_context_is_bounded_and_empty_values_are_dropped() -> None:
    context = {f"k{i}": "v" for i in range(40)} | {"empty": "", "long": "x" * (MAX_URL_CHARS + 1)}
    mention = build_mention(
        platform="bluesky",
        channel="bluesky.post",
        kind="post",
        native_id="at://did:plc:a/app.bsky.feed.post/1",
        thread_id="at://did:plc:a/app.bsky.feed.post/1",
        author=Person(id="did:plc:a"),
        text="hello",
        created_at=ARRIVAL,
        received_at=ARRIVAL,
        reply_context=context,
    )
    assert len(mention.reply_context) == MAX_REPLY_CONTEXT
    assert "empty" not in mention.reply_context and "long" not in mention.reply_context
