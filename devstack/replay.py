"""`hark replay --platform P --since T [--until T]`: re-drive archived deliveries through the ingest core.

Each archived delivery is parsed and queued again exactly as it first arrived (same arrival time, same ids), so
the owners downstream drop what they already hold: a replay adds only what was lost on the way (a mention stuck in
a dead-letter queue past its retention, a table restored from an older backup, a parser that has since learned a
new kind of event). What was deleted on purpose stays deleted: classify never stores over a platform's deletion,
and an erased person's deliveries are gone from the archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.ingest.bootstrap import IngestRoot
from shared.errors import HarkError

PARALLEL = 8
_RELATIVE = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def moment(raw: str, now: datetime | None = None) -> datetime:
    """An ISO date (midnight UTC), an ISO date-time (UTC unless it says otherwise), or a duration ago: 90m, 24h, 7d."""
    now = now or datetime.now(UTC)
    text = raw.strip()
    relative = _RELATIVE.match(text)
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a date, a date-time or a duration like 24h") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Outcome:
    deliveries: int = 0
    mentions: int = 0
    gone: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    more: bool = False  # there were more deliveries than the limit


def replay(
    root: IngestRoot,
    platform: str,
    since: datetime,
    until: datetime,
    *,
    limit: int,
    on_listed: Callable[[int], None] | None = None,
    on_done: Callable[[str, int | None, str | None], None] | None = None,
) -> Outcome:
    """Replay up to `limit` deliveries; `on_done(key, mentions or None when gone, error)` after each."""
    root.service.connector(platform)  # an unknown platform is refused before anything is listed
    keys = list(islice(root.archive.keys(platform, since, until), limit + 1))
    outcome = Outcome(more=len(keys) > limit)
    keys = keys[:limit]
    if on_listed is not None:
        on_listed(len(keys))

    def one(key: str) -> tuple[str, int | None, str | None]:
        try:
            archived = root.archive.load(key)
            if archived is None:
                return key, None, None
            return key, len(root.service.replay(archived).mentions), None
        except HarkError as error:
            return key, None, f"{type(error).__name__}: {error.detail}"
        except (ValueError, KeyError, OSError) as error:  # an object this version cannot read
            return key, None, f"{type(error).__name__}: {error}"

    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="replay") as pool:
        for key, mentions, error in pool.map(one, keys):
            if error is not None:
                outcome.failures.append((key, error))
            elif mentions is None:
                outcome.gone += 1
            else:
                outcome.deliveries += 1
                outcome.mentions += mentions
            if on_done is not None:
                on_done(key, mentions, error)
    return outcome


def run(console: Console, root: IngestRoot, platform: str, since: datetime, until: datetime, limit: int) -> int:
    """The command: a progress bar while it runs, a summary after; 1 when any delivery failed."""
    with Progress(
        TextColumn("[bold]replay[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[mentions]} mentions re-sent"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(
            f"{platform} {since:%Y-%m-%d %H:%M} → {until:%Y-%m-%d %H:%M} UTC", total=None, mentions=0
        )
        sent = [0]

        def listed(total: int) -> None:
            progress.update(task, total=total)

        def done(_key: str, mentions: int | None, _error: str | None) -> None:
            sent[0] += mentions or 0
            progress.update(task, advance=1, mentions=sent[0])

        outcome = replay(root, platform, since, until, limit=limit, on_listed=listed, on_done=done)
    console.print(
        f"Replayed {outcome.deliveries} {platform} deliveries: {outcome.mentions} mentions re-sent; what their "
        "owners already hold is dropped, so only what was lost comes back."
        + (f" {outcome.gone} were gone (erased or expired)." if outcome.gone else "")
    )
    if outcome.more:
        console.print(
            f"[yellow]More than {limit} deliveries are archived in that window; raise --limit or narrow it.[/]"
        )
    for key, error in outcome.failures[:20]:
        console.print(f"[red]failed[/] {escape(key)}: {escape(error)}")
    if len(outcome.failures) > 20:
        console.print(f"[red]… and {len(outcome.failures) - 20} more failures[/]")
    return 1 if outcome.failures else 0
