"""cdk-nag (AwsSolutions) runs on every synth as a CDK validation plugin: a finding stops the synth. Each finding
is fixed, or acknowledged here with its reason in code (cdk-nag v3 acknowledges one finding id at a time; IAM5's
findings are `AwsSolutions-IAM5[Resource::...]`)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def suppress(construct: IConstruct, rule: str, reason: str, applies_to: Sequence[str] | None = None) -> None:
    ids = [f"{rule}[{finding}]" for finding in applies_to] if applies_to else [rule]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))
