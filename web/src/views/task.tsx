// One task: the conversation in order, the classification and why, the author, private notes, the reply with
// its voice warnings inline, approval, sending and the platform's answer, and the audit trail. Each panel shows
// only when this deployment serves its route, and each button only when the caller may use it now.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type Action, allowed, needsApproval, perform } from "../actions";
import { Countdown, Empty, ErrorNote, MentionText, PlatformIcon, Pill, Priority } from "../components/bits";
import {
  SENTIMENT_LABEL,
  ago,
  authorName,
  channelLabel,
  clock,
  languageName,
  maySeePii,
  plural,
  statusLabel,
} from "../format";
import { useSession } from "../session";
import { useShortcut } from "../shortcuts";
import { useValue } from "../store";
import type { AuditPage, AuthorView, Mention, Note, Page, SafetyCase, Suggestion, Task, TaskWarning } from "../types";
import { describe } from "./queue";
import { CaseClock } from "./safety";

const REJECT_REASONS = ["tone", "accuracy", "policy", "legal", "medical", "privacy", "other"];

export function TaskView({ taskId, initial }: { taskId: string; initial: Task | undefined }) {
  const session = useSession();
  const board = useValue(session.board.state);
  const [task, setTask] = useState<Task | null>(initial ?? null);
  const [missing, setMissing] = useState<string | null>(null);
  const [thread, setThread] = useState<Mention[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Action | null>(null);
  const [auditTick, setAuditTick] = useState(0);
  const composer = useRef<HTMLTextAreaElement>(null);

  // The board has the latest copy of every active task; a closed one is read on its own.
  const fromBoard = board.byId.get(taskId);
  useEffect(() => {
    if (fromBoard) {
      setTask(fromBoard);
      return;
    }
    let live = true;
    session.api
      .get<Task>(`/v1/tasks/${taskId}`)
      .then((t) => live && (setTask(t), setMissing(null)))
      .catch((failure) => live && setMissing(describe(failure)));
    return () => {
      live = false;
    };
  }, [taskId, fromBoard]);

  const threadKey = task ? `${task.id}:${task.mention_count}:${task.updated_at}` : "";
  useEffect(() => {
    if (!task) return;
    let live = true;
    loadThread(session, task)
      .then((items) => live && setThread(items))
      .catch((failure) => live && setError(describe(failure)));
    return () => {
      live = false;
    };
  }, [threadKey]);

  const act = useCallback(
    async (action: Action, body?: unknown) => {
      if (!task) return;
      setBusy(action);
      setError(null);
      try {
        const updated = await perform(session, task, action, body);
        setTask(updated);
        setAuditTick((n) => n + 1);
      } catch (failure) {
        setError(describe(failure));
        void session.board.refresh();
      } finally {
        setBusy(null);
      }
    },
    [task],
  );

  const can = (action: Action) => !!task && allowed(session, task, action);
  useShortcut("c", can("claim") ? () => void act("claim") : null);
  useShortcut("r", can("draft") ? () => composer.current?.focus() : null);
  useShortcut("a", can("approve") ? () => void act("approve", { draft_revision: task?.draft?.revision }) : null);
  useShortcut("e", can("close") ? () => void act("close") : null);

  if (!task) return missing ? <Empty>{missing}</Empty> : <Empty>Loading the task…</Empty>;
  const reveal = maySeePii(session.me);
  const author = task.author ? authorName(task.author) : (task.preview.author ?? "someone");
  const latest = thread ? [...thread].reverse().find((m) => !m.from_brand) : undefined;

  return (
    <article class="task" aria-labelledby="task-title">
      <header class="task-head">
        <div class="task-title-row">
          <PlatformIcon platform={task.platform} channel={task.channel} />
          <h2 id="task-title">
            {author} <span class="muted">on {channelLabel(task.platform, task.channel)}</span>
          </h2>
          <Priority value={task.priority} />
          <Pill tone={`status-${task.status}`}>{statusLabel(task.status)}</Pill>
        </div>
        <div class="task-facts">
          <span>
            Queue <strong>{task.queue}</strong>
          </span>
          <span>
            {task.holder ? (
              <>
                Held by <strong>{task.holder === session.me.user ? "you" : task.holder}</strong>
              </>
            ) : (
              "Nobody holds it"
            )}
          </span>
          {task.status !== "closed" ? <Countdown due={task.due_at} state={task.sla_state} label="SLA" /> : null}
          {task.window_closes_at ? <Countdown due={task.window_closes_at} label="Reply window" /> : null}
          {task.preview.url ? (
            <a href={task.preview.url} target="_blank" rel="noopener noreferrer">
              Open on {channelLabel(task.platform, task.channel).split(" ")[0]} ↗
            </a>
          ) : null}
        </div>
        <Toolbar task={task} busy={busy} act={act} />
        <ErrorNote error={error} />
      </header>

      <div class="task-body">
        <div class="task-main">
          <section aria-labelledby="thread-title" class="panel">
            <h3 id="thread-title">Conversation</h3>
            {thread === null ? (
              <Empty>Loading the conversation…</Empty>
            ) : (
              <ol class="thread">
                {thread.map((m) => (
                  <li key={m.id} class={`msg ${m.from_brand ? "msg-brand" : "msg-customer"}`}>
                    <div class="msg-head">
                      <strong>{m.from_brand ? "Brand" : authorName(m.author)}</strong>
                      <time dateTime={m.created_at} title={clock(m.created_at)}>
                        {ago(m.created_at)}
                      </time>
                      {m.edited_at ? <span class="muted">edited</span> : null}
                      {m.deleted_at ? <Pill tone="warn">deleted on the platform</Pill> : null}
                    </div>
                    <MentionText mention={m} reveal={reveal} />
                  </li>
                ))}
                {(task.replies ?? []).map((reply) => (
                  <li key={`${reply.at}-${reply.platform_id ?? ""}`} class="msg msg-brand msg-sent">
                    <div class="msg-head">
                      <strong>Reply by {reply.by}</strong>
                      <time dateTime={reply.at}>{ago(reply.at)}</time>
                      {reply.url ? (
                        <a href={reply.url} target="_blank" rel="noopener noreferrer">
                          on the platform ↗
                        </a>
                      ) : reply.via === "partner" ? (
                        <span class="muted">handed back to the partner tool</span>
                      ) : null}
                    </div>
                    <p class="mention-text">{reply.text}</p>
                  </li>
                ))}
              </ol>
            )}
          </section>
          {task.send_error ? <SendFailure task={task} busy={busy} act={act} /> : null}
          {session.can("putDraft") || session.can("approveDraft") ? (
            <Composer task={task} busy={busy} act={act} composer={composer} />
          ) : null}
        </div>
        <aside class="task-side" aria-label="About this conversation">
          {latest?.classification ? <Why mention={latest} /> : <WhyFromTask task={task} />}
          {task.safety_case_id ? <SafetyCasePanel caseId={task.safety_case_id} /> : null}
          <AuthorPanel task={task} thread={thread} />
          {session.can("listNotes") ? <Notes task={task} onChange={() => setAuditTick((n) => n + 1)} /> : null}
          {session.can("taskAudit") ? <Audit task={task} tick={auditTick} /> : null}
        </aside>
      </div>
    </article>
  );
}

async function loadThread(session: ReturnType<typeof useSession>, task: Task): Promise<Mention[]> {
  if (session.can("taskThread")) {
    const page = await session.api.get<Page<Mention>>(`/v1/tasks/${task.id}/thread`, { limit: 200 });
    return page.items;
  }
  // Without the thread route: the task's own mentions, read one by one, in the order they were said.
  const mentions = await Promise.all(
    task.mention_ids.slice(-50).map((id) => session.api.get<Mention>(`/v1/mentions/${id}`).catch(() => null)),
  );
  return mentions.filter((m): m is Mention => m !== null).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

function Toolbar({ task, busy, act }: { task: Task; busy: Action | null; act: (a: Action, body?: unknown) => void }) {
  const session = useSession();
  const [assignee, setAssignee] = useState("");
  const [snoozeFor, setSnoozeFor] = useState("4");
  const button = (action: Action, label: string, keys?: string, body?: unknown, tone = "") =>
    allowed(session, task, action) ? (
      <button
        type="button"
        class={tone}
        disabled={busy !== null}
        aria-keyshortcuts={keys}
        onClick={() => act(action, body)}
      >
        {busy === action ? `${label}…` : label}
        {keys ? <kbd aria-hidden="true">{keys}</kbd> : null}
      </button>
    ) : null;
  return (
    <div class="toolbar" role="toolbar" aria-label="Task actions">
      {button("claim", task.holder ? "Take over" : "Claim", "c", undefined, "primary")}
      {button("release", "Release")}
      {button("close", "Close", "e")}
      {button("reopen", "Reopen")}
      {allowed(session, task, "snooze") ? (
        <span class="inline-form">
          <label>
            <span class="sr">Snooze for</span>
            <select value={snoozeFor} onChange={(e) => setSnoozeFor((e.target as HTMLSelectElement).value)}>
              <option value="1">1 hour</option>
              <option value="4">4 hours</option>
              <option value="24">1 day</option>
            </select>
          </label>
          <button
            type="button"
            disabled={busy !== null}
            onClick={() =>
              act("snooze", { until: new Date(Date.now() + Number(snoozeFor) * 3_600_000).toISOString() })
            }
          >
            Snooze
          </button>
        </span>
      ) : null}
      {allowed(session, task, "assign") && session.me.roles.includes("admin") ? (
        <span class="inline-form">
          <label>
            <span class="sr">Assign to user</span>
            <input placeholder="user id" value={assignee} onInput={(e) => setAssignee((e.target as HTMLInputElement).value)} />
          </label>
          <button type="button" disabled={busy !== null || !assignee.trim()} onClick={() => act("assign", { user: assignee.trim() })}>
            Assign
          </button>
        </span>
      ) : null}
    </div>
  );
}

function Composer(props: {
  task: Task;
  busy: Action | null;
  act: (a: Action, body?: unknown) => Promise<void> | void;
  composer: { current: HTMLTextAreaElement | null };
}) {
  const session = useSession();
  const { task, busy, act } = props;
  const saved = task.draft?.text ?? "";
  const [text, setText] = useState(saved);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [useTag, setUseTag] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("tone");
  const [comment, setComment] = useState("");
  useEffect(() => setText(saved), [task.id, task.draft?.revision]);
  useEffect(() => {
    if (!session.can("suggestReplies")) return;
    let live = true;
    session.api
      .get<{ items: Suggestion[] }>(`/v1/tasks/${task.id}/suggestions`)
      .then((s) => live && setSuggestions(s.items))
      .catch(() => live && setSuggestions([]));
    return () => {
      live = false;
    };
  }, [task.id]);

  const mayDraft = allowed(session, task, "draft");
  const dirty = text.trim() !== saved.trim();
  const approval = needsApproval(task);
  const windowClosed = task.window_closes_at ? new Date(task.window_closes_at).getTime() < Date.now() : false;
  const tagNeeded = windowClosed && task.window?.after === "tag";
  const sendBody = tagNeeded && useTag ? { tag: "HUMAN_AGENT" } : {};
  const save = () => (dirty && text.trim() ? act("draft", { text: text.trim() }) : undefined);
  const canSend = !dirty && !!task.draft && !approval && allowed(session, task, task.send_error ? "retry" : "send");
  const canSubmit = !dirty && !!task.draft && approval && allowed(session, task, "submit") && task.status !== "pending_approval";
  const warnings = task.draft?.warnings ?? task.warnings ?? [];
  useShortcut(
    "s",
    canSend ? () => void act(task.send_error ? "retry" : "send", sendBody) : canSubmit ? () => void act("submit") : null,
  );

  return (
    <section class="panel composer" aria-labelledby="reply-title">
      <h3 id="reply-title">Reply</h3>
      {task.rejection && task.rejection.at ? (
        <p class="notice warn" role="status">
          Sent back by {task.rejection.by} ({task.rejection.reason})
          {task.rejection.comment ? `: ${task.rejection.comment}` : ""}
        </p>
      ) : null}
      {suggestions.length && mayDraft ? (
        <div class="suggestions" role="group" aria-label="Suggested replies">
          <span class="muted">Start from a template:</span>
          {suggestions.map((s) => (
            <button type="button" class="ghost" key={s.template} onClick={() => setText(s.text)} title={s.text}>
              {s.template}
            </button>
          ))}
        </div>
      ) : null}
      <label for="draft" class="sr">
        Reply text
      </label>
      <textarea
        id="draft"
        ref={props.composer}
        rows={5}
        value={text}
        readOnly={!mayDraft}
        placeholder={
          mayDraft ? "Write as a person would: greet them by name, answer the question, sign off." : "Claim the task to reply."
        }
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div class="composer-meta">
        <span class="muted">{text.length.toLocaleString()} characters</span>
        {task.draft ? (
          <span class="muted">
            Draft {task.draft.revision} by {task.draft.author}, {ago(task.draft.updated_at)}
            {dirty ? " · unsaved changes" : ""}
          </span>
        ) : null}
      </div>
      {warnings.length ? <Warnings warnings={warnings} text={saved} stale={dirty} /> : task.draft && !dirty ? (
        <p class="voice-ok">✓ Voice check: nothing to flag.</p>
      ) : null}
      {approval && task.approval_tiers?.length ? <Approvals task={task} /> : null}
      {tagNeeded ? (
        <label class="check">
          <input type="checkbox" checked={useTag} onChange={(e) => setUseTag((e.target as HTMLInputElement).checked)} />
          The 24-hour window has closed: send with the human-agent tag (allowed up to 7 days)
        </label>
      ) : windowClosed && task.window?.after === "template" ? (
        <p class="notice warn">The 24-hour window has closed: only an approved template can be sent now.</p>
      ) : null}
      <div class="composer-actions">
        {mayDraft ? (
          <button type="button" disabled={busy !== null || !dirty || !text.trim()} onClick={() => void save()}>
            {busy === "draft" ? "Saving…" : "Save draft"} <kbd aria-hidden="true">Ctrl+Enter</kbd>
          </button>
        ) : null}
        {canSubmit ? (
          <button type="button" class="primary" disabled={busy !== null} onClick={() => void act("submit")}>
            {busy === "submit" ? "Submitting…" : "Submit for approval"} <kbd aria-hidden="true">s</kbd>
          </button>
        ) : null}
        {canSend ? (
          <button
            type="button"
            class="primary"
            disabled={busy !== null || (tagNeeded && !useTag)}
            onClick={() => void act(task.send_error ? "retry" : "send", sendBody)}
          >
            {busy === "send" || busy === "retry" ? "Sending…" : task.send_error ? "Retry send" : "Send reply"}{" "}
            <kbd aria-hidden="true">s</kbd>
          </button>
        ) : null}
        {allowed(session, task, "approve") && task.draft ? (
          <button
            type="button"
            class="primary"
            disabled={busy !== null}
            onClick={() => void act("approve", { draft_revision: task.draft?.revision })}
          >
            {busy === "approve" ? "Approving…" : "Approve"} <kbd aria-hidden="true">a</kbd>
          </button>
        ) : null}
        {allowed(session, task, "reject") && task.draft ? (
          <button type="button" class="danger" disabled={busy !== null} onClick={() => setRejecting(!rejecting)}>
            Reject…
          </button>
        ) : null}
      </div>
      {rejecting ? (
        <form
          class="reject"
          onSubmit={(e) => {
            e.preventDefault();
            setRejecting(false);
            void act("reject", { reason, comment: comment.trim() || null });
          }}
        >
          <label>
            Reason
            <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
              {REJECT_REASONS.map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
          </label>
          <label>
            What should change
            <input value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="danger">
            Send back
          </button>
        </form>
      ) : null}
    </section>
  );
}

/** Voice warnings under the draft, with the words that triggered each marked in the saved text. */
function Warnings({ warnings, text, stale }: { warnings: TaskWarning[]; text: string; stale: boolean }) {
  const words = warnings.flatMap((w) => w.words).filter((w) => w.trim());
  return (
    <div class="warnings" role="status" aria-label="Voice check">
      <p class="warn-head">
        Voice check{stale ? " (of the saved draft; save to check again)" : ""}: {plural(warnings.length, "thing")} to
        look at
      </p>
      {text && words.length ? <p class="draft-marked">{highlight(text, words)}</p> : null}
      <ul>
        {warnings.map((w) => (
          <li key={`${w.code}-${w.words.join("|")}`}>
            <strong>{w.message}</strong>
            {w.words.length ? (
              <span class="muted">
                {" "}
                — {w.words.map((word) => `“${word}”`).join(", ")}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function highlight(text: string, words: string[]) {
  // The first place each flagged phrase appears, as a whole word (a short word like "we" is not marked everywhere).
  const marks: [number, number][] = [];
  for (const word of new Set(words.map((w) => w.toLowerCase()))) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const found = new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "iu").exec(text);
    if (found) marks.push([found.index, found.index + found[0].length]);
  }
  marks.sort((a, b) => a[0] - b[0]);
  const out: (string | preact.JSX.Element)[] = [];
  let at = 0;
  for (const [start, end] of marks) {
    if (start < at) continue;
    if (start > at) out.push(text.slice(at, start));
    out.push(<mark class="warned">{text.slice(start, end)}</mark>);
    at = end;
  }
  out.push(text.slice(at));
  return out;
}

function Approvals({ task }: { task: Task }) {
  const revision = task.draft?.revision;
  return (
    <ol class="approvals" aria-label="Approvals">
      {(task.approval_tiers ?? []).map((tier, i) => {
        const given = (task.approvals ?? []).find((a) => a.tier === i + 1 && a.draft_revision === revision);
        return (
          <li key={tier} class={given ? "approved" : "waiting"}>
            {tier}: {given ? `approved by ${given.approver} ${ago(given.at)}` : "waiting"}
          </li>
        );
      })}
    </ol>
  );
}

function SendFailure({ task, busy, act }: { task: Task; busy: Action | null; act: (a: Action) => void }) {
  const session = useSession();
  const error = task.send_error;
  if (!error) return null;
  return (
    <section class="panel send-failed" role="alert" aria-labelledby="send-failed-title">
      <h3 id="send-failed-title">The platform refused the reply</h3>
      <p>
        <strong>{error.code}</strong>: {error.message}
      </p>
      <p class="muted">
        {clock(error.at)} · {error.retryable ? "Worth retrying." : "Retrying as is will not help: change the reply or close the task."}
      </p>
      {allowed(session, task, "retry") && task.draft ? (
        <button type="button" class="primary" disabled={busy !== null} onClick={() => act("retry")}>
          {busy === "retry" ? "Retrying…" : "Retry send"}
        </button>
      ) : null}
    </section>
  );
}

function Why({ mention }: { mention: Mention }) {
  const c = mention.classification;
  if (!c) return null;
  return (
    <section class="panel why" aria-labelledby="why-title">
      <h3 id="why-title">Why it is here</h3>
      <dl class="facts">
        <dt>Priority</dt>
        <dd>
          <Priority value={c.priority} />
        </dd>
        <dt>Intent</dt>
        <dd>{c.intent}</dd>
        <dt>Sentiment</dt>
        <dd>
          {SENTIMENT_LABEL[c.sentiment]} <span class="muted">({Math.round(c.sentiment_score * 100)}% sure)</span>
        </dd>
        <dt>Language</dt>
        <dd>{languageName(c.language)}</dd>
        {c.toxic ? (
          <>
            <dt>Abuse</dt>
            <dd>
              <Pill tone="danger">toxic</Pill>
            </dd>
          </>
        ) : null}
        {c.adverse_event ? (
          <>
            <dt>Safety</dt>
            <dd>
              <Pill tone="danger">possible adverse event</Pill>
            </dd>
          </>
        ) : null}
        {c.pii.length ? (
          <>
            <dt>Personal data</dt>
            <dd>{[...new Set(c.pii.map((p) => p.type.toLowerCase()))].join(", ")}</dd>
          </>
        ) : null}
      </dl>
      {c.reasons.length ? (
        <ul class="reasons" aria-label="Reasons">
          {c.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
      <p class="muted small">Classified by the {c.analyzer} analyzer {ago(c.classified_at)}.</p>
    </section>
  );
}

function WhyFromTask({ task }: { task: Task }) {
  return task.reasons.length ? (
    <section class="panel why" aria-labelledby="why-title">
      <h3 id="why-title">Why it is here</h3>
      <ul class="reasons">
        {task.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </section>
  ) : null;
}

/** The person behind the conversation, from the authors API: where they speak to the brand, how often, and their
 *  other conversations (respond masks personal data in what they said for a viewer). */
function AuthorPanel({ task, thread }: { task: Task; thread: Mention[] | null }) {
  const session = useSession();
  const reveal = maySeePii(session.me);
  const first = thread?.find((m) => !m.from_brand);
  const author = first?.author ?? task.author;
  const [view, setView] = useState<AuthorView | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const authorId = author?.id;
  useEffect(() => {
    setView(null);
    setFailed(null);
    if (!authorId || !session.can("getAuthor")) return;
    let live = true;
    session.api
      .get<AuthorView>(`/v1/authors/${encodeURIComponent(task.platform)}/${encodeURIComponent(authorId)}`, { limit: 20 })
      .then((found) => live && setView(found))
      .catch((failure) => live && setFailed(describe(failure)));
    return () => {
      live = false;
    };
  }, [task.platform, authorId]);
  if (!author) return null;
  const networks = view
    ? [...new Set(view.mentions.filter((m) => !m.from_brand).map((m) => channelLabel(m.platform, m.channel, m.kind)))]
    : [channelLabel(task.platform, task.channel)];
  const others = (view?.conversations ?? []).filter((c) => c.task_id !== task.id);
  const count = view ? (view.mention_count ?? view.mentions.length) : null;
  const elsewhere = (view?.mentions ?? []).filter((m) => m.task_id !== task.id && !m.from_brand).slice(0, 3);
  return (
    <section class="panel author-panel" aria-labelledby="author-title">
      <h3 id="author-title">Author</h3>
      <p>
        <strong>{authorName(author)}</strong>
        {author.name && author.handle ? <span class="muted"> · {author.name}</span> : null}
        {author.followers ? <span class="muted"> · {plural(author.followers, "follower")}</span> : null}
      </p>
      <p class="author-where">
        <PlatformIcon platform={task.platform} channel={task.channel} size={18} /> {networks.join(" · ")}
      </p>
      {count !== null ? (
        <p class="author-count">
          <strong>{plural(count, "message")}</strong>{" "}
          <span class="muted">
            to the brand{view?.next_cursor && view.mention_count == null ? " (at least)" : ""}, in{" "}
            {plural((view?.conversations.length ?? 0) || 1, "conversation")}
          </span>
        </p>
      ) : thread ? (
        <p class="muted">{plural(thread.filter((m) => !m.from_brand).length, "message")} in this conversation</p>
      ) : null}
      {others.length ? (
        <>
          <h4>Other conversations</h4>
          <ul class="author-conversations">
            {others.map((c) => (
              <li key={c.task_id}>
                <a href={`#/queue/${c.task_id}`}>
                  {statusLabel(c.status)} in {c.queue}
                </a>{" "}
                <span class="muted">
                  P{c.priority} · {ago(c.updated_at)}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : view ? (
        <p class="muted small">No other conversation with the brand.</p>
      ) : null}
      {elsewhere.length ? (
        <>
          <h4>Said before</h4>
          <ul class="author-said">
            {elsewhere.map((m) => (
              <li key={m.id}>
                <span class="muted small">{ago(m.created_at)}</span> <MentionText mention={m} reveal={reveal} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {view?.safety_cases.length && session.can("getSafetyCase") ? (
        <p>
          {view.safety_cases.map((id) => (
            <a key={id} href={`#/safety/${id}`} class="case-link">
              Safety case {id.slice(3, 9)}
            </a>
          ))}
        </p>
      ) : null}
      {failed ? <p class="muted small">Their history could not be read: {failed}</p> : null}
    </section>
  );
}

/** A suspected adverse event was reported in this conversation: drug safety's case, with its clock for those who
 *  work cases, and a word of caution for everyone else (public replies are limited to the acknowledgement). */
function SafetyCasePanel({ caseId }: { caseId: string }) {
  const session = useSession();
  const [found, setFound] = useState<SafetyCase | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const mayRead = session.can("getSafetyCase");
  useEffect(() => {
    if (!mayRead) return;
    let live = true;
    setFailed(null);
    session.api
      .get<SafetyCase>(`/v1/safety-cases/${caseId}`)
      .then((c) => live && (setFound(c), setFailed(null)))
      .catch((failure) => live && (setFound(null), setFailed(describe(failure))));
    return () => {
      live = false;
    };
  }, [caseId]);
  return (
    <section class="panel safety-panel" aria-labelledby="safety-case-title">
      <h3 id="safety-case-title">Safety case</h3>
      {mayRead ? (
        <>
          {/* The line is there before the case is read, so the link below does not move under a pointer. */}
          <p>
            {found ? (
              <>
                <Pill tone={`case-${found.status}`}>{statusLabel(found.status)}</Pill> <CaseClock safetyCase={found} />
              </>
            ) : (
              <span class="muted">{failed ? `The case could not be read: ${failed}` : "Reading the case…"}</span>
            )}
          </p>
          <p>
            <a href={`#/safety/${caseId}`}>Open the safety case</a>
            {found ? (
              <span class="muted">
                {" "}
                · {found.product?.name ?? "product not named"}, {found.valid ? "all four criteria" : `missing ${found.missing.join(", ")}`}
              </span>
            ) : null}
          </p>
        </>
      ) : (
        <p>
          This conversation reports a suspected adverse event: drug safety has a case for it. A public reply may only be
          the approved acknowledgement.
        </p>
      )}
    </section>
  );
}

function Notes({ task, onChange }: { task: Task; onChange: () => void }) {
  const session = useSession();
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    session.api
      .get<Page<Note>>(`/v1/tasks/${task.id}/notes`, { limit: 100 })
      .then((page) => setNotes(page.items))
      .catch((failure) => setError(describe(failure)));
  useEffect(() => void load(), [task.id, task.notes]);
  const add = async (event: Event) => {
    event.preventDefault();
    if (!text.trim()) return;
    try {
      await perform(session, task, "note", { text: text.trim() });
      setText("");
      onChange();
      await load();
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <section class="panel" aria-labelledby="notes-title">
      <h3 id="notes-title">Private notes</h3>
      {notes?.length ? (
        <ul class="notes">
          {notes.map((n) => (
            <li key={n.key}>
              <span class="muted">
                {n.author} · {ago(n.at)}
              </span>
              <p>{n.text}</p>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No notes yet. Only your team sees them.</p>
      )}
      {session.can("addNote") ? (
        <form onSubmit={add} class="note-form">
          <label for="note" class="sr">
            Add a private note
          </label>
          <input id="note" placeholder="Add a note; @name tells a colleague" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={!text.trim()}>
            Add
          </button>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </section>
  );
}

function Audit({ task, tick }: { task: Task; tick: number }) {
  const session = useSession();
  const [open, setOpen] = useState(false);
  const [page, setPage] = useState<AuditPage | null>(null);
  useEffect(() => {
    if (!open) return;
    session.api
      .get<AuditPage>(`/v1/tasks/${task.id}/audit`, { limit: 200 })
      .then(setPage)
      .catch(() => setPage(null));
  }, [open, task.id, task.updated_at, tick]);
  return (
    <details class="panel audit" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        <h3>Audit trail</h3>
      </summary>
      {page === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          {page.problems?.length ? (
            <p class="error-note" role="alert">
              The trail does not verify: {page.problems.join("; ")}
            </p>
          ) : (
            <p class="muted small">Hash chain verified for these entries.</p>
          )}
          <ol class="audit-list">
            {page.items.map((entry) => (
              <li key={entry.seq}>
                <time dateTime={entry.at}>{clock(entry.at)}</time> <strong>{entry.actor}</strong> {entry.action.replace(/_/g, " ")}
                {typeof entry.after.status === "string" ? <span class="muted"> → {statusLabel(entry.after.status)}</span> : null}
              </li>
            ))}
          </ol>
        </>
      )}
    </details>
  );
}
