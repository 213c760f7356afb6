"""Functional layer: the real Lambda entry points, invoked with the events API Gateway and the SQS event source
would send, against the moto server. The `pipeline` fixture is the local stack without sockets or threads."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from devstack.esm import SqsEventSource
from devstack.front import Gateway
from devstack.lambda_runtime import Function
from devstack.signing import github_headers, meta_headers
from shared.resources import CLASSIFY, FUNCTIONS, INGEST_API, RESPOND, RESPOND_API
from shared.settings import DEV_API_KEY, dev_platform_secret
from tests.conftest import Aws

API_KEY = DEV_API_KEY


@dataclass
class Pipeline:
    aws: Aws
    http: Client
    sources: dict[str, SqsEventSource]

    def github(self, body: bytes, event: str, secret: str | None = None) -> TestResponse:
        headers = github_headers(body, secret or dev_platform_secret("github"), event)
        return self.http.post("/webhooks/github", data=body, headers=headers)

    def meta(self, body: bytes, secret: str | None = None) -> TestResponse:
        return self.http.post(
            "/webhooks/meta", data=body, headers=meta_headers(body, secret or dev_platform_secret("meta"))
        )

    def submit(self, payload: Any, api_key: str | None = API_KEY) -> TestResponse:
        headers = {"Content-Type": "application/json"}
        if api_key is not None:
            headers["x-api-key"] = api_key
        return self.http.post("/v1/mentions", data=json.dumps(payload), headers=headers)

    def get(self, path: str, api_key: str | None = API_KEY) -> TestResponse:
        return self.http.get(path, headers={"x-api-key": api_key} if api_key else {})

    def drain(self, key: str, rounds: int = 20) -> tuple[int, int]:
        """Run one consumer until its queue has nothing visible: (messages handled, failures)."""
        handled = failed = 0
        for _ in range(rounds):
            size, failures = self.sources[key].poll_once()
            if size == 0:
                break
            handled += size
            failed += failures
        return handled, failed

    def flow(self) -> None:
        """Carry everything ingested so far through classify and respond."""
        self.drain(CLASSIFY.key)
        self.drain(RESPOND.key)


@pytest.fixture
def pipeline(aws: Aws) -> Pipeline:
    functions = {spec.key: Function(spec) for spec in FUNCTIONS}
    gateway = Gateway([functions[INGEST_API.key], functions[RESPOND_API.key]])
    sqs = aws.client("sqs")
    sources = {}
    for spec in (CLASSIFY, RESPOND):
        assert spec.sqs_source is not None
        queue = spec.sqs_source.queue.key
        # No batching window and no long poll: each drain round is one receive, so tests run at full speed.
        source = replace(spec.sqs_source, max_batching_window_s=0)
        sources[spec.key] = SqsEventSource(
            sqs, aws.queue_urls[queue], aws.queue_arns[queue], functions[spec.key], source, poll_wait_s=0
        )
    return Pipeline(aws, Client(gateway), sources)
