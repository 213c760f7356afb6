// The inbox: every mention as it arrives, newest first, with who said it where, what Hark made of it and why.
// Filters and search go to respond, which applies them to every stored mention (GET /v1/mentions with the filters);
// what arrives live afterwards is matched here, so a new mention that fits appears without a reload.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Empty, ErrorNote, MentionText, PlatformIcon, Pill, Priority, useTitle } from "../components/bits";
import {
  SENTIMENT_LABEL,
  ago,
  authorName,
  channelLabel,
  clock,
  languageName,
  maySeePii,
  network,
  networkKey,
  plural,
} from "../format";
import { go } from "../router";
import { useSession } from "../session";
import { useShortcut } from "../shortcuts";
import { useValue } from "../store";
import type { Mention, Page, Task } from "../types";
import { describe } from "./queue";
import { TaskView } from "./task";

interface Filters {
  network: string;
  account: string;
  sentiment: string;
  intent: string;
  language: string;
  needs: string; // "", "yes", "no"
  queue: string;
  assignee: string;
  search: string;
}
const NONE: Filters = {
  network: "",
  account: "",
  sentiment: "",
  intent: "",
  language: "",
  needs: "",
  queue: "",
  assignee: "",
  search: "",
};

function matches(m: Mention, f: Filters, task: Task | undefined): boolean {
  const c = m.classification;
  if (f.network && networkKey(m.platform, m.channel) !== f.network && m.platform !== f.network) return false;
  if (f.account && (m.account_id ?? "") !== f.account) return false;
  if (f.sentiment && c?.sentiment !== f.sentiment) return false;
  if (f.intent && c?.intent !== f.intent) return false;
  if (f.language && (c?.language ?? "") !== f.language) return false;
  if (f.needs && (c?.needs_response ?? false) !== (f.needs === "yes")) return false;
  if (f.queue && task?.queue !== f.queue) return false;
  if (f.assignee && (task?.holder ?? "") !== f.assignee) return false;
  if (f.search) {
    const needle = f.search.toLowerCase();
    const hay = `${m.text} ${m.author.handle ?? ""} ${m.author.name ?? ""}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

function queryOf(f: Filters): Record<string, string | number | boolean | undefined> {
  return {
    limit: 50,
    network: f.network || undefined,
    account: f.account || undefined,
    sentiment: f.sentiment || undefined,
    intent: f.intent || undefined,
    language: f.language || undefined,
    needs_response: f.needs ? f.needs === "yes" : undefined,
    queue: f.queue || undefined,
    assignee: f.assignee || undefined,
    q: f.search.trim() || undefined,
  };
}

interface Found {
  key: string;
  items: Mention[];
  cursor: string | null;
  loading: boolean;
  error: string | null;
  before: Set<string>; // the ids the live feed had when the search started
}

/** The filtered listing from respond, page by page; null while no filter is set. */
function useServerFilter(filters: Filters, active: boolean) {
  const session = useSession();
  const [found, setFound] = useState<Found | null>(null);
  const key = JSON.stringify(queryOf(filters));
  useEffect(() => {
    if (!active) {
      setFound(null);
      return;
    }
    let live = true;
    const before = new Set(session.feed.state.get().order);
    setFound((f) => ({ key, items: f?.key === key ? f.items : [], cursor: null, loading: true, error: null, before }));
    // Typing in the search box waits for a pause before asking.
    const timer = setTimeout(() => {
      session.api
        .get<Page<Mention>>("/v1/mentions", queryOf(filters))
        .then((page) => live && setFound({ key, items: page.items, cursor: page.next_cursor, loading: false, error: null, before }))
        .catch((failure) => live && setFound({ key, items: [], cursor: null, loading: false, error: describe(failure), before }));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, active]);
  const more = async () => {
    if (!found?.cursor) return;
    setFound({ ...found, loading: true });
    try {
      const page = await session.api.get<Page<Mention>>("/v1/mentions", { ...queryOf(filters), cursor: found.cursor });
      const seen = new Set(found.items.map((m) => m.id));
      setFound({ ...found, items: [...found.items, ...page.items.filter((m) => !seen.has(m.id))], cursor: page.next_cursor, loading: false });
    } catch (failure) {
      setFound({ ...found, loading: false, error: describe(failure) });
    }
  };
  return { found, more };
}

// How many messages Hark holds from each author (GET /v1/author-counts), asked for the authors on screen, in
// batches, after the mentions themselves are shown; an author who writes again is asked about again.
const counts = new Map<string, number>();
const asked = new Set<string>();
const authorKey = (m: Mention) => `${m.platform}/${m.author.id}`;

function useAuthorCounts(mentions: Mention[]): Map<string, number> {
  const session = useSession();
  const [, setTick] = useState(0);
  const fresh = session.feed.state.get().arrived;
  useEffect(() => {
    if (!session.can("countAuthors")) return;
    for (const m of mentions) if (fresh.has(m.id) && counts.has(authorKey(m)) && !asked.has(m.id)) {
      asked.add(m.id); // a new message from someone already counted: count again
      asked.delete(authorKey(m));
    }
    const wanted = [...new Set(mentions.slice(0, 200).map(authorKey))].filter((k) => !asked.has(k) && !k.includes(","));
    if (!wanted.length) return;
    for (const k of wanted) asked.add(k);
    let live = true;
    const batches: string[][] = [];
    for (let i = 0; i < wanted.length; i += 50) batches.push(wanted.slice(i, i + 50));
    void Promise.all(
      batches.map((keys) =>
        session.api
          .get<{ counts: Record<string, number> }>("/v1/author-counts", { authors: keys.join(",") })
          .then((answer) => {
            for (const [k, n] of Object.entries(answer.counts)) counts.set(k, n);
          })
          .catch(() => keys.forEach((k) => asked.delete(k))),
      ),
    ).then(() => live && setTick((n) => n + 1));
    return () => {
      live = false;
    };
  }, [mentions]);
  return counts;
}

export function InboxView({ selected }: { selected: string | null }) {
  useTitle("Inbox");
  const session = useSession();
  const feed = useValue(session.feed.state);
  const board = useValue(session.board.state);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const search = useRef<HTMLInputElement>(null);
  const all = useMemo(() => feed.order.map((id) => feed.byId.get(id)).filter((m): m is Mention => !!m), [feed]);
  const options = useMemo(() => {
    const tasks = [...board.byId.values()];
    const distinct = (values: (string | null | undefined)[]) =>
      [...new Set(values.filter((v): v is string => !!v))].sort();
    return {
      network: distinct(all.map((m) => networkKey(m.platform, m.channel))),
      account: distinct(all.map((m) => m.account_id)),
      intent: distinct(all.map((m) => m.classification?.intent)),
      language: distinct(all.map((m) => m.classification?.language)),
      queue: distinct(tasks.map((t) => t.queue)),
      assignee: distinct(tasks.map((t) => t.holder)),
    };
  }, [all, board]);
  const active = Object.values(filters).some(Boolean);
  const { found, more } = useServerFilter(filters, active);
  // Filtered: what respond found (the live copy where the feed has a newer one), and on top what arrived since.
  const shown = useMemo(() => {
    if (!active) return all;
    if (!found) return [];
    const listed = new Set(found.items.map((m) => m.id));
    const arrived = all.filter(
      (m) => !found.before.has(m.id) && !listed.has(m.id) && matches(m, filters, m.task_id ? board.byId.get(m.task_id) : undefined),
    );
    return [...arrived, ...found.items.map((m) => feed.byId.get(m.id) ?? m)];
  }, [active, found, all, board]);
  const history = useAuthorCounts(shown);
  const index = shown.findIndex((m) => m.id === selected);
  useShortcut("/", () => search.current?.focus());
  useShortcut("j", () => {
    const next = shown[Math.min(index + 1, shown.length - 1)] ?? shown[0];
    if (next) go("inbox", next.id);
  });
  useShortcut("k", () => {
    const previous = shown[Math.max(index - 1, 0)];
    if (previous) go("inbox", previous.id);
  });
  const set = (name: keyof Filters) => (e: Event) =>
    setFilters({ ...filters, [name]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const selectedMention = selected ? feed.byId.get(selected) : undefined;
  const reveal = maySeePii(session.me);

  const select = (name: keyof Filters, label: string, values: string[], show = (v: string) => v) => (
    <label>
      <span class="sr">{label}</span>
      <select value={filters[name]} onChange={set(name)}>
        <option value="">{label}: all</option>
        {values.map((v) => (
          <option value={v}>{show(v)}</option>
        ))}
      </select>
    </label>
  );

  return (
    <div class="split">
      <section class="list-pane" aria-labelledby="inbox-title">
        <div class="pane-head">
          <h1 id="inbox-title">
            Inbox{" "}
            <span class="muted">
              {active
                ? found?.loading && !found.items.length
                  ? "searching…"
                  : `${plural(shown.length, "match", "matches")}${found?.cursor ? "+" : ""} in every stored mention`
                : plural(all.length, "mention")}
            </span>
          </h1>
          <label class="search">
            <span class="sr">Search the inbox</span>
            <input
              ref={search}
              type="search"
              placeholder="Search text and authors (press /)"
              value={filters.search}
              onInput={set("search")}
            />
          </label>
          <div class="filters" role="group" aria-label="Filter the inbox">
            {select("network", "Platform", options.network, (v) => network(v, v).label)}
            {options.account.length > 1 ? select("account", "Account", options.account) : null}
            {select("sentiment", "Sentiment", ["negative", "mixed", "neutral", "positive"], (v) => SENTIMENT_LABEL[v as "mixed"])}
            {select("intent", "Intent", options.intent)}
            {select("language", "Language", options.language, languageName)}
            {select("needs", "Needs a reply", ["yes", "no"])}
            {options.queue.length ? select("queue", "Queue", options.queue) : null}
            {options.assignee.length ? select("assignee", "Assignee", options.assignee) : null}
            {active ? (
              <button type="button" class="ghost" onClick={() => setFilters(NONE)}>
                Clear filters
              </button>
            ) : null}
          </div>
          <ErrorNote error={feed.error ?? found?.error ?? null} />
        </div>
        {!feed.loaded || (active && found?.loading && !shown.length) ? (
          <Empty>{active ? "Searching every stored mention…" : "Loading the inbox…"}</Empty>
        ) : shown.length === 0 ? (
          <Empty>
            {active
              ? found?.cursor
                ? "None in the latest thousand mentions read; look further back."
                : "No mention matches these filters."
              : "No mentions yet. They appear here the moment they are stored."}
          </Empty>
        ) : (
          <ul class="cards" aria-label="Mentions, newest first" aria-live="polite" aria-relevant="additions">
            {shown.map((m) => (
              <MentionCard
                key={m.id}
                mention={m}
                current={m.id === selected}
                fresh={feed.arrived.has(m.id)}
                reveal={reveal}
                said={history.get(authorKey(m))}
              />
            ))}
          </ul>
        )}
        {active ? (
          found?.cursor ? (
            <div class="more">
              <button type="button" disabled={found.loading} onClick={() => void more()}>
                {found.loading ? "Searching…" : "Look further back"}
              </button>
            </div>
          ) : null
        ) : feed.olderCursor ? (
          <div class="more">
            <button
              type="button"
              disabled={loadingOlder}
              onClick={() => {
                setLoadingOlder(true);
                void session.feed.loadOlder().finally(() => setLoadingOlder(false));
              }}
            >
              {loadingOlder ? "Loading…" : "Load older mentions"}
            </button>
          </div>
        ) : null}
      </section>
      <section class="detail-pane" aria-label="Mention">
        {selectedMention?.task_id ? (
          <TaskView taskId={selectedMention.task_id} initial={board.byId.get(selectedMention.task_id)} />
        ) : selectedMention ? (
          <MentionDetail mention={selectedMention} reveal={reveal} />
        ) : (
          <Empty>Pick a mention to see what Hark made of it and its conversation.</Empty>
        )}
      </section>
    </div>
  );
}

function MentionCard(props: { mention: Mention; current: boolean; fresh: boolean; reveal: boolean; said: number | undefined }) {
  const { mention: m, current, fresh, reveal, said } = props;
  const c = m.classification;
  return (
    <li class={`card mention-card ${current ? "current" : ""} ${fresh ? "fresh" : ""} ${m.deleted_at ? "deleted" : ""}`} data-mention={m.id}>
      <a class="card-link" href={`#/inbox/${m.id}`} aria-current={current ? "true" : undefined}>
        <span class="card-top">
          <PlatformIcon platform={m.platform} channel={m.channel} size={22} />
          <span class="author">{authorName(m.author)}</span>
          {said !== undefined ? (
            <span class="muted small history" title="Messages Hark holds from them">
              {said > 1 ? plural(said, "message") : "first message"}
            </span>
          ) : null}
          {m.author.followers ? <span class="muted small">{plural(m.author.followers, "follower")}</span> : null}
          <time class="muted small" dateTime={m.created_at} title={clock(m.created_at)}>
            {ago(m.created_at)}
          </time>
          {c ? <Priority value={c.priority} /> : null}
        </span>
        <MentionText mention={m} reveal={reveal} />
        <span class="card-meta">
          <span>{channelLabel(m.platform, m.channel, m.kind)}</span>
          {m.account_id ? <span title="Account addressed">→ {m.account_id}</span> : null}
          {c ? (
            <>
              <Pill tone={`sent-${c.sentiment}`}>{SENTIMENT_LABEL[c.sentiment]}</Pill>
              <Pill tone="intent">{c.intent}</Pill>
              <span>{languageName(c.language)}</span>
              {c.needs_response ? <Pill tone="needs">needs a reply</Pill> : null}
              {c.toxic ? <Pill tone="danger">toxic</Pill> : null}
              {c.adverse_event ? <Pill tone="danger">adverse event?</Pill> : null}
            </>
          ) : (
            <span class="muted">not classified yet</span>
          )}
          {m.deleted_at ? <Pill tone="warn">deleted</Pill> : null}
        </span>
        {c?.reasons.length ? <span class="reasons-line">{c.reasons.join(" · ")}</span> : null}
      </a>
      {m.url ? (
        <a class="original" href={m.url} target="_blank" rel="noopener noreferrer" aria-label={`Open the original on ${network(m.platform, m.channel).label}`}>
          ↗
        </a>
      ) : null}
    </li>
  );
}

