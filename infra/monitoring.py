"""Alarms that mean something, and a dashboard of the pipeline.

Every alarm notifies the alarm topic (the platform team's e-mail, and respond, which turns it into an incident);
suspected adverse events go to the safety topic, crisis alerts also to on-call. Each alarm's description starts
with its routing tags, which respond reads (`services/respond/incidents.py`): `[critical]`/`[warning]`,
`[crisis]`. docs/operations.md has a runbook per alarm, under the heading each description names.

Business metrics are Powertools EMF metrics: namespace `Hark`, dimension `service` = `hark-<service>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnCondition, CfnParameter, Duration, Fn
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.storage import Storage
from shared.observability import NAMESPACE
from shared.resources import ALARMS_TOPIC, ONCALL_TOPIC, SAFETY_TOPIC

OLDEST_MESSAGE_ALARM_S = 15 * 60
SIGNATURE_FAILURES_PER_5_MIN = 50
API_5XX_PER_5_MIN = 5
COMPREHEND_PRICE_PER_UNIT = 0.0001  # USD per 100-character unit (docs/deployment.md, cost)
SLA_BREACHES_PER_15_MIN = 1
ANOMALY_BAND_STDEVS = 3

# The metrics the alarms watch, by the service that emits them.
METRICS = {
    "SignaturesRejected": "ingest",
    "MentionsClassified": "classify",
    "MentionsNegative": "classify",
    "AdverseEventsSuspected": "classify",
    "ComprehendUnits": "classify",
    "ComprehendUnavailable": "classify",
    "SlaBreached": "respond",  # emitted by the SLA sweep (issue 9) when a task passes its due time unanswered
}


def hark_metric(name: str, period: Duration | None = None, statistic: str = "Sum") -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": f"hark-{METRICS[name]}"},
        period=period or Duration.minutes(5),
        statistic=statistic,
    )


@dataclass(frozen=True)
class Watched:
    functions: dict[str, lambda_.Function]
    api: apigateway.RestApi


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, storage: Storage, watched: Watched) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self.alarms: list[cloudwatch.Alarm] = []
        self.topics = storage.topics
        self._subscribe_emails()
        self.notify = actions.SnsAction(storage.topics[ALARMS_TOPIC.key])
        self.page = actions.SnsAction(storage.topics[ONCALL_TOPIC.key])
        self.safety = actions.SnsAction(storage.topics[SAFETY_TOPIC.key])
        budget = CfnParameter(
            self,
            "ComprehendDailyBudgetUsd",
            type="Number",
            default=50,
            min_value=0,
            description="Alarm when Comprehend is spending faster than this many US dollars a day",
        )
        budget.override_logical_id("ComprehendDailyBudgetUsd")

        for key, dead in storage.dead_letter_queues.items():
            self._alarm(
                f"dlq-{key}",
                f"[critical] Messages in the {key} dead-letter queue: nothing is lost, but they wait for a person. "
                "Runbook: dead-letters.",
                dead.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
                threshold=0,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        for key, failures in storage.failure_queues.items():
            self._alarm(
                f"dlq-{key}",
                f"[critical] An alarm notification or a schedule tick failed after Lambda's retries and waits in the "
                f"{key} queue (an alarm may not have become an incident). Runbook: failed-invocations.",
                failures.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
                threshold=0,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        for key, queue in storage.queues.items():
            self._alarm(
                f"backlog-{key}",
                f"[warning] The oldest {key} message has waited over {OLDEST_MESSAGE_ALARM_S // 60} minutes. "
                "Runbook: backlog.",
                queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(1), statistic="Maximum"),
                threshold=OLDEST_MESSAGE_ALARM_S,
                evaluation_periods=5,
            )
        for key, function in watched.functions.items():
            self._alarm(
                f"errors-{key}",
                f"[warning] {key} failed invocations (an exception escaped the handler). Runbook: function-errors.",
                function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=3,
                datapoints=2,
            )
            self._alarm(
                f"throttles-{key}",
                f"[warning] {key} was throttled (account concurrency or the event source's cap). Runbook: throttles.",
                function.metric_throttles(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=3,
                datapoints=2,
            )
        self._alarm(
            "api-5xx",
            f"[critical] The API answered 5xx at least {API_5XX_PER_5_MIN} times in 5 minutes: platforms retry, "
            "partners see errors. Runbook: api-5xx.",
            watched.api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=API_5XX_PER_5_MIN,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        self._alarm(
            "signature-failures",
            f"[warning] Over {SIGNATURE_FAILURES_PER_5_MIN} webhook deliveries with a bad signature in 5 minutes: a "
            "rotated secret, or someone probing. Runbook: signature-failures.",
            hark_metric("SignaturesRejected"),
            threshold=SIGNATURE_FAILURES_PER_5_MIN,
        )
        self._alarm(
            "comprehend-unavailable",
            "[warning] Comprehend throttled or failed calls after retries; classification falls back to the local "
            "analyzer. Runbook: comprehend.",
            hark_metric("ComprehendUnavailable"),
            threshold=0,
            evaluation_periods=3,
            datapoints=2,
        )
        spend = cloudwatch.MathExpression(
            expression=f"units * {COMPREHEND_PRICE_PER_UNIT} * 24",
            using_metrics={"units": hark_metric("ComprehendUnits", Duration.hours(1))},
            label="Comprehend spend rate (USD/day)",
            period=Duration.hours(1),
        )
        self._alarm(
            "comprehend-budget",
            "[warning] Comprehend is spending faster than the daily budget (units this hour x price x 24). "
            "Runbook: comprehend-budget.",
            spend,
            threshold=1,  # replaced by the parameter below
        )
        alarm = self.alarms[-1].node.default_child
        assert isinstance(alarm, cloudwatch.CfnAlarm)
        alarm.threshold = budget.value_as_number
        self._alarm(
            "sla-breaches",
            "[critical] Tasks passed their first-reply due time without an answer. Runbook: sla-breaches.",
            hark_metric("SlaBreached", Duration.minutes(15)),
            threshold=SLA_BREACHES_PER_15_MIN,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        self._alarm(
            "adverse-events",
            "[critical] A suspected adverse event was heard: the safety team's reporting clock has started (day 0). "
            "Runbook: adverse-events.",
            hark_metric("AdverseEventsSuspected", Duration.minutes(1)),
            threshold=0,
            actions=[self.notify, self.safety],
        )
        self._crisis()
        self.dashboard = self._dashboard(storage, watched)

    def _subscribe_emails(self) -> None:
        for topic, parameter, what in (
            (ALARMS_TOPIC, "AlarmEmail", "every alarm (the platform team)"),
            (ONCALL_TOPIC, "OnCallEmail", "crisis alerts and crisis mode (the community lead on call)"),
            (SAFETY_TOPIC, "SafetyEmail", "suspected adverse events (the drug-safety team)"),
        ):
            email = CfnParameter(self, parameter, type="String", default="", description=f"E-mail for {what}")
            email.override_logical_id(parameter)
            condition = CfnCondition(
                self, f"Has{parameter}", expression=Fn.condition_not(Fn.condition_equals(email.value_as_string, ""))
            )
            subscription = sns.CfnSubscription(
                self,
                f"Subscription-{parameter}",
                topic_arn=self.topics[topic.key].topic_arn,
                protocol="email",
                endpoint=email.value_as_string,
            )
            subscription.cfn_options.condition = condition

    def _alarm(
        self,
        name: str,
        description: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods: int = 1,
        datapoints: int | None = None,
        actions: list[cloudwatch.IAlarmAction] | None = None,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"Alarm-{name}",
            alarm_name=f"hark-{self.stage}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for action in actions or [self.notify]:
            alarm.add_alarm_action(action)
        alarm.add_ok_action(self.notify)  # respond resolves the incident when the alarm recovers
        self.alarms.append(alarm)
        return alarm

    def _anomaly(
        self, name: str, description: str, metrics: dict[str, cloudwatch.Metric], expression: str
    ) -> cloudwatch.CfnAlarm:
        queries = [
            cloudwatch.CfnAlarm.MetricDataQueryProperty(
                id=key,
                return_data=False,
                metric_stat=cloudwatch.CfnAlarm.MetricStatProperty(
                    metric=cloudwatch.CfnAlarm.MetricProperty(
                        namespace=NAMESPACE,
                        metric_name=metric.metric_name,
                        dimensions=[
                            cloudwatch.CfnAlarm.DimensionProperty(
                                name="service", value=(metric.dimensions or {})["service"]
                            )
                        ],
                    ),
                    period=300,
                    stat="Sum",
                ),
            )
            for key, metric in metrics.items()
        ]
        queries.append(cloudwatch.CfnAlarm.MetricDataQueryProperty(id="value", expression=expression, return_data=True))
        queries.append(
            cloudwatch.CfnAlarm.MetricDataQueryProperty(
                id="band", expression=f"ANOMALY_DETECTION_BAND(value, {ANOMALY_BAND_STDEVS})", return_data=True
            )
        )
        return cloudwatch.CfnAlarm(
            self,
            f"Alarm-{name}",
            alarm_name=f"hark-{self.stage}-{name}",
            alarm_description=description,
            comparison_operator="GreaterThanUpperThreshold",
            evaluation_periods=3,
            datapoints_to_alarm=2,
            threshold_metric_id="band",
            metrics=queries,
            treat_missing_data="notBreaching",
            actions_enabled=False,  # only through the composite alarm below: one page, not two
        )

    def _crisis(self) -> None:
        volume = self._anomaly(
            "volume-anomaly",
            "[warning][crisis] Mention volume is above its learned band (CloudWatch anomaly detection).",
            {"total": hark_metric("MentionsClassified")},
            "total",
        )
        share = self._anomaly(
            "negative-share-anomaly",
            "[warning][crisis] The share of negative mentions is above its learned band.",
            {"negative": hark_metric("MentionsNegative"), "total": hark_metric("MentionsClassified")},
            "IF(total > 0, negative / total, 0)",
        )
        self.crisis = cloudwatch.CompositeAlarm(
            self,
            "Alarm-crisis",
            composite_alarm_name=f"hark-{self.stage}-crisis",
            alarm_description="[critical][crisis] More mentions than usual AND more of them negative: a crisis in the "
            "making. Respond opens a crisis incident and can put the brand into crisis mode. Runbook: crisis.",
            alarm_rule=cloudwatch.AlarmRule.all_of(
                cloudwatch.AlarmRule.from_alarm(
                    cloudwatch.Alarm.from_alarm_arn(self, "VolumeRef", volume.attr_arn), cloudwatch.AlarmState.ALARM
                ),
                cloudwatch.AlarmRule.from_alarm(
                    cloudwatch.Alarm.from_alarm_arn(self, "ShareRef", share.attr_arn), cloudwatch.AlarmState.ALARM
                ),
            ),
        )
        self.crisis.add_alarm_action(self.notify)
        self.crisis.add_alarm_action(self.page)
        self.crisis.add_ok_action(self.notify)

    def _dashboard(self, storage: Storage, watched: Watched) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"hark-{self.stage}")
        api = watched.api
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# Hark {self.stage}\nplatform → API → ingest → classify queue → classify → respond queue "
                "→ respond. Runbooks: docs/operations.md",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(), api.metric_client_error(), api.metric_server_error()],
                width=8,
            ),
            cloudwatch.GraphWidget(title="API latency (p90)", left=[api.metric_latency(statistic="p90")], width=8),
            cloudwatch.GraphWidget(
                title="Mentions",
                left=[hark_metric("MentionsClassified"), hark_metric("MentionsNegative")],
                right=[hark_metric("SignaturesRejected")],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Queue age (s)",
                left=[q.metric_approximate_age_of_oldest_message() for q in storage.queues.values()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Dead letters",
                left=[
                    q.metric_approximate_number_of_messages_visible()
                    for q in (*storage.dead_letter_queues.values(), *storage.failure_queues.values())
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Comprehend units / unavailable",
                left=[hark_metric("ComprehendUnits")],
                right=[hark_metric("ComprehendUnavailable")],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[f.metric_errors() for f in watched.functions.values()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function duration (p90)",
                left=[f.metric_duration(statistic="p90") for f in watched.functions.values()],
                width=8,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=[*self.alarms, self.crisis], width=8),
        )
        return dashboard
