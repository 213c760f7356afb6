"""The CDK app synthesises the resources the shared specs describe, no more and no fewer."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.infra

aws_cdk = pytest.importorskip("aws_cdk")

from aws_cdk.assertions import Match, Template  # noqa: E402

from infra.stack import HarkStack  # noqa: E402
from shared.resources import QUEUES, TABLES  # noqa: E402


@pytest.fixture(scope="module")
def template() -> Template:
    app = aws_cdk.App()
    return Template.from_stack(HarkStack(app, "Hark-test", stage="test"))


def test_one_table_per_spec_with_its_keys_indexes_and_ttl(template: Template) -> None:
    template.resource_count_is("AWS::DynamoDB::GlobalTable", len(TABLES))
    for spec in TABLES:
        keys = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
        if spec.sort_key:
            keys.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
        properties: dict[str, Any] = {
            "TableName": spec.physical_name("test"),
            "KeySchema": keys,
            "BillingMode": "PAY_PER_REQUEST",
        }
        if spec.indexes:
            properties["GlobalSecondaryIndexes"] = [
                Match.object_like({"IndexName": index.name, "Projection": {"ProjectionType": "ALL"}})
                for index in spec.indexes
            ]
        if spec.ttl_attribute:
            properties["TimeToLiveSpecification"] = {"AttributeName": spec.ttl_attribute, "Enabled": True}
        template.has_resource_properties("AWS::DynamoDB::GlobalTable", Match.object_like(properties))


def test_each_queue_has_a_dead_letter_queue_and_the_specs_timings(template: Template) -> None:
    template.resource_count_is("AWS::SQS::Queue", 2 * len(QUEUES))
    for spec in QUEUES:
        template.has_resource_properties(
            "AWS::SQS::Queue",
            Match.object_like(
                {
                    "QueueName": spec.physical_name("test"),
                    "VisibilityTimeout": spec.visibility_timeout_s,
                    "MessageRetentionPeriod": spec.retention_s,
                    "SqsManagedSseEnabled": True,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": Match.any_value(),
                        "maxReceiveCount": spec.max_receive_count,
                    },
                }
            ),
        )
        template.has_resource_properties(
            "AWS::SQS::Queue",
            {
                "QueueName": spec.dlq_name("test"),
                "MessageRetentionPeriod": spec.dlq_retention_s,
                "SqsManagedSseEnabled": True,
            },
        )


def test_alarms_watch_dead_letters_and_backlog(template: Template) -> None:
    template.resource_count_is("AWS::CloudWatch::Alarm", 2 * len(QUEUES))
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        Match.object_like({"MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 0}),
    )
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
