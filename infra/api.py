"""The REST API, built from the operations in `shared.api.operations`: one route per operation, proxied to the
function of the service that serves it.

REST (not HTTP) API, because partner keys need usage plans: every keyed operation requires an API Gateway API key
(the same `x-api-key` header the app then resolves to a principal), and each plan throttles and caps its keys.
Stage-wide throttling, JSON access logs, execution logs for errors, and a WAF web ACL: a request-size rule (the
Content-Length of the partner API and of the webhooks, in bytes) and a per-address rate rule on the partner API.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from devstack.gateway_keys import PLANS, plan_name
from infra.nag import suppress
from shared.api import Operation
from shared.api.operations import OPERATIONS
from shared.api.problems import (
    INTERNAL,
    PROBLEM_JSON,
    PROBLEMS,
    ROUTE_NOT_FOUND,
    TOO_MANY_REQUESTS,
    ProblemType,
    problem_document,
)
from shared.errors import InvalidInput, TooLarge, Unauthenticated

# Stage-wide: what one Hark deployment absorbs before API Gateway answers 429 (platforms retry on it).
RATE_LIMIT_RPS = 500
BURST_LIMIT = 1000
# Per key. `hark keys sync` puts each key of the secret on one of these (partner: keys with only the partner and
# viewer roles; staff: the rest).
PLAN_LIMITS = {
    "partner": {"rate": 20, "burst": 40, "quota_per_day": 200_000},
    "staff": {"rate": 50, "burst": 100, "quota_per_day": 1_000_000},
}
# WAF: Content-Length above these is refused before a function runs. The functions check their own, smaller
# limits with a 413 (1 MiB partner API, 5 MiB webhooks); these catch what is far over them.
API_BODY_LIMIT_DIGITS = r"^(?:[2-9]\d{6}|\d{8,})$"  # >= 2,000,000 bytes
WEBHOOK_BODY_LIMIT_DIGITS = r"^(?:[6-9]\d{6}|\d{8,})$"  # >= 6,000,000 bytes (Lambda's 6 MB payload)
PARTNER_RATE_PER_5_MIN = 3000

# What API Gateway answers itself, before a function runs, as the functions would: problem+json from the same
# problems table. `$context.error.messageString` is API Gateway's own message, JSON-quoted.
_GATEWAY_PROBLEMS: dict[str, tuple[ProblemType, str | None]] = {
    # Missing or unknown x-api-key on a keyed route (API Gateway says 403; the functions say 401).
    "INVALID_API_KEY": (
        PROBLEMS[Unauthenticated],
        "The x-api-key header is missing or holds a key this API does not know (keys are registered with "
        "`hark keys sync`).",
    ),
    # The keyed routes validate one request parameter: the x-api-key header.
    "BAD_REQUEST_PARAMETERS": (PROBLEMS[Unauthenticated], "The x-api-key header is missing."),
    "THROTTLED": (TOO_MANY_REQUESTS, "This key or this API is over its request rate."),
    "QUOTA_EXCEEDED": (TOO_MANY_REQUESTS, "This key has used up its daily quota."),
    "REQUEST_TOO_LARGE": (PROBLEMS[TooLarge], "API Gateway takes at most 10 MB."),
    # A REST API answers an unknown route or method with a 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": (ROUTE_NOT_FOUND, "No such route."),
    "DEFAULT_4XX": (PROBLEMS[InvalidInput], None),
    "DEFAULT_5XX": (INTERNAL, None),
}


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
        self._gateway_responses()
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
        for name in PLANS:
            plan = PLAN_LIMITS[name]
            self.plans[name] = self.api.add_usage_plan(
                f"Plan-{name}",
                name=plan_name(stage, name),
                description=f"Hark {name} keys: {plan['rate']} requests/s, {plan['quota_per_day']} a day",
                throttle=apigateway.ThrottleSettings(rate_limit=plan["rate"], burst_limit=plan["burst"]),
                quota=apigateway.QuotaSettings(limit=plan["quota_per_day"], period=apigateway.Period.DAY),
                api_stages=[apigateway.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
            )

    def _gateway_responses(self) -> None:
        for kind, (problem, detail) in _GATEWAY_PROBLEMS.items():
            document = json.dumps(problem_document(problem, "DETAIL"))
            message = json.dumps(detail) if detail else "$context.error.messageString"
            headers = {"Content-Type": f"'{PROBLEM_JSON}'"}
            if problem.retry_after_s:
                headers["Retry-After"] = f"'{problem.retry_after_s}'"
            # DEFAULT_4XX/5XX keep API Gateway's own status; the others say what the functions would.
            status = None if kind.startswith("DEFAULT_") else str(problem.status)
            self.api.add_gateway_response(
                f"Gateway-{kind}",
                type=apigateway.ResponseType.of(kind),
                status_code=status,
                response_headers=headers,
                templates={"application/json": document.replace('"DETAIL"', message)},
            )

    def _waf(self, stage: str) -> wafv2.CfnWebACL:
        def length_over(pattern: str, name: str, path_prefix: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                action=wafv2.CfnWebACL.RuleActionProperty(
                    block=wafv2.CfnWebACL.BlockActionProperty(
                        custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                            response_code=413, custom_response_body_key="too-large"
                        )
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
            action=wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                        response_code=429,
                        custom_response_body_key="too-many",
                        response_headers=[
                            wafv2.CfnWebACL.CustomHTTPHeaderProperty(
                                name="Retry-After", value=str(TOO_MANY_REQUESTS.retry_after_s)
                            )
                        ],
                    )
                )
            ),
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
            # WAF can only say application/json, but the bodies are the same problem documents the functions send.
            custom_response_bodies={
                "too-large": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(
                        problem_document(PROBLEMS[TooLarge], "The request body is far over this API's limit.")
                    ),
                ),
                "too-many": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(
                        problem_document(
                            TOO_MANY_REQUESTS,
                            f"Over {PARTNER_RATE_PER_5_MIN} requests in 5 minutes from this address.",
                        )
                    ),
                ),
            },
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
