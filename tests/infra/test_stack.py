"""The CDK app, synthesised once per session (with cdk-nag as a validation plugin: a finding fails the synth), and
every property the issue asks for checked on the template: functions for every spec and schedule, event sources
reporting batch item failures, the API from the operations, least-privilege IAM, storage settings, alarms. Drift
tests hold the table models and each function's environment to what CDK creates. cfn-lint must accept it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.infra

# Imported, not importorskip'd: without aws-cdk-lib (the `infra` group) these tests fail rather than vanish.
import aws_cdk  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402

from devstack.gateway_keys import MIN_GATEWAY_KEY_CHARS, PLANS, plan_name  # noqa: E402
from infra import cost  # noqa: E402
from infra.iam import TABLE_READ, Resources, append_only, statements  # noqa: E402
from infra.package import Packages  # noqa: E402
from services.classify import store as classify_store  # noqa: E402
from services.respond import incident_store  # noqa: E402
from services.respond import store as respond_store  # noqa: E402
from shared.api.operations import OPERATIONS  # noqa: E402
from shared.resources import (  # noqa: E402
    AUDIT,
    AUDIT_EXPORT,
    BUCKETS,
    CONFIG,
    FAILURE_QUEUES,
    FUNCTIONS,
    INGEST_ARCHIVE_SWEEP,
    QUEUES,
    RAW_ARCHIVE,
    RESPOND_AUDIT_EXPORT,
    TABLES,
    TOPICS,
    FunctionSpec,
    KeyAttr,
    TableSpec,
)
from shared.secrets import values_from_json  # noqa: E402
from shared.settings import Settings  # noqa: E402

STAGE = "test"


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    """Asset folders the size of a test (`make package` builds the real ones; `make synth` uses them)."""
    root = tmp_path_factory.mktemp("lambda")
    layers = {}
    for name in ("base", "nlp"):
        folder = root / f"layer-{name}"
        (folder / "python").mkdir(parents=True)
        (folder / "python" / "marker.txt").write_text(name)
        layers[name] = folder
    for service in sorted({f.service for f in FUNCTIONS}):
        (root / "code" / service).mkdir(parents=True)
        (root / "code" / service / "marker.txt").write_text(service)
    return Packages(root, layers, "arm64")


@pytest.fixture(scope="session")
def synthesised(packages: Packages, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from aws_cdk import Validations
    from cdk_nag import AwsSolutionsChecks

    from infra.stack import HarkStack

    app = aws_cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = HarkStack(app, "Hark-test", stage=STAGE, packages=packages)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # raises if cdk-nag finds anything not acknowledged with a reason
    return {"template": assembly.get_stack_by_name(stack.stack_name).template, "dir": assembly.directory}


@pytest.fixture(scope="session")
def template(synthesised: dict[str, Any]) -> Template:
    return Template.from_json(synthesised["template"])


@pytest.fixture(scope="session")
def resources(synthesised: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = synthesised["template"]["Resources"]
    return found


def of_type(resources: Mapping[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def function_logical_id(resources: Mapping[str, dict[str, Any]], spec: FunctionSpec) -> str:
    [found] = [
        k
        for k, v in of_type(resources, "AWS::Lambda::Function").items()
        if v["Properties"].get("FunctionName") == f"hark-{STAGE}-{spec.key}"
    ]
    return found


def table_logical_id(resources: Mapping[str, dict[str, Any]], spec: TableSpec) -> str:
    [found] = [
        k
        for k, v in of_type(resources, "AWS::DynamoDB::GlobalTable").items()
        if v["Properties"]["TableName"] == spec.physical_name(STAGE)
    ]
    return found


# Functions, event sources, schedules


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda f: f.key)
def test_every_function_spec_is_a_function_running_its_chalice_handler(
    spec: FunctionSpec, template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    props = resources[function_logical_id(resources, spec)]["Properties"]
    assert props["Handler"] == spec.handler
    assert props["Runtime"] == "python3.11"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_s
    assert len(props["Layers"]) == (2 if spec.service == "classify" else 1)


def test_every_sqs_event_source_reports_batch_item_failures(resources: dict[str, dict[str, Any]]) -> None:
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping")
    consumers = [f for f in FUNCTIONS if f.sqs_source]
    assert len(mappings) == len(consumers) > 0
    for spec in consumers:
        assert spec.sqs_source is not None
        [mapping] = [
            m["Properties"]
            for m in mappings.values()
            if m["Properties"]["FunctionName"] == {"Ref": function_logical_id(resources, spec)}
        ]
        # Without it Lambda ignores batchItemFailures and deletes the failed records with the successful ones.
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == spec.sqs_source.batch_size
        assert mapping.get("MaximumBatchingWindowInSeconds", 0) == spec.sqs_source.max_batching_window_s
        if spec.sqs_source.max_concurrency:
            assert mapping["ScalingConfig"] == {"MaximumConcurrency": spec.sqs_source.max_concurrency}


def test_classify_concurrency_is_capped_for_comprehend() -> None:
    [classify] = [f for f in FUNCTIONS if f.uses_comprehend]
    assert classify.sqs_source is not None and classify.sqs_source.max_concurrency is not None
    # Each batch makes at most a handful of Comprehend Batch calls; ~20 requests/s per API is the quota.
    assert classify.sqs_source.max_concurrency <= 20


def test_every_schedule_is_an_eventbridge_rule_invoking_its_function(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    scheduled = [f for f in FUNCTIONS if f.schedule]
    assert scheduled, "the spike watch at least runs on a schedule"
    rules = of_type(resources, "AWS::Events::Rule")
    for spec in scheduled:
        arn = {"Fn::GetAtt": [function_logical_id(resources, spec), "Arn"]}
        [rule] = [r["Properties"] for r in rules.values() if r["Properties"]["Targets"][0]["Arn"] == arn]
        assert rule["ScheduleExpression"] == spec.schedule
        [target] = rule["Targets"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_the_alarm_topic_invokes_respond(resources: dict[str, dict[str, Any]]) -> None:
    subscribed = [f for f in FUNCTIONS if f.sns_source]
    assert subscribed
    subscriptions = [s["Properties"] for s in of_type(resources, "AWS::SNS::Subscription").values()]
    for spec in subscribed:
        arn = {"Fn::GetAtt": [function_logical_id(resources, spec), "Arn"]}
        assert any(s["Protocol"] == "lambda" and s["Endpoint"] == arn for s in subscriptions)


def _granted(resources: Mapping[str, dict[str, Any]], spec: FunctionSpec) -> list[dict[str, Any]]:
    """The statements of the policies attached to `spec`'s role."""
    role = resources[function_logical_id(resources, spec)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for logical, s in _policy_statements(resources)
        if resources[logical]["Type"] == "AWS::IAM::Policy"
        and {"Ref": role} in resources[logical]["Properties"]["Roles"]
    ]


