"""The raw archive against the emulator's S3 and DynamoDB: deliveries kept encrypted by platform/date/delivery
before they are acknowledged, found by author for erasure, and `hark replay` re-driving a day of them without
adding anything already stored, restoring what was lost downstream and never what was deleted on purpose."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.cli import main
from devstack.replay import replay
from devstack.signing import github_headers, meta_body, meta_headers
from services.ingest import bootstrap
from services.ingest.archive import RawArchive
from services.ingest.platforms.base import Delivery
from services.ingest.service import Receipt
from shared.events import AuthorErased, AuthorErasure, MentionDeleted, MentionDeletion
from shared.settings import Settings, dev_platform_secret
from tests.conftest import webhook_fixture
from tests.functional.conftest import Pipeline

BUCKET = "hark-local-raw-archive"
DAY = datetime(2026, 11, 20, tzinfo=UTC)


def objects(pipeline: Pipeline) -> list[str]:
    listed = pipeline.aws.client("s3").list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listed.get("Contents", [])]


def meta_delivery(received_at: datetime, *messages: tuple[str, str, str]) -> Delivery:
    """A signed Meta delivery of (sender, mid, text) messages, as it arrived at `received_at`."""
    messaging = [
        {"sender": {"id": s}, "recipient": {"id": "1"}, "timestamp": 1, "message": {"mid": mid, "text": text}}
        for s, mid, text in messages
    ]
    body = meta_body({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": messaging}]})
    headers = {k.lower(): v for k, v in meta_headers(body, dev_platform_secret("meta")).items()}
    return Delivery("meta", body, received_at, headers=headers)


def receive(delivery: Delivery) -> Receipt:
    receipt = bootstrap.root.get().service.receive(delivery)
    assert isinstance(receipt, Receipt)
    return receipt


def snapshot(pipeline: Pipeline) -> dict[str, Any]:
    return {
        table: sorted(pipeline.aws.scan(table), key=lambda item: json.dumps(item, sort_keys=True))
        for table in ("mentions", "inbox", "tasks")
    }


def test_an_accepted_webhook_is_archived_encrypted_with_its_key_on_the_mention(pipeline: Pipeline) -> None:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    headers = github_headers(body, dev_platform_secret("github"), "issue_comment", delivery="72d3162e-cc78-11e3")
    response = pipeline.http.post("/webhooks/github?source=hook", data=body, headers=headers)
    assert response.status_code == 200
    [key] = objects(pipeline)
    today = datetime.now(UTC).date().isoformat()
    assert key.startswith(f"github/{today}/") and key.endswith("Z-72d3162e-cc78-11e3.json.gz")
    s3 = pipeline.aws.client("s3")
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    document = json.loads(gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))
    assert document["body"].encode() == body  # the exact bytes
    assert document["query"] == {"source": "hook"}
    assert document["headers"]["x-github-event"] == "issue_comment"
    assert not [h for h in document["headers"] if "signature" in h]
    [message] = pipeline.aws.client("sqs").receive_message(QueueUrl=pipeline.aws.queue_urls["classify"])["Messages"]
    assert json.loads(message["Body"])["data"]["archive_key"] == key
    [entry] = pipeline.aws.scan("archive-index")
    assert (entry["author_key"]["S"], entry["archive_key"]["S"]) == ("github#21031067", key)
    assert int(entry["expires_at"]["N"]) > datetime.now(UTC).timestamp() + 30 * 86400


def test_an_archive_that_cannot_be_written_answers_503_and_queues_nothing(pipeline: Pipeline) -> None:
    s3 = pipeline.aws.client("s3")
    s3.delete_bucket(Bucket=BUCKET)
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    refused = pipeline.github(body, "issue_comment")
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert pipeline.aws.queue_depth("classify") == 0


def test_erasure_finds_a_persons_deliveries_through_the_index_and_deletes_only_theirs(pipeline: Pipeline) -> None:
    alone = receive(meta_delivery(DAY, ("ana", "m1", "where is my order?")))
    shared = receive(meta_delivery(DAY + timedelta(hours=1), ("ana", "m2", "hello?"), ("bo", "m3", "me too")))
    other = receive(meta_delivery(DAY + timedelta(hours=2), ("bo", "m4", "thanks")))
    archive = bootstrap.root.get().archive
    assert archive.erase_author("meta", "ana") == 2
    assert objects(pipeline) == [other.archive_key]
    assert archive.erase_author("meta", "ana") == 0  # nothing left of her, index included
    assert {e["archive_key"]["S"] for e in pipeline.aws.scan("archive-index")} == {
        shared.archive_key,  # bo's entry for the shared delivery: dangling now, harmless, expires with its TTL
        other.archive_key,
    }
    assert archive.load(alone.archive_key) is None  # type: ignore[arg-type]


def test_replaying_a_day_adds_nothing_already_there(pipeline: Pipeline, capsys: pytest.CaptureFixture[str]) -> None:
    before = receive(meta_delivery(DAY - timedelta(minutes=5), ("zoe", "m-late", "late last night")))
    day = [
        receive(meta_delivery(DAY + timedelta(hours=h), (f"u{h}", f"m{h}", f"My order {h} never arrived")))
        for h in (0, 6, 12, 23)
    ]
    pipeline.flow()
    kept = snapshot(pipeline)
    assert len(kept["mentions"]) == len(kept["inbox"]) == 5
    assert kept["tasks"]

    capsys.readouterr()
    code = main(
        [
            "replay",
            "--platform",
            "meta",
            "--since",
            "2026-11-20",
            "--until",
            "2026-11-21",
            "--endpoint",
            pipeline.aws.url,
        ]
    )
    assert code == 0
    assert "Replayed 4 meta deliveries: 4 mentions re-sent" in capsys.readouterr().out
    assert pipeline.aws.queue_depth("classify") == 4  # the day, not the delivery before it
    pipeline.flow()
    assert snapshot(pipeline) == kept  # not one item written, not one task version bumped
    assert len(objects(pipeline)) == 5  # replay archives nothing
    assert before.archive_key not in [k for k in objects(pipeline) if k.startswith("meta/2026-11-20/")]
    assert day[0].archive_key is not None


def test_a_replay_restores_what_was_lost_and_never_what_was_deleted(pipeline: Pipeline) -> None:
    lost, deleted, erased = (
        receive(meta_delivery(DAY + timedelta(hours=n), (author, mid, f"Where is parcel {mid}?")))
        for n, (author, mid) in enumerate([("ana", "lost"), ("bo", "deleted"), ("cy", "erased")])
    )
    pipeline.flow()
    [lost_mention, deleted_mention, erased_mention] = (r.mentions[0] for r in (lost, deleted, erased))
    tasks_before = pipeline.get("/v1/tasks").json["items"]

    # Lost downstream: the rows vanished with no tombstone (a bad restore, a bug, an operator's mistake).
    dynamodb = pipeline.aws.client("dynamodb")
    for table in ("mentions", "inbox"):
        dynamodb.delete_item(TableName=f"hark-local-{table}", Key={"id": {"S": lost_mention.id}})
    # Deleted on its platform, and a person erased: both flow through classify and respond as they do in service.
    sqs, url = pipeline.aws.client("sqs"), pipeline.aws.queue_urls["classify"]
    now = datetime.now(UTC)
    deletion = MentionDeletion(id=deleted_mention.id, platform="meta", native_id="deleted", deleted_at=now)
    sqs.send_message(QueueUrl=url, MessageBody=MentionDeleted.wrap(deletion, correlation_id="d", producer="ingest",
                                                                   occurred_at=now).model_dump_json())  # fmt: skip
    assert bootstrap.root.get().archive.erase_author("meta", "cy") == 1  # ingest's share of an erasure
    erasure = AuthorErasure(erasure_id="e1", platform="meta", author_id="cy", requested_by="dpo", requested_at=now)
    sqs.send_message(QueueUrl=url, MessageBody=AuthorErased.wrap(erasure, correlation_id="e", producer="ingest",
                                                                 occurred_at=now).model_dump_json())  # fmt: skip
    pipeline.flow()
    assert pipeline.get(f"/v1/mentions/{lost_mention.id}").status_code == 404

    root = bootstrap.build(pipeline.aws.env)
    outcome = replay(root, "meta", DAY, DAY + timedelta(days=1), limit=100)
    assert (outcome.deliveries, outcome.failures) == (2, [])  # the erased person's delivery is not even listed
    pipeline.flow()

    restored = pipeline.get(f"/v1/mentions/{lost_mention.id}").json
    assert restored["text"] == "Where is parcel lost?"  # lost downstream: the archive brings it back
    assert restored["task_id"] in {t["id"] for t in tasks_before}  # into the task it belonged to
    assert pipeline.get(f"/v1/mentions/{deleted_mention.id}").json["deleted_at"] is not None  # stays deleted
    assert pipeline.get(f"/v1/mentions/{erased_mention.id}").status_code == 404  # erased stays erased
    ids = {m["id"] for m in pipeline.get("/v1/mentions").json["items"]}
    assert erased_mention.id not in ids


def test_replay_refuses_an_unknown_platform_and_a_backwards_window(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = ["--endpoint", pipeline.aws.url]
    assert main(["replay", "--platform", "myspace", "--since", "1d", *endpoint]) == 2
    assert "no webhook for platform" in capsys.readouterr().out
    assert main(["replay", "--platform", "meta", "--since", "2026-11-21", "--until", "2026-11-20", *endpoint]) == 2
    assert main(["replay", "--platform", "meta", "--since", "yesterday-ish", *endpoint]) == 2


def test_the_archive_lists_a_window_across_midnight_in_arrival_order(pipeline: Pipeline) -> None:
    moments = [DAY - timedelta(minutes=1), DAY, DAY + timedelta(hours=23, minutes=59), DAY + timedelta(days=1)]
    keys = [receive(meta_delivery(m, ("ana", f"w{n}", "hi"))).archive_key for n, m in enumerate(moments)]
    archive = RawArchive(Settings.from_env(pipeline.aws.env))
    assert list(archive.keys("meta", DAY, DAY + timedelta(days=1))) == keys[1:3]
    assert list(archive.keys("meta", DAY - timedelta(hours=1), DAY + timedelta(days=2))) == keys
    assert list(archive.keys("github", DAY, DAY + timedelta(days=1))) == []


def test_the_hourly_sweep_deletes_what_is_older_than_the_configs_archive_retention(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """retention.archive is the configuration's (edited without a deploy); the bucket's lifecycle rule is only the
    longest anything may be kept. The sweep is the scheduled function, with only its own role's intents."""
    from pathlib import Path

    from devstack.lambda_runtime import Function
    from devstack.scheduler import scheduled_event
    from shared.resources import INGEST_ARCHIVE_SWEEP

    now = datetime.now(UTC)
    ages = {"ten-days": timedelta(days=10), "eight-days": timedelta(days=8), "six-days": timedelta(days=6)}
    ages["an-hour"] = timedelta(hours=1)
    for name, age in ages.items():
        receive(meta_delivery(now - age, (name, f"m.{name}", f"said {name} ago")))
    receive(github_delivery := _github(now - timedelta(days=9)))  # another platform's prefix, as old
    assert len(objects(pipeline)) == 5 and github_delivery

    config = Path(tmp_path) / "hark.yaml"
    default = (Path(__file__).parents[2] / "shared" / "config_default.yaml").read_text()
    assert "  archive: 30d" in default
    config.write_text(default.replace("  archive: 30d", "  archive: 7d"))
    monkeypatch.setenv("HARK_CONFIG", str(config))
    result = Function(INGEST_ARCHIVE_SWEEP).invoke(scheduled_event("archive-sweep", now))
    assert result["deleted"] == 3, result
    left = objects(pipeline)
    assert len(left) == 2 and all(k.startswith("meta/") for k in left)
    assert {(now - age).date().isoformat() for age in (ages["six-days"], ages["an-hour"])} == {
        k.split("/")[1] for k in left
    }
    # Nothing older is left to find; run again, nothing changes.
    assert Function(INGEST_ARCHIVE_SWEEP).invoke(scheduled_event("archive-sweep", now))["deleted"] == 0
    # Unset: kept until the bucket's lifecycle rule expires it.
    config.write_text(default.replace("  archive: 30d", "  archive: null"))
    assert Function(INGEST_ARCHIVE_SWEEP).invoke(scheduled_event("archive-sweep", now))["deleted"] == 0
    assert len(objects(pipeline)) == 2


def _github(received_at: datetime) -> Delivery:
    body = webhook_fixture("github", "issue_comment__created.payload.json")
    headers = {k.lower(): v for k, v in github_headers(body, dev_platform_secret("github"), "issue_comment").items()}
    return Delivery("github", body, received_at, headers=headers)
