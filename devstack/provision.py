"""Create Hark's tables, queues (with their dead-letter queues, and the failure queues of asynchronous invocations),
topics, buckets, the configuration parameter and the secret in an AWS endpoint (the emulator, LocalStack) from
`shared.resources`, the same specs the CDK app builds the cloud stack from. Idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from shared.resources import (
    BUCKETS,
    CONFIG,
    FAILURE_QUEUES,
    QUEUES,
    SECRETS,
    TABLES,
    TOPICS,
    BucketSpec,
    FailureQueueSpec,
    QueueSpec,
    TableSpec,
    TopicSpec,
)


@dataclass(frozen=True)
class Provisioned:
    env: dict[str, str]
    queue_urls: dict[str, str]
    queue_arns: dict[str, str]
    # On-failure destinations of asynchronous invocations (the scheduler puts Lambda's destination records there).
    failure_queue_urls: dict[str, str] = field(default_factory=dict)


def table_request(spec: TableSpec, stage: str) -> dict[str, Any]:
    def key_schema(partition: Any, sort: Any) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
        if sort is not None:
            schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
        return schema

    request: dict[str, Any] = {
        "TableName": spec.physical_name(stage),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type} for a in spec.key_attributes],
        "KeySchema": key_schema(spec.partition_key, spec.sort_key),
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": index.projection},
            }
            for index in spec.indexes
        ]
    return request


def create_table(dynamodb: Any, spec: TableSpec, stage: str) -> None:
    try:
        dynamodb.create_table(**table_request(spec, stage))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    if spec.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=spec.physical_name(stage),
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )


def create_queue(sqs: Any, spec: QueueSpec, stage: str) -> tuple[str, str, str]:
    dlq_url = sqs.create_queue(
        QueueName=spec.dlq_name(stage), Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_s)}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=spec.physical_name(stage),
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "MessageRetentionPeriod": str(spec.retention_s),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn), str(dlq_url)


def create_failure_queue(sqs: Any, spec: FailureQueueSpec, stage: str) -> str:
    url = sqs.create_queue(
        QueueName=spec.physical_name(stage), Attributes={"MessageRetentionPeriod": str(spec.retention_s)}
    )["QueueUrl"]
    return str(url)


def create_topic(sns: Any, spec: TopicSpec, stage: str) -> str:
    return str(sns.create_topic(Name=spec.physical_name(stage))["TopicArn"])


def create_bucket(s3: Any, spec: BucketSpec, stage: str, expire_after_days: int | None = None) -> str:
    """A private, encrypted bucket with the spec's lifecycle (`expire_after_days` overriding its retention), as
    the CDK app builds it."""
    name = spec.physical_name(stage)
    expire_after_days = expire_after_days or spec.expire_after_days
    try:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=spec.object_lock_days is not None)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    if spec.object_lock_days:
        # As the CDK app builds it: every object written is locked in compliance mode for this long.
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": spec.object_lock_days}},
            },
        )
    rules: list[dict[str, Any]] = []
    if expire_after_days:
        rules.append(
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": expire_after_days}}
        )
    if spec.infrequent_access_after_days:
        rules.append(
            {
                "ID": "infrequent-access",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "Transitions": [{"Days": spec.infrequent_access_after_days, "StorageClass": "STANDARD_IA"}],
            }
        )
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    return name


def put_config(ssm: Any, name: str, document: str = "{}") -> None:
    """An empty document: every setting at its default until someone edits it (as in a fresh deployment)."""
    try:
        ssm.put_parameter(Name=name, Value=document, Type="String")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ParameterAlreadyExists":
            raise


def put_secret(secretsmanager: Any, name: str, document: Mapping[str, Any]) -> None:
    value = json.dumps(document)
    try:
        secretsmanager.create_secret(Name=name, SecretString=value)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise
        secretsmanager.put_secret_value(SecretId=name, SecretString=value)


def provision(
    clients: Mapping[str, Any],
    stage: str,
    secret_document: Mapping[str, Any],
    tables: Iterable[TableSpec] = TABLES,
    queues: Iterable[QueueSpec] = QUEUES,
    topics: Iterable[TopicSpec] = TOPICS,
    buckets: Iterable[BucketSpec] = BUCKETS,
    expire_after_days: Mapping[str, int] | None = None,
    failure_queues: Iterable[FailureQueueSpec] = FAILURE_QUEUES,
) -> Provisioned:
    """Everything Hark needs; `expire_after_days` overrides a bucket's retention (by key) as configuration does.
    Buckets are made only when an `s3` client is given."""
    env: dict[str, str] = {}
    for table in tables:
        create_table(clients["dynamodb"], table, stage)
        env[table.env_var] = table.physical_name(stage)
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for queue in queues:
        urls[queue.key], arns[queue.key], dlq_url = create_queue(clients["sqs"], queue, stage)
        env[queue.env_var] = urls[queue.key]
        env[queue.dlq_env_var] = dlq_url
    failures = {spec.key: create_failure_queue(clients["sqs"], spec, stage) for spec in failure_queues}
    if "sns" in clients:
        for topic in topics:
            env[topic.env_var] = create_topic(clients["sns"], topic, stage)
    if "s3" in clients:
        for bucket in buckets:
            days = (expire_after_days or {}).get(bucket.key)
            env[bucket.env_var] = create_bucket(clients["s3"], bucket, stage, days)
    if "ssm" in clients:
        put_config(clients["ssm"], CONFIG.physical_name(stage))
        env[CONFIG.env_var] = CONFIG.physical_name(stage)
    secret_name = SECRETS.physical_name(stage)
    put_secret(clients["secretsmanager"], secret_name, secret_document)
    env[SECRETS.env_var] = secret_name
    return Provisioned(env, urls, arns, failures)
