"""`cdk synth` / `cdk deploy` entry point. The stage comes from the CDK context: `-c stage=prod`."""

from __future__ import annotations

import aws_cdk as cdk

from infra.stack import HarkStack


def build(stage: str = "dev") -> cdk.App:
    app = cdk.App()
    chosen = str(app.node.try_get_context("stage") or stage)
    HarkStack(app, f"Hark-{chosen}", stage=chosen, description=f"Hark community command center ({chosen})")
    return app


if __name__ == "__main__":
    build().synth()
