// The shapes the partner API answers with (shared/api/models.py, shared/events.py). Fields that only some
// deployments have yet (the care workflow's, incidents') are optional: a screen shows what is there.

export type Role = "agent" | "approver" | "safety" | "admin" | "viewer" | "partner";

export interface Me {
  user: string;
  roles: Role[];
  key_id: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  feed_cursor?: string | null;
}

export interface Author {
  id: string;
  handle?: string | null;
  name?: string | null;
  followers?: number | null;
}

export interface PiiSpan {
  type: string;
  start: number;
  end: number;
}

export interface AdverseEventCriteria {
  patient: boolean;
  reporter: boolean;
  product: string | null;
  events: string[];
}

export interface Classification {
  language: string | null;
  sentiment: "positive" | "neutral" | "negative" | "mixed";
  sentiment_score: number;
  intent: string;
  toxic: boolean;
  toxicity?: number;
  pii: PiiSpan[];
  adverse_event: boolean;
  adverse_event_criteria?: AdverseEventCriteria | null;
  needs_response: boolean;
  priority: number;
  reasons: string[];
  analyzer: string;
  classified_at: string;
}

export interface Mention {
  id: string;
  platform: string;
  channel: string;
  kind: string;
  native_id: string;
  thread_id: string;
  account_id?: string | null;
  author: Author;
  from_brand: boolean;
  addressed?: boolean | null;
  text: string;
  truncated?: boolean;
  url?: string | null;
  lang?: string | null;
  rating?: number | null;
  created_at: string;
  received_at: string;
  edited_at?: string | null;
  classification?: Classification | null;
  task_id?: string | null;
  deleted_at?: string | null;
}

export interface TaskWarning {
  code: string;
  message: string;
  words: string[];
}

export interface Draft {
  revision: number;
  text: string;
  template?: string | null;
  author: string;
  updated_at: string;
  warnings: TaskWarning[];
}

export interface Approval {
  tier: number;
  tier_name: string;
  approver: string;
  draft_revision: number;
  at: string;
}

export interface Rejection {
  reason: string;
  comment?: string | null;
  by: string;
  at: string;
}

export interface SentReply {
  text: string;
  by: string;
  at: string;
  via?: string;
  platform_id?: string | null;
  url?: string | null;
}

export interface SendError {
  platform: string;
  code: string;
  message: string;
  retryable: boolean;
  at: string;
}

export interface ReplyWindow {
  channel: string;
  closes_at: string;
  tag_closes_at?: string | null;
  after: "tag" | "template" | "none";
}

export interface Task {
  id: string;
  status: string;
  priority: number;
  queue: string;
  mention_ids: string[];
  mention_count: number;
  due_at: string;
  platform: string;
  thread_id: string;
  reasons: string[];
  preview: { author: string | null; text: string; url: string | null; pii?: PiiSpan[] };
  created_at: string;
  updated_at: string;
  version?: number;
  // The care workflow's fields.
  channel?: string;
  language?: string | null;
  intent?: string | null;
  account_id?: string | null;
  author?: Author | null;
  holder?: string | null;
  lease_until?: string | null;
  draft?: Draft | null;
  approval_tiers?: string[];
  approvals?: Approval[];
  rejection?: Rejection | null;
  replies?: SentReply[];
  send_error?: SendError | null;
  sla_state?: "ok" | "near_breach" | "breached";
  window_closes_at?: string | null;
  window?: ReplyWindow | null;
  warnings?: TaskWarning[];
  responded_at?: string | null;
  snoozed_until?: string | null;
  closed_at?: string | null;
  notes?: number;
  actions?: string[];
  safety_case_id?: string | null;
}

export interface Note {
  key: string;
  author: string;
  text: string;
  at: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  detail: Record<string, unknown>;
}

export interface AuditPage extends Page<AuditEntry> {
  problems?: string[];
}

export interface Suggestion {
  template: string;
  language: string;
  text: string;
  warnings: TaskWarning[];
}

export interface TermCount {
  term: string;
  count: number;
}

