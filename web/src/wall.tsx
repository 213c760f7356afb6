// The wall screen for the command-center room: read-only, large type, refreshing itself. Volume now against
// the usual for this hour, how it feels, the oldest customer still waiting, breaches, incidents, and the
// latest mentions as they arrive.
import { useMemo } from "preact/hooks";
import { mount } from "./boot";
import { TimeChart } from "./components/lazychart";
import { MentionText, PlatformIcon, now } from "./components/bits";
import { SENTIMENT_LABEL, ago, authorName, maySeePii, shownText, span } from "./format";
import { useSession } from "./session";
import { useValue } from "./store";
import type { Mention } from "./types";
import { Incidents, backlogFacts, chartData, useIncidents, useOverview } from "./views/overview";

function Wall() {
  const session = useSession();
  const feed = useValue(session.feed.state);
  const board = useValue(session.board.state);
  const t = useValue(now);
  const { overview } = useOverview(24, 30_000);
  const incidents = useIncidents(30_000);
  const facts = backlogFacts([...board.byId.values()], t);
  const charts = useMemo(() => (overview ? chartData(overview) : null), [overview]);
  const latest = feed.order
    .slice(0, 4)
    .map((id) => feed.byId.get(id))
    .filter((m): m is Mention => !!m);
  const lastHour = overview?.buckets.at(-1);
  const feeling = lastHour ? Object.entries(lastHour.by_sentiment).sort((a, b) => b[1] - a[1]) : [];
  const negativeShare = lastHour && lastHour.mentions ? (lastHour.by_sentiment.negative ?? 0) / lastHour.mentions : null;
  const reveal = maySeePii(session.me);
  const ratio = overview && overview.usual_this_hour ? overview.this_hour / overview.usual_this_hour : null;

  return (
    <main class="wall-screen" aria-label="Wall screen">
      <header class="wall-head">
        <span class="brand">
          <span class="logo" aria-hidden="true">
            H
          </span>
          Hark
        </span>
        <span class={`live ${feed.error ? "live-off" : "live-on"}`} role="status">
          {feed.error ? feed.error : `Live · ${new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`}
        </span>
      </header>
      {incidents && incidents.length ? <Incidents incidents={incidents} big /> : null}
      <section class="wall-tiles" aria-label="Right now">
        {overview ? (
          <div class={`wtile ${ratio !== null && ratio >= 2 ? "wtile-bad" : ""}`}>
            <span class="wtile-value">{overview.this_hour.toLocaleString()}</span>
            <span class="wtile-label">mentions this hour</span>
            <span class="wtile-hint">
              {overview.usual_this_hour === null
                ? "no history for this hour yet"
                : `usual ${overview.usual_this_hour.toFixed(0)}${ratio !== null ? ` · ${ratio >= 1 ? "×" + ratio.toFixed(1) : Math.round(ratio * 100) + "%"}` : ""}`}
            </span>
          </div>
        ) : null}
        {negativeShare !== null ? (
          <div class={`wtile ${negativeShare >= 0.5 ? "wtile-bad" : negativeShare >= 0.3 ? "wtile-warn" : ""}`}>
            <span class="wtile-value">{Math.round(negativeShare * 100)}%</span>
            <span class="wtile-label">negative this hour</span>
            <span class="wtile-hint">{feeling.map(([k, v]) => `${SENTIMENT_LABEL[k as "mixed"] ?? k} ${v}`).join(" · ")}</span>
          </div>
        ) : null}
        <div class={`wtile ${facts.breached ? "wtile-bad" : ""}`}>
          <span class="wtile-value">{facts.breached}</span>
          <span class="wtile-label">SLA breaches</span>
          <span class="wtile-hint">{facts.near} near breach</span>
        </div>
        <div class="wtile">
          <span class="wtile-value">{facts.open}</span>
          <span class="wtile-label">open conversations</span>
          <span class="wtile-hint">{facts.unclaimed} unclaimed</span>
        </div>
        <div class={`wtile wtile-wide ${facts.oldest && urgencyOf(facts.oldest.due_at, t) ? "wtile-bad" : ""}`}>
          <span class="wtile-value">{facts.oldest ? span(t - new Date(facts.oldest.created_at).getTime()) : "—"}</span>
          <span class="wtile-label">oldest unanswered</span>
          <span class="wtile-hint">{facts.oldest ? `${facts.oldest.preview.author ?? "a customer"}: “${shownText(facts.oldest.preview.text, facts.oldest.preview.pii, reveal).slice(0, 80)}”` : "everyone has an answer"}</span>
        </div>
      </section>
      {charts ? (
        <div class="wall-charts">
          <section class="wall-chart" aria-labelledby="wall-volume">
            <h2 id="wall-volume">Mentions per hour</h2>
            <TimeChart times={charts.times} series={charts.volume} summary={charts.volumeSummary} height={200} big />
          </section>
          <section class="wall-chart" aria-labelledby="wall-sentiment">
            <h2 id="wall-sentiment">How it feels</h2>
            <TimeChart times={charts.times} series={charts.sentiments} summary={charts.sentimentSummary} height={200} big />
            <Legend series={charts.sentiments} />
          </section>
          <section class="wall-chart" aria-labelledby="wall-intent">
            <h2 id="wall-intent">What people want</h2>
            <TimeChart times={charts.times} series={charts.intents} summary={charts.intentSummary} height={200} big />
            <Legend series={charts.intents} />
          </section>
        </div>
      ) : null}
      <section class="wall-latest" aria-label="Latest mentions">
        <ul>
          {latest.map((m) => (
            <li key={m.id} class={feed.arrived.has(m.id) ? "fresh" : ""}>
              <PlatformIcon platform={m.platform} channel={m.channel} size={36} />
              <span class="wall-author">{authorName(m.author)}</span>
              <MentionText mention={{ ...m, text: m.text.slice(0, 160) }} reveal={reveal} />
              <span class="muted">{ago(m.created_at, t)}</span>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}

/** The chart's colours named, in type large enough for the room (uPlot's own legend is off on the wall). */
function Legend({ series }: { series: { label: string; colour: string }[] }) {
  return (
    <ul class="wall-legend" aria-hidden="true">
      {series.map((s) => (
        <li key={s.label}>
          <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
            <rect width="14" height="14" rx="3" fill={s.colour} />
          </svg>{" "}
          {s.label}
        </li>
      ))}
    </ul>
  );
}

function urgencyOf(due: string, t: number): boolean {
  return new Date(due).getTime() < t;
}

mount(Wall, "Hark wall screen");
