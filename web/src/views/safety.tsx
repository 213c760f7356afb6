// Safety cases, for drug safety: suspected adverse events on their reporting clock (day 0 plus 15 calendar days by
// default), the earliest deadline first; the four minimum criteria with what shows each, the reporter's own words,
// follow-ups, reports and dismissal. Only the roles the API allows (safety, admin) see the screen; only the case's
// status decides which command is offered (the case's `actions`).
import { useCallback, useEffect, useState } from "preact/hooks";
import { Empty, ErrorNote, Pill, PlatformIcon, now, useTitle } from "../components/bits";
import { ago, channelLabel, clock, languageName, plural, span, statusLabel } from "../format";
import { go } from "../router";
import { useSession } from "../session";
import { useShortcut } from "../shortcuts";
import { useValue } from "../store";
import type { CaseStatus, Criterion, SafetyCase } from "../types";
import { describe } from "./queue";

const POLL_MS = 30_000;
/** Under this much time left to report, a case stands out (the deadline is days away, not minutes). */
export const CASE_NEAR_MS = 3 * 86_400_000;
const STATUSES: CaseStatus[] = ["open", "followed_up", "reported", "not_a_case"];
const CRITERIA: Criterion[] = ["patient", "reporter", "product", "event"];
const CRITERION_LABEL: Record<Criterion, string> = {
  patient: "An identifiable patient",
  reporter: "An identifiable reporter",
  product: "A suspect product",
  event: "An adverse event",
};
const CHANNELS = ["direct_message", "public_reply", "email", "phone", "other"];
const OUTCOMES = ["pending", "information_received", "no_response", "declined", "unreachable"];
const DISMISS_REASONS = ["no_adverse_event", "no_product", "not_identifiable", "duplicate", "spam", "other"];

interface Filters {
  status: string;
  overdue: string; // "", "yes", "no"
  product: string;
  since: string; // a date, YYYY-MM-DD
  until: string;
}
const NONE: Filters = { status: "", overdue: "", product: "", since: "", until: "" };

/** When the next report is due (as respond reads it): none once reported with nothing new, or dismissed. */
export function reportDue(c: SafetyCase): number | null {
  if (c.status === "open" || c.status === "followed_up") return new Date(c.due_at).getTime();
  if (c.status === "reported" && c.new_information_at) {
    return new Date(c.new_information_at).getTime() + c.reporting_days * 86_400_000;
  }
  return null;
}

export type CaseUrgency = "overdue" | "near" | "ok" | "done";
export function caseUrgency(c: SafetyCase, at: number): CaseUrgency {
  const due = reportDue(c);
  if (due === null) return "done";
  if (due <= at) return "overdue";
  return due - at <= CASE_NEAR_MS ? "near" : "ok";
}

/** The reporting clock, counting down to the deadline; near and over due say so in words and colour. */
export function CaseClock({ safetyCase: c }: { safetyCase: SafetyCase }) {
  const t = useValue(now);
  const due = reportDue(c);
  const level = caseUrgency(c, t);
  if (due === null) {
    const last = c.reports[c.reports.length - 1];
    if (c.status === "not_a_case") return <span class="case-clock cc-done">Not a case</span>;
    return (
      <span class="case-clock cc-done">
        {last ? `Reported ${last.within_deadline ? "within the deadline" : "late"}, ${ago(last.at, t)}` : "Reported"}
      </span>
    );
  }
  const left = due - t;
  const what = c.status === "reported" ? "follow-up report" : "report";
  return (
    <span class={`case-clock cc-${level}`} title={`The ${what} is due ${new Date(due).toLocaleString()}`}>
      {level === "overdue" ? `⚠ ${what} overdue by ${span(left)}` : `${level === "near" ? "◔ " : ""}${span(left)} left to ${what === "report" ? "report" : "send the follow-up report"}`}
    </span>
  );
}

function query(f: Filters): Record<string, string | number | undefined> {
  const day = (d: string, end = false) => (d ? new Date(`${d}T00:00:00Z`).getTime() + (end ? 86_400_000 : 0) : 0);
  return {
    limit: 100,
    status: f.status || undefined,
    overdue: f.overdue ? f.overdue === "yes" : undefined,
    product: f.product.trim() || undefined,
    since: f.since ? new Date(day(f.since)).toISOString() : undefined,
    until: f.until ? new Date(day(f.until, true)).toISOString() : undefined,
  } as Record<string, string | number | undefined>;
}

