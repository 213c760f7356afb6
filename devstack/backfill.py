"""`hark backfill PLATFORM --since DATE [--source ID] [--limit N]`: fetch a platform's history down to a date and
hand it to the ingest core, with a progress bar per feed.

It runs the poll core's `backfill` in this process, against the AWS endpoint the environment names (on the local
stage the emulator of `hark up`, as `hark sla sweep` does), so what it fetches goes to the same queue and moves the
same cursors the scheduled pollers use: it hands only what lies below each feed's floor (what polling never
handed), lowers the floor as it goes (run it again after an interruption: it goes on where it stopped), and waits
out rate limits (at most 15 minutes each time) rather than giving up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from shared.errors import HarkError

_AGO = re.compile(r"^(\d+)\s*([hd])$")


def moment(raw: str, now: datetime | None = None) -> datetime:
    """An ISO date (midnight UTC), an ISO date-time (UTC unless it says otherwise), or a span ago (`48h`, `30d`)."""
    now = now or datetime.now(UTC)
    text = raw.strip()
    ago = _AGO.match(text)
    if ago:
        return now - timedelta(**{"hours" if ago.group(2) == "h" else "days": int(ago.group(1))})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a date (2025-01-31), a date-time or a span like 30d") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run(platform: str, since_text: str, source: str | None, limit: int | None, out: TextIO) -> int:
    from services.ingest import poll_bootstrap  # noqa: PLC0415 - the AWS clients come with it
    from services.ingest.polling import BackfillProgress  # noqa: PLC0415

    console = Console(file=out, highlight=False)
    try:
        since = moment(since_text)
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        return 2
    now = datetime.now(UTC)
    if since >= now:
        console.print(f"[red]--since {since_text} is not in the past[/]")
        return 2
    root = poll_bootstrap.root.get()
    poller = root.service.poller(platform)
    span = (now - since).total_seconds()
    tasks: dict[tuple[str, str], TaskID] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[items]} new"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:

        def show(progress: BackfillProgress) -> None:
            key = (progress.source, progress.feed)
            if key not in tasks:
                tasks[key] = bar.add_task(f"{progress.source} {progress.feed}", total=span, items=0)
            reached = poller.key_moment(progress.reached) if progress.reached else None
            done = span if progress.done else (now - max(reached, since)).total_seconds() if reached else 0.0
            label = f"{progress.source} {progress.feed}"
            if progress.waiting_until is not None:
                label += f" [yellow](rate limited: waiting until {progress.waiting_until:%H:%M:%S} UTC)[/]"
            bar.update(tasks[key], completed=min(done, span), items=progress.items, description=label)

        try:
            results = root.service.backfill(platform, since, source=source, limit=limit, on_progress=show)
        except HarkError as error:
            console.print(f"[red]backfill stopped: {error.detail}[/]")
            return 1
    total = sum(r.items for r in results)
    console.print(
        f"{platform}: {total} items since {since:%Y-%m-%d %H:%M} UTC handed to ingest, in {len(results)} feeds"
    )
    return 0
