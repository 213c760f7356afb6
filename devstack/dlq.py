"""`hark dlq inspect|redrive`: what is in the dead-letter queues, why, and sending it back once it can succeed.

Every record the SQS edge parks carries its reason, its source queue and how many times it was received
(`shared.consumer`); `inspect` lists them without taking them out, `redrive` sends them back to the queue they
came from and deletes from the dead-letter queue only what that queue took. Both are bounded by `--limit`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.queues import QueueDeadLetters


def inspect(console: Console, queues: Sequence[QueueDeadLetters], limit: int) -> int:
    total = 0
    for dead in queues:
        letters = dead.peek(limit)
        total += len(letters)
        waiting = dead.depth()
        title = f"{dead.queue.key} dead-letter queue: {waiting} message(s)"
        if not letters:
            console.print(f"[green]{title}[/]")
            continue
        table = Table(title=title, title_justify="left", show_lines=False, expand=False)
        for column in ("message id", "parked at", "from", "receives", "event", "reason"):
            table.add_column(column, overflow="fold")
        for letter in sorted(letters, key=lambda d: (d.parked_at is None, d.parked_at)):
            table.add_row(
                letter.message_id,
                letter.parked_at.strftime("%Y-%m-%d %H:%M:%S") if letter.parked_at else "?",
                letter.source_queue or f"{dead.queue.key} (moved by SQS)",
                str(letter.receive_count) if letter.receive_count is not None else "?",
                escape(letter.event or "?"),
                escape(letter.reason or "no reason recorded: SQS moved it after its last receive"),
            )
        console.print(table)
        if waiting > len(letters):
            console.print(f"[dim]… showing {len(letters)} of {waiting}; raise --limit to see more[/]")
    return total


def redrive(console: Console, queues: Sequence[QueueDeadLetters], limit: int) -> int:
    """Redrive every queue; the number of letters that could not be sent back."""
    failed = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for dead in queues:
            waiting = min(dead.depth(), limit)
            task = progress.add_task(f"{dead.queue.key} → {dead.queue.key} queue", total=waiting or None, failed=0)
            refused_so_far = [0]

            def advance(sent: int, refused: int, task_id: TaskID = task, counter: list[int] = refused_so_far) -> None:
                counter[0] += refused
                progress.update(task_id, advance=sent + refused, failed=counter[0])

            outcome = dead.redrive(limit, on_progress=advance)
            progress.update(
                task, total=max(outcome.moved + outcome.failed, 1), completed=outcome.moved + outcome.failed
            )
            failed += outcome.failed
            progress.console.print(
                f"{dead.queue.key}: {outcome.moved} sent back"
                + (
                    f", [red]{outcome.failed} could not be sent (still in the dead-letter queue)[/]"
                    if outcome.failed
                    else ""
                )
            )
    return failed
