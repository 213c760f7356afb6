"""The local stack's emulator speed-ups (moto's SQS clock, its transactions' backups) change no result."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from moto.core.utils import unix_time_millis as moto_clock

from devstack.emulator import speed_up


def test_the_cheaper_clock_reads_what_motos_clock_reads() -> None:
    import moto.sqs.models as sqs_models

    speed_up()
    speed_up()  # idempotent: wrapping twice would still be correct, but slower
    clock = sqs_models.unix_time_millis  # type: ignore[attr-defined]
    assert getattr(clock, "_hark_fast", False)
    assert abs(clock() - moto_clock()) < 50
    moment = datetime(2026, 11, 26, 9, 30)
    assert clock(moment) == moto_clock(moment)


def test_visibility_timeouts_still_hold_under_the_cheaper_clock() -> None:
    import boto3
    from moto import mock_aws

    speed_up()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="one")
        [first] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # held
        time.sleep(1.1)
        [again] = sqs.receive_message(QueueUrl=url)["Messages"]  # visible again after its timeout
        assert again["MessageId"] == first["MessageId"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_sending_still_honours_content_based_deduplication_and_counts_stay_right() -> None:
    import boto3
    from moto import mock_aws

    speed_up()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        fifo = sqs.create_queue(
            QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        for _ in range(2):
            sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
        standard = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message_batch(QueueUrl=standard, Entries=[{"Id": str(n), "MessageBody": str(n)} for n in range(10)])
        counts = {
            url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            for url in (fifo, standard)
        }
        assert counts[fifo]["ApproximateNumberOfMessages"] == "1"  # the copy was deduplicated
        assert counts[fifo]["ContentBasedDeduplication"] == "true"
        assert counts[standard]["ApproximateNumberOfMessages"] == "10"


def test_a_failed_transaction_puts_back_exactly_what_it_had_written_without_copying_tables(monkeypatch: Any) -> None:
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models.table import Table

    speed_up()

    def no_copies(table: Any, memo: Any) -> Any:
        raise AssertionError("a whole table was copied")

    monkeypatch.setattr(Table, "__deepcopy__", no_copies, raising=False)
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        db.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        db.put_item(TableName="t", Item={"id": {"S": "kept"}, "v": {"S": "before"}})
        db.put_item(TableName="t", Item={"id": {"S": "other"}, "v": {"S": "untouched"}})
        failing = [
            {"Put": {"TableName": "t", "Item": {"id": {"S": "new"}, "v": {"S": "x"}}}},
            {"Update": {"TableName": "t", "Key": {"id": {"S": "kept"}}, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "after"}}}},
            {"Put": {"TableName": "t", "Item": {"id": {"S": "other"}, "v": {"S": "y"}},
                     "ConditionExpression": "attribute_not_exists(id)"}},
        ]  # fmt: skip
        with pytest.raises(db.exceptions.TransactionCanceledException):
            db.transact_write_items(TransactItems=failing)
        items = {i["id"]["S"]: i["v"]["S"] for i in db.scan(TableName="t")["Items"]}
        assert items == {"kept": "before", "other": "untouched"}  # all or nothing: "new" gone, "kept" as it was
        db.transact_write_items(TransactItems=failing[:2])
        items = {i["id"]["S"]: i["v"]["S"] for i in db.scan(TableName="t")["Items"]}
        assert items == {"kept": "after", "other": "untouched", "new": "x"}


def test_the_server_finds_each_hosts_backend_once_and_finds_the_same_one() -> None:
    import moto.backends as moto_backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    speed_up()
    app = DomainDispatcherApplication(create_app=lambda backend: None)  # type: ignore[arg-type,return-value]
    hosts = ["dynamodb", "sqs.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com", "moto_api", None]
    first = [app.get_backend_for_host(h) for h in hosts]
    assert first[:4] == ["dynamodb", "sqs", "s3", "moto_api"] and first[4] is None
    listed: list[int] = []
    original = moto_backends.list_of_moto_modules

    def counted() -> Any:
        listed.append(1)
        return original()

    moto_backends.list_of_moto_modules = counted
    try:
        assert [app.get_backend_for_host(h) for h in hosts] == first
    finally:
        moto_backends.list_of_moto_modules = original
    assert listed == []  # remembered: moto's package directory is not listed again
