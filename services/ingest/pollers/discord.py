"""Discord channel messages, read over REST (`GET /api/v10/channels/{id}/messages`): Discord pushes channel
messages only over the Gateway (a WebSocket a function cannot hold), and its interactions endpoint (the `discord`
webhook) carries only slash commands and components.

One feed per channel (or thread) the source lists, oldest first: `after=<the newest message id handed>`, 100 a
page, another page while a page comes back full. A channel never polled starts with its newest 100 messages; a
backfill walks down with `before=`. Message ids are snowflakes, which sort in time. Discord's limits are per
route: `X-RateLimit-Remaining` and `X-RateLimit-Reset-After` (seconds) on every answer, a 429 with `retry_after`
(and `global`) in its body when exceeded; the poller pauses when a bucket is spent and backs off on a 429.

The bot needs View Channel and Read Message History in each channel, and the Message Content intent to read the
text of messages that do not mention it. A message is `<channel>:<id>` (what a reply needs); its conversation is
the message it replies to (a reply to a reply joins the first), or itself. The bot's own messages (`bot_user`)
are the brand's; other bots and webhooks, joins, pins and other system messages are skipped; a message that
mentions the bot, or replies to it, is addressed to the brand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from services.ingest.platforms.base import (
    Delivery,
    Media,
    Parsed,
    Person,
    build_mention,
    from_iso,
    sid,
    text_or_none,
)
from services.ingest.pollers.auth import Auth, Header, access_token
from services.ingest.pollers.base import (
    Feed,
    Item,
    Request,
    Response,
    Scan,
    Verdict,
    get,
    json_list,
    number_key,
    obj,
    parse_items,
    read_page,
)
from shared.credentials import Credential
from shared.errors import InvalidBody
from shared.events import Mention

PAGE = 100
DISCORD_EPOCH_MS = 1_420_070_400_000
SPOKEN = frozenset({0, 19})  # DEFAULT, REPLY; the rest are joins, pins, boosts, thread and call notices


def snowflake_at(moment: datetime) -> int:
    return max(0, int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def snowflake_moment(snowflake: int) -> datetime:
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


class Discord:
    anonymous = False
    platform: Literal["discord"] = "discord"

    def feeds(self, source: Any, watched: Sequence[tuple[str, Mapping[str, str]]]) -> list[Feed]:
        return [Feed(f"channel:{c}", "channel", {"channel": c}, newest_first=False) for c in source.channels]

    def discover(self, source: Any, base: str, send: Any, now: datetime) -> list[Feed]:
        return []

    def context(self, source_id: str, source: Any) -> dict[str, Any]:
        return {"account_id": source.guild, "brand_ids": [source.bot_user] if source.bot_user else []}

    def authenticator(self, source: Any, credential: Credential | None) -> Auth:
        return Header("Authorization", f"Bot {access_token(credential, 'the bot token')}")

    def request(
        self, source: Any, feed: Feed, base: str, page: str | None, after: str | None, backfill: bool
    ) -> Request:
        params: dict[str, str | int | None] = {"limit": PAGE}
        if backfill:
            # Down from the page named last, else from the oldest message handed, else from the newest.
            before = page or (str(int(after)) if after else None)
            params["before"] = before
        else:
            params["after"] = str(int(after)) if after else None
        return get(base, f"/api/v10/channels/{feed.params['channel']}/messages", params)

    def scan(self, feed: Feed, response: Response, backfill: bool) -> Scan:
        items = []
        for message in json_list(response, "a Discord messages page"):
            if not isinstance(message, dict) or not str(message.get("id", "")).isdigit():
                continue
            snowflake = int(message["id"])
            items.append(Item(str(snowflake), number_key(snowflake), message))
        if len(items) < PAGE:
            return Scan(items, None)
        ids = [int(i.id) for i in items]
        return Scan(items, str(min(ids) if backfill else max(ids)))

    def judge(self, response: Response, now: datetime) -> Verdict | None:
        return None

    def since_key(self, moment: datetime) -> str:
        return number_key(snowflake_at(moment))

    def key_moment(self, key: str) -> datetime | None:
        return snowflake_moment(int(key)) if key.isdigit() else None

    def parse(self, delivery: Delivery) -> Parsed:
        page = read_page(delivery)
        guild = text_or_none(page.context.get("account_id"))
        bots = {str(b) for b in page.context.get("brand_ids") or []}
        return parse_items(delivery, page, lambda raw: _message(raw, guild, bots, delivery), self.platform)


def _message(raw: Any, guild: str | None, bots: set[str], delivery: Delivery) -> Mention | None:
    if not isinstance(raw, dict):
        raise InvalidBody("a Discord message is an object")
    if raw.get("type", 0) not in SPOKEN or raw.get("webhook_id"):
        return None
    author = raw.get("author")
    if not isinstance(author, dict):
        raise InvalidBody("a Discord message has an author")
    author_id = sid(author.get("id"))
    ours = author_id in bots
    if author.get("bot") and not ours:
        return None  # other apps' bots: alerts and integrations, not the community
    native = sid(raw.get("id"))
    channel = sid(raw.get("channel_id"))
    parent = text_or_none(obj(raw.get("message_reference")).get("message_id"))
    referenced = obj(raw.get("referenced_message"))
    root = text_or_none(obj(referenced.get("message_reference")).get("message_id")) or parent or native
    mentioned = {str(m.get("id")) for m in raw.get("mentions") or [] if isinstance(m, dict)}
    replied_to = obj(referenced.get("author"))
    addressed = True if bots & (mentioned | {str(replied_to.get("id"))}) else None
    attachments = tuple(
        Media(type=str(a.get("content_type") or "file"), url=text_or_none(a.get("url")))
        for a in raw.get("attachments") or []
        if isinstance(a, dict)
    )
    text = str(raw.get("content") or "")
    if not text and not attachments:
        return None  # without the Message Content intent a message arrives empty: nothing to hear
    edited = raw.get("edited_timestamp")
    return build_mention(
        platform="discord",
        channel="discord.message",
        kind="message",
        native_id=f"{channel}:{native}",
        thread_id=f"{channel}:{root}",
        parent_id=f"{channel}:{parent}" if parent else None,
        account_id=guild or text_or_none(raw.get("guild_id")),
        author=Person(
            id=author_id, handle=text_or_none(author.get("username")), name=text_or_none(author.get("global_name"))
        ),
        from_brand=ours,
        addressed=addressed,
        text=text,
        attachments=attachments,
        url=f"https://discord.com/channels/{guild or raw.get('guild_id') or '@me'}/{channel}/{native}",
        created_at=from_iso(raw.get("timestamp")) if raw.get("timestamp") else snowflake_moment(int(native)),
        edited_at=from_iso(edited) if isinstance(edited, str) and edited else None,
        received_at=delivery.received_at,
    )
