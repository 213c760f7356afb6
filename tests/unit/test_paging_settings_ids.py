from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.api.models import Paging
from shared.auth import ApiKeys, Grant, key_id
from shared.errors import InvalidQuery, NotConfigured, Unauthenticated
from shared.ids import mention_id, shard_of, task_id
from shared.resources import MENTIONS
from shared.secrets import DEV_GRANT, EnvSecrets, SecretValues, to_document, values_from_json
from shared.settings import DEV_API_KEY, Settings, dev_platform_secret
from shared.store.paging import decode_cursor, encode_cursor, merge_pages, time_key


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
def test_foreign_cursors_are_refused(garbage: str) -> None:
    with pytest.raises(InvalidQuery):
        decode_cursor(garbage)


def test_cursor_round_trip_and_limits() -> None:
    assert decode_cursor(encode_cursor("2026-11-26T09:00:00.000000Z#m_x")) == "2026-11-26T09:00:00.000000Z#m_x"
    assert decode_cursor(None) is None
    assert Paging.model_validate({}).limit == 50
    assert Paging.model_validate({"limit": "7"}).limit == 7
    for bad in ("0", "201", "ten", ""):
        with pytest.raises(ValidationError):
            Paging.model_validate({"limit": bad})


def test_time_keys_sort_like_time_across_zones() -> None:
    utc = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    earlier_in_berlin = datetime(2026, 11, 26, 10, 30, tzinfo=timezone(timedelta(hours=2)))  # 08:30 UTC
    assert time_key(earlier_in_berlin) < time_key(utc)
    assert time_key(utc) == "2026-11-26T09:00:00.000000Z"


def test_ids_are_deterministic_and_distinct() -> None:
    assert mention_id("github", "X") == mention_id("github", "X")
    assert mention_id("github", "X") != mention_id("meta", "X")
    assert task_id("github", "X") != mention_id("github", "X")
    # A partner's submissions hash in its own namespace; the platform's own keep the historic hash.
    assert mention_id("github", "X", "partner:crm") not in (mention_id("github", "X"), mention_id("github", "X", "p"))
    assert mention_id("github", "X", "platform") == mention_id("github", "X")
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
    dev = local.keys().authenticate(DEV_API_KEY)
    assert (dev.user, dev.roles) == ("dev", frozenset({"agent", "admin", "viewer"}))
    deployed = EnvSecrets(Settings(stage="prod")).get()
    with pytest.raises(NotConfigured):
        deployed.platform_secret("github")
    with pytest.raises(Unauthenticated):
        deployed.keys().authenticate(DEV_API_KEY)


def test_keys_resolve_to_their_user_and_roles_and_nothing_else() -> None:
    keys = ApiKeys({"key-one-1": Grant("ana", frozenset({"agent"})), "key-two-2": Grant("bo", frozenset({"approver"}))})
    ana = keys.authenticate("key-one-1")
    assert (ana.user, ana.roles, ana.key_id) == ("ana", frozenset({"agent"}), key_id("key-one-1"))
    assert keys.authenticate("key-two-2").user == "bo"
    for wrong in ("key-three", "", None, "key-one-"):
        with pytest.raises(Unauthenticated):
            keys.authenticate(wrong)


def test_hark_api_keys_and_the_dev_key_may_be_set_together() -> None:
    settings = Settings.from_env(
        {"HARK_API_KEYS": '{"approver-key-1": {"user": "bo", "roles": ["approver"]}}', "HARK_API_KEY": "my-dev-key"}
    )
    keys = EnvSecrets(settings).get().keys()
    assert keys.authenticate("approver-key-1").roles == frozenset({"approver"})
    assert keys.authenticate("my-dev-key").user == "dev"
    with pytest.raises(Unauthenticated):
        keys.authenticate(DEV_API_KEY)  # configured keys replace the documented default
    with pytest.raises(NotConfigured):
        EnvSecrets(Settings.from_env({"HARK_API_KEYS": '{"k-123456": {"user": "x", "roles": ["wizard"]}}'}))
    with pytest.raises(NotConfigured):
        Settings.from_env({"HARK_API_KEYS": "{not json"})


def test_api_keys_and_secret_documents() -> None:
    values = SecretValues(
        platform={"meta": "m"},
        meta_verify_token="t",
        api_keys={"key-one-1": DEV_GRANT, "key-two-2": Grant("bo", frozenset({"approver"}))},
    )
    assert values_from_json(to_document(values)) == values
    assert values_from_json({"api_key": "single-key"}).api_keys == {"single-key": DEV_GRANT}
    partners = values_from_json({"api_keys": ["partner-key-1"]}).keys().authenticate("partner-key-1")
    assert partners.roles == frozenset({"partner", "viewer"})


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
