"""The local stack's emulator speed-up changes moto's SQS clock for a cheaper one, and nothing else."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

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
