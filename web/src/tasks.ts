// The work queue: every task still being worked (each status but `closed`), refreshed every few seconds and at
// once after an action, in work order (highest priority, then earliest due), as GET /v1/tasks ranks them.

import type { Api, Capabilities } from "./api";
import { Value } from "./store";
import type { Page, Task } from "./types";

const POLL_MS = 5_000;
const PER_STATUS = 200;

export interface BoardState {
  byId: Map<string, Task>;
  loaded: boolean;
  error: string | null;
}

export function workOrder(a: Task, b: Task): number {
  return b.priority - a.priority || a.due_at.localeCompare(b.due_at) || a.id.localeCompare(b.id);
}

export class TaskBoard {
  readonly state = new Value<BoardState>({ byId: new Map(), loaded: false, error: null });
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  readonly active: string[];

  constructor(
    private readonly api: Api,
    capabilities: Capabilities,
  ) {
    this.active = capabilities.taskStatuses.filter((s) => s !== "closed");
  }

  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    try {
      const pages = await Promise.all(
        this.active.map((status) => this.api.get<Page<Task>>("/v1/tasks", { status, limit: PER_STATUS })),
      );
      const byId = new Map<string, Task>();
      for (const page of pages) for (const task of page.items) byId.set(task.id, task);
      this.state.set({ byId, loaded: true, error: null });
    } catch (error) {
      this.state.set({ ...this.state.get(), loaded: true, error: (error as Error).message });
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.refresh(), POLL_MS);
  }

  /** A task as an action answered it: shown at once, before the next refresh. */
  upsert(task: Task): void {
    const byId = new Map(this.state.get().byId);
    if (task.status === "closed") byId.delete(task.id);
    else byId.set(task.id, task);
    this.state.set({ ...this.state.get(), byId });
  }

  sorted(): Task[] {
    return [...this.state.get().byId.values()].sort(workOrder);
  }
}
