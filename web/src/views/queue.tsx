// The work queue: tasks in priority order with live SLA countdowns, the platform's reply window, who holds
// each, claim and release; admins close or assign several at once.
import { useMemo, useState } from "preact/hooks";
import { type Action, allowed, perform } from "../actions";
import { ApiError } from "../api";
import { Countdown, Empty, ErrorNote, PlatformIcon, Pill, PreviewText, Priority, useTitle } from "../components/bits";
import { authorName, channelLabel, maySeePii, plural, statusLabel } from "../format";
import { go } from "../router";
import { useSession } from "../session";
import { useShortcut } from "../shortcuts";
import { useValue } from "../store";
import { workOrder } from "../tasks";
import type { Task } from "../types";
import { TaskView } from "./task";

export function QueueView({ selected }: { selected: string | null }) {
  useTitle("Queue");
  const session = useSession();
  const board = useValue(session.board.state);
  const [queue, setQueue] = useState("");
  const [status, setStatus] = useState("");
  const [mine, setMine] = useState(false);
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [assignee, setAssignee] = useState("");
  const all = useMemo(() => [...board.byId.values()].sort(workOrder), [board]);
  const queues = useMemo(() => [...new Set(all.map((t) => t.queue))].sort(), [all]);
  const tasks = all.filter(
    (t) => (!queue || t.queue === queue) && (!status || t.status === status) && (!mine || t.holder === session.me.user),
  );
  const index = tasks.findIndex((t) => t.id === selected);
  const open = (task: Task | undefined) => task && go("queue", task.id);
  useShortcut("j", () => open(tasks[Math.min(index + 1, tasks.length - 1)] ?? tasks[0]));
  useShortcut("k", () => open(tasks[Math.max(index - 1, 0)]));
  useShortcut("n", () => open(tasks.find((t, i) => i > index && !t.holder) ?? tasks.find((t) => !t.holder)));

  const admin = session.me.roles.includes("admin");
  const bulk = admin && (session.can("closeTask") || session.can("assignTask"));
  const selectedTask = selected ? board.byId.get(selected) : undefined;

  const act = async (task: Task, action: Action, body?: unknown) => {
    setError(null);
    try {
      await perform(session, task, action, body);
    } catch (failure) {
      setError(describe(failure));
    }
  };
  const bulkDo = async (action: "close" | "assign") => {
    setError(null);
    const targets = tasks.filter((t) => checked.has(t.id));
    const failures: string[] = [];
    for (const task of targets) {
      try {
        await perform(session, task, action, action === "assign" ? { user: assignee } : undefined);
      } catch (failure) {
        failures.push(`${task.preview.author ?? task.id}: ${describe(failure)}`);
      }
    }
    setChecked(new Set());
    await session.board.refresh();
    if (failures.length) setError(failures.join(" · "));
  };

  return (
    <div class="split">
      <section class="list-pane" aria-labelledby="queue-title">
        <div class="pane-head">
          <h1 id="queue-title">
            Queue <span class="muted">{plural(tasks.length, "task")}</span>
          </h1>
          <div class="filters" role="group" aria-label="Filter the queue">
            <label>
              <span class="sr">Queue</span>
              <select value={queue} onChange={(e) => setQueue((e.target as HTMLSelectElement).value)}>
                <option value="">All queues</option>
                {queues.map((q) => (
                  <option value={q}>{q}</option>
                ))}
              </select>
            </label>
            <label>
              <span class="sr">Status</span>
              <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
                <option value="">Every status</option>
                {session.board.active.map((s) => (
                  <option value={s}>{statusLabel(s)}</option>
                ))}
              </select>
            </label>
            <label class="check">
              <input type="checkbox" checked={mine} onChange={(e) => setMine((e.target as HTMLInputElement).checked)} />
              Mine
            </label>
          </div>
          {bulk && checked.size ? (
            <div class="bulk" role="group" aria-label="Bulk actions">
              <span>{plural(checked.size, "selected task")}</span>
              {session.can("closeTask") ? (
                <button type="button" onClick={() => void bulkDo("close")}>
                  Close selected
                </button>
              ) : null}
              {session.can("assignTask") ? (
                <span class="assign">
                  <label>
                    <span class="sr">Assign to user</span>
                    <input
                      placeholder="user id"
                      value={assignee}
                      onInput={(e) => setAssignee((e.target as HTMLInputElement).value)}
                    />
                  </label>
                  <button type="button" disabled={!assignee.trim()} onClick={() => void bulkDo("assign")}>
                    Assign selected
                  </button>
                </span>
              ) : null}
            </div>
          ) : null}
          <ErrorNote error={error ?? board.error} />
        </div>
        {!board.loaded ? (
          <Empty>Loading the queue…</Empty>
        ) : tasks.length === 0 ? (
          <Empty>Nothing waiting. New conversations that need a reply appear here as they arrive.</Empty>
        ) : (
          <ul class="cards" aria-label="Tasks in work order">
            {tasks.map((task) => (
              <TaskCard
                key={task.id}
                task={task}
                current={task.id === selected}
                bulk={bulk}
                checked={checked.has(task.id)}
                onCheck={(on) => {
                  const next = new Set(checked);
                  if (on) next.add(task.id);
                  else next.delete(task.id);
                  setChecked(next);
                }}
                onAct={act}
              />
            ))}
          </ul>
        )}
      </section>
      <section class="detail-pane" aria-label="Task">
        {selectedTask || selected ? (
          <TaskView taskId={selected as string} initial={selectedTask} />
        ) : (
          <Empty>
            Pick a task to see its conversation, or press <kbd>n</kbd> for the next unclaimed one.
          </Empty>
        )}
      </section>
    </div>
  );
}

