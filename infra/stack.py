"""The Hark stack. This first version holds its storage, queues, secret and alarms; the functions and the API
arrive with the infrastructure capability."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.monitoring import Monitoring
from infra.storage import Storage


class HarkStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.storage = Storage(self, "Storage", stage=stage, retain=stage not in ("local", "dev", "test"))
        self.monitoring = Monitoring(self, "Monitoring", storage=self.storage)
        for key, table in self.storage.tables.items():
            CfnOutput(self, f"Table{key.title()}", value=table.table_name)
        for key, queue in self.storage.queues.items():
            CfnOutput(self, f"Queue{key.title()}Url", value=queue.queue_url)
        CfnOutput(self, "SecretName", value=self.storage.secret.secret_name)
