"""Sign deliveries exactly as the platforms do (used by the demo stream, the tests and anyone poking the stack)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any


def github_headers(body: bytes, secret: str, event: str, delivery: str | None = None) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/hark-demo",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def meta_headers(body: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
    }


def meta_body(payload: dict[str, Any]) -> bytes:
    # Meta signs the escaped-unicode form of its JSON, which is what it puts on the wire.
    return json.dumps(payload, ensure_ascii=True).encode()
