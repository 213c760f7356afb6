"""The one load driver behind `make bench`'s end-to-end part and `make soak`.

- `plan()` builds a bounded, reproducible stream of deliveries: single-message deliveries over several platforms
  (GitHub, Facebook, Messenger, WhatsApp, X, Slack, Telegram, partner submissions), a share re-sent as the
  platform's redelivery (same message; signed again where the signature carries a time), and a share hostile (a
  bad signature, or a malformed body signed correctly), which must be refused with a 4xx;
- `drive()` sends them over real HTTP at a fixed rate (a clock releases each at its slot; a pool of senders keeps
  up), recording when each was sent and what came back;
- `settle()` waits, without touching the stack, until it has gone quiet (the stack's own batch callback says when
  the consumers last worked), bounded;
- `verify()` then asks the partner API about every mention the receipts named: lost (never stored), duplicated (a
  message counted twice in a task), and webhook-to-task latency (the task's creation time minus the moment its first
  delivery was sent; same machine, same clock).

Nothing here knows whether the stack runs in this process (the benchmark, which counts AWS calls) or in its own
(the soak, `make run`'s stack).
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Kind = Literal["message", "duplicate", "hostile"]
ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = ("github", "facebook", "messenger", "whatsapp", "x", "slack", "telegram", "partner")


def texts() -> list[str]:
    """Real-sounding customer messages (the analyzer's worked examples): complaints, questions, praise, chatter."""
    found = []
    for name in ("train.jsonl", "checks.jsonl"):
        for line in (ROOT / "ml" / "examples" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(str(json.loads(line)["text"]))
    return found


@dataclass(frozen=True)
class Planned:
    seq: int
    kind: Kind
    platform: str
    path: str
    body: bytes
    # Signs at send time: a signature that carries a timestamp (Slack) must be fresh when it is sent.
    sign: Callable[[bytes], dict[str, str]]
    original: int | None = None  # for a duplicate: the seq of the delivery it repeats


@dataclass
class Sent:
    seq: int
    kind: Kind
    platform: str
    original: int | None
    sent_at: float  # wall clock (time.time()), comparable with the stack's own timestamps
    ack_ms: float
    status: int
    mention_ids: tuple[str, ...] = ()
    error: str | None = None
    refusal: str = ""  # a 4xx/5xx answer's problem title (or its first bytes): why a genuine delivery was refused


@dataclass(frozen=True)
class Secrets:
    platform: dict[str, str]
    api_key: str


def dev_secrets() -> Secrets:
    """The documented development secrets, which the local stack uses unless told otherwise."""
    from shared.settings import DEV_API_KEY, dev_platform_secret

    return Secrets({p: dev_platform_secret(p) for p in ("github", "meta", "x", "slack", "telegram")}, DEV_API_KEY)


def _builders(secrets: Secrets, run: str) -> dict[str, Callable[[int, str], tuple[str, bytes, Callable[..., Any]]]]:
    from devstack import demo
    from devstack.signing import (
        github_headers,
        meta_body,
        meta_headers,
        slack_headers,
        telegram_headers,
        x_headers,
    )

    s = secrets.platform

    def github(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        payload = demo._github_comment(70_000 + n, int(f"9{run[-5:]}{n:06d}"), text, f"user{n}", 10_000 + n, "NONE")
        body = json.dumps(payload).encode()
        delivery = f"load-{run}-{n}"
        return "/webhooks/github", body, lambda b: github_headers(b, s["github"], "issue_comment", delivery)

    def meta(payload: dict[str, Any]) -> tuple[str, bytes, Callable[..., Any]]:
        return "/webhooks/meta", meta_body(payload), lambda b: meta_headers(b, s["meta"])

    def facebook(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        return meta(demo._fb_comment(f"{run}{n:06d}", f"{run}{n:06d}", text, (f"3{n}", f"Person {n}")))

    def messenger(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        return meta(demo._messenger(f"mid.load.{run}.{n}", f"psid-{run}-{n}", text))

    def whatsapp(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        return meta(demo._whatsapp(f"wamid.load{run}{n}", f"4477{n:08d}", f"Person {n}", text))

    def x(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        body = json.dumps(demo._x_mention(f"18{run}{n:06d}", f"user{n}", f"5{n}", text)).encode()
        return "/webhooks/x", body, lambda b: x_headers(b, s["x"])

    def slack(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        event = {"type": "message", "user": f"U0L{n}", "text": text, "ts": f"{run}.{n:06d}"}
        body = json.dumps(demo._slack(event, f"EvL{run}{n}")).encode()
        return "/webhooks/slack", body, lambda b: slack_headers(b, s["slack"])

    def telegram(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        update = demo._telegram(int(f"{run[-6:]}{n:06d}"), n + 1, (600_000 + n, f"user{n}", "Sam"), text)
        return "/webhooks/telegram", json.dumps(update).encode(), lambda _b: telegram_headers(s["telegram"])

    def partner(n: int, text: str) -> tuple[str, bytes, Callable[..., Any]]:
        payload = {"native_id": f"load-{run}-{n}", "author": {"id": f"p{n}"}, "text": text}
        headers = {"Content-Type": "application/json", "x-api-key": secrets.api_key}
        return "/v1/mentions", json.dumps(payload).encode(), lambda _b: headers

    return {
        "github": github,
        "facebook": facebook,
        "messenger": messenger,
        "whatsapp": whatsapp,
        "x": x,
        "slack": slack,
        "telegram": telegram,
        "partner": partner,
    }


def _hostile(message: Planned, n: int) -> Planned:
    """Half forged (the signature of other bytes), half malformed (truncated JSON, signed as the platform would)."""
    if message.platform in {"telegram", "partner"} or n % 2:
        body = message.body[: len(message.body) // 2]  # malformed; Telegram and partners sign nothing
        return Planned(message.seq, "hostile", message.platform, message.path, body, message.sign)

    def forged(body: bytes) -> dict[str, str]:
        return message.sign(body + b" ")

    return Planned(message.seq, "hostile", message.platform, message.path, message.body, forged)


def plan(
    count: int,
    secrets: Secrets,
    *,
    duplicate_share: float = 0.05,
    hostile_share: float = 0.01,
    platforms: Sequence[str] = PLATFORMS,
    seed: int = 17,
    run: str | None = None,
) -> list[Planned]:
    """`count` deliveries: about `duplicate_share` redeliveries of an earlier one, `hostile_share` hostile, the rest
    new single-message deliveries spread round-robin over `platforms`."""
    rng = random.Random(seed)
    run = run or str(int(time.time()))
    builders = _builders(secrets, run)
    pool = texts()
    out: list[Planned] = []
    messages: list[Planned] = []
    for seq in range(count):
        roll = rng.random()
        if messages and roll < duplicate_share:
            first = messages[rng.randrange(max(0, len(messages) - 200), len(messages))]  # a recent one, as retries are
            out.append(Planned(seq, "duplicate", first.platform, first.path, first.body, first.sign, first.seq))
            continue
        platform = platforms[len(messages) % len(platforms)]
        path, body, sign = builders[platform](seq, f"{pool[seq % len(pool)]} (#{seq})")
        message = Planned(seq, "message", platform, path, body, sign)
        if roll < duplicate_share + hostile_share:
            out.append(_hostile(message, seq))
            continue
        messages.append(message)
        out.append(message)
    return out


def _ids(path: str, body: bytes) -> tuple[str, ...]:
    try:
        answer = json.loads(body)
    except ValueError:
        return ()
    if not isinstance(answer, dict):
        return ()
    if path == "/v1/mentions":
        return tuple(m["id"] for m in answer.get("mentions", []) if m.get("status") == "accepted")
    return tuple(answer.get("mention_ids") or ())


def _post(base_url: str, item: Planned, timeout: float) -> Sent:
    headers = item.sign(item.body)
    request = urllib.request.Request(base_url + item.path, data=item.body, headers=headers, method="POST")
    sent_at = time.time()
    t0 = time.perf_counter()
    error = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer = int(response.status), response.read()
    except urllib.error.HTTPError as refused:
        status, answer = int(refused.code), refused.read()
    except OSError as failed:
        status, answer, error = 0, b"", f"{type(failed).__name__}: {failed}"
    ack_ms = (time.perf_counter() - t0) * 1000
    ids = _ids(item.path, answer) if 200 <= status < 300 else ()
    refusal = _title(answer) if status >= 400 else ""
    return Sent(item.seq, item.kind, item.platform, item.original, sent_at, ack_ms, status, ids, error, refusal)


def _title(answer: bytes) -> str:
    try:
        return str(json.loads(answer).get("title", ""))[:120]
    except (ValueError, AttributeError):
        return answer[:120].decode(errors="replace")


def drive(
    base_url: str,
    items: Iterable[Planned],
    rate: float,
    *,
    senders: int = 16,
    timeout: float = 30,
    on_sent: Callable[[Sent], None] | None = None,
) -> tuple[list[Sent], float]:
    """Send each item at its slot (start + seq / rate); (what came back, seconds from first slot to last answer)."""
    results: list[Sent] = []
    lock = threading.Lock()

    def one(item: Planned) -> None:
        sent = _post(base_url, item, timeout)
        with lock:
            results.append(sent)
        if on_sent is not None:
            on_sent(sent)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="load") as pool:
        for n, item in enumerate(items):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, item)
    elapsed = time.perf_counter() - start
    results.sort(key=lambda s: s.seq)
    return results, elapsed


class Quiet:
    """Fed by the stack's batch callback (`LocalStack(on_batch=...)`): when the consumers last worked."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.messages: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    def on_batch(self, function: str, size: int, failed: int) -> None:
        self.last = time.monotonic()
        self.messages[function] += size
        self.failed[function] += failed


def settle(
    quiet: Quiet | None,
    *,
    idle_s: float = 3.0,
    limit_s: float = 180.0,
    drained: Callable[[], bool] | None = None,
) -> float:
    """Wait until the queues are drained (`drained()`, asked from a thread of its own, which the call counter leaves
    out) and the consumers have been idle `idle_s`; at most `limit_s`. Seconds waited."""
    t0 = time.monotonic()
    answer: list[bool] = []

    def ask() -> None:
        answer.append(drained() if drained is not None else True)

    while time.monotonic() - t0 < limit_s:
        answer.clear()
        asker = threading.Thread(target=ask, name="bench-settle")
        asker.start()
        asker.join()
        idle = quiet is None or time.monotonic() - quiet.last >= idle_s
        if answer and answer[0] and idle:
            break
        time.sleep(0.5)
    return time.monotonic() - t0


def queues_drained(sqs: Any, urls: Iterable[str]) -> Callable[[], bool]:
    """True when no message is waiting or in flight on any of `urls`."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def drained() -> bool:
        for url in urls:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
            if any(int(attributes.get(n, 0)) for n in names):
                return False
        return True

    return drained


def _get(base_url: str, path: str, api_key: str) -> dict[str, Any] | None:
    request = urllib.request.Request(base_url + path, headers={"x-api-key": api_key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Verdict:
    deliveries: int
    messages: int  # distinct messages accepted (first deliveries with a 2xx and a mention id)
    stored: int
    lost: list[str]
    duplicates: int
    tasks: int
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    genuine_refused: dict[str, int] = field(default_factory=dict)
    hostile_5xx: int = 0
    hostile_accepted: int = 0
    errors: int = 0

    def summary(self, elapsed_s: float) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "deliveries": self.deliveries,
            "messages": self.messages,
            "stored": self.stored,
            "lost": len(self.lost),
            "duplicates": self.duplicates,
            "tasks": self.tasks,
            "throughput_per_s": round(self.messages / elapsed_s, 1) if elapsed_s else None,
            "deliveries_per_s": round(self.deliveries / elapsed_s, 1) if elapsed_s else None,
            "p50_ms": _r(percentile(lat, 0.50)),
            "p95_ms": _r(percentile(lat, 0.95)),
            "p99_ms": _r(percentile(lat, 0.99)),
            "max_ms": _r(max(lat) if lat else None),
            "statuses": self.statuses,
            "genuine_refused": self.genuine_refused,
            "hostile_5xx": self.hostile_5xx,
            "hostile_accepted": self.hostile_accepted,
            "send_errors": self.errors,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def refused(sent: Sequence[Sent]) -> dict[str, int]:
    """Genuine deliveries (new messages and redeliveries) a 4xx or 5xx refused, by platform, status and title."""
    found = Counter(
        f"{s.platform} {s.status} {s.refusal}".strip() for s in sent if s.kind != "hostile" and s.status >= 400
    )
    return dict(found)


def tally(sent: Sequence[Sent]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for s in sent:
        out.setdefault(s.kind, Counter())[f"{s.status // 100}xx" if s.status else "error"] += 1
    return {k: dict(v) for k, v in out.items()}


def verify(base_url: str, api_key: str, sent: Sequence[Sent], *, readers: int = 8) -> Verdict:
    """Ask the API about every mention a receipt named; latency from each task's creation time."""
    first_sent: dict[str, float] = {}
    for s in sent:
        if s.kind == "message":
            for mention in s.mention_ids:
                first_sent.setdefault(mention, s.sent_at)
    # A duplicate may be the first to get through (its original failed): it then names the message.
    for s in sent:
        if s.kind == "duplicate":
            for mention in s.mention_ids:
                first_sent[mention] = min(first_sent.get(mention, s.sent_at), s.sent_at)
    ids = sorted(first_sent)
    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="verify") as pool:
        mentions = dict(zip(ids, pool.map(lambda i: _get(base_url, f"/v1/mentions/{i}", api_key), ids), strict=True))
        task_ids = sorted({m["task_id"] for m in mentions.values() if m and m.get("task_id")})
        tasks = dict(
            zip(task_ids, pool.map(lambda t: _get(base_url, f"/v1/tasks/{t}", api_key), task_ids), strict=True)
        )
    lost = [i for i, m in mentions.items() if m is None]
    duplicates = 0
    latencies = []
    for task in tasks.values():
        if task is None:
            continue
        listed = task.get("mention_ids") or []
        duplicates += len(listed) - len(set(listed))
        firsts = [first_sent[m] for m in listed if m in first_sent]
        if firsts:
            created = datetime.fromisoformat(str(task["created_at"]).replace("Z", "+00:00")).timestamp()
            latencies.append((created - min(firsts)) * 1000)
    hostile = [s for s in sent if s.kind == "hostile"]
    return Verdict(
        deliveries=len(sent),
        messages=len(ids),
        stored=len(ids) - len(lost),
        lost=lost,
        duplicates=duplicates,
        tasks=len(tasks),
        latencies_ms=latencies,
        statuses=tally(sent),
        genuine_refused=refused(sent),
        hostile_5xx=sum(1 for s in hostile if s.status >= 500),
        hostile_accepted=sum(1 for s in hostile if 200 <= s.status < 300),
        errors=sum(1 for s in sent if s.status == 0),
    )