def test_every_asynchronous_function_parks_what_fails_in_an_alarmed_failure_queue(
    resources: dict[str, dict[str, Any]],
) -> None:
    invoked_async = [f for f in FUNCTIONS if f.invoked_async]
    assert {f.key for f in invoked_async} >= {"respond-alarms", "respond-sla", "respond-watch"}
    configs = [c["Properties"] for c in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()]
    assert len(configs) == len(invoked_async)
    queues = of_type(resources, "AWS::SQS::Queue")
    alarms = _alarms(resources)
    for spec in invoked_async:
        assert spec.on_failure is not None
        function = function_logical_id(resources, spec)
        [config] = [c for c in configs if c["FunctionName"] == {"Ref": function}]
        assert config["Qualifier"] == "$LATEST"
        assert config["MaximumRetryAttempts"] == spec.async_retries
        assert config["MaximumEventAgeInSeconds"] == spec.max_event_age_s
        [queue, attribute] = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"]
        assert attribute == "Arn"
        props = queues[queue]["Properties"]
        assert props["QueueName"] == spec.on_failure.physical_name(STAGE)
        assert props["SqsManagedSseEnabled"] is True
        assert props["MessageRetentionPeriod"] == spec.on_failure.retention_s
        assert "RedrivePolicy" not in props  # it is the last stop: people read it
        # Lambda delivers to the destination as the function: its role may send there, and only send.
        sends = [s for s in _granted(resources, spec) if queue in json.dumps(s["Resource"])]
        assert sends and all(_listed(s["Action"]) == ["sqs:SendMessage"] for s in sends)
        alarm = alarms[f"hark-{STAGE}-dlq-{spec.on_failure.key}"]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert (
            alarm["AlarmDescription"].startswith("[critical]")
            and "Runbook: failed-invocations" in (alarm["AlarmDescription"])
        )
        if spec.schedule:
            # What EventBridge itself cannot deliver to the function goes to the same queue.
            arn = {"Fn::GetAtt": [function, "Arn"]}
            [rule] = [
                r["Properties"]
                for r in of_type(resources, "AWS::Events::Rule").values()
                if r["Properties"]["Targets"][0]["Arn"] == arn
            ]
            assert rule["Targets"][0]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
            policies = [
                p["Properties"]
                for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
                if {"Ref": queue} in p["Properties"]["Queues"]
            ]
            assert any(
                s.get("Principal") == {"Service": "events.amazonaws.com"} and s["Action"] == "sqs:SendMessage"
                for p in policies
                for s in p["PolicyDocument"]["Statement"]
            )


def test_queue_visibility_is_six_times_its_consumers_timeout(resources: dict[str, dict[str, Any]]) -> None:
    for spec in (f for f in FUNCTIONS if f.sqs_source):
        assert spec.sqs_source is not None
        queue = spec.sqs_source.queue
        props = next(
            r["Properties"]
            for r in of_type(resources, "AWS::SQS::Queue").values()
            if r["Properties"].get("QueueName") == queue.physical_name(STAGE)
        )
        assert props["VisibilityTimeout"] >= 6 * spec.timeout_s + spec.sqs_source.max_batching_window_s
        assert props["RedrivePolicy"]["maxReceiveCount"] >= 5
        assert props["SqsManagedSseEnabled"] is True


# The API


