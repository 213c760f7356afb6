// What can be done to a task, by whom and when: the operation must exist here, the caller's roles must allow it
// (from the OpenAPI document), and the task's status must allow it (`actions` on the task, where the API sends
// it; otherwise the workflow's rules as documented in docs/workflow.md).
import type { Session } from "./session";
import type { Task } from "./types";

export type Action =
  | "claim"
  | "release"
  | "assign"
  | "draft"
  | "submit"
  | "approve"
  | "reject"
  | "send"
  | "retry"
  | "close"
  | "reopen"
  | "snooze"
  | "note";

const OPERATION: Record<Action, string> = {
  claim: "claimTask",
  release: "releaseTask",
  assign: "assignTask",
  draft: "putDraft",
  submit: "submitDraft",
  approve: "approveDraft",
  reject: "rejectDraft",
  send: "sendReply",
  retry: "retrySend",
  close: "closeTask",
  reopen: "reopenTask",
  snooze: "snoozeTask",
  note: "addNote",
};

// Where the API does not say, what each status allows.
const BY_STATUS: Record<string, Action[]> = {
  open: ["claim", "assign", "close", "snooze", "note"],
  assigned: ["claim", "release", "assign", "draft", "close", "snooze", "note"],
  drafting: ["claim", "release", "assign", "draft", "submit", "send", "close", "snooze", "note"],
  pending_approval: ["approve", "reject", "draft", "release", "assign", "note"],
  approved: ["send", "draft", "release", "assign", "note"],
  sent: ["close", "reopen", "note"],
  send_failed: ["retry", "draft", "release", "close", "note"],
  escalated: ["claim", "assign", "release", "draft", "close", "note"],
  snoozed: ["reopen", "close", "note"],
  closed: ["reopen", "note"],
};

export function operationOf(action: Action): string {
  return OPERATION[action];
}

export function allowed(session: Session, task: Task, action: Action): boolean {
  if (!session.can(OPERATION[action])) return false;
  const byStatus = task.actions && task.actions.length ? task.actions : BY_STATUS[task.status] ?? [];
  if (action !== "note" && !byStatus.includes(action)) return false;
  const me = session.me.user;
  const held = task.holder ?? null;
  switch (action) {
    case "claim":
      return held !== me && (held === null || session.me.roles.includes("admin"));
    case "release":
      return held === me || (held !== null && session.me.roles.includes("admin"));
    case "draft":
    case "submit":
    case "send":
    case "retry":
      // The holder works the draft; with no claim route, nobody holds and anyone who may may.
      return held === me || (held === null && !session.can("claimTask"));
    case "approve":
    case "reject":
      return task.draft?.author !== me;
    default:
      return true;
  }
}

/** Sending needs approval first when the queue has approval tiers not yet all given for this draft. */
export function needsApproval(task: Task): boolean {
  const tiers = task.approval_tiers ?? [];
  const revision = task.draft?.revision;
  const given = (task.approvals ?? []).filter((a) => a.draft_revision === revision).length;
  return tiers.length > 0 && given < tiers.length;
}

export async function perform(
  session: Session,
  task: Task,
  action: Action,
  body?: unknown,
): Promise<Task> {
  const path = `/v1/tasks/${task.id}/${action === "note" ? "notes" : action}`;
  const result =
    action === "draft" ? await session.api.put<Task>(path, body) : await session.api.post<Task>(path, body ?? {});
  if (action !== "note") session.board.upsert(result);
  return result;
}
