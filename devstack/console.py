"""What `hark up` prints: where everything is, then a live feed of mentions as they are classified and tasks as
they open, read back through the partner API like any client would."""

from __future__ import annotations

import io
import json
import os
import threading
import urllib.request
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from devstack.demo import Delivery
from shared.http import open_url
from shared.settings import DEV_API_KEY


class SafeStream(io.TextIOBase):
    """The terminal, as a stream that survives its reader going away (`hark up | head`, a closed terminal, a log
    shipper that died). After a broken pipe the output goes to /dev/null instead of raising in whichever thread
    printed: rich would turn it into SystemExit there, killing a feed, a request or the shutdown itself half-way,
    so that Ctrl-C and SIGTERM no longer stopped the stack."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
            except (OSError, ValueError):  # BrokenPipeError, EIO on a hung-up terminal, a closed file
                self._gone()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._gone()

    def isatty(self) -> bool:
        try:
            return not self.broken and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    def _gone(self) -> None:
        self.broken = True
        # Point the descriptor at /dev/null too, so the interpreter's last flush of stdout does not fail either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass


class Feed:
    def __init__(self, console: Console, base_url: str, api_key: str, interval_s: float = 1.0) -> None:
        self._console = console
        self._base_url = base_url
        self._api_key = api_key
        self._interval_s = interval_s
        self._seen_mentions: set[str] = set()
        self._seen_tasks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hark-feed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _get(self, path: str) -> Any:
        request = urllib.request.Request(self._base_url + path, headers={"x-api-key": self._api_key})  # noqa: S310
        with open_url(request, timeout=5) as response:
            return json.loads(response.read())

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.poll()
            except OSError:
                continue

    def poll(self) -> None:
        mentions = self._get("/v1/mentions?limit=50")["items"]
        for mention in reversed(mentions):
            if mention["id"] in self._seen_mentions or not mention.get("classification"):
                continue
            self._seen_mentions.add(mention["id"])
            self._console.print(mention_line(mention))
        for task in self._get("/v1/tasks?status=open&limit=50")["items"]:
            count = len(task["mention_ids"])
            if self._seen_tasks.get(task["id"]) == count:
                continue
            verb = "opened" if task["id"] not in self._seen_tasks else "updated"
            self._seen_tasks[task["id"]] = count
            self._console.print(task_line(task, verb))


def mask_pii(text: str, spans: Any) -> str:
    """The text with what classify found to be personal data (emails, phone numbers, …) masked: consoles are
    logged, and a log is no place for a person's contact details."""
    for span in sorted(spans, key=lambda s: s["start"], reverse=True):
        start, end = max(0, int(span["start"])), min(len(text), int(span["end"]))
        if start < end:
            text = f"{text[:start]}[{span['type']}]{text[end:]}"
    return text


def mention_line(mention: dict[str, Any]) -> str:
    c = mention["classification"]
    author = mention["author"].get("handle") or mention["author"].get("name") or mention["author"]["id"]
    text = mask_pii(mention["text"], c.get("pii") or ()).replace("\n", " ")
    text = text if len(text) <= 70 else text[:69] + "…"
    verdict = f"{c['intent']}, {c['sentiment']}, {c['language'] or '?'}, P{c['priority']}"
    flag = "[bold yellow]needs a reply[/]" if c["needs_response"] else "[dim]no reply needed[/]"
    return (
        f"[cyan]mention[/]  {escape(mention['channel'])} [dim]{escape(author)}[/] “{escape(text)}” → "
        f"{escape(verdict)} · {flag}"
    )


def due_in(due_at: str, now: datetime | None = None) -> str:
    remaining = datetime.fromisoformat(due_at.replace("Z", "+00:00")) - (now or datetime.now(UTC))
    minutes = int(remaining.total_seconds() // 60)
    if minutes < 0:
        return "overdue"
    hours, minutes = divmod(minutes, 60)
    return f"due in {hours}h{minutes:02d}m"


def task_line(task: dict[str, Any], verb: str) -> str:
    reasons = ", ".join(task["reasons"][:3])
    return (
        f"[magenta]task {verb}[/] {task['id']} [bold]P{task['priority']}[/] {task['queue']} · "
        f"{len(task['mention_ids'])} message(s) · {due_in(task['due_at'])} · [dim]{escape(reasons)}[/]"
    )


def delivery_line(delivery: Delivery, status: int, body: str) -> str:
    style = "green" if 200 <= status < 300 else "red"
    try:
        summary = json.loads(body)
    except ValueError:
        summary = {}
    note = ""
    if isinstance(summary, dict) and isinstance(summary.get("accepted"), int):
        note = f" [dim]({summary['accepted']} accepted)[/]"
    return f"[{style}]demo → {status}[/] {escape(delivery.label)}{note}"


def banner(console: Console, base_url: str, aws_url: str, api_key: str, env: dict[str, str], demo: bool) -> None:
    table = Table(show_header=False, box=None, padding=(0, 2))
    # Only the documented development key is printed: a key of the user's own is a secret, and consoles are logged.
    shown = api_key if api_key == DEV_API_KEY else "one of your keys (HARK_API_KEYS)"
    table.add_row("Command center", f"{base_url}/  (sign in with the API key {shown})")
    table.add_row("Wall screen", f"{base_url}/wall")
    from services.ingest.platforms import CONNECTORS  # noqa: PLC0415 - only the banner needs the list

    table.add_row("Webhooks", f"{base_url}/webhooks/{{platform}}  ({', '.join(sorted(CONNECTORS))})")
    table.add_row("Partner API", f"{base_url}/v1/mentions · {base_url}/v1/tasks  (header x-api-key: {shown})")
    table.add_row("OpenAPI", f"{base_url}/openapi.json")
    table.add_row("Health", f"{base_url}/health")
    table.add_row("AWS emulator", f"{aws_url}  (AWS_ENDPOINT_URL; tables, queues and the secret below)")
    for name in sorted(env):
        table.add_row("", f"[dim]{name}={env[name]}[/]")
    console.print("[bold]Hark is up.[/]")
    console.print(table)
    console.print(
        "Replaying the demo stream…" if demo else "Started empty (--no-demo).",
        "Press Ctrl-C to stop.",
    )
