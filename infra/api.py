"""The REST API, built from the operations in `shared.api.operations`: one route per operation, proxied to the
function of the service that serves it.

REST (not HTTP) API, because partner keys need usage plans: every keyed operation requires an API Gateway API key
(the same `x-api-key` header the app then resolves to a principal), and each plan throttles and caps its keys.
Stage-wide throttling, JSON access logs, execution logs for errors, and a WAF web ACL: a request-size rule (the
Content-Length of the partner API and of the webhooks, in bytes) and a per-address rate rule on the partner API.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.nag import suppress
from shared.api import Operation
from shared.api.operations import OPERATIONS

# Stage-wide: what one Hark deployment absorbs before API Gateway answers 429 (platforms retry on it).
RATE_LIMIT_RPS = 500
BURST_LIMIT = 1000
# Partner tools: per key.
PARTNER_PLAN = {"rate": 20, "burst": 40, "quota_per_day": 200_000}
STAFF_PLAN = {"rate": 50, "burst": 100, "quota_per_day": 1_000_000}
# WAF: Content-Length above these is refused before a function runs. The functions check their own, smaller
# limits with a 413 (1 MiB partner API, 5 MiB webhooks); these catch what is far over them.
API_BODY_LIMIT_DIGITS = r"^(?:[2-9]\d{6}|\d{8,})$"  # >= 2,000,000 bytes
WEBHOOK_BODY_LIMIT_DIGITS = r"^(?:[6-9]\d{6}|\d{8,})$"  # >= 6,000,000 bytes (Lambda's 6 MB payload)
PARTNER_RATE_PER_5_MIN = 3000


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        functions: dict[str, lambda_.IFunction],
        binary_types: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=f"hark-{stage}",
            description="Hark: platform webhooks and the partner API (docs/api.md)",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            binary_media_types=binary_types,
            api_key_source_type=apigateway.ApiKeySourceType.HEADER,
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigateway.StageOptions(
                stage_name=stage,
                throttling_rate_limit=RATE_LIMIT_RPS,
                throttling_burst_limit=BURST_LIMIT,
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # bodies carry personal data: never in execution logs
                access_log_destination=apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        self.validator = self.api.add_request_validator("Params", validate_request_parameters=True)
        integrations = {
            service: apigateway.LambdaIntegration(fn, allow_test_invoke=False) for service, fn in functions.items()
        }
        for op in OPERATIONS:
            self._route(op, integrations[op.service])
        self._plans(stage)
        self.web_acl = self._waf(stage)
        suppress(
            self.api,
            "AwsSolutions-APIG4",
            "Keyed routes require an API Gateway key (usage plans) and the function resolves that key to a "
            "principal and checks the operation's roles; webhooks are authenticated by each platform's signature "
            "over the raw body, which only the function can check.",
        )
        suppress(
            self.api,
            "AwsSolutions-APIG2",
            "Keyed routes validate their x-api-key header here; bodies are validated by the function against the "
            "operation's models (shared/api/operations.py), and webhook bodies must reach it byte for byte.",
        )
        suppress(
            self.api,
            "AwsSolutions-COG4",
            "Partners and platforms do not hold Cognito identities: API keys (partners) and signatures (platforms).",
        )
        suppress(
            self.api,
            "AwsSolutions-IAM4",
            "API Gateway's account-level CloudWatch role uses AWS's AmazonAPIGatewayPushToCloudWatchLogs policy, the "
            "only way to give API Gateway its execution and access logs.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
            ],
        )

    def _route(self, op: Operation, integration: apigateway.LambdaIntegration) -> None:
        resource = self.api.root.resource_for_path(op.path) if op.path != "/" else self.api.root
        resource.add_method(
            op.method,
            integration,
            operation_name=op.id,
            api_key_required=op.roles is not None,
            request_validator=self.validator if op.roles is not None else None,
            request_parameters={"method.request.header.x-api-key": True} if op.roles is not None else None,
        )

    def _plans(self, stage: str) -> None:
        self.plans: dict[str, apigateway.UsagePlan] = {}
        for name, plan in (("partner", PARTNER_PLAN), ("staff", STAFF_PLAN)):
            self.plans[name] = self.api.add_usage_plan(
                f"Plan-{name}",
                name=f"hark-{stage}-{name}",
                description=f"Hark {name} keys: {plan['rate']} requests/s, {plan['quota_per_day']} a day",
                throttle=apigateway.ThrottleSettings(rate_limit=plan["rate"], burst_limit=plan["burst"]),
                quota=apigateway.QuotaSettings(limit=plan["quota_per_day"], period=apigateway.Period.DAY),
                api_stages=[apigateway.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
            )

    def _waf(self, stage: str) -> wafv2.CfnWebACL:
        def length_over(pattern: str, name: str, path_prefix: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                action=wafv2.CfnWebACL.RuleActionProperty(
                    block=wafv2.CfnWebACL.BlockActionProperty(
                        custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=413)
                    )
                ),
                statement=wafv2.CfnWebACL.StatementProperty(
                    and_statement=wafv2.CfnWebACL.AndStatementProperty(
                        statements=[
                            _path_starts(path_prefix),
                            wafv2.CfnWebACL.StatementProperty(
                                regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                                    regex_string=pattern,
                                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                        single_header={"Name": "content-length"}
                                    ),
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                    ],
                                )
                            ),
                        ]
                    )
                ),
                visibility_config=_visibility(name),
            )

        rate = wafv2.CfnWebACL.RuleProperty(
            name="partner-api-rate",
            priority=3,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=PARTNER_RATE_PER_5_MIN,
                    aggregate_key_type="IP",
                    scope_down_statement=_path_starts("/v1/"),
                )
            ),
            visibility_config=_visibility("partner-api-rate"),
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"hark-{stage}",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"hark-{stage}"),
            rules=[
                length_over(API_BODY_LIMIT_DIGITS, "partner-api-body-size", "/v1/", 1),
                length_over(WEBHOOK_BODY_LIMIT_DIGITS, "webhook-body-size", "/webhooks/", 2),
                rate,
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.api.deployment_stage.stage_arn, web_acl_arn=acl.attr_arn
        )
        return acl


def _path_starts(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string=prefix,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name.replace("-", ""), sampled_requests_enabled=True
    )