export function SafetyView({ selected }: { selected: string | null }) {
  useTitle("Safety cases");
  const session = useSession();
  const [filters, setFilters] = useState<Filters>(NONE);
  const [cases, setCases] = useState<SafetyCase[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    const load = () =>
      session.api
        .get<{ items: SafetyCase[]; next_cursor: string | null }>("/v1/safety-cases", query(filters))
        .then((page) => live && (setCases(page.items), setMore(!!page.next_cursor), setError(null)))
        .catch((failure) => live && setError(describe(failure)));
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [filters, tick]);

  const list = cases ?? [];
  const index = list.findIndex((c) => c.id === selected);
  useShortcut("j", () => {
    const next = list[Math.min(index + 1, list.length - 1)] ?? list[0];
    if (next) go("safety", next.id);
  });
  useShortcut("k", () => {
    const previous = list[Math.max(index - 1, 0)];
    if (previous) go("safety", previous.id);
  });
  // What is typed in the product field is kept as it is typed: the screen re-renders every second (the clocks),
  // and a field whose value came only from the applied filters was emptied by each re-render. Enter or leaving
  // the field applies it.
  const [product, setProduct] = useState("");
  const set = (name: keyof Filters) => (e: Event) =>
    setFilters({ ...filters, [name]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const active = Object.values(filters).some(Boolean);
  const t = useValue(now);
  const overdue = list.filter((c) => caseUrgency(c, t) === "overdue").length;
  const near = list.filter((c) => caseUrgency(c, t) === "near").length;
  const changed = useCallback(() => setTick((n) => n + 1), []);

  return (
    <div class="split">
      <section class="list-pane" aria-labelledby="safety-title">
        <div class="pane-head">
          <h1 id="safety-title">
            Safety cases{" "}
            <span class="muted">
              {plural(list.length, "case")}
              {more ? "+" : ""}
            </span>
          </h1>
          {overdue || near ? (
            <p class="case-summary" role="status">
              {overdue ? <strong class="cc-overdue">{overdue} overdue</strong> : null}
              {overdue && near ? " · " : null}
              {near ? <strong class="cc-near">{near} due within 3 days</strong> : null}
            </p>
          ) : null}
          <div class="filters" role="group" aria-label="Filter the safety cases">
            <label>
              <span class="sr">Status</span>
              <select value={filters.status} onChange={set("status")}>
                <option value="">Every status</option>
                {STATUSES.map((s) => (
                  <option value={s}>{statusLabel(s)}</option>
                ))}
              </select>
            </label>
            <label>
              <span class="sr">Deadline</span>
              <select value={filters.overdue} onChange={set("overdue")}>
                <option value="">Any deadline</option>
                <option value="yes">Overdue</option>
                <option value="no">Not overdue</option>
              </select>
            </label>
            <label>
              <span class="sr">Product</span>
              <input
                type="search"
                placeholder="Product or generic name"
                value={product}
                onInput={(e) => setProduct((e.target as HTMLInputElement).value)}
                onChange={set("product")}
              />
            </label>
            <label class="date">
              Day 0 from <input type="date" value={filters.since} onChange={set("since")} />
            </label>
            <label class="date">
              to <input type="date" value={filters.until} onChange={set("until")} />
            </label>
            {active ? (
              <button type="button" class="ghost" onClick={() => (setFilters(NONE), setProduct(""))}>
                Clear filters
              </button>
            ) : null}
          </div>
          <ErrorNote error={error} />
        </div>
        {cases === null ? (
          <Empty>Loading the safety cases…</Empty>
        ) : list.length === 0 ? (
          <Empty>
            {active
              ? "No case matches these filters."
              : "No safety cases. A mention that reports a suspected adverse event opens one here, on its clock."}
          </Empty>
        ) : (
          <ul class="cards" aria-label="Safety cases, the earliest deadline first">
            {list.map((c) => (
              <CaseCard key={c.id} safetyCase={c} current={c.id === selected} />
            ))}
          </ul>
        )}
      </section>
      <section class="detail-pane" aria-label="Safety case">
        {selected ? (
          <CaseDetail caseId={selected} initial={list.find((c) => c.id === selected)} onChange={changed} />
        ) : (
          <Empty>Pick a case to see the reporter's words, the four criteria and what has been done.</Empty>
        )}
      </section>
    </div>
  );
}

function CaseCard({ safetyCase: c, current }: { safetyCase: SafetyCase; current: boolean }) {
  const t = useValue(now);
  const level = caseUrgency(c, t);
  const present = c.criteria.filter((k) => k.present).length;
  return (
    <li class={`card case-card case-${level} ${current ? "current" : ""}`} data-case={c.id}>
      <a class="card-link" href={`#/safety/${c.id}`} aria-current={current ? "true" : undefined}>
        <span class="card-top">
          <PlatformIcon platform={c.platform} channel={c.channel} size={22} />
          <span class="author">{c.product ? c.product.name : "Product not named"}</span>
          {c.product?.drug && c.product.drug.toLowerCase() !== c.product.name.toLowerCase() ? (
            <span class="muted small">{c.product.drug}</span>
          ) : null}
          <Pill tone={`case-${c.status}`}>{statusLabel(c.status)}</Pill>
        </span>
        <span class="case-events">{c.events.length ? c.events.join(", ") : "no event named yet"}</span>
        <span class="card-meta">
          <span>{c.reporter.handle ? `@${c.reporter.handle.replace(/^@/, "")}` : c.reporter.name ?? c.reporter.id}</span>
          <span>day 0 {clock(c.day0)}</span>
          <span>{c.valid ? "valid: all four criteria" : `${present} of 4 criteria`}</span>
          {c.follow_ups.length ? <span>{plural(c.follow_ups.length, "follow-up")}</span> : null}
          {c.new_information_at ? <Pill tone="warn">new information</Pill> : null}
        </span>
        <span class="card-clocks">
          <CaseClock safetyCase={c} />
        </span>
      </a>
    </li>
  );
}

function CaseDetail({ caseId, initial, onChange }: { caseId: string; initial: SafetyCase | undefined; onChange: () => void }) {
  const session = useSession();
  const [c, setCase] = useState<SafetyCase | null>(initial ?? null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [form, setForm] = useState<"follow_up" | "report" | "dismiss" | null>(null);

  useEffect(() => {
    let live = true;
    setForm(null);
    session.api
      .get<SafetyCase>(`/v1/safety-cases/${caseId}`)
      .then((found) => live && (setCase(found), setError(null)))
      .catch((failure) => live && setError(describe(failure)));
    return () => {
      live = false;
    };
  }, [caseId]);

  const command = async (name: "follow_up" | "report" | "dismiss", body: unknown) => {
    setBusy(name);
    setError(null);
    try {
      const path = { follow_up: "follow-ups", report: "report", dismiss: "dismiss" }[name];
      setCase(await session.api.post<SafetyCase>(`/v1/safety-cases/${caseId}/${path}`, body));
      setForm(null);
      onChange();
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setBusy(null);
    }
  };

  if (!c) return error ? <Empty>{error}</Empty> : <Empty>Loading the case…</Empty>;
  const may = (action: string, operation: string) => c.actions.includes(action) && session.can(operation);
  return (
    <article class="task safety-case" aria-labelledby="case-title">
      <header class="task-head">
        <div class="task-title-row">
          <PlatformIcon platform={c.platform} channel={c.channel} />
          <h2 id="case-title">
            Suspected adverse event{c.product ? `: ${c.product.name}` : ""}{" "}
            <span class="muted">on {channelLabel(c.platform, c.channel)}</span>
          </h2>
          <Pill tone={`case-${c.status}`}>{statusLabel(c.status)}</Pill>
        </div>
        <div class="task-facts">
          <CaseClock safetyCase={c} />
          <span>
            Day 0 <strong>{clock(c.day0)}</strong>
          </span>
          <span>
            Due <strong>{clock(c.due_at)}</strong> ({c.reporting_days} calendar days)
          </span>
          <a href={`#/queue/${c.task_id}`}>Open the conversation</a>
        </div>
        <div class="toolbar" role="toolbar" aria-label="Case actions">
          {may("follow_up", "followUpSafetyCase") ? (
            <button type="button" aria-expanded={form === "follow_up"} onClick={() => setForm(form === "follow_up" ? null : "follow_up")}>
              Record a follow-up…
            </button>
          ) : null}
          {may("report", "reportSafetyCase") && !(c.status === "reported" && !c.new_information_at) ? (
            <button type="button" class="primary" aria-expanded={form === "report"} onClick={() => setForm(form === "report" ? null : "report")}>
              {c.status === "reported" ? "Record the follow-up report…" : "Record the report…"}
            </button>
          ) : null}
          {may("dismiss", "dismissSafetyCase") ? (
            <button type="button" class="danger" aria-expanded={form === "dismiss"} onClick={() => setForm(form === "dismiss" ? null : "dismiss")}>
              Not a case…
            </button>
          ) : null}
          {session.can("exportSafetyCase") ? (
            <>
              <button type="button" class="ghost" onClick={() => void download(session, c, "json").catch((f) => setError(describe(f)))}>
                Export JSON
              </button>
              <button type="button" class="ghost" onClick={() => void download(session, c, "csv").catch((f) => setError(describe(f)))}>
                Export CSV
              </button>
            </>
          ) : null}
        </div>
        {form === "follow_up" ? <FollowUpForm c={c} busy={busy !== null} submit={(b) => command("follow_up", b)} /> : null}
        {form === "report" ? <ReportForm c={c} busy={busy !== null} submit={(b) => command("report", b)} /> : null}
        {form === "dismiss" ? <DismissForm busy={busy !== null} submit={(b) => command("dismiss", b)} /> : null}
        <ErrorNote error={error} />
      </header>

      <div class="task-body">
        <div class="task-main">
          <section class="panel" aria-labelledby="criteria-title">
            <h3 id="criteria-title">
              The four minimum criteria{" "}
              <span class={c.valid ? "ok-word" : "warn-word"}>
                {c.valid ? "· all present: a valid case" : `· missing ${c.missing.join(", ")}`}
              </span>
            </h3>
            <ul class="criteria">
              {CRITERIA.map((name) => {
                const check = c.criteria.find((k) => k.criterion === name);
                const present = !!check?.present;
                return (
                  <li key={name} class={present ? "present" : "missing"}>
                    <span class="mark" aria-hidden="true">
                      {present ? "✓" : "✗"}
                    </span>
                    <div>
                      <strong>{CRITERION_LABEL[name]}</strong>: {present ? "present" : "missing"}
                      {check ? <p class="muted">{check.why}</p> : null}
                      {check?.evidence.length ? (
                        <p class="evidence">{check.evidence.map((e) => `“${e}”`).join(", ")}</p>
                      ) : null}
                      {check?.confirmed_at ? (
                        <p class="muted small">
                          Confirmed by {check.confirmed_by ?? "a follow-up"} {ago(check.confirmed_at)}
                        </p>
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ul>
          </section>
          <section class="panel" aria-labelledby="verbatim-title">
            <h3 id="verbatim-title">In the reporter's words</h3>
            <ol class="thread">
              {c.verbatim.map((v) => (
                <li key={v.mention_id} class="msg msg-customer">
                  <div class="msg-head">
                    <strong>{c.reporter.handle ?? c.reporter.name ?? c.reporter.id}</strong>
                    <time dateTime={v.said_at} title={clock(v.said_at)}>
                      {ago(v.said_at)}
                    </time>
                    <span>{languageName(v.language)}</span>
                    {v.url ? (
                      <a href={v.url} target="_blank" rel="noopener noreferrer">
                        on the platform ↗
                      </a>
                    ) : null}
                  </div>
                  <p class="mention-text">{v.text}</p>
                </li>
              ))}
            </ol>
          </section>
          <History c={c} />
        </div>
        <aside class="task-side" aria-label="About this case">
          <section class="panel" aria-labelledby="product-title">
            <h3 id="product-title">Product and events</h3>
            <dl class="facts">
              <dt>Product</dt>
              <dd>
                {c.product ? (
                  <>
                    {c.product.name}
                    {c.product.drug ? <span class="muted"> ({c.product.drug})</span> : null}
                    <p class="muted small">{c.product.how}</p>
                  </>
                ) : (
                  "not named"
                )}
              </dd>
              <dt>Events</dt>
              <dd>{c.events.length ? c.events.join(", ") : "none named"}</dd>
              <dt>Reporter</dt>
              <dd>
                {c.reporter.handle ?? c.reporter.name ?? c.reporter.id}
                {c.reporter.url ? (
                  <>
                    {" "}
                    <a href={c.reporter.url} target="_blank" rel="noopener noreferrer">
                      ↗
                    </a>
                  </>
                ) : null}
              </dd>
              <dt>Queue</dt>
              <dd>{c.queue}</dd>
            </dl>
          </section>
          {c.holds.length ? (
            <section class="panel" aria-labelledby="holds-title">
              <h3 id="holds-title">Kept despite an erasure request</h3>
              <ul>
                {c.holds.map((h) => (
                  <li key={h.erasure_id}>
                    {clock(h.requested_at)}: {h.basis}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <details class="panel audit">
            <summary>
              <h3>What the case keeps, and why</h3>
            </summary>
            <p class="small">{c.retention}</p>
          </details>
        </aside>
      </div>
    </article>
  );
}

function History({ c }: { c: SafetyCase }) {
  const events = [
    ...c.follow_ups.map((f) => ({
      at: f.at,
      key: `f-${f.at}`,
      text: `${f.by}: follow-up by ${statusLabel(f.channel)}, ${statusLabel(f.outcome)}${f.confirms.length ? ` (confirms ${f.confirms.join(", ")})` : ""}`,
      note: f.note,
    })),
    ...c.reports.map((r) => ({
      at: r.at,
      key: `r-${r.at}`,
      text: `${r.by}: ${r.kind === "initial" ? "reported" : "follow-up report"}${r.reference ? ` as ${r.reference}` : ""}, ${r.within_deadline ? "within the deadline" : "after the deadline"}`,
      note: r.note,
    })),
    ...(c.dismissal
      ? [{ at: c.dismissal.at, key: "d", text: `${c.dismissal.by}: not a case (${statusLabel(c.dismissal.reason)})`, note: c.dismissal.comment }]
      : []),
    ...(c.new_information_at ? [{ at: c.new_information_at, key: "n", text: "New information arrived: a follow-up report is due", note: null }] : []),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section class="panel" aria-labelledby="history-title">
      <h3 id="history-title">Follow-ups and reports</h3>
      {events.length ? (
        <ol class="audit-list case-history">
          {events.map((e) => (
            <li key={e.key}>
              <time dateTime={e.at}>{clock(e.at)}</time> {e.text}
              {e.note ? <p class="muted">{e.note}</p> : null}
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">Nothing done yet. Follow up by private message to learn what is missing, then report.</p>
      )}
    </section>
  );
}

function FollowUpForm({ c, busy, submit }: { c: SafetyCase; busy: boolean; submit: (body: unknown) => void }) {
  const [channel, setChannel] = useState("direct_message");
  const [outcome, setOutcome] = useState("pending");
  const [note, setNote] = useState("");
  const [confirms, setConfirms] = useState<Set<Criterion>>(new Set());
  return (
    <form
      class="case-form"
      aria-label="Record a follow-up"
      onSubmit={(e) => {
        e.preventDefault();
        submit({ channel, outcome, note: note.trim() || null, confirms: [...confirms] });
      }}
    >
      <label>
        Channel
        <select value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
          {CHANNELS.map((v) => (
            <option value={v}>{statusLabel(v)}</option>
          ))}
        </select>
      </label>
      <label>
        Outcome
        <select value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
          {OUTCOMES.map((v) => (
            <option value={v}>{statusLabel(v)}</option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>It established</legend>
        {CRITERIA.map((name) => (
          <label class="check" key={name}>
            <input
              type="checkbox"
              checked={confirms.has(name)}
              onChange={(e) => {
                const next = new Set(confirms);
                if ((e.target as HTMLInputElement).checked) next.add(name);
                else next.delete(name);
                setConfirms(next);
              }}
            />
            {name}
            {c.missing.includes(name) ? " (missing)" : ""}
          </label>
        ))}
      </fieldset>
      <label class="grow">
        Note
        <input value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        Save the follow-up
      </button>
    </form>
  );
}

function ReportForm({ c, busy, submit }: { c: SafetyCase; busy: boolean; submit: (body: unknown) => void }) {
  const [reference, setReference] = useState("");
  const [note, setNote] = useState("");
  return (
    <form
      class="case-form"
      aria-label="Record the report"
      onSubmit={(e) => {
        e.preventDefault();
        submit({ reference: reference.trim() || null, note: note.trim() || null });
      }}
    >
      {!c.valid ? (
        <p class="notice warn">
          The case misses {c.missing.join(", ")}: a report needs all four criteria. Record a follow-up that confirms them
          first.
        </p>
      ) : null}
      <label>
        Safety database reference
        <input value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
      </label>
      <label class="grow">
        Note
        <input value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        Report now
      </button>
    </form>
  );
}

function DismissForm({ busy, submit }: { busy: boolean; submit: (body: unknown) => void }) {
  const [reason, setReason] = useState("no_adverse_event");
  const [comment, setComment] = useState("");
  return (
    <form
      class="case-form"
      aria-label="Dismiss the case"
      onSubmit={(e) => {
        e.preventDefault();
        submit({ reason, comment: comment.trim() || null });
      }}
    >
      <label>
        Reason
        <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
          {DISMISS_REASONS.map((v) => (
            <option value={v}>{statusLabel(v)}</option>
          ))}
        </select>
      </label>
      <label class="grow">
        Why{reason === "other" ? " (required)" : ""}
        <input value={comment} required={reason === "other"} onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="danger" disabled={busy}>
        Dismiss as not a case
      </button>
    </form>
  );
}

async function download(session: ReturnType<typeof useSession>, c: SafetyCase, format: "json" | "csv"): Promise<void> {
  const file = await session.api.download(`/v1/safety-cases/${c.id}/export`, { format });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(file.blob);
  link.download = file.name ?? `${c.id}.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
