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
from shared.secrets import EnvSecrets, to_document, values_from_json
from shared.settings import Settings
from shared.sources import account_of, api_base, credential_of, source_for
from shared.tokens import Credentials, MemoryTokens
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


def port(tokens: dict[str, Any], stage: str = "prod") -> Credentials:
    secrets = EnvSecrets(Settings.from_env({"HARK_STAGE": stage, "HARK_TOKENS": json.dumps(tokens)}))
    return Credentials(secrets, MemoryTokens(dict(secrets.get().credentials)))


def test_a_source_signs_in_with_its_named_entry_else_its_own_else_the_platforms() -> None:
    read = config(**SOURCES).sources
    tokens = {
        "wp-editor": {"username": "editor", "application_password": "abcd efgh"},
        "bsky": {"app_password": "app-pw", "access_token": "jwt"},
        "discord": "bot-token",
    }
    credentials = port(tokens)
    named = credential_of(credentials, "blog", read["blog"])
    assert (named.entry, named.platform, named.get("application_password")) == ("wp-editor", "wordpress", "abcd efgh")
    assert named.get("site") == "https://blog.acme.example"  # the source's host, where the sender looks for it
    assert "abcd" not in repr(named.fingerprint)
    own = credential_of(credentials, "bsky", read["bsky"])
    assert (own.entry, own.get("app_password"), own.get("identifier")) == ("bsky", "app-pw", "acme.example")
    fallback = credential_of(credentials, "discord", read["discord"])
    assert (fallback.entry, fallback.access_token) == ("discord", "bot-token")
    with pytest.raises(NotConfigured, match="no credential named 'wp-editor'"):
        credential_of(port({"wordpress": "a token that is not the editor's"}), "blog", read["blog"])
    with pytest.raises(NotConfigured, match="tiktok"):
        credential_of(credentials, "tiktok", read["tiktok"])
    help_desk = credential_of(port({"zendesk": {"access_token": "z"}}), "help", read["help"])
    assert help_desk.get("subdomain") == "acme"


def test_the_account_a_mention_was_heard_on_picks_the_source_a_reply_goes_out_from() -> None:
    two = config(
        a={"platform": "reddit", "username": "acme_brand", "credentials": "reddit-a"},
        b={"platform": "reddit", "username": "acme_help", "credentials": "reddit-b"},
        blog={"platform": "wordpress", "base_url": "https://blog.acme.example"},
    ).sources
    assert source_for(two, "reddit", "u/acme_help") == ("b", two["b"])
    assert source_for(two, "reddit", "u/someone_else") is None  # two accounts, neither: the platform's own
    assert source_for(two, "wordpress", None) == ("blog", two["blog"])  # the only one
    assert source_for(two, "github", "acme/widgets") is None
    assert account_of(two["blog"]) == "blog.acme.example"


def test_credentials_are_read_from_the_environment_and_the_secret_alike() -> None:
    document = {"acme-reddit": {"client_id": "id", "client_secret": "s", "refresh_token": "r"}, "github": "gh"}
    local = EnvSecrets(Settings.from_env({"HARK_STAGE": "local", "HARK_TOKENS": json.dumps(document)})).get()
    assert local.credential("reddit", "acme-reddit").refresh_token == "r"
    assert local.credential("github").access_token == "gh"
    secret = values_from_json({"api_keys": {}, "tokens": document})
    assert secret.credential("reddit", "acme-reddit").client_id == "id"
    again = values_from_json(to_document(secret))
    assert again.credential("reddit", "acme-reddit").refresh_token == "r"
    assert again.credential("github").access_token == "gh"
    with pytest.raises(NotConfigured, match="HARK_TOKENS is not valid JSON"):
        Settings.from_env({"HARK_TOKENS": "{nope"})
    with pytest.raises(NotConfigured, match="must be strings"):
        values_from_json({"tokens": {"acme": {"access_token": 12}}})
    with pytest.raises(NotConfigured, match="tokens"):
        values_from_json({"tokens": ["a"]})


def test_local_schedules_run_on_the_clock_the_environment_sets() -> None:
    env = {"HARK_SCHEDULE_SECONDS": "3600", "HARK_SCHEDULE_SECONDS_INGEST_POLL_REDDIT": "2"}
    assert period_override(env, "ingest-poll-reddit") == 2
    assert period_override(env, "respond-sla") == 3600
    assert period_override({}, "respond-sla") is None
    with pytest.raises(ValueError, match="at least one second"):
        period_override({"HARK_SCHEDULE_SECONDS": "0"}, "respond-sla")


def test_the_account_of_a_source_is_the_one_its_poller_stamps_on_mentions() -> None:
    from services.ingest.pollers import POLLERS

    read = config(**SOURCES).sources
    for source_id, source in read.items():
        if source.platform in POLLERS:
            assert POLLERS[source.platform].context(source_id, source)["account_id"] == account_of(source), source_id