def test_one_method_per_operation_keyed_where_the_operation_has_roles(resources: dict[str, dict[str, Any]]) -> None:
    methods = [m["Properties"] for m in of_type(resources, "AWS::ApiGateway::Method").values()]
    assert len(methods) == len(OPERATIONS)
    by_name = {m["OperationName"]: m for m in methods}
    for op in OPERATIONS:
        method = by_name[op.id]
        assert method["HttpMethod"] == op.method
        assert method["ApiKeyRequired"] is (op.roles is not None), op.id
        assert method["Integration"]["Type"] == "AWS_PROXY"
        [spec] = [f for f in FUNCTIONS if f.http and f.service == op.service]
        assert _refs(method["Integration"]["Uri"]) == {function_logical_id(resources, spec)}, op.id


def test_api_stage_throttles_logs_and_is_behind_waf(template: Template, resources: dict[str, dict[str, Any]]) -> None:
    [stage] = [s["Properties"] for s in of_type(resources, "AWS::ApiGateway::Stage").values()]
    [settings] = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["LoggingLevel"] == "ERROR" and settings["DataTraceEnabled"] is False
    assert "DestinationArn" in stage["AccessLogSetting"] and '"status"' in stage["AccessLogSetting"]["Format"]
    plans = [p["Properties"] for p in of_type(resources, "AWS::ApiGateway::UsagePlan").values()]
    # The plans `hark keys sync` looks for, by name.
    assert {p["UsagePlanName"] for p in plans} == {plan_name(STAGE, plan) for plan in PLANS}
    assert all(p["Throttle"]["RateLimit"] > 0 and p["Quota"]["Period"] == "DAY" for p in plans)
    [acl] = [a["Properties"] for a in of_type(resources, "AWS::WAFv2::WebACL").values()]
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert rules["partner-api-body-size"]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413
    assert "RateBasedStatement" in rules["partner-api-rate"]["Statement"]
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_what_api_gateway_and_the_waf_answer_themselves_is_problem_json(
    resources: dict[str, dict[str, Any]],
) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in of_type(resources, "AWS::ApiGateway::GatewayResponse").values()
    }
    expected = {
        "INVALID_API_KEY": "401",
        "BAD_REQUEST_PARAMETERS": "401",
        "THROTTLED": "429",
        "QUOTA_EXCEEDED": "429",
        "REQUEST_TOO_LARGE": "413",
        "MISSING_AUTHENTICATION_TOKEN": "404",
        "DEFAULT_4XX": None,
        "DEFAULT_5XX": None,
    }
    assert set(responses) == set(expected)
    for kind, status in expected.items():
        props = responses[kind]
        assert props.get("StatusCode") == status, kind
        assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        body = props["ResponseTemplates"]["application/json"]
        if status is None:
            body = body.replace("$context.error.messageString", '"from API Gateway"')
        document = json.loads(body)
        assert set(document) == {"type", "title", "status", "detail"}, kind
        assert document["type"].startswith("urn:hark:problem:")
        if status is not None:
            assert str(document["status"]) == status
    assert responses["THROTTLED"]["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    [acl] = [a["Properties"] for a in of_type(resources, "AWS::WAFv2::WebACL").values()]
    bodies = acl["CustomResponseBodies"]
    rules = {r["Name"]: r["Action"]["Block"]["CustomResponse"] for r in acl["Rules"]}
    assert rules["partner-api-rate"]["ResponseCode"] == 429
    for custom in rules.values():
        document = json.loads(bodies[custom["CustomResponseBodyKey"]]["Content"])
        assert document["status"] == custom["ResponseCode"] and document["type"].startswith("urn:hark:problem:")


@pytest.mark.parametrize(
    ("length", "blocked_api", "blocked_webhook"),
    [("999", False, False), ("1048576", False, False), ("2000000", True, False), ("6000000", True, True)],
)
def test_waf_size_rules_read_content_length(length: str, blocked_api: bool, blocked_webhook: bool) -> None:
    from infra.api import API_BODY_LIMIT_DIGITS, WEBHOOK_BODY_LIMIT_DIGITS

    assert bool(re.match(API_BODY_LIMIT_DIGITS, length)) is blocked_api
    assert bool(re.match(WEBHOOK_BODY_LIMIT_DIGITS, length)) is blocked_webhook


# IAM


def _policy_statements(resources: Mapping[str, dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in resources.items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                yield logical_id, statement
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_wildcard_actions_and_resource_star_only_for_comprehend(resources: dict[str, dict[str, Any]]) -> None:
    seen = 0
    for logical_id, statement in _policy_statements(resources):
        seen += 1
        for action in _listed(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), (logical_id, action)
        if "*" in _listed(statement.get("Resource", [])):
            assert all(
                a.startswith("comprehend:Detect") or a.startswith("comprehend:BatchDetect")
                for a in _listed(statement["Action"])
            ), (logical_id, statement)
    assert seen > len(FUNCTIONS)


def _role_actions_on(resources: Mapping[str, dict[str, Any]], table_logical: str) -> set[str]:
    actions: set[str] = set()
    for _logical, statement in _policy_statements(resources):
        if table_logical in json.dumps(statement.get("Resource", "")):
            actions.update(_listed(statement["Action"]))
    return actions


def test_each_table_is_written_only_by_its_owner_and_read_only_as_declared(
    resources: dict[str, dict[str, Any]],
) -> None:
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for spec in FUNCTIONS:
        role = resources[function_logical_id(resources, spec)]["Properties"]["Role"]["Fn::GetAtt"][0]
        granted = [
            s
            for logical, s in _policy_statements(resources)
            if resources[logical]["Type"] == "AWS::IAM::Policy"
            and {"Ref": role} in resources[logical]["Properties"]["Roles"]
        ]
        for table in TABLES:
            logical = table_logical_id(resources, table)
            actions = {a for s in granted if logical in json.dumps(s["Resource"]) for a in _listed(s["Action"])}
            if table in spec.writes:
                assert actions & writes
            else:
                assert not actions & writes, (spec.key, table.key)
            if table not in spec.reads and table not in spec.writes:
                assert not actions, (spec.key, table.key, actions)


def test_append_only_tables_cannot_be_updated_or_deleted_by_any_role(resources: dict[str, dict[str, Any]]) -> None:
    forbidden = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for table in (t for t in TABLES if append_only(t)):
        assert not _role_actions_on(resources, table_logical_id(resources, table)) & forbidden
    # The rule itself, on an audit table as the care workflow declares it.
    audit = TableSpec("audit", "HARK_TABLE_AUDIT", "respond", KeyAttr("id"), append_only=True)
    spec = FunctionSpec("w", "respond", "x.y", 10, 128, reads=(audit,), writes=(audit,))
    arns = Resources({"audit": "arn:table/audit"}, {}, {}, {}, {}, "k", {}, "s", "c", "r", "a")
    granted = {a for s in statements(spec, arns) for a in _listed(s.to_statement_json()["Action"])}
    assert "dynamodb:PutItem" in granted and not granted & forbidden
    assert append_only(TableSpec("audit", "HARK_TABLE_AUDIT", "respond", KeyAttr("id")))


def _refs(value: Any) -> set[str]:
    """The logical ids a template value points at (Ref, Fn::GetAtt), pseudo parameters left out."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str) and not value["Ref"].startswith("AWS::"):
            found.add(value["Ref"])
        if isinstance(value.get("Fn::GetAtt"), list):
            found.add(value["Fn::GetAtt"][0])
        for inner in value.values():
            found |= _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _refs(inner)
    return found


def _logical(resources: Mapping[str, dict[str, Any]], kind: str, **properties: Any) -> str:
    [found] = [
        k
        for k, v in of_type(resources, kind).items()
        if all(v["Properties"].get(p) == x for p, x in properties.items())
    ]
    return found


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda f: f.key)
def test_each_role_reaches_exactly_what_its_intents_name(
    spec: FunctionSpec, resources: dict[str, dict[str, Any]]
) -> None:
    queue = lambda name: _logical(resources, "AWS::SQS::Queue", QueueName=name)  # noqa: E731
    expected = {table_logical_id(resources, t) for t in (*spec.reads, *spec.writes)}
    expected |= {queue(q.physical_name(STAGE)) for q in spec.sends_to}
    if spec.sqs_source is not None:
        expected |= {queue(spec.sqs_source.queue.physical_name(STAGE)), queue(spec.sqs_source.queue.dlq_name(STAGE))}
    if spec.on_failure is not None:
        expected.add(queue(spec.on_failure.physical_name(STAGE)))
    if spec.reads_secret:
        expected.add(_logical(resources, "AWS::SecretsManager::Secret", Name=f"hark/{STAGE}/secrets"))
    if spec.publishes_to:
        expected |= {
            _logical(resources, "AWS::SNS::Topic", TopicName=t.physical_name(STAGE)) for t in spec.publishes_to
        }
        expected |= set(of_type(resources, "AWS::KMS::Key"))
    if spec.reads_config:
        expected.add(_logical(resources, "AWS::SSM::Parameter", Name=CONFIG.physical_name(STAGE)))
    bucket_refs = {
        b.key for b in (*spec.reads_buckets, *spec.writes_buckets, *spec.erases_buckets, *spec.lists_buckets)
    }
    expected.add(_logical(resources, "AWS::Logs::LogGroup", LogGroupName=f"/aws/lambda/hark-{STAGE}-{spec.key}"))
    reached = set().union(*(_refs(s.get("Resource", [])) for s in _granted(resources, spec)))
    buckets = {r for r in reached if resources[r]["Type"] == "AWS::S3::Bucket"}
    assert len(buckets) == len(bucket_refs), spec.key
    assert reached - buckets == expected, spec.key
    stars = [s for s in _granted(resources, spec) if "*" in _listed(s.get("Resource", []))]
    assert bool(stars) == spec.uses_comprehend, spec.key


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda f: f.key)
def test_object_actions_are_exactly_the_bucket_intents(
    spec: FunctionSpec, resources: dict[str, dict[str, Any]]
) -> None:
    """Only an erasure (ingest-api) and the retention sweep may delete an object of the raw archive, and only the
    sweep may list it; nothing else deletes or lists."""
    actions: set[str] = set()
    for statement in _granted(resources, spec):
        listed = statement["Action"]
        actions |= {a for a in ([listed] if isinstance(listed, str) else listed) if a.startswith("s3:")}
    expected = {"s3:GetObject"} if spec.reads_buckets else set()
    expected |= {"s3:PutObject"} if spec.writes_buckets else set()
    expected |= {"s3:DeleteObject"} if spec.erases_buckets else set()
    expected |= {"s3:ListBucket"} if spec.lists_buckets else set()
    assert actions == expected, spec.key


def test_the_archive_sweep_lists_the_bucket_and_deletes_its_objects_and_nothing_more(
    resources: dict[str, dict[str, Any]],
) -> None:
    """The config's retention.archive is honoured by an hourly sweep: ListBucket on the bucket ARN (not its
    objects), DeleteObject on its objects, the config parameter; under the bucket's own lifecycle rule."""
    [bucket] = [
        k
        for k, v in of_type(resources, "AWS::S3::Bucket").items()
        if not v["Properties"].get("ObjectLockEnabled") and "LoggingConfiguration" in v["Properties"]
    ]
    granted = {}
    for statement in _granted(resources, INGEST_ARCHIVE_SWEEP):
        for action in _listed(statement["Action"]):
            if action.startswith("s3:"):
                granted[action] = statement["Resource"]
    assert granted == {
        "s3:ListBucket": {"Fn::GetAtt": [bucket, "Arn"]},
        "s3:DeleteObject": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/*"]]},
    }
    assert INGEST_ARCHIVE_SWEEP.schedule == "rate(1 hour)" and INGEST_ARCHIVE_SWEEP.reads_config
    rules = resources[bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r] == [RAW_ARCHIVE.expire_after_days]


def test_the_audit_export_runs_hourly_and_may_only_read_the_audit_and_add_to_the_locked_bucket(
    resources: dict[str, dict[str, Any]],
) -> None:
    [locked] = [k for k, v in of_type(resources, "AWS::S3::Bucket").items() if v["Properties"].get("ObjectLockEnabled")]
    function = function_logical_id(resources, RESPOND_AUDIT_EXPORT)
    [rule] = [
        r["Properties"]
        for r in of_type(resources, "AWS::Events::Rule").values()
        if any(t["Arn"] == {"Fn::GetAtt": [function, "Arn"]} for t in r["Properties"]["Targets"])
    ]
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    granted: dict[str, list[Any]] = {}
    for statement in _granted(resources, RESPOND_AUDIT_EXPORT):
        for action in _listed(statement["Action"]):
            granted.setdefault(action, []).extend(_listed(statement["Resource"]))
    arn = {"Fn::GetAtt": [locked, "Arn"]}
    assert granted["s3:PutObject"] == [{"Fn::Join": ["", [arn, "/*"]]}]
    assert granted["s3:ListBucket"] == [arn]
    assert {a for a in granted if a.startswith("s3:")} == {"s3:PutObject", "s3:ListBucket"}
    assert {a for a in granted if a.startswith("dynamodb:")} == set(TABLE_READ)
    audit = table_logical_id(resources, AUDIT)
    assert {"Fn::Join": ["", [{"Fn::GetAtt": [audit, "Arn"]}, "/index/by_hour"]]} in granted["dynamodb:Query"]
    env = resources[function]["Properties"]["Environment"]["Variables"]
    assert env["HARK_BUCKET_AUDIT_EXPORT"] == {"Ref": locked}


def test_no_managed_policies_on_function_roles(resources: dict[str, dict[str, Any]]) -> None:
    for spec in FUNCTIONS:
        role = resources[function_logical_id(resources, spec)]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert "ManagedPolicyArns" not in resources[role]["Properties"]


# Storage


def test_tables_on_demand_with_recovery_encryption_ttl_and_indexes(template: Template) -> None:
    template.resource_count_is("AWS::DynamoDB::GlobalTable", len(TABLES))
    for spec in TABLES:
        properties: dict[str, Any] = {
            "TableName": spec.physical_name(STAGE),
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": Match.object_like({"SSEEnabled": True}),
            "Replicas": [Match.object_like({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})],
        }
        if spec.ttl_attribute:
            properties["TimeToLiveSpecification"] = {"AttributeName": spec.ttl_attribute, "Enabled": True}
        template.has_resource_properties("AWS::DynamoDB::GlobalTable", Match.object_like(properties))


MODELS = {**classify_store.MODELS, **respond_store.MODELS, **incident_store.MODELS}


@pytest.mark.parametrize("model", list(MODELS), ids=lambda m: m.__name__)
def test_drift_table_models_match_what_cdk_creates(model: Any, resources: dict[str, dict[str, Any]]) -> None:
    spec = MODELS[model]
    props = resources[table_logical_id(resources, spec)]["Properties"]
    schema = model._get_schema()
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == {
        k["AttributeName"]: k["KeyType"] for k in schema["key_schema"]
    }
    created = {
        g["IndexName"]: ({k["AttributeName"]: k["KeyType"] for k in g["KeySchema"]}, g["Projection"]["ProjectionType"])
        for g in props.get("GlobalSecondaryIndexes", [])
    }
    modelled = {
        i["index_name"]: (
            {k["AttributeName"]: k["KeyType"] for k in i["key_schema"]},
            i["projection"]["ProjectionType"],
        )
        for i in schema.get("global_secondary_indexes", [])
    }
    assert created == modelled
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types == {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}


def test_buckets_are_private_encrypted_tls_only_with_lifecycle_and_the_audit_export_locked(
    resources: dict[str, dict[str, Any]],
) -> None:
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert len(buckets) == len(BUCKETS) + 1  # and the access-log bucket
    policies = [p["Properties"] for p in of_type(resources, "AWS::S3::BucketPolicy").values()]
    for logical, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["LifecycleConfiguration"]["Rules"]
        [policy] = [p for p in policies if p["Bucket"] == {"Ref": logical}]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in policy["PolicyDocument"]["Statement"]
        )
    locked = [b["Properties"] for b in buckets.values() if b["Properties"].get("ObjectLockEnabled")]
    assert len(locked) == 1
    # Versions only where Object Lock needs them: a versioned raw archive would keep an erased person's deliveries
    # as old versions after DeleteObjects.
    versioned = [b["Properties"] for b in buckets.values() if "VersioningConfiguration" in b["Properties"]]
    assert versioned == locked and locked[0]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert not RAW_ARCHIVE.versioned and AUDIT_EXPORT.versioned
    # A bucket deployed while versioned stays "suspended": its old versions still expire, a day after deletion.
    unlocked = [
        rule
        for b in buckets.values()
        if not b["Properties"].get("ObjectLockEnabled")
        for rule in b["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        if "AbortIncompleteMultipartUpload" in rule
    ]
    assert unlocked and all(r["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1} for r in unlocked)
    retention = locked[0]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention == {"Mode": "COMPLIANCE", "Days": AUDIT_EXPORT.object_lock_days}


def test_every_table_has_exactly_its_specs_indexes(resources: dict[str, dict[str, Any]]) -> None:
    for spec in TABLES:
        props = resources[table_logical_id(resources, spec)]["Properties"]
        created = {g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in props.get("GlobalSecondaryIndexes", [])}
        wanted = {
            i.name: (
                [{"AttributeName": i.partition_key.name, "KeyType": "HASH"}]
                + ([{"AttributeName": i.sort_key.name, "KeyType": "RANGE"}] if i.sort_key else []),
                {"ProjectionType": i.projection},
            )
            for i in spec.indexes
        }
        assert created == wanted, spec.key


def test_queues_are_tls_only_and_dead_letters_outlive_their_source(resources: dict[str, dict[str, Any]]) -> None:
    queues = of_type(resources, "AWS::SQS::Queue")
    assert len(queues) == 2 * len(QUEUES) + len(FAILURE_QUEUES)
    policies = [p["Properties"] for p in of_type(resources, "AWS::SQS::QueuePolicy").values()]
    for logical, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        statements = [s for p in policies if {"Ref": logical} in p["Queues"] for s in p["PolicyDocument"]["Statement"]]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        ), logical
    for spec in QUEUES:
        source = queues[_logical(resources, "AWS::SQS::Queue", QueueName=spec.physical_name(STAGE))]["Properties"]
        dead = _logical(resources, "AWS::SQS::Queue", QueueName=spec.dlq_name(STAGE))
        assert source["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]},
            "maxReceiveCount": spec.max_receive_count,
        }
        assert source["MessageRetentionPeriod"] == spec.retention_s
        # Standard queues keep the first enqueue time: a DLQ that keeps less would lose what it was given.
        assert queues[dead]["Properties"]["MessageRetentionPeriod"] > spec.retention_s


def test_function_logs_are_kept_a_month_in_their_own_group(resources: dict[str, dict[str, Any]]) -> None:
    for spec in FUNCTIONS:
        props = resources[function_logical_id(resources, spec)]["Properties"]
        group = resources[props["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
        assert group == {"LogGroupName": f"/aws/lambda/hark-{STAGE}-{spec.key}", "RetentionInDays": 30}


def test_topics_are_encrypted_with_a_rotated_key_cloudwatch_may_use(resources: dict[str, dict[str, Any]]) -> None:
    [key] = of_type(resources, "AWS::KMS::Key")
    props = resources[key]["Properties"]
    assert props["EnableKeyRotation"] is True
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        and set(s["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
        for s in props["KeyPolicy"]["Statement"]
    )
    topics = of_type(resources, "AWS::SNS::Topic")
    assert {t["Properties"]["TopicName"] for t in topics.values()} == {t.physical_name(STAGE) for t in TOPICS}
    policies = [p["Properties"] for p in of_type(resources, "AWS::SNS::TopicPolicy").values()]
    for logical, topic in topics.items():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
        assert any(
            {"Ref": logical} in p["Topics"]
            and any(
                s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s)
                for s in p["PolicyDocument"]["Statement"]
            )
            for p in policies
        )


def test_the_local_stack_builds_the_same_tables_and_queues(resources: dict[str, dict[str, Any]], moto_url: str) -> None:
    """`hark up` provisions from the same specs: what it creates in the emulator matches what CDK declares."""
    import boto3
    import requests

    from devstack.provision import provision

    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    clients = {n: session.client(n, endpoint_url=moto_url) for n in ("dynamodb", "sqs", "secretsmanager")}
    provisioned = provision(clients, STAGE, {})

    def keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(k["AttributeName"], k["KeyType"]) for k in schema]

    for spec in TABLES:
        local = clients["dynamodb"].describe_table(TableName=spec.physical_name(STAGE))["Table"]
        cloud = resources[table_logical_id(resources, spec)]["Properties"]
        assert keys(local["KeySchema"]) == keys(cloud["KeySchema"]), spec.key
        assert sorted(map(tuple, (d.values() for d in local["AttributeDefinitions"]))) == sorted(
            map(tuple, (d.values() for d in cloud["AttributeDefinitions"]))
        )
        assert {
            g["IndexName"]: (keys(g["KeySchema"]), g["Projection"]) for g in local.get("GlobalSecondaryIndexes", [])
        } == {
            g["IndexName"]: (keys(g["KeySchema"]), g["Projection"]) for g in cloud.get("GlobalSecondaryIndexes", [])
        }, spec.key
    sqs = clients["sqs"]
    for logical, queue in of_type(resources, "AWS::SQS::Queue").items():
        props = queue["Properties"]
        url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
        local = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert int(local["MessageRetentionPeriod"]) == props["MessageRetentionPeriod"], logical
        if "VisibilityTimeout" in props:
            assert int(local["VisibilityTimeout"]) == props["VisibilityTimeout"], logical
        if "RedrivePolicy" in props:
            assert json.loads(local["RedrivePolicy"])["maxReceiveCount"] == props["RedrivePolicy"]["maxReceiveCount"]
    assert set(provisioned.failure_queue_urls) == {f.key for f in FAILURE_QUEUES}


def test_secret_config_and_alarm_email_parameters(template: Template, synthesised: dict[str, Any]) -> None:
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
    # A JSON document from the first deploy, with one random admin key long enough for API Gateway, so a fresh
    # stack answers `hark smoke` instead of failing on a secret that is not JSON.
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {
            "Name": f"hark/{STAGE}/secrets",
            "GenerateSecretString": {
                "SecretStringTemplate": "{}",
                "GenerateStringKey": "api_key",
                "ExcludePunctuation": True,
                "PasswordLength": Match.any_value(),
            },
        },
    )
    [secret] = of_type(synthesised["template"]["Resources"], "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= MIN_GATEWAY_KEY_CHARS
    assert values_from_json({"api_key": "k" * MIN_GATEWAY_KEY_CHARS}).api_keys  # the bootstrap key is a key
    template.has_resource_properties("AWS::SSM::Parameter", {"Name": f"/hark/{STAGE}/config", "Value": "{}"})
    parameters = synthesised["template"]["Parameters"]
    assert {"AlarmEmail", "OnCallEmail", "SafetyEmail", "ComprehendDailyBudgetUsd"} <= set(parameters)
    template.has_resource(
        "AWS::SNS::Subscription",
        {
            "Properties": Match.object_like({"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}),
            "Condition": Match.any_value(),
        },
    )


# Alarms


def _alarms(resources: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        v["Properties"]["AlarmName"]: v["Properties"] for v in of_type(resources, "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_that_mean_something(resources: dict[str, dict[str, Any]]) -> None:
    alarms = _alarms(resources)
    names = set(alarms)
    expected = {f"hark-{STAGE}-dlq-{q.key}" for q in (*QUEUES, *FAILURE_QUEUES)}
    expected |= {f"hark-{STAGE}-backlog-{q.key}" for q in QUEUES}
    expected |= {f"hark-{STAGE}-{kind}-{f.key}" for f in FUNCTIONS for kind in ("errors", "throttles")}
    expected |= {
        f"hark-{STAGE}-{n}"
        for n in (
            "api-5xx",
            "signature-failures",
            "comprehend-unavailable",
            "comprehend-budget",
            "sla-breaches",
            "adverse-events",
            "volume-anomaly",
            "negative-share-anomaly",
        )
    }
    assert expected <= names
    topic = {"Ref": _logical(resources, "AWS::SNS::Topic", TopicName=f"hark-{STAGE}-alarms")}
    standard, anomaly, composite = cost.alarm_counts()  # what the cost estimate pays for
    assert len(alarms) == standard + anomaly
    assert len(of_type(resources, "AWS::CloudWatch::CompositeAlarm")) == composite
    for name, alarm in alarms.items():
        assert re.match(r"^\[(critical|warning|info)\]", alarm["AlarmDescription"]), name
        assert alarm["TreatMissingData"] == "notBreaching", name
        if alarm.get("ActionsEnabled") is False:
            continue  # the anomaly alarms speak only through the composite
        # Every alarm tells the alarm topic (e-mail and respond's incidents) when it fires and when it recovers.
        assert topic in alarm["AlarmActions"] and alarm["OKActions"] == [topic], name
    assert alarms[f"hark-{STAGE}-comprehend-budget"]["Threshold"] == {"Ref": "ComprehendDailyBudgetUsd"}
    safety = alarms[f"hark-{STAGE}-adverse-events"]["AlarmActions"]
    assert len(safety) == 2  # the alarm topic and the safety team's
    for anomaly in ("volume-anomaly", "negative-share-anomaly"):
        alarm = alarms[f"hark-{STAGE}-{anomaly}"]
        assert alarm["ThresholdMetricId"] == "band" and alarm["ActionsEnabled"] is False
        assert any("ANOMALY_DETECTION_BAND" in m.get("Expression", "") for m in alarm["Metrics"])


def test_every_alarm_names_a_runbook_that_exists(resources: dict[str, dict[str, Any]]) -> None:
    runbooks = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    described = [a["AlarmDescription"] for a in _alarms(resources).values() if a.get("ActionsEnabled") is not False]
    described += [
        c["Properties"]["AlarmDescription"] for c in of_type(resources, "AWS::CloudWatch::CompositeAlarm").values()
    ]
    for description in described:
        [name] = re.findall(r"Runbook: ([a-z0-9-]+)\.", description)
        assert f"- **{name}**" in runbooks, name


def test_every_metric_an_alarm_watches_is_emitted_by_its_service() -> None:
    from infra.monitoring import METRICS

    root = Path(__file__).parents[2] / "services"
    for metric, service in METRICS.items():
        code = "\n".join(p.read_text() for p in (root / service).rglob("*.py"))
        # `count(SERVICE, "Name")`, `count("classify", "Name")`, or a name chosen just before the call.
        assert re.search(rf'count\((SERVICE|"{service}"),[^)]*"{metric}"', code), (service, metric)


def test_crisis_is_a_composite_of_both_anomalies_that_pages_on_call(resources: dict[str, dict[str, Any]]) -> None:
    [composite] = [c["Properties"] for c in of_type(resources, "AWS::CloudWatch::CompositeAlarm").values()]
    rule = json.dumps(composite["AlarmRule"])
    assert rule.count("ALARM(") == 2 and " AND " in rule
    assert composite["AlarmDescription"].startswith("[critical][crisis]")
    assert len(composite["AlarmActions"]) == 2


def test_a_dashboard_of_the_pipeline(resources: dict[str, dict[str, Any]]) -> None:
    [dashboard] = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in ("API requests and errors", "Queue age", "Dead letters", "Comprehend units", "Alarms"):
        assert title in body


# Environment drift, cfn-lint, cdk-nag


class Recording(dict[str, str]):
    """The environment as Settings.from_env reads it: which names it asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def test_drift_each_function_gets_exactly_the_variables_its_code_reads(resources: dict[str, dict[str, Any]]) -> None:
    recording = Recording()
    Settings.from_env(recording)
    readable = recording.asked
    for spec in FUNCTIONS:
        env = resources[function_logical_id(resources, spec)]["Properties"]["Environment"]["Variables"]
        hark = {k for k in env if not k.startswith("POWERTOOLS_")}
        assert hark <= readable, (spec.key, hark - readable)
        wanted = {t.env_var for t in (*spec.reads, *spec.writes)} | {q.env_var for q in spec.sends_to}
        wanted |= {t.env_var for t in spec.publishes_to}
        if spec.sqs_source:
            wanted.add(spec.sqs_source.queue.dlq_env_var)
        if spec.reads_secret:
            wanted.add("HARK_SECRETS_NAME")
        if spec.reads_config:
            wanted.add(CONFIG.env_var)
        wanted |= {b.env_var for b in (*spec.reads_buckets, *spec.writes_buckets, *spec.erases_buckets)}
        wanted |= {b.env_var for b in spec.lists_buckets}
        if spec.needs_public_url:  # where a WebSub hub calls back: the API's own URL
            wanted.add("HARK_PUBLIC_URL")
            assert "execute-api" in str(env["HARK_PUBLIC_URL"]), env["HARK_PUBLIC_URL"]
        assert hark == wanted | {"HARK_STAGE"}, spec.key
        for table in (*spec.reads, *spec.writes):
            assert env[table.env_var] == {"Ref": table_logical_id(resources, table)}


def test_cfn_lint_accepts_the_template(synthesised: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint_file

    path = Path(synthesised["dir"]) / "Hark-test.template.json"
    ignored = ["W3005"]  # as in .cfnlintrc, which `make synth` uses: CDK's redundant DependsOn on a function's role
    assert all(rule in (Path(__file__).parents[2] / ".cfnlintrc").read_text() for rule in ignored)
    matches = lint_file(path, config=ManualArgs(regions=["us-east-1"], ignore_checks=ignored))
    assert [str(m) for m in matches] == []


def test_cdk_nag_stops_a_synth_with_an_unacknowledged_finding(tmp_path: Path) -> None:
    from aws_cdk import Stack, Validations
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks

    app = aws_cdk.App(outdir=str(tmp_path))
    stack = Stack(app, "Nagged")
    sqs.Queue(stack, "NoDlqNoTls")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(Exception, match="AwsSolutions-SQS3"):
        app.synth()
