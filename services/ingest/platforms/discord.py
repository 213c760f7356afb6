"""Discord's interactions endpoint: slash commands, message components and modals sent to the brand's app.

Every request is signed with Ed25519: `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp + raw body`,
checked against the application's public key. A bad signature must be answered 401: Discord probes the endpoint
with invalid signatures on purpose, and stops delivering to one that accepts them. Discord's timestamp is inside
the signed bytes; Hark refuses one more than 5 minutes from arrival (Discord sends at once and never redelivers,
so an old timestamp is a replay).

Discord waits 3 s for an answer in the body, so the answer is the reply: a PING gets a PONG (`{"type": 1}`); a
slash command or a modal is a mention (the text the person typed, with the command's name and options) and is
answered with a private acknowledgement; a button or select (a component) and an autocomplete request carry no
message and get the answers that leave the conversation as it is. Channel messages are not pushed over HTTP (they
need the Gateway); they come from a poller.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson

from services.ingest.platforms.base import (
    Answer,
    Delivery,
    Handshake,
    Parsed,
    Person,
    build_mention,
    check_window,
    from_unix,
    parse_json,
    sid,
    text_or_none,
)
from shared.errors import InvalidBody, InvalidSignature, NotConfigured
from shared.events import Mention
from shared.secrets import SecretValues

REPLAY_WINDOW = timedelta(minutes=5)
DISCORD_EPOCH_MS = 1_420_070_400_000
PING, COMMAND, COMPONENT, AUTOCOMPLETE, MODAL = 1, 2, 3, 4, 5
EPHEMERAL = 1 << 6
ACKNOWLEDGEMENT = "Thanks, we have your message and will get back to you here."


def _json(document: dict[str, Any]) -> Answer:
    return Answer(orjson.dumps(document).decode(), "application/json")


PONG = _json({"type": 1})
ACKNOWLEDGED = _json({"type": 4, "data": {"content": ACKNOWLEDGEMENT, "flags": EPHEMERAL}})
UNCHANGED = _json({"type": 6})  # DEFERRED_UPDATE_MESSAGE: the component's message stays as it is
NO_CHOICES = _json({"type": 8, "data": {"choices": []}})


def snowflake_time(snowflake: str) -> datetime:
    """When Discord made the id (its top bits count milliseconds since 2015)."""
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


class Discord:
    platform: Literal["discord"] = "discord"
    content_types = frozenset({"application/json"})

    def handshake(self, handshake: Handshake, secrets: SecretValues) -> Answer | None:
        return None  # Discord checks the endpoint with a signed PING

    def verify(self, delivery: Delivery, secrets: SecretValues) -> None:
        from cryptography.exceptions import InvalidSignature as BadSignature  # noqa: PLC0415 - cold start
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

        if not secrets.discord_public_key:
            raise NotConfigured("no Discord application public key is configured")
        signature = delivery.headers.get("x-signature-ed25519", "")
        stamp = delivery.headers.get("x-signature-timestamp", "")
        if not signature or not stamp.isdigit():
            raise InvalidSignature("the X-Signature-Ed25519 or X-Signature-Timestamp header is missing")
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(secrets.discord_public_key))
        except ValueError as exc:
            raise NotConfigured("the Discord public key is not 32 bytes of hex") from exc
        try:
            key.verify(bytes.fromhex(signature), stamp.encode() + delivery.body)
        except ValueError as exc:
            raise InvalidSignature("the signature is not hex") from exc
        except BadSignature as exc:
            raise InvalidSignature("the signature does not match the body") from exc
        check_window(from_unix(stamp), delivery.received_at, REPLAY_WINDOW)

    def delivery_id(self, delivery: Delivery) -> str | None:
        try:
            return text_or_none(parse_json(delivery.body).get("id"))
        except InvalidBody:
            return None

    def parse(self, delivery: Delivery) -> Parsed:
        interaction = parse_json(delivery.body, "Discord interaction")
        kind = interaction.get("type")
        if kind == PING:
            return Parsed(answer=PONG)
        if kind == COMPONENT:
            return Parsed(ignored=1, answer=UNCHANGED)
        if kind == AUTOCOMPLETE:
            return Parsed(ignored=1, answer=NO_CHOICES)
        if kind not in (COMMAND, MODAL):
            raise InvalidBody(f"not an interaction type Discord sends: {str(kind)[:20]!r}")
        data = interaction.get("data")
        if not isinstance(data, dict):
            raise InvalidBody("an interaction carries its data")
        text = _command_text(data) if kind == COMMAND else _modal_text(data)
        return Parsed(mentions=[self._mention(interaction, text, kind, delivery)], answer=ACKNOWLEDGED)

    def _mention(self, interaction: dict[str, Any], text: str, kind: int, delivery: Delivery) -> Mention:
        native_id = sid(interaction.get("id"))
        member = interaction.get("member")
        user = member.get("user") if isinstance(member, dict) else interaction.get("user")
        person = (
            Person(
                id=sid(user.get("id")),
                handle=text_or_none(user.get("username")),
                name=text_or_none(user.get("global_name")) or _nick(member),
            )
            if isinstance(user, dict)
            else Person(id="unknown")
        )
        guild = text_or_none(interaction.get("guild_id"))
        channel = text_or_none(interaction.get("channel_id")) or guild or "dm"
        try:
            created = snowflake_time(native_id)
        except ValueError:
            created = delivery.received_at
        return build_mention(
            platform=self.platform,
            channel="discord.command" if kind == COMMAND else "discord.modal",
            kind="message",
            native_id=native_id,
            # A person's commands in one channel are one conversation with the brand.
            thread_id=f"{channel}:{person.id}",
            account_id=guild or text_or_none(interaction.get("application_id")),
            author=person,
            text=text,
            lang=text_or_none(interaction.get("locale")),
            created_at=created,
            received_at=delivery.received_at,
            # The reply is a follow-up on this interaction (its token works 15 minutes), as private as the
            # acknowledgement it got (services/respond/outbound/discord.py).
            reply_context={
                "interaction_token": str(interaction.get("token") or ""),
                "application_id": str(interaction.get("application_id") or ""),
                "ephemeral": "true",
            },
        )


def _nick(member: Any) -> str | None:
    return text_or_none(member.get("nick")) if isinstance(member, dict) else None


def _command_text(data: dict[str, Any]) -> str:
    """`/name option: value ...`, subcommands included, as the person typed it."""
    parts = [f"/{data.get('name') or 'command'}"]

    def walk(options: Any) -> None:
        for option in options if isinstance(options, list) else []:
            if not isinstance(option, dict):
                continue
            if "value" in option:
                parts.append(f"{option.get('name')}: {option['value']}")
            else:  # a subcommand or a group of them
                parts.append(str(option.get("name")))
                walk(option.get("options"))

    walk(data.get("options"))
    return " ".join(parts)


def _modal_text(data: dict[str, Any]) -> str:
    """The values typed into a modal's text inputs, one per line."""
    values: list[str] = []

    def walk(components: Any) -> None:
        for component in components if isinstance(components, list) else []:
            if isinstance(component, dict):
                if isinstance(component.get("value"), str) and component["value"].strip():
                    values.append(component["value"])
                walk(component.get("components"))
                walk([component["component"]] if isinstance(component.get("component"), dict) else None)

    walk(data.get("components"))
    return "\n".join(values)
