"""The Hark stack: storage, one construct per service (its functions), the API, and monitoring, all built from
`shared.resources` and `shared.api.operations`, so what other services add to the specs appears here unedited."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from chalice.app import Chalice
from constructs import Construct

from infra.api import Api
from infra.functions import ServiceFunctions
from infra.monitoring import Monitoring, Watched
from infra.package import PYTHON_VERSION, Packages
from infra.storage import Storage
from shared.resources import FUNCTIONS

_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def _binary_types() -> list[str]:
    """What API Gateway passes to the functions base64-encoded: the types the Chalice apps treat as binary."""
    from devstack.lambda_runtime import load  # noqa: PLC0415

    types: set[str] = set()
    for spec in FUNCTIONS:
        if spec.http:
            app: Chalice = load(spec.handler)
            types.update(app.api.binary_types)
    return sorted(types)


class HarkStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, packages: Packages, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # S3 server access logs delivered under a bucket policy, not the legacy LogDeliveryWrite ACL.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.storage = Storage(self, "Storage", stage=stage, retain=stage not in ("local", "dev", "test"))
        runtime = lambda_.Runtime(f"python{PYTHON_VERSION}", lambda_.RuntimeFamily.PYTHON)
        self.layers: dict[str, lambda_.ILayerVersion] = {
            name: lambda_.LayerVersion(
                self,
                f"Layer-{name}",
                layer_version_name=f"hark-{stage}-{name}",
                code=lambda_.Code.from_asset(str(folder)),
                compatible_runtimes=[runtime],
                compatible_architectures=[_ARCHITECTURES[packages.architecture]],
                description=f"Hark {name} dependencies (locked, {packages.architecture} wheels)",
            )
            for name, folder in packages.layers.items()
        }
        self.services: dict[str, ServiceFunctions] = {}
        for service in sorted({f.service for f in FUNCTIONS}):
            self.services[service] = ServiceFunctions(
                self,
                f"Service-{service}",
                service=service,
                specs=[f for f in FUNCTIONS if f.service == service],
                storage=self.storage,
                packages=packages,
                layers=self.layers,
                stage=stage,
            )
        self.functions = {k: f for s in self.services.values() for k, f in s.functions.items()}
        http = {spec.service: self.functions[spec.key] for spec in FUNCTIONS if spec.http}
        self.api = Api(self, "Api", stage=stage, functions=dict(http), binary_types=_binary_types())
        for spec in FUNCTIONS:
            if spec.needs_public_url:  # not an integration of the API: no cycle
                self.functions[spec.key].add_environment("HARK_PUBLIC_URL", self.api.api.url)
        self.monitoring = Monitoring(
            self, "Monitoring", stage=stage, storage=self.storage, watched=Watched(self.functions, self.api.api)
        )
        CfnOutput(self, "ApiUrl", value=self.api.api.url, description="hark smoke --url <this>")
        CfnOutput(self, "SecretName", value=self.storage.secret.secret_name)
        CfnOutput(self, "Dashboard", value=f"hark-{stage}")
        for key, table in self.storage.tables.items():
            CfnOutput(self, f"Table{key.title()}", value=table.table_name)
