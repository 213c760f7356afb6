// Reports and source health, for admins: the reports a brand is judged by (GET /v1/reports/{name}, a table with
// totals, as on screen or as CSV) and every source Hark hears and answers on with its health (GET /v1/sources).
import { useEffect, useState } from "preact/hooks";
import { Empty, ErrorNote, Pill, PlatformIcon, useTitle } from "../components/bits";
import { ago, clock, network, plural, span } from "../format";
import { useSession } from "../session";
import type { Report, Source } from "../types";
import { describe } from "./queue";

const REPORTS: [string, string][] = [
  ["first-response", "First response"],
  ["resolution", "Resolution"],
  ["sla", "SLA attainment"],
  ["volume", "Volume"],
  ["sentiment", "Sentiment over time"],
  ["intent", "Intent over time"],
  ["safety", "Safety cases"],
];
const GROUPED = new Set(["first-response", "resolution", "sla"]);
const BUCKETED = new Set(["sentiment", "intent"]);

export function ReportsView() {
  useTitle("Reports");
  const session = useSession();
  return (
    <main class="overview reports" aria-labelledby="reports-title">
      <div class="pane-head">
        <h1 id="reports-title">Reports and sources</h1>
      </div>
      <div class="report-stack">
        {session.can("listSources") ? <Sources /> : null}
        {session.can("getReport") ? <Reports /> : null}
      </div>
    </main>
  );
}

function windowOf(days: number): { since: string; until: string } {
  const until = Date.now();
  return { since: new Date(until - days * 86_400_000).toISOString(), until: new Date(until).toISOString() };
}

