// The overview: how much is being said and how it feels, over time; how fast the team answers and whether the
// SLAs hold; who holds what; open incidents and crisis alerts with why they spiked.
import { useEffect, useMemo, useState } from "preact/hooks";
import { TimeChart } from "../components/lazychart";
import { Empty, ErrorNote, Pill, now, useTitle } from "../components/bits";
import { ago, maySeePii, network, plural, shownText, span, urgency } from "../format";
import { useSession } from "../session";
import { useValue } from "../store";
import type { ClockStats, Incident, Overview, Page, SafetyCase, Task } from "../types";
import { describe } from "./queue";
import { caseUrgency } from "./safety";

export const SENTIMENT_COLOURS: Record<string, string> = {
  negative: "#ff7b72",
  mixed: "#d29922",
  neutral: "#9da7b3",
  positive: "#3fb950",
};

// Told apart by lightness as well as hue (legend and summary carry the names).
const INTENT_COLOURS = ["#58a6ff", "#f778ba", "#d29922", "#3fb950", "#a371f7"];

export function useOverview(hours: number, refreshMs: number): { overview: Overview | null; error: string | null } {
  const session = useSession();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!session.can("getOverview")) return;
    let live = true;
    const load = () =>
      session.api
        .get<Overview>("/v1/overview", { hours })
        .then((o) => live && (setOverview(o), setError(null)))
        .catch((failure) => live && setError(describe(failure)));
    void load();
    const timer = setInterval(load, refreshMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [hours]);
  return { overview, error };
}

