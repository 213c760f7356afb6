"""Hark as infrastructure code (AWS CDK v2). Built from `shared.resources`, like the local stack."""
