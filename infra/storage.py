"""Tables, queues, buckets, topics, the secret and the configuration parameter, from the shared resource specs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.nag import suppress
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
    KeyAttr,
    QueueSpec,
    TableSpec,
)

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}
ACCESS_LOG_DAYS = 90
# Over API Gateway's 20-character minimum for an API key (`hark keys sync` registers it there).
BOOTSTRAP_KEY_CHARS = 40


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
        self.failure_queues: dict[str, sqs.Queue] = {f.key: self._failure_queue(f, stage) for f in FAILURE_QUEUES}
        # One customer-managed key for the topics: CloudWatch can publish to a topic encrypted with it (it cannot
        # with the AWS-managed aws/sns key, whose policy cannot grant it).
        self.topic_key = kms.Key(
            self,
            "TopicKey",
            description="Hark SNS topics (alarms, on-call, safety)",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        self.topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],  # a key policy's resource is the key itself
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topics: dict[str, sns.Topic] = {
            t.key: sns.Topic(
                self,
                f"Topic-{t.key}",
                topic_name=t.physical_name(stage),
                display_name=f"Hark {t.key}",
                master_key=self.topic_key,
                enforce_ssl=True,
            )
            for t in TOPICS
        }
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
            # Buckets outlive `make destroy` (CloudFormation cannot delete a bucket with objects in it); see
            # docs/deployment.md for emptying them by hand.
            removal_policy=RemovalPolicy.RETAIN,
        )
        suppress(self.access_logs, "AwsSolutions-S1", "This is the access-log bucket; logging it to itself would loop.")
        self.buckets: dict[str, s3.Bucket] = {b.key: self._bucket(b) for b in BUCKETS}
        self.secret = secretsmanager.Secret(
            self,
            "Secrets",
            secret_name=SECRETS.physical_name(stage),
            description="Hark platform signing secrets and partner API keys (JSON; see docs/configuration.md)",
            # A JSON document from the start, holding one random admin key (`api_key`): a fresh deployment answers
            # `hark smoke` and the dashboard; platform secrets and named keys are added next to it.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",  # nosec B106 # noqa: S106 - an empty JSON object, not a password
                generate_string_key="api_key",
                exclude_punctuation=True,
                password_length=BOOTSTRAP_KEY_CHARS,
            ),
            removal_policy=removal,
        )
        suppress(
            self.secret,
            "AwsSolutions-SMG4",
            "Platform signing secrets are issued by each platform and rotated there, then pasted here; there is no "
            "rotation Lambda that could rotate them. Partner keys are rotated by issuing a new key next to the old "
            "one (docs/operations.md).",
        )
        self.config = ssm.StringParameter(
            self,
            "Config",
            parameter_name=CONFIG.physical_name(stage),
            description="Hark configuration document (JSON); every setting at its default until edited",
            string_value="{}",
        )

    def _table(self, spec: TableSpec, stage: str, removal: RemovalPolicy) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            f"Table-{spec.key}",
            table_name=spec.physical_name(stage),
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=removal == RemovalPolicy.RETAIN,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key) if index.sort_key else None,
                    projection_type=_PROJECTIONS[index.projection],
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
        suppress(dead, "AwsSolutions-SQS3", "This is a dead-letter queue: what fails here is alarmed on, not retried.")
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

    def _failure_queue(self, spec: FailureQueueSpec, stage: str) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            f"Failures-{spec.key}",
            queue_name=spec.physical_name(stage),
            retention_period=Duration.seconds(spec.retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        suppress(
            queue,
            "AwsSolutions-SQS3",
            "This is the on-failure destination of asynchronous invocations (a dead-letter queue): what lands here "
            "is alarmed on and replayed by a person, not retried.",
        )
        return queue

    def _bucket(self, spec: BucketSpec) -> s3.Bucket:
        rules = []
        transitions = []
        if spec.infrequent_access_after_days:
            transitions.append(
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(spec.infrequent_access_after_days),
                )
            )
        rules.append(
            s3.LifecycleRule(
                transitions=transitions or None,
                expiration=Duration.days(spec.expire_after_days) if spec.expire_after_days else None,
                abort_incomplete_multipart_upload_after=Duration.days(1),
                # A stack deployed before the archive was unversioned keeps versioning suspended (S3 cannot turn
                # it off): old versions of what erasure or the sweep deleted must still go, within a day.
                noncurrent_version_expiration=Duration.days(1) if spec.object_lock_days is None else None,
            )
        )
        locked = spec.object_lock_days is not None
        return s3.Bucket(
            self,
            f"Bucket-{spec.key}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # Only Object Lock needs versions (S3 requires them for it). The raw archive is unversioned, so an
            # erasure's DeleteObjects removes a person's deliveries for good instead of leaving them as old versions.
            versioned=spec.versioned,
            object_lock_enabled=locked or None,
            object_lock_default_retention=s3.ObjectLockRetention.compliance(Duration.days(spec.object_lock_days))
            if spec.object_lock_days
            else None,
            lifecycle_rules=rules,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{spec.key}/",
            removal_policy=RemovalPolicy.RETAIN,
        )
