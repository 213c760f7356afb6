"""What each channel accepts, as the senders send it and the voice check counts it: X's weighted length, Bluesky's
graphemes, Markdown turned into Slack's mrkdwn or escaped HTML, and the warnings a draft gets before it is sent."""

from __future__ import annotations

import pytest

from services.respond import voice
from services.respond.outbound.text import graphemes, length, markdown_in, rules_for, to_html, to_mrkdwn


def test_x_counts_links_as_23_and_wide_characters_as_two() -> None:
    assert length("hello", "x") == 5
    assert length("see https://example.com/a/very/long/path/that/goes/on", "x") == 4 + 23
    assert length("日本語", "x") == 6
    assert length("café", "x") == 4


def test_bluesky_counts_what_a_person_sees_as_one_character() -> None:
    assert graphemes("e\u0301") == 1  # e + combining acute
    assert graphemes("👩\u200d💻") == 1  # a ZWJ sequence
    assert graphemes("🇫🇷🇩🇪") == 2  # two flags
    assert graphemes("👍🏽") == 1  # with a skin tone
    assert length("hello", "graphemes") == 5


def test_markdown_becomes_mrkdwn_with_slack_s_escapes() -> None:
    text = "Hi **Sam**, read [the guide](https://help.example/g) & tell me <if> ~~not~~ ok"
    assert to_mrkdwn(text) == "Hi *Sam*, read <https://help.example/g|the guide> &amp; tell me &lt;if&gt; ~not~ ok"


def test_plain_text_becomes_the_html_a_comment_form_makes() -> None:
    assert (
        to_html("Hi <b>Sam</b> & co\nline two\n\nnext")
        == "<p>Hi &lt;b&gt;Sam&lt;/b&gt; &amp; co<br />\nline two</p>\n\n<p>next</p>"
    )


def test_markdown_is_found_where_it_would_show_as_typed() -> None:
    assert markdown_in("Use **bold** and [a link](https://x.io) and `code`") == [
        "**bold**",
        "[a link](https://x.io)",
        "`code`",
    ]
    assert markdown_in("5 * 3 = 15, and snake_case_name") == []


@pytest.mark.parametrize(
    ("channel", "platform", "limit"),
    [
        ("x.post", "x", 280),
        ("x.dm", "x", 10_000),
        ("slack.message", "slack", 40_000),
        ("discord.command", "discord", 2_000),
        ("telegram.private", "telegram", 4_096),
        ("twitch.chat", "twitch", 500),
        ("mastodon.status", "mastodon", 500),
        ("bluesky.post", "bluesky", 300),
        ("tiktok.comment", "tiktok", 150),
        ("google.review", "google", 4_096),
        ("messenger", "meta", 2_000),
    ],
)
def test_each_channel_has_its_platform_s_limit(channel: str, platform: str, limit: int) -> None:
    rules = rules_for(channel, platform)
    assert rules is not None and rules.limit == limit


def context(channel: str, platform: str) -> voice.Context:
    return voice.Context(channel=channel, platform=platform, kind="comment", language="en", names=("Sam",))


def codes(text: str, channel: str, platform: str) -> set[str]:
    return {w.code for w in voice.check(text, context(channel, platform))}


def test_the_voice_check_counts_as_the_platform_counts() -> None:
    link = "https://help.example/" + "a" * 300
    assert "too_long" not in codes(f"Hi Sam, the steps are here: {link}", "x.post", "x")  # a link is 23
    assert "too_long" in codes("Hi Sam, " + "日" * 140, "x.post", "x")  # 140 wide characters are 280 + 8
    assert "too_long" in codes("Hi Sam, " + "a" * 150, "tiktok.comment", "tiktok")
    assert "too_long" not in codes("Hi Sam, " + "👍🏽" * 290, "bluesky.post", "bluesky")


def test_the_voice_check_warns_of_markdown_only_where_it_shows_as_typed() -> None:
    text = "Hi Sam, **good news**: it's [refunded](https://help.example/r)."
    assert "formatting" in codes(text, "telegram.private", "telegram")
    assert "formatting" in codes(text, "x.post", "x")
    assert "formatting" not in codes(text, "slack.message", "slack")
    assert "formatting" not in codes(text, "discord.command", "discord")
    assert "formatting" not in codes(text, "reddit.comment", "reddit")
    [warning] = [w for w in voice.check(text, context("mastodon.status", "mastodon")) if w.code == "formatting"]
    assert warning.words == ("**good news**", "[refunded](https://help.example/r)")
