"""Tables, queues and the secret, from the shared resource specs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.resources import QUEUES, SECRETS, TABLES, KeyAttr, QueueSpec, TableSpec

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: KeyAttr) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, retain: bool) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        self.tables: dict[str, dynamodb.TableV2] = {t.key: self._table(t, stage, removal) for t in TABLES}
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in QUEUES:
            self.queues[spec.key], self.dead_letter_queues[spec.key] = self._queue(spec, stage)
        self.secret = secretsmanager.Secret(
            self,
            "Secrets",
            secret_name=SECRETS.physical_name(stage),
            description="Hark platform signing secrets and partner API keys (JSON; see docs/configuration.md)",
            removal_policy=removal,
        )

    def _table(self, spec: TableSpec, stage: str, removal: RemovalPolicy) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            f"Table-{spec.key}",
            table_name=spec.physical_name(stage),
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key) if index.sort_key else None,
                    projection_type=dynamodb.ProjectionType.ALL,
                )
                for index in spec.indexes
            ]
            or None,
            removal_policy=removal,
        )

    def _queue(self, spec: QueueSpec, stage: str) -> tuple[sqs.Queue, sqs.Queue]:
        dead = sqs.Queue(
            self,
            f"Dlq-{spec.key}",
            queue_name=spec.dlq_name(stage),
            retention_period=Duration.seconds(spec.dlq_retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            f"Queue-{spec.key}",
            queue_name=spec.physical_name(stage),
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            retention_period=Duration.seconds(spec.retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead, max_receive_count=spec.max_receive_count),
        )
        return queue, dead
