from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.errors import BadRequest, NotConfigured
from shared.ids import mention_id, shard_of, task_id
from shared.resources import MENTIONS
from shared.secrets import EnvSecrets, SecretValues, to_document, values_from_json
from shared.settings import DEV_API_KEY, Settings, dev_platform_secret
from shared.store.paging import clamp_limit, decode_cursor, encode_cursor, merge_pages, time_key


def test_merge_takes_items_in_order_across_streams_and_continues_from_the_cursor() -> None:
    streams = [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    page = merge_pages([iter(s) for s in streams], str, 4, descending=True)
    assert page.items == ["9", "8", "7", "6"]
    after = decode_cursor(page.next_cursor)
    assert after == "6"
    rest = merge_pages([iter([x for x in s if x < after]) for s in streams], str, 10, descending=True)
    assert rest.items == ["5", "4", "3", "2", "1"]
    assert rest.next_cursor is None


def test_a_full_last_page_has_no_cursor() -> None:
    assert merge_pages([iter(["a", "b"])], str, 2, descending=False).next_cursor is None


@pytest.mark.parametrize("garbage", ["!!!", "e30", "eyJrIjogMX0", "bm90IGpzb24"])
def test_foreign_cursors_are_bad_requests(garbage: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(garbage)


def test_cursor_round_trip_and_limits() -> None:
    assert decode_cursor(encode_cursor("2026-11-26T09:00:00.000000Z#m_x")) == "2026-11-26T09:00:00.000000Z#m_x"
    assert decode_cursor(None) is None
    assert clamp_limit(None) == 50
    assert clamp_limit("7") == 7
    for bad in ("0", "201", "ten"):
        with pytest.raises(BadRequest):
            clamp_limit(bad)


def test_time_keys_sort_like_time_across_zones() -> None:
    utc = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    earlier_in_berlin = datetime(2026, 11, 26, 10, 30, tzinfo=timezone(timedelta(hours=2)))  # 08:30 UTC
    assert time_key(earlier_in_berlin) < time_key(utc)
    assert time_key(utc) == "2026-11-26T09:00:00.000000Z"


def test_ids_are_deterministic_and_distinct() -> None:
    assert mention_id("github", "X") == mention_id("github", "X")
    assert mention_id("github", "X") != mention_id("meta", "X")
    assert task_id("github", "X") != mention_id("github", "X")
    assert {shard_of(str(n), 4) for n in range(100)} == {0, 1, 2, 3}


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "HARK_STAGE": "prod",
            "AWS_REGION": "eu-west-1",
            "HARK_TABLE_MENTIONS": "custom-mentions",
            "HARK_SECRET_GITHUB": "gh",
            "HARK_API_BASE_GITHUB": "http://127.0.0.1:9100",
            "HARK_ANALYZER": "comprehend",
            "UNRELATED": "x",
        }
    )
    assert settings.region == "eu-west-1"
    assert settings.table_name(MENTIONS) == "custom-mentions"
    assert Settings().table_name(MENTIONS) == "hark-local-mentions"
    assert settings.platform_secrets == {"github": "gh"}
    assert settings.api_bases == {"github": "http://127.0.0.1:9100"}
    assert settings.analyzer == "comprehend"
    assert Settings.from_env({}).analyzer == "local"
    assert Settings.from_env({"HARK_STAGE": "prod"}).analyzer == "tiered"
    assert settings.dev_defaults is False
    with pytest.raises(NotConfigured, match="analyzer"):
        Settings.from_env({"HARK_ANALYZER": "magic"})


def test_development_secrets_apply_only_on_the_local_stage() -> None:
    local = EnvSecrets(Settings()).get()
    assert local.platform_secret("github") == dev_platform_secret("github")
    assert local.api_key_valid(DEV_API_KEY)
    deployed = EnvSecrets(Settings(stage="prod")).get()
    with pytest.raises(NotConfigured):
        deployed.platform_secret("github")
    assert not deployed.api_key_valid(DEV_API_KEY)


def test_api_keys_and_secret_documents() -> None:
    values = SecretValues(platform={"meta": "m"}, meta_verify_token="t", api_keys=("key-one-1", "key-two-2"))
    assert values.api_key_valid("key-two-2")
    assert not values.api_key_valid("key-three")
    assert not values.api_key_valid(None)
    assert values_from_json(to_document(values)) == values
    assert values_from_json({"api_key": "single-key"}).api_keys == ("single-key",)


@pytest.mark.parametrize(
    "document",
    [
        {"api_keys": "sk-live-abc123"},  # a string, not a list: every character would be a key
        {"api_keys": ["short"]},
        {"meta_verify_token": 12345},
        {"github": 42},
    ],
)
def test_a_malformed_secret_document_is_refused(document: dict[str, object]) -> None:
    with pytest.raises(NotConfigured):
        values_from_json(document)
