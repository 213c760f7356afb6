"""Least privilege, generated from each function's intents in `shared.resources` (reads, writes, sends_to,
reads_secret, writes_secret, uses_comprehend, publishes_to, buckets, config): named actions only, on the resources
named.

No statement has `*` or `service:*` as an action. Resources are the table (and each of its indexes by name), the
queue, the topic, the secret, the parameter, the bucket's objects; the one exception is Amazon Comprehend, whose
real-time detection APIs have no resource to scope to. Append-only tables (the audit log) grant `PutItem` only:
no role can update, delete or batch-write an audit entry (and the code's puts are conditional on the id being new).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam

from shared.resources import FunctionSpec, TableSpec

TABLE_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
TABLE_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
TABLE_APPEND = ("dynamodb:PutItem",)
# The detection APIs the Comprehend adapter calls (services/classify/analyzers/comprehend.py).
COMPREHEND_DETECT = (
    "comprehend:BatchDetectDominantLanguage",
    "comprehend:BatchDetectSentiment",
    "comprehend:BatchDetectEntities",
    "comprehend:BatchDetectKeyPhrases",
    "comprehend:DetectPiiEntities",
    "comprehend:DetectToxicContent",
)
COMPREHEND_CLASSIFY = ("comprehend:ClassifyDocument",)


@dataclass(frozen=True)
class Resources:
    """ARNs of what the stack built, by spec key."""

    tables: dict[str, str]
    queues: dict[str, str]
    dead_letter_queues: dict[str, str]
    failure_queues: dict[str, str]
    topics: dict[str, str]
    topic_key: str
    buckets: dict[str, str]
    secret: str
    config: str
    region: str
    account: str


def append_only(table: TableSpec) -> bool:
    return table.append_only or table.key == "audit"


def _table_resources(resources: Resources, table: TableSpec) -> list[str]:
    arn = resources.tables[table.key]
    return [arn, *(f"{arn}/index/{index.name}" for index in table.indexes)]


def statements(spec: FunctionSpec, resources: Resources) -> list[iam.PolicyStatement]:
    """What `spec` may do, and nothing else (its logs are granted with its log group)."""
    out: list[iam.PolicyStatement] = []
    for table in dict.fromkeys(spec.reads):
        out.append(iam.PolicyStatement(actions=list(TABLE_READ), resources=_table_resources(resources, table)))
    for table in dict.fromkeys(spec.writes):
        actions = TABLE_APPEND if append_only(table) else TABLE_WRITE
        out.append(iam.PolicyStatement(actions=list(actions), resources=[resources.tables[table.key]]))
    send = [resources.queues[q.key] for q in dict.fromkeys(spec.sends_to)]
    if spec.sqs_source is not None:
        # A record that cannot succeed is parked in the source queue's dead-letter queue with its reason.
        send.append(resources.dead_letter_queues[spec.sqs_source.queue.key])
    if spec.on_failure is not None:
        # Lambda delivers an asynchronous event that kept failing to the on-failure destination as the function.
        send.append(resources.failure_queues[spec.on_failure.key])
    if send:
        out.append(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=send))
    if spec.reads_secret:
        out.append(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[resources.secret],
            )
        )
    if spec.writes_secret:
        # Refreshed OAuth tokens are stored back in the secret's `tokens` (shared/tokens.py).
        out.append(iam.PolicyStatement(actions=["secretsmanager:PutSecretValue"], resources=[resources.secret]))
    if spec.uses_comprehend:
        # Comprehend's real-time detection APIs act on no resource: `*` is the only resource IAM accepts for them.
        out.append(iam.PolicyStatement(actions=list(COMPREHEND_DETECT), resources=["*"]))
        # A custom classifier is called through its endpoint, in this account and region only.
        out.append(
            iam.PolicyStatement(
                actions=list(COMPREHEND_CLASSIFY),
                resources=[f"arn:aws:comprehend:{resources.region}:{resources.account}:document-classifier-endpoint/*"],
            )
        )
    if spec.publishes_to:
        out.append(
            iam.PolicyStatement(
                actions=["sns:Publish"], resources=[resources.topics[t.key] for t in dict.fromkeys(spec.publishes_to)]
            )
        )
        out.append(iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[resources.topic_key]))
    out.extend(_bucket_statements(spec, resources))
    if spec.reads_config:
        out.append(iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[resources.config]))
    return out


def _bucket_statements(spec: FunctionSpec, resources: Resources) -> list[iam.PolicyStatement]:
    """Object actions on the buckets' objects; listing on the bucket itself."""
    out: list[iam.PolicyStatement] = []
    for action, buckets in (
        ("s3:GetObject", spec.reads_buckets),
        ("s3:PutObject", spec.writes_buckets),
        ("s3:DeleteObject", spec.erases_buckets),
    ):
        if buckets:
            out.append(
                iam.PolicyStatement(actions=[action], resources=[f"{resources.buckets[b.key]}/*" for b in buckets])
            )
    if spec.lists_buckets:
        # Listing is granted on the bucket itself (never on its objects); the sweep deletes with DeleteObject above.
        out.append(
            iam.PolicyStatement(
                actions=["s3:ListBucket"], resources=[resources.buckets[b.key] for b in spec.lists_buckets]
            )
        )
    return out