export interface Incident {
  id: string;
  kind: string;
  title: string;
  severity: "critical" | "warning" | "info";
  status: "open" | "acknowledged" | "resolved";
  crisis: boolean;
  crisis_mode?: boolean;
  opened_at: string;
  occurrences?: number;
  why?: {
    summary: string;
    mentions: number;
    negative: number;
    baseline?: number | null;
    top_terms?: TermCount[];
  } | null;
  alarm?: { reason?: string } | null;
}

export interface OverviewBucket {
  start: string;
  mentions: number;
  needs_response: number;
  by_network: Record<string, number>;
  by_sentiment: Record<string, number>;
  by_intent: Record<string, number>;
}

export interface ClockStats {
  stopped: number;
  within_sla: number;
  median_s: number | null;
  p90_s: number | null;
}

export interface Overview {
  generated_at: string;
  hours: number;
  buckets: OverviewBucket[];
  this_hour: number;
  usual_this_hour: number | null;
  first_response: ClockStats;
  next_response: ClockStats;
  resolution: ClockStats;
}

// Governance (shared/api/governance.py): safety cases, a person's conversations, reports; and source health.
export type Criterion = "patient" | "reporter" | "product" | "event";
export type CaseStatus = "open" | "followed_up" | "reported" | "not_a_case";

export interface CriterionCheck {
  criterion: Criterion;
  present: boolean;
  why: string;
  evidence: string[];
  confirmed_at?: string | null;
  confirmed_by?: string | null;
}

export interface FollowUp {
  at: string;
  by: string;
  channel: string;
  outcome: string;
  note?: string | null;
  confirms: Criterion[];
}

export interface CaseReport {
  kind: "initial" | "follow_up";
  at: string;
  by: string;
  reference?: string | null;
  due_at: string;
  within_deadline: boolean;
  note?: string | null;
}

export interface SafetyCase {
  id: string;
  task_id: string;
  status: CaseStatus;
  queue: string;
  day0: string;
  due_at: string;
  reporting_days: number;
  days_left: number;
  overdue: boolean;
  criteria: CriterionCheck[];
  valid: boolean;
  missing: Criterion[];
  product?: { name: string; drug?: string | null; match?: string | null; own_product?: boolean | null; how: string } | null;
  events: string[];
  verbatim: { mention_id: string; text: string; language?: string | null; channel: string; said_at: string; url?: string | null }[];
  reporter: { platform: string; id: string; handle?: string | null; name?: string | null; url?: string | null };
  platform: string;
  channel: string;
  follow_ups: FollowUp[];
  reports: CaseReport[];
  dismissal?: { at: string; by: string; reason: string; comment?: string | null } | null;
  new_information_at?: string | null;
  holds: { erasure_id: string; requested_at: string; kept: string[]; basis: string }[];
  retention: string;
  created_at: string;
  updated_at: string;
  actions: string[];
}

export interface AuthorConversation {
  task_id: string;
  status: string;
  queue: string;
  priority: number;
  updated_at: string;
}

export interface AuthorView {
  platform: string;
  id: string;
  handle?: string | null;
  name?: string | null;
  mentions: Mention[];
  next_cursor: string | null;
  mention_count?: number | null;
  conversations: AuthorConversation[];
  safety_cases: string[];
  erasures: { erasure_id: string; requested_at: string }[];
}

export interface Report {
  name: string;
  title: string;
  since: string;
  until: string;
  generated_at: string;
  columns: string[];
  rows: Record<string, unknown>[];
  summary: Record<string, unknown>;
  definitions: Record<string, string>;
  truncated: boolean;
}

export interface Source {
  id: string;
  platform: string;
  health: "ok" | "unhealthy" | "unknown";
  reason?: string | null;
  unhealthy_since?: string | null;
  last_delivery_at?: string | null;
  last_poll_at?: string | null;
  last_send_at?: string | null;
  last_error?: { at: string; where: string; code: string; message: string } | null;
  deliveries: number;
  polls: number;
  sends: number;
  send_failures: number;
  credential?: { configured: boolean; refreshable: boolean; expires_at?: string | null } | null;
}
