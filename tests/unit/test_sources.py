"""Sources in the config (what is polled and answered from, with its credentials and host), how a source's host and
credentials are resolved for the pollers, connectors and senders, and the local schedules' faster clock."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from devstack.scheduler import period_override
from shared.config import (
    AccountSource,
    BlueskySource,
    DiscordSource,
    InvalidConfig,
    RedditSource,
    TikTokSource,
    WordPressSource,
    YouTubeSource,
    load_file,
    validate,
)
from shared.errors import NotConfigured
from shared.secrets import EnvSecrets, SecretValues, to_document, values_from_json
from shared.settings import Settings
from shared.sources import api_base, credentials_of
from tests.conftest import ROOT
from tests.pollkit import BASE_CONFIG

SOURCES: dict[str, Any] = {
    "acme-reddit": {"platform": "reddit", "username": "acme_brand", "subreddits": ["acme", "acme_help"]},
    "blog": {"platform": "wordpress", "base_url": "https://blog.acme.example/", "credentials": "wp-editor"},
    "yt": {"platform": "youtube", "channel": "UCacme00000000000000000A", "watch_for": "3d"},
    "bsky": {"platform": "bluesky", "handle": "acme.example"},
    "discord": {"platform": "discord", "guild": "41771983423143937", "channels": ["290926798999357250"]},
    "tiktok": {"platform": "tiktok", "business_id": "7012345678901234567"},
    "fb": {"platform": "meta", "account": "104359208239487"},
    "social": {"platform": "mastodon", "account": "acme", "base_url": "https://social.example"},
    "help": {"platform": "zendesk", "account": "acme"},
    "repo": {"platform": "github", "account": "acme/widgets"},
}


def config(**sources: Any) -> Any:
    return validate({**BASE_CONFIG, "sources": sources}, "test.yaml")


def test_each_kind_of_source_is_read_with_its_own_model_and_defaults() -> None:
    read = config(**SOURCES).sources
    assert [type(read[k]).__name__ for k in SOURCES] == [
        RedditSource.__name__,
        WordPressSource.__name__,
        YouTubeSource.__name__,
        BlueskySource.__name__,
        DiscordSource.__name__,
        TikTokSource.__name__,
        AccountSource.__name__,
        AccountSource.__name__,
        AccountSource.__name__,
        AccountSource.__name__,
    ]
    assert read["blog"].base_url == "https://blog.acme.example"  # no trailing slash
    assert (read["yt"].every, read["yt"].watch_for) == (timedelta(minutes=5), timedelta(days=3))
    assert (read["acme-reddit"].every, read["acme-reddit"].inbox, read["acme-reddit"].mentions) == (
        timedelta(minutes=1),
        True,
        True,
    )
    assert read["bsky"].reasons == ("mention", "reply", "quote")


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ({"platform": "reddit", "username": "u/acme"}, "sources.x.reddit.username"),
        ({"platform": "youtube", "channel": "acme"}, "sources.x.youtube.channel"),
        ({"platform": "discord", "guild": "41771983423143937", "channels": []}, "sources.x.discord.channels"),
        ({"platform": "wordpress", "base_url": "blog.acme.example"}, "sources.x.wordpress.base_url"),
        ({"platform": "mastodon", "account": "acme"}, "sources.x.mastodon"),
        (
            {"platform": "bluesky", "handle": "acme.example", "credentials": "Not A Name"},
            "sources.x.bluesky.credentials",
        ),
        ({"platform": "myspace", "account": "tom"}, "sources.x"),
        ({"platform": "tiktok", "business_id": "1", "recent_videos": 50}, "sources.x.tiktok.recent_videos"),
    ],
)
def test_a_wrong_source_is_refused_with_its_path(source: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidConfig) as refused:
        config(x=source)
    assert [e["loc"] for e in refused.value.extra["errors"]] == [path]


def test_the_bundled_default_has_no_sources_and_stays_valid() -> None:
    assert load_file(ROOT / "shared" / "config_default.yaml").config.sources == {}


def test_single_host_platforms_take_the_override_and_per_account_hosts_their_own() -> None:
    read = config(**SOURCES).sources
    fake = {
        "reddit": "http://127.0.0.1:9100/reddit/",
        "wordpress": "http://ignored",
        "bluesky": "http://127.0.0.1:9100/bluesky",
    }
    assert api_base("reddit", fake, read["acme-reddit"]) == "http://127.0.0.1:9100/reddit"
    assert api_base("reddit", {}, read["acme-reddit"]) == "https://oauth.reddit.com"
    assert api_base("discord", {}, read["discord"]) == "https://discord.com"
    assert api_base("wordpress", fake, read["blog"]) == "https://blog.acme.example"  # a site is its own host
    assert api_base("mastodon", {}, read["social"]) == "https://social.example"
    assert api_base("zendesk", {}, read["help"]) == "https://acme.zendesk.com"
    assert api_base("bluesky", {}, read["bsky"]) == "https://bsky.social"
    assert api_base("bluesky", fake, read["bsky"]) == "http://127.0.0.1:9100/bluesky"
    assert api_base("github", {}, read["repo"]) == "https://api.github.com"
    with pytest.raises(NotConfigured):
        api_base("mastodon", {}, None)


def test_credentials_come_from_the_named_entry_then_the_sources_own_then_the_platform_token() -> None:
    read = config(**SOURCES).sources
    entries = {"wp-editor": {"username": "editor", "password": "abcd efgh"}, "bsky": {"password": "app-pw"}}
    tokens = {"discord": "bot-token"}
    named = credentials_of("blog", read["blog"], entries, tokens)
    assert (named.name, named.require("username", "password")) == ("wp-editor", ("editor", "abcd efgh"))
    assert "abcd" not in repr(named)  # never the values
    assert credentials_of("bsky", read["bsky"], entries, tokens).get("password") == "app-pw"
    fallback = credentials_of("discord", read["discord"], entries, tokens)
    assert (fallback.name, fallback.get("token")) == ("tokens.discord", "bot-token")
    with pytest.raises(NotConfigured, match="no credentials named 'wp-editor'"):
        credentials_of("blog", read["blog"], {}, {"wordpress": "a token that is not the editor's"})
    with pytest.raises(NotConfigured, match=r"tokens\.tiktok"):
        credentials_of("tiktok", read["tiktok"], entries, tokens)
    with pytest.raises(NotConfigured, match="lack refresh_token"):
        credentials_of("bsky", read["bsky"], entries, tokens).require("refresh_token")


def test_credentials_are_read_from_the_environment_and_the_secret_alike() -> None:
    document = {"acme-reddit": {"client_id": "id", "client_secret": "s", "refresh_token": "r"}}
    local = EnvSecrets(Settings.from_env({"HARK_STAGE": "local", "HARK_CREDENTIALS": json.dumps(document)})).get()
    assert local.credentials == document
    secret = values_from_json({"api_keys": {}, "credentials": document})
    assert secret.credentials == document
    assert values_from_json(to_document(SecretValues(credentials=document))).credentials == document
    with pytest.raises(NotConfigured, match="HARK_CREDENTIALS is not valid JSON"):
        Settings.from_env({"HARK_CREDENTIALS": "{nope"})
    with pytest.raises(NotConfigured, match="credentials"):
        values_from_json({"credentials": {"acme": {"token": 12}}})
    with pytest.raises(NotConfigured, match="credentials"):
        values_from_json({"credentials": ["a"]})


def test_local_schedules_run_on_the_clock_the_environment_sets() -> None:
    env = {"HARK_SCHEDULE_SECONDS": "3600", "HARK_SCHEDULE_SECONDS_INGEST_POLL_REDDIT": "2"}
    assert period_override(env, "ingest-poll-reddit") == 2
    assert period_override(env, "respond-sla") == 3600
    assert period_override({}, "respond-sla") is None
    with pytest.raises(ValueError, match="at least one second"):
        period_override({"HARK_SCHEDULE_SECONDS": "0"}, "respond-sla")
