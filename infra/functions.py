"""One construct per service: its Lambda functions, built from the FunctionSpecs, with their roles, log groups,
event sources and schedules.

A function's handler is the Chalice object itself (`services.ingest.app.app`, `...on_classify_queue`): Chalice
apps and event handlers are plain Lambda callables, so the CDK app deploys them as ordinary functions and wires
what Chalice cannot say (ReportBatchItemFailures, the concurrency cap, the real queue and topic) directly. See
docs/deployment.md for why this, not `chalice.cdk`.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.iam import Resources, statements
from infra.nag import suppress
from infra.package import PYTHON_VERSION, Packages
from infra.storage import Storage
from shared.observability import NAMESPACE
from shared.resources import CONFIG, SECRETS, FunctionSpec

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def environment(spec: FunctionSpec, storage: Storage, stage: str) -> dict[str, str]:
    """The variables `Settings.from_env` reads for what this function touches, and nothing else."""
    env = {
        "HARK_STAGE": stage,
        "POWERTOOLS_SERVICE_NAME": f"hark-{spec.service}",
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    for table in (*spec.reads, *spec.writes):
        env[table.env_var] = storage.tables[table.key].table_name
    for queue in spec.sends_to:
        env[queue.env_var] = storage.queues[queue.key].queue_url
    if spec.sqs_source is not None:
        queue = spec.sqs_source.queue
        env[queue.dlq_env_var] = storage.dead_letter_queues[queue.key].queue_url
    if spec.reads_secret:
        env[SECRETS.env_var] = storage.secret.secret_name
    for topic in spec.publishes_to:
        env[topic.env_var] = storage.topics[topic.key].topic_arn
    for bucket in (*spec.reads_buckets, *spec.writes_buckets, *spec.erases_buckets, *spec.lists_buckets):
        env[bucket.env_var] = storage.buckets[bucket.key].bucket_name
    if spec.reads_config:
        env[CONFIG.env_var] = storage.config.parameter_name
    return env


def resources_of(storage: Storage) -> Resources:
    stack = Stack.of(storage)
    return Resources(
        tables={k: t.table_arn for k, t in storage.tables.items()},
        queues={k: q.queue_arn for k, q in storage.queues.items()},
        dead_letter_queues={k: q.queue_arn for k, q in storage.dead_letter_queues.items()},
        failure_queues={k: q.queue_arn for k, q in storage.failure_queues.items()},
        topics={k: t.topic_arn for k, t in storage.topics.items()},
        topic_key=storage.topic_key.key_arn,
        buckets={k: b.bucket_arn for k, b in storage.buckets.items()},
        secret=storage.secret.secret_arn,
        config=storage.config.parameter_arn,
        region=stack.region,
        account=stack.account,
    )


class ServiceFunctions(Construct):
    """The functions of one service."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        specs: list[FunctionSpec],
        storage: Storage,
        packages: Packages,
        layers: dict[str, lambda_.ILayerVersion],
        stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        code = lambda_.Code.from_asset(str(packages.code(service)))
        arns = resources_of(storage)
        for spec in specs:
            self.functions[spec.key] = self._function(spec, code, storage, packages, layers, arns, stage)

    def _function(
        self,
        spec: FunctionSpec,
        code: lambda_.Code,
        storage: Storage,
        packages: Packages,
        layers: dict[str, lambda_.ILayerVersion],
        arns: Resources,
        stage: str,
    ) -> lambda_.Function:
        name = f"hark-{stage}-{spec.key}"
        log_group = logs.LogGroup(
            self, f"Logs-{spec.key}", log_group_name=f"/aws/lambda/{name}", retention=LOG_RETENTION
        )
        role = iam.Role(
            self,
            f"Role-{spec.key}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Hark {spec.key}: what its intents in shared/resources.py allow, nothing more",
        )
        policy = iam.Policy(self, f"Policy-{spec.key}", statements=statements(spec, arns))
        # Its own log group only (not AWSLambdaBasicExecutionRole's every log group in the account).
        policy.add_statements(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        policy.attach_to_role(role)
        if spec.uses_comprehend:
            suppress(
                policy,
                "AwsSolutions-IAM5",
                "Comprehend's detection APIs act on no resource, so IAM only accepts Resource '*' for them; a custom "
                "classifier is limited to this account's classifier endpoints.",
                applies_to=[
                    "Resource::*",
                    "Resource::arn:aws:comprehend:<AWS::Region>:<AWS::AccountId>:document-classifier-endpoint/*",
                ],
            )
        objects = (*spec.reads_buckets, *spec.writes_buckets, *spec.erases_buckets)
        if objects:
            # cdk-nag names each finding by the bucket's logical id; an acknowledgment must name it exactly.
            buckets = {b.key: storage.buckets[b.key] for b in objects}
            suppress(
                policy,
                "AwsSolutions-IAM5",
                "Objects of the buckets this function reads, writes or erases (object keys are not known in advance).",
                applies_to=[
                    f"Resource::<{Stack.of(b).get_logical_id(b.node.default_child)}.Arn>/*"  # type: ignore[arg-type]
                    for b in buckets.values()
                ],
            )
        function = lambda_.Function(
            self,
            f"Function-{spec.key}",
            function_name=name,
            description=spec.description or f"Hark {spec.key}",
            runtime=lambda_.Runtime(f"python{PYTHON_VERSION}", lambda_.RuntimeFamily.PYTHON),
            architecture=_ARCHITECTURES[packages.architecture],
            code=code,
            handler=spec.handler,
            layers=[layers[name] for name in packages.layers_of(spec.service)],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            environment=environment(spec, storage, stage),
            role=role,
            log_group=log_group,
        )
        suppress(
            function,
            "AwsSolutions-L1",
            f"Hark runs on Python {PYTHON_VERSION} (pyproject requires-python), which Lambda supports; moving to a "
            "newer runtime is a project-wide change, not an infrastructure one.",
        )
        if spec.sqs_source is not None:
            source = spec.sqs_source
            function.add_event_source(
                sources.SqsEventSource(
                    storage.queues[source.queue.key],
                    batch_size=source.batch_size,
                    max_batching_window=Duration.seconds(source.max_batching_window_s)
                    if source.max_batching_window_s
                    else None,
                    # Without it Lambda ignores batchItemFailures and deletes the failed records with the rest.
                    report_batch_item_failures=source.report_batch_item_failures,
                    max_concurrency=source.max_concurrency,
                )
            )
        failures = storage.failure_queues[spec.on_failure.key] if spec.on_failure is not None else None
        if failures is not None:
            # After its retries Lambda would drop the event (an alarm notification, a schedule tick); it goes to the
            # failure queue instead, as Lambda's destination record. The role may send there (infra/iam.py).
            config = lambda_.CfnEventInvokeConfig(
                self,
                f"Async-{spec.key}",
                function_name=function.function_name,
                qualifier="$LATEST",
                maximum_retry_attempts=spec.async_retries,
                maximum_event_age_in_seconds=spec.max_event_age_s,
                destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                    on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=failures.queue_arn)
                ),
            )
            # The role's policy must exist before Lambda checks that the function may send to the destination.
            config.node.add_dependency(policy)
        if spec.schedule:
            rule = events.Rule(
                self,
                f"Schedule-{spec.key}",
                rule_name=f"{name}-schedule",
                schedule=events.Schedule.expression(spec.schedule),
                description=f"Runs {spec.key} on {spec.schedule}",
            )
            # EventBridge's own retries cover invoking the function (throttled, not yet permitted); what it cannot
            # deliver goes to the same failure queue (the target's dead-letter queue).
            rule.add_target(
                targets.LambdaFunction(
                    function, retry_attempts=2, max_event_age=Duration.minutes(5), dead_letter_queue=failures
                )
            )
        if spec.sns_source is not None:
            storage.topics[spec.sns_source.key].add_subscription(subscriptions.LambdaSubscription(function))
        return function