function Reports() {
  const session = useSession();
  const [name, setName] = useState("first-response");
  const [days, setDays] = useState(30);
  const [group, setGroup] = useState("queue");
  const [bucket, setBucket] = useState("day");
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const params = () => ({
    ...windowOf(days),
    group_by: GROUPED.has(name) ? group : undefined,
    bucket: BUCKETED.has(name) ? bucket : undefined,
  });
  useEffect(() => {
    let live = true;
    setReport(null);
    session.api
      .get<Report>(`/v1/reports/${name}`, params())
      .then((r) => live && (setReport(r), setError(null)))
      .catch((failure) => live && setError(describe(failure)));
    return () => {
      live = false;
    };
  }, [name, days, group, bucket]);
  const csv = async () => {
    try {
      const file = await session.api.download(`/v1/reports/${name}`, { ...params(), format: "csv" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(file.blob);
      link.download = file.name ?? `hark-${name}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <section class="panel" aria-labelledby="report-title">
      <h2 id="report-title">{report?.title ?? "Report"}</h2>
      <div class="filters" role="group" aria-label="Choose the report">
        <label for="report-name" class="sr">
          Report
        </label>
        <select id="report-name" value={name} onChange={(e) => setName((e.target as HTMLSelectElement).value)}>
          {REPORTS.map(([value, label]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
        <label>
          <span class="sr">Period</span>
          <select value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            <option value="1">Last 24 hours</option>
            <option value="7">Last 7 days</option>
            <option value="30">Last 30 days</option>
            <option value="90">Last 90 days</option>
          </select>
        </label>
        {GROUPED.has(name) ? (
          <label>
            <span class="sr">Group by</span>
            <select value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value)}>
              <option value="queue">By queue</option>
              <option value="platform">By platform</option>
              <option value="channel">By channel</option>
              <option value="none">All together</option>
            </select>
          </label>
        ) : null}
        {BUCKETED.has(name) ? (
          <label>
            <span class="sr">Step</span>
            <select value={bucket} onChange={(e) => setBucket((e.target as HTMLSelectElement).value)}>
              <option value="hour">Per hour</option>
              <option value="day">Per day</option>
              <option value="week">Per week</option>
            </select>
          </label>
        ) : null}
        <button type="button" onClick={() => void csv()}>
          Download CSV
        </button>
      </div>
      <ErrorNote error={error} />
      {report === null ? (
        error ? null : <Empty>Building the report…</Empty>
      ) : (
        <>
          <p class="muted small">
            {clock(report.since)} to {clock(report.until)}
            {report.truncated ? " · more records than a report reads: narrow the window" : ""}
          </p>
          {Object.keys(report.summary).length ? (
            <dl class="summary">
              {Object.entries(report.summary).map(([k, v]) => (
                <div key={k}>
                  <dt>{k.replace(/_/g, " ")}</dt>
                  <dd>{cell(k, v)}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          {report.rows.length ? (
            <div class="table-wrap">
              <table>
                <caption class="sr">{report.title}</caption>
                <thead>
                  <tr>
                    {report.columns.map((c) => (
                      <th scope="col" key={c} title={report.definitions[c]}>
                        {c.replace(/_/g, " ")}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {report.rows.map((row, i) => (
                    <tr key={i}>
                      {report.columns.map((c) => (
                        <td key={c}>{cell(c, row[c])}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <Empty>Nothing in this period.</Empty>
          )}
        </>
      )}
    </section>
  );
}

/** A report's value as people read it: seconds as a duration, objects (per-clock figures) flattened. */
function cell(column: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number") {
    if (/(^|_)(s|seconds|p50|p90|p95|p99|median|mean)$/.test(column) || column.endsWith("_s")) return span(value * 1000);
    return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(1);
  }
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k.replace(/_/g, " ")} ${typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(1)) : String(v)}`)
      .join(" · ");
  }
  return String(value);
}

function Sources() {
  const session = useSession();
  const [sources, setSources] = useState<Source[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      session.api
        .get<{ items: Source[] }>("/v1/sources")
        .then((page) => live && (setSources(page.items), setError(null)))
        .catch((failure) => live && setError(describe(failure)));
    void load();
    const timer = setInterval(load, 30_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const unhealthy = (sources ?? []).filter((s) => s.health === "unhealthy").length;
  return (
    <section class={`panel ${unhealthy ? "sources-bad" : ""}`} aria-labelledby="sources-title">
      <h2 id="sources-title">
        Sources{" "}
        {sources ? (
          <span class="muted">
            {plural(sources.length, "source")}
            {unhealthy ? `, ${unhealthy} unhealthy` : ""}
          </span>
        ) : null}
      </h2>
      <ErrorNote error={error} />
      {sources === null ? (
        error ? null : <Empty>Reading the sources…</Empty>
      ) : sources.length === 0 ? (
        <Empty>No source configured yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr">Sources and their health</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Health</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Last poll</th>
                <th scope="col">Last reply sent</th>
                <th scope="col">Counts</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id} class={`source-${s.health}`}>
                  <th scope="row">
                    <span class="source-name">
                      <PlatformIcon platform={s.platform} size={18} /> {network(s.platform).label}
                      {s.id !== s.platform ? <span class="muted small"> {s.id}</span> : null}
                    </span>
                  </th>
                  <td>
                    <Pill tone={s.health === "ok" ? "good" : s.health === "unhealthy" ? "danger" : "plain"}>
                      {s.health === "ok" ? "✓ ok" : s.health === "unhealthy" ? "✗ unhealthy" : "not seen yet"}
                    </Pill>
                    {s.reason ? <p class="small">{s.reason}</p> : null}
                    {s.credential && !s.credential.configured ? <p class="small muted">no credential stored</p> : null}
                  </td>
                  <td>{when(s.last_delivery_at)}</td>
                  <td>{when(s.last_poll_at)}</td>
                  <td>{when(s.last_send_at)}</td>
                  <td class="small">
                    {plural(s.deliveries, "delivery", "deliveries")} · {plural(s.polls, "poll")} · {plural(s.sends, "send")}
                    {s.send_failures ? ` · ${plural(s.send_failures, "failed send")}` : ""}
                  </td>
                  <td class="small">
                    {s.last_error ? (
                      <>
                        <strong>{s.last_error.code}</strong> ({s.last_error.where}, {ago(s.last_error.at)}): {s.last_error.message}
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function when(iso: string | null | undefined) {
  return iso ? (
    <time dateTime={iso} title={clock(iso)}>
      {ago(iso)}
    </time>
  ) : (
    <span class="muted">never</span>
  );
}
