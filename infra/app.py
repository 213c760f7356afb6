"""`cdk synth` / `cdk deploy` entry point. Context: `-c stage=prod` (default dev), `-c packages=build/lambda`
(where `make package` built the Lambda packages), `-c nag=false` to skip the cdk-nag checks."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from infra.package import BUILD, Packages
from infra.stack import HarkStack


def build(stage: str = "dev", packages: Path | None = None, nag: bool = True) -> tuple[cdk.App, HarkStack]:
    app = cdk.App()
    chosen = str(app.node.try_get_context("stage") or stage)
    folder = Path(str(app.node.try_get_context("packages") or packages or BUILD))
    stack = HarkStack(
        app,
        f"Hark-{chosen}",
        stage=chosen,
        packages=Packages.load(folder),
        description=f"Hark community command center ({chosen})",
    )
    if nag and str(app.node.try_get_context("nag") or "true").lower() != "false":
        # A finding stops the synth (and fails the infra tests); acknowledgements carry their reasons (infra/nag.py).
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


if __name__ == "__main__":
    build()[0].synth()
