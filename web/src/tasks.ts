// The work queue: every task still being worked (each status but `closed`), refreshed every few seconds and at
// once after an action, in work order (highest priority, then earliest due), as GET /v1/tasks ranks them.

import type { Api, Capabilities } from "./api";
import { Value } from "./store";
import type { Page, Task } from "./types";

const POLL_MS = 5_000;
const PAGE = 200;
const MAX_PAGES = 5; // the queue shows the first thousand tasks in work order

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
  private readonly oneListing: boolean;

  constructor(
    private readonly api: Api,
    capabilities: Capabilities,
    /** The first screenful, asked for while signing in (see `firstScreenful`); shown before the whole queue. */
    private first: Promise<Page<Task> | null> | null = null,
  ) {
    this.active = capabilities.taskStatuses.filter((s) => s !== "closed");
    this.oneListing = capabilities.taskParameters.has("active");
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
    const first = this.first;
    this.first = null;
    const early = first && this.oneListing ? await first : null;
    if (early && !this.state.get().loaded) {
      // The top of the queue on screen now; the rest of it follows in the same breath.
      this.state.set({ byId: new Map(early.items.map((t) => [t.id, t])), loaded: true, error: null });
      if (!early.next_cursor) {
        if (!this.stopped) this.timer = setTimeout(() => void this.refresh(), POLL_MS);
        return;
      }
    }
    try {
      // One listing of every active task where the API has it; else one per active status.
      const queries = this.oneListing ? [{ active: true }] : this.active.map((status) => ({ status }));
      const lists = await Promise.all(queries.map((query) => this.all(query)));
      const byId = new Map<string, Task>();
      for (const list of lists) for (const task of list) byId.set(task.id, task);
      this.state.set({ byId, loaded: true, error: null });
    } catch (error) {
      this.state.set({ ...this.state.get(), loaded: true, error: (error as Error).message });
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.refresh(), POLL_MS);
  }

  private async all(query: Record<string, string | boolean>): Promise<Task[]> {
    const tasks: Task[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < MAX_PAGES; n++) {
      const page: Page<Task> = await this.api.get<Page<Task>>("/v1/tasks", { ...query, limit: PAGE, cursor });
      tasks.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return tasks;
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

export const FIRST_SCREENFUL = 30;

/** The top of the work queue, asked for while the key is being checked: the queue is the first view, and this
 *  saves it a round trip. Null when it fails (an older deployment without `active`): the full listing follows. */
export function firstScreenful(api: Api): Promise<Page<Task> | null> {
  return api.get<Page<Task>>("/v1/tasks", { active: true, limit: FIRST_SCREENFUL }).catch(() => null);
}
