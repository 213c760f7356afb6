"""Alarms that matter from day one: anything in a dead-letter queue, and a queue falling behind."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.storage import Storage

OLDEST_MESSAGE_ALARM_S = 15 * 60


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="Hark alarms")
        notify = actions.SnsAction(self.topic)
        for key, dead in storage.dead_letter_queues.items():
            alarm = cloudwatch.Alarm(
                self,
                f"DeadLetters-{key}",
                alarm_description=f"Messages in the {key} dead-letter queue: inspect, fix, redrive.",
                metric=dead.metric_approximate_number_of_messages_visible(period=Duration.minutes(1)),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(notify)
        for key, queue in storage.queues.items():
            alarm = cloudwatch.Alarm(
                self,
                f"Backlog-{key}",
                alarm_description=f"The oldest {key} message waits over {OLDEST_MESSAGE_ALARM_S // 60} minutes.",
                metric=queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(1)),
                threshold=OLDEST_MESSAGE_ALARM_S,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=5,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(notify)