function TaskCard(props: {
  task: Task;
  current: boolean;
  bulk: boolean;
  checked: boolean;
  onCheck: (on: boolean) => void;
  onAct: (task: Task, action: Action) => void;
}) {
  const session = useSession();
  const { task } = props;
  const author = task.author ? authorName(task.author) : (task.preview.author ?? "someone");
  return (
    <li class={`card task-card ${props.current ? "current" : ""} sla-${task.sla_state ?? "ok"}`}>
      {props.bulk ? (
        <input
          type="checkbox"
          class="pick"
          checked={props.checked}
          aria-label={`Select the task from ${author}`}
          onChange={(e) => props.onCheck((e.target as HTMLInputElement).checked)}
        />
      ) : null}
      <a class="card-link" href={`#/queue/${task.id}`} aria-current={props.current ? "true" : undefined}>
        <span class="card-top">
          <PlatformIcon platform={task.platform} channel={task.channel} size={22} />
          <span class="author">{author}</span>
          <Priority value={task.priority} />
        </span>
        <PreviewText text={task.preview.text} pii={task.preview.pii} reveal={maySeePii(session.me)} />
        <span class="card-meta">
          <span>{channelLabel(task.platform, task.channel)}</span>
          <Pill tone="queue">{task.queue}</Pill>
          <Pill tone={`status-${task.status}`}>{statusLabel(task.status)}</Pill>
          {task.holder ? <span title="Holder">◉ {task.holder}</span> : null}
          {task.mention_count > 1 ? <span>{plural(task.mention_count, "message")}</span> : null}
        </span>
        <span class="card-clocks">
          <Countdown due={task.due_at} state={task.sla_state} label="SLA" />
          {task.window_closes_at ? <Countdown due={task.window_closes_at} label="Reply window" /> : null}
        </span>
      </a>
      <span class="card-actions">
        {allowed(session, task, "claim") ? (
          <button type="button" onClick={() => props.onAct(task, "claim")} aria-label={`Claim the task from ${author}`}>
            Claim
          </button>
        ) : null}
        {allowed(session, task, "release") && task.holder === session.me.user ? (
          <button type="button" class="ghost" onClick={() => props.onAct(task, "release")}>
            Release
          </button>
        ) : null}
      </span>
    </li>
  );
}

export function describe(failure: unknown): string {
  if (failure instanceof ApiError) {
    const holder = failure.problem.holder;
    if (failure.status === 409 && typeof holder === "string") return `${holder} is working on this task.`;
    const allowedNow = failure.problem.allowed;
    if (failure.status === 409 && Array.isArray(allowedNow)) {
      return `${failure.detail} (now possible: ${allowedNow.join(", ") || "nothing"})`;
    }
    if (failure.status === 403) return `Not allowed: ${failure.detail}`;
    return failure.detail;
  }
  return (failure as Error).message;
}
