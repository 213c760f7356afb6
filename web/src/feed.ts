// The live inbox: the newest page, then what was stored since, by the feed's cursor (GET /v1/mentions?after=),
// so nothing is missed and nothing is shown twice: an id seen again (an edit, or a mention of the last seconds
// that the first page already had) replaces the one shown, in place.

import type { Api } from "./api";
import { Value } from "./store";
import type { Mention, Page } from "./types";

const FIRST_PAGE = 50;
const LIVE_PAGE = 200;
const VISIBLE_POLL_MS = 2_000;
const HIDDEN_POLL_MS = 15_000;

export interface FeedState {
  order: string[]; // newest stored first
  byId: Map<string, Mention>;
  loaded: boolean;
  olderCursor: string | null;
  error: string | null;
  lastPollAt: number | null;
  arrived: Set<string>; // ids that arrived live (shown with a highlight)
}

export class MentionFeed {
  readonly state = new Value<FeedState>({
    order: [],
    byId: new Map(),
    loaded: false,
    olderCursor: null,
    error: null,
    lastPollAt: null,
    arrived: new Set(),
  });
  private after: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly api: Api) {}

  async start(): Promise<void> {
    try {
      const first = await this.api.get<Page<Mention>>("/v1/mentions", { limit: FIRST_PAGE });
      this.after = first.feed_cursor ?? null;
      const byId = new Map(first.items.map((m) => [m.id, m]));
      this.update({
        order: first.items.map((m) => m.id),
        byId,
        loaded: true,
        olderCursor: first.next_cursor,
        error: null,
        lastPollAt: Date.now(),
      });
    } catch (error) {
      this.update({ error: (error as Error).message, loaded: true });
      this.schedule(VISIBLE_POLL_MS);
      return;
    }
    this.schedule(VISIBLE_POLL_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /** Poll now (after an action that may have changed what the inbox shows). */
  poke(): void {
    this.schedule(0);
  }

  async loadOlder(): Promise<void> {
    const state = this.state.get();
    if (!state.olderCursor) return;
    const page = await this.api.get<Page<Mention>>("/v1/mentions", { limit: FIRST_PAGE, cursor: state.olderCursor });
    const byId = new Map(state.byId);
    const order = [...state.order];
    for (const mention of page.items) {
      if (!byId.has(mention.id)) order.push(mention.id);
      byId.set(mention.id, mention);
    }
    this.update({ byId, order, olderCursor: page.next_cursor });
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delay);
  }

  private async poll(): Promise<void> {
    if (this.after === null) {
      // The first page failed: start again.
      await this.start();
      return;
    }
    let full = false;
    try {
      const page = await this.api.get<Page<Mention>>("/v1/mentions", { after: this.after, limit: LIVE_PAGE });
      this.after = page.next_cursor ?? this.after;
      full = page.items.length === LIVE_PAGE;
      this.merge(page.items);
      this.update({ error: null, lastPollAt: Date.now() });
    } catch (error) {
      this.update({ error: (error as Error).message });
    }
    this.schedule(full ? 0 : document.hidden ? HIDDEN_POLL_MS : VISIBLE_POLL_MS);
  }

  private merge(items: Mention[]): void {
    if (items.length === 0) return;
    const state = this.state.get();
    const byId = new Map(state.byId);
    const fresh: string[] = [];
    const arrived = new Set(state.arrived);
    for (const mention of items) {
      if (!byId.has(mention.id)) {
        fresh.push(mention.id);
        arrived.add(mention.id);
      }
      byId.set(mention.id, mention);
    }
    // `after` answers oldest first: the last one is the newest and goes on top.
    this.update({ byId, order: [...fresh.reverse(), ...state.order], arrived });
  }

  private update(patch: Partial<FeedState>): void {
    this.state.set({ ...this.state.get(), ...patch });
  }
}
