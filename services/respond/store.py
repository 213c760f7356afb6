"""The tasks table: optimistic concurrency on save (a version number), listing in work-queue order."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import PutError

from shared.aws import translate_errors
from shared.errors import Conflict
from shared.events import TASK_STATUSES, Task
from shared.settings import Settings
from shared.store.models import TaskRecord, bind, is_conditional_failure
from shared.store.paging import Page, decode_cursor, merge_pages, time_key


def rank(task: Task) -> str:
    """Sorts ascending into work order: highest priority first, then the earliest due, then id."""
    return f"{100 - task.priority:03d}#{time_key(task.due_at)}#{task.id}"


class TaskStore:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    def get(self, task_id: str) -> Task | None:
        with translate_errors("read task"):
            try:
                record = TaskRecord.get(task_id)
            except TaskRecord.DoesNotExist:
                return None
        return _to_task(record)

    def save(self, task: Task) -> Task:
        """Write `task` if nobody changed it since it was read (version check); raise Conflict otherwise."""
        record = TaskRecord(
            id=task.id,
            status=task.status,
            rank=rank(task),
            queue=task.queue,
            doc=task.model_dump(mode="json", exclude={"version"}),
        )
        if task.version:  # a new task has no version yet: PynamoDB then requires that the item does not exist
            record.version = task.version
        with translate_errors("save task"):
            try:
                record.save()
            except PutError as exc:
                if is_conditional_failure(exc):
                    raise Conflict(f"task {task.id} changed concurrently") from exc
                raise
        return task.model_copy(update={"version": record.version})

    def list(
        self,
        *,
        status: str | None = None,
        queue: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Task]:
        after = decode_cursor(cursor)
        statuses = [status] if status else list(TASK_STATUSES)
        filter_condition = TaskRecord.queue == queue if queue else None

        def partition(value: str) -> Iterator[TaskRecord]:
            with translate_errors("list tasks"):
                yield from TaskRecord.by_status.query(
                    value,
                    range_key_condition=TaskRecord.rank > after if after else None,
                    filter_condition=filter_condition,
                    page_size=limit + 1,
                )

        page = merge_pages((partition(s) for s in statuses), lambda r: r.rank, limit, descending=False)
        return Page([_to_task(r) for r in page.items], page.next_cursor)


def _to_task(record: TaskRecord) -> Task:
    return Task.model_validate({**record.doc, "version": record.version or 0})