export function useIncidents(refreshMs: number): Incident[] | null {
  const session = useSession();
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  useEffect(() => {
    if (!session.can("listIncidents")) return;
    let live = true;
    const load = () =>
      session.api
        .get<Page<Incident>>("/v1/incidents", { limit: 50 })
        .then((page) => live && setIncidents(page.items.filter((i) => i.status !== "resolved")))
        .catch(() => live && setIncidents(null));
    void load();
    const timer = setInterval(load, refreshMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  return incidents;
}

export function backlogFacts(tasks: Task[], at: number) {
  const waiting = tasks.filter((t) => !t.responded_at && t.status !== "snoozed");
  const oldest = [...waiting].sort((a, b) => a.created_at.localeCompare(b.created_at))[0] ?? null;
  return {
    open: tasks.length,
    unclaimed: tasks.filter((t) => !t.holder && t.status !== "snoozed").length,
    breached: tasks.filter((t) => urgency(t.due_at, at, t.sla_state) === "breached").length,
    near: tasks.filter((t) => urgency(t.due_at, at, t.sla_state) === "near").length,
    oldest,
  };
}

function totals(overview: Overview, key: "by_network" | "by_sentiment" | "by_intent"): [string, number][] {
  const sum: Record<string, number> = {};
  for (const bucket of overview.buckets) for (const [k, v] of Object.entries(bucket[key])) sum[k] = (sum[k] ?? 0) + v;
  return Object.entries(sum).sort((a, b) => b[1] - a[1]);
}

export function OverviewView() {
  useTitle("Overview");
  const session = useSession();
  const board = useValue(session.board.state);
  const t = useValue(now);
  const [hours, setHours] = useState(24);
  const { overview, error } = useOverview(hours, 30_000);
  const incidents = useIncidents(30_000);
  const tasks = useMemo(() => [...board.byId.values()], [board]);
  const facts = backlogFacts(tasks, t);
  const workload = useMemo(() => {
    const by: Record<string, number> = {};
    for (const task of tasks) if (task.holder) by[task.holder] = (by[task.holder] ?? 0) + 1;
    return Object.entries(by).sort((a, b) => b[1] - a[1]);
  }, [tasks]);
  const queues = useMemo(() => {
    const by: Record<string, number> = {};
    for (const task of tasks) by[task.queue] = (by[task.queue] ?? 0) + 1;
    return Object.entries(by).sort((a, b) => b[1] - a[1]);
  }, [tasks]);
  const charts = useMemo(() => (overview ? chartData(overview) : null), [overview]);

  return (
    <main class="overview" aria-labelledby="overview-title">
      <div class="pane-head">
        <h1 id="overview-title">Overview</h1>
        {session.can("getOverview") ? (
          <label>
            <span class="sr">Period</span>
            <select value={String(hours)} onChange={(e) => setHours(Number((e.target as HTMLSelectElement).value))}>
              <option value="24">Last 24 hours</option>
              <option value="72">Last 3 days</option>
              <option value="168">Last 7 days</option>
            </select>
          </label>
        ) : null}
      </div>
      <ErrorNote error={error} />
      <section class="tiles" aria-label="Right now">
        <Tile label="Open tasks" value={facts.open} />
        <Tile label="Unclaimed" value={facts.unclaimed} />
        <Tile label="SLA breached" value={facts.breached} tone={facts.breached ? "bad" : "good"} />
        <Tile label="Near breach" value={facts.near} tone={facts.near ? "warn" : "good"} />
        {overview ? <Tile label={`Mentions, ${hours} h`} value={overview.buckets.reduce((n, b) => n + b.mentions, 0)} /> : null}
        {overview ? (
          <Tile
            label="First replies within SLA"
            value={overview.first_response.stopped ? `${Math.round((100 * overview.first_response.within_sla) / overview.first_response.stopped)}%` : "—"}
            hint={plural(overview.first_response.stopped, "first reply", "first replies")}
            tone={attainmentTone(overview.first_response)}
          />
        ) : null}
        {overview?.first_response.median_s != null ? (
          <Tile
            label="First response (median)"
            value={span(overview.first_response.median_s * 1000)}
            hint={overview.first_response.p90_s != null ? `90% within ${span(overview.first_response.p90_s * 1000)}` : undefined}
          />
        ) : null}
        {overview?.resolution.median_s != null ? (
          <Tile
            label="Resolution (median)"
            value={span(overview.resolution.median_s * 1000)}
            hint={`${plural(overview.resolution.stopped, "closed task")}, ${overview.resolution.within_sla} in time`}
          />
        ) : null}
      </section>

      {session.can("listSafetyCases") ? <SafetyTiles at={t} /> : null}

      {incidents && incidents.length ? <Incidents incidents={incidents} /> : null}

      <div class="grid">
        {charts ? (
          <>
            <section class="panel wide" aria-labelledby="volume-title">
              <h2 id="volume-title">Mentions per hour</h2>
              <TimeChart times={charts.times} series={charts.volume} summary={charts.volumeSummary} />
            </section>
            <section class="panel wide" aria-labelledby="sentiment-title">
              <h2 id="sentiment-title">Sentiment per hour</h2>
              <TimeChart times={charts.times} series={charts.sentiments} summary={charts.sentimentSummary} />
            </section>
            <section class="panel wide" aria-labelledby="intent-trend-title">
              <h2 id="intent-trend-title">What people want, per hour</h2>
              <TimeChart times={charts.times} series={charts.intents} summary={charts.intentSummary} />
            </section>
            <section class="panel" aria-labelledby="platform-title">
              <h2 id="platform-title">Where they said it</h2>
              <Bars rows={totals(overview as Overview, "by_network").map(([k, v]) => [networkLabel(k), v])} />
            </section>
            <section class="panel" aria-labelledby="intent-title">
              <h2 id="intent-title">What people want</h2>
              <Bars rows={totals(overview as Overview, "by_intent")} />
            </section>
          </>
        ) : null}
        <section class="panel" aria-labelledby="workload-title">
          <h2 id="workload-title">Agent workload</h2>
          {workload.length ? <Bars rows={workload} unit="task" /> : <Empty>Nobody holds a task right now.</Empty>}
        </section>
        <section class="panel" aria-labelledby="queues-title">
          <h2 id="queues-title">Queues</h2>
          {queues.length ? <Bars rows={queues} unit="task" /> : <Empty>All queues are empty.</Empty>}
        </section>
        <section class="panel" aria-labelledby="oldest-title">
          <h2 id="oldest-title">Oldest unanswered</h2>
          {facts.oldest ? (
            <p>
              <a href={`#/queue/${facts.oldest.id}`}>{facts.oldest.preview.author ?? "A customer"}</a> has waited{" "}
              <strong>{span(t - new Date(facts.oldest.created_at).getTime())}</strong>: “{shownText(facts.oldest.preview.text, facts.oldest.preview.pii, maySeePii(session.me)).slice(0, 140)}”
            </p>
          ) : (
            <Empty>Everyone has an answer.</Empty>
          )}
        </section>
      </div>
    </main>
  );
}

export function chartData(overview: Overview) {
  const times = overview.buckets.map((b) => new Date(b.start).getTime() / 1000);
  const sentiments = ["negative", "mixed", "neutral", "positive"].map((name) => ({
    label: name,
    colour: SENTIMENT_COLOURS[name] as string,
    values: overview.buckets.map((b) => b.by_sentiment[name] ?? 0),
  }));
  const sentimentSummary = totals(overview, "by_sentiment").map(([k, v]) => `${k} ${v}`).join(", ") || "No mentions";
  const volume = [
    { label: "mentions", colour: "#58a6ff", bars: true, values: overview.buckets.map((b) => b.mentions) },
    { label: "need a reply", colour: "#d29922", values: overview.buckets.map((b) => b.needs_response) },
    { label: "negative", colour: SENTIMENT_COLOURS.negative as string, values: overview.buckets.map((b) => b.by_sentiment.negative ?? 0) },
  ];
  // What people want, hour by hour: the five most asked for, the rest together.
  const ranked = totals(overview, "by_intent").map(([k]) => k);
  const top = ranked.slice(0, 5);
  const intents = top.map((name, i) => ({
    label: name,
    colour: INTENT_COLOURS[i] as string,
    values: overview.buckets.map((b) => b.by_intent[name] ?? 0),
  }));
  if (ranked.length > top.length) {
    intents.push({
      label: "other",
      colour: "#9da7b3",
      values: overview.buckets.map((b) =>
        Object.entries(b.by_intent).reduce((n, [k, v]) => (top.includes(k) ? n : n + v), 0),
      ),
    });
  }
  const intentSummary = totals(overview, "by_intent").map(([k, v]) => `${k} ${v}`).join(", ") || "No mentions";
  const total = overview.buckets.reduce((n, b) => n + b.mentions, 0);
  const volumeSummary = `${total} mentions, ${overview.buckets.reduce((n, b) => n + b.needs_response, 0)} needing a reply`;
  return { times, sentiments, sentimentSummary, intents, intentSummary, volume, volumeSummary };
}

function networkLabel(key: string): string {
  return network(key, key).label;
}

function attainmentTone(clock: ClockStats): string {
  if (!clock.stopped) return "plain";
  const share = clock.within_sla / clock.stopped;
  return share >= 0.95 ? "good" : share >= 0.8 ? "warn" : "bad";
}

/** Drug safety's clocks at a glance: cases still to report, those due within three days, those overdue. */
function SafetyTiles({ at }: { at: number }) {
  const session = useSession();
  const [cases, setCases] = useState<SafetyCase[] | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      session.api
        .get<Page<SafetyCase>>("/v1/safety-cases", { limit: 100 })
        .then((page) => live && setCases(page.items))
        .catch(() => live && setCases(null));
    void load();
    const timer = setInterval(load, 60_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  if (!cases) return null;
  const pending = cases.filter((c) => caseUrgency(c, at) !== "done");
  const overdue = pending.filter((c) => caseUrgency(c, at) === "overdue").length;
  const near = pending.filter((c) => caseUrgency(c, at) === "near").length;
  return (
    <section class="tiles safety-tiles" aria-label="Safety cases">
      <a class="tile-link" href="#/safety">
        <Tile label="Safety cases to report" value={pending.length} />
      </a>
      <a class="tile-link" href="#/safety">
        <Tile label="Due within 3 days" value={near} tone={near ? "warn" : "good"} />
      </a>
      <a class="tile-link" href="#/safety">
        <Tile label="Reports overdue" value={overdue} tone={overdue ? "bad" : "good"} />
      </a>
    </section>
  );
}

function Tile({ label, value, tone, hint }: { label: string; value: number | string; tone?: string; hint?: string | undefined }) {
  return (
    <div class={`tile tile-${tone ?? "plain"}`}>
      <span class="tile-value">{typeof value === "number" ? value.toLocaleString() : value}</span>
      <span class="tile-label">{label}</span>
      {hint ? <span class="tile-hint">{hint}</span> : null}
    </div>
  );
}

export function Bars({ rows, unit }: { rows: [string, number][]; unit?: string }) {
  const max = Math.max(1, ...rows.map(([, v]) => v));
  return (
    <ul class="bars">
      {rows.map(([label, value]) => (
        <li key={label}>
          <span class="bar-label">{label}</span>
          <meter class="bar" min={0} max={max} value={value} aria-label={`${label}: ${value}`} />
          <span class="bar-value">{unit ? plural(value, unit) : value.toLocaleString()}</span>
        </li>
      ))}
    </ul>
  );
}

export function Incidents({ incidents, big }: { incidents: Incident[]; big?: boolean }) {
  return (
    <section class={`panel incidents ${big ? "big" : ""}`} aria-labelledby="incidents-title" role="region">
      <h2 id="incidents-title">{incidents.some((i) => i.crisis) ? "Crisis alerts and incidents" : "Open incidents"}</h2>
      <ul>
        {incidents.map((incident) => (
          <li key={incident.id} class={`incident sev-${incident.severity}`}>
            <div>
              <Pill tone={incident.severity === "critical" ? "danger" : "warn"}>{incident.severity}</Pill>{" "}
              {incident.crisis ? <Pill tone="danger">crisis</Pill> : null} <strong>{incident.title}</strong>{" "}
              <span class="muted">
                {incident.status} · opened {ago(incident.opened_at)}
              </span>
            </div>
            {incident.why ? (
              <p class="why-spiked">
                Why it spiked: {incident.why.summary}
                {incident.why.top_terms?.length ? ` — most said: ${incident.why.top_terms.slice(0, 5).map((t) => t.term).join(", ")}` : ""}
              </p>
            ) : incident.alarm?.reason ? (
              <p class="why-spiked">{incident.alarm.reason}</p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
