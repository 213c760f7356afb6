"""What each channel accepts as a reply (pure): its length limit, how the platform counts it, and which formatting
it renders. The senders send in that format (Slack gets Markdown turned into mrkdwn, WordPress escaped HTML) and
the voice check warns before an agent sends what the platform would refuse or show as typed.

Counting: X weighs every character outside Latin, Greek, Cyrillic and the like as two and every link as 23
(twitter-text's rules); Bluesky counts graphemes (what a person sees as one character); the rest count characters.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Format = Literal["plain", "markdown", "mrkdwn", "html"]
Counting = Literal["chars", "x", "graphemes"]


@dataclass(frozen=True)
class TextRules:
    limit: int | None
    format: Format = "plain"
    counting: Counting = "chars"


PLAIN_8K = TextRules(8_000)
# By channel (a mention's `channel`) first, then by platform.
RULES: Mapping[str, TextRules] = {
    "github": TextRules(65_536, "markdown"),
    "facebook.comment": PLAIN_8K,
    "facebook.post": PLAIN_8K,
    "facebook.mention": PLAIN_8K,
    "facebook.review": PLAIN_8K,
    "messenger": TextRules(2_000),
    "instagram.comment": TextRules(2_200),
    "instagram.live_comment": TextRules(2_200),
    "instagram.dm": TextRules(1_000),
    "whatsapp": TextRules(4_096),
    "x": TextRules(280, counting="x"),
    "x.post": TextRules(280, counting="x"),
    "x.dm": TextRules(10_000),
    "slack": TextRules(40_000, "mrkdwn"),
    "discord": TextRules(2_000, "markdown"),
    "youtube": TextRules(10_000),
    "reddit": TextRules(10_000, "markdown"),
    "telegram": TextRules(4_096),
    "twitch": TextRules(500),
    "zendesk": TextRules(65_535),
    "mastodon": TextRules(500),
    "wordpress": TextRules(65_525, "html"),
    "bluesky": TextRules(300, counting="graphemes"),
    "trustpilot": TextRules(None),
    "google": TextRules(4_096),
    "tiktok": TextRules(150),
}


def rules_for(channel: str, platform: str) -> TextRules | None:
    return RULES.get(channel) or RULES.get(platform)


URL = re.compile(
    r"https?://[^\s<>]+|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|app|dev|ly|me)(?:/[^\s<>]*)?", re.I
)
# twitter-text v3: these ranges weigh 1, everything else 2 (out of a 280 budget).
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_LENGTH = 23


def _x_weight(text: str) -> int:
    return sum(1 if any(low <= ord(c) <= high for low, high in _LIGHT) else 2 for c in text)


def graphemes(text: str) -> int:
    """Characters as a person counts them: a base with its combining marks, joined emoji and flags as one."""
    count, previous_joiner, regional = 0, False, 0
    for char in text:
        code = ord(char)
        if unicodedata.combining(char) or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF:
            continue  # marks, variation selectors and skin tones belong to what they follow
        if char == "\u200d":
            previous_joiner = True
            continue
        if previous_joiner:
            previous_joiner = False
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:  # two regional indicators make one flag
            regional += 1
            if regional % 2 == 0:
                continue
        else:
            regional = 0
        count += 1
    return count


def length(text: str, counting: Counting) -> int:
    if counting == "x":
        links = URL.findall(text)
        rest = URL.sub("", text)
        return _x_weight(unicodedata.normalize("NFC", rest)) + X_URL_LENGTH * len(links)
    if counting == "graphemes":
        return graphemes(text)
    return len(text)


# Markdown as agents type it, which a plain-text platform would show as typed.
MARKDOWN = (
    re.compile(r"\*\*[^*\n]+\*\*"),
    re.compile(r"(?<!\w)__[^_\n]+__(?!\w)"),
    re.compile(r"\[[^\]\n]+\]\((?:https?://|/)[^)\s]+\)"),
    re.compile(r"`[^`\n]+`"),
    re.compile(r"^#{1,6} \S.*$", re.M),
)


def markdown_in(text: str) -> list[str]:
    found: list[str] = []
    for pattern in MARKDOWN:
        found += [m.group(0)[:60] for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))


_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*|(?<!\w)__([^_\n]+)__(?!\w)")
_STRIKE = re.compile(r"~~([^~\n]+)~~")


def to_mrkdwn(text: str) -> str:
    """Markdown to Slack's mrkdwn: `&`, `<`, `>` escaped, `[text](url)` as `<url|text>`, `**bold**` as `*bold*`,
    `~~struck~~` as `~struck~`."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    linked = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '¦')}>", escaped)
    bold = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", linked)
    return _STRIKE.sub(r"~\1~", bold)


def to_html(text: str) -> str:
    """Plain text as HTML a comment form would make of it: escaped, paragraphs at blank lines, breaks at newlines."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "\n\n".join("<p>" + html.escape(p).replace("\n", "<br />\n") + "</p>" for p in paragraphs)