function MentionDetail({ mention: m, reveal }: { mention: Mention; reveal: boolean }) {
  const c = m.classification;
  return (
    <article class="task" aria-labelledby="mention-title">
      <header class="task-head">
        <div class="task-title-row">
          <PlatformIcon platform={m.platform} channel={m.channel} />
          <h2 id="mention-title">
            {authorName(m.author)} <span class="muted">on {channelLabel(m.platform, m.channel, m.kind)}</span>
          </h2>
          {c ? <Priority value={c.priority} /> : null}
        </div>
        <p class="muted">
          Said {clock(m.created_at)} · heard {ago(m.received_at)}
          {m.url ? (
            <>
              {" · "}
              <a href={m.url} target="_blank" rel="noopener noreferrer">
                Open the original ↗
              </a>
            </>
          ) : null}
        </p>
      </header>
      <section class="panel">
        <MentionText mention={m} reveal={reveal} />
      </section>
      {c ? (
        <section class="panel">
          <h3>What Hark made of it</h3>
          <p>
            {c.needs_response ? "Needs a reply" : "No reply needed"} · {SENTIMENT_LABEL[c.sentiment]} · {c.intent} ·{" "}
            {languageName(c.language)}
          </p>
          {c.reasons.length ? (
            <ul class="reasons">
              {c.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
    </article>
  );
}
