// Words and numbers as the screens say them.

import type { Classification, Mention, Me, PiiSpan } from "./types";

export interface Network {
  label: string;
  mark: string; // one or two letters on the icon
  hue: string; // CSS class suffix for its colour
}

const NETWORKS: Record<string, Network> = {
  facebook: { label: "Facebook", mark: "f", hue: "facebook" },
  instagram: { label: "Instagram", mark: "Ig", hue: "instagram" },
  messenger: { label: "Messenger", mark: "M", hue: "messenger" },
  whatsapp: { label: "WhatsApp", mark: "W", hue: "whatsapp" },
  meta: { label: "Meta", mark: "M", hue: "facebook" },
  github: { label: "GitHub", mark: "GH", hue: "github" },
  x: { label: "X", mark: "X", hue: "x" },
  slack: { label: "Slack", mark: "S", hue: "slack" },
  discord: { label: "Discord", mark: "D", hue: "discord" },
  youtube: { label: "YouTube", mark: "YT", hue: "youtube" },
  telegram: { label: "Telegram", mark: "T", hue: "telegram" },
  twitch: { label: "Twitch", mark: "Tw", hue: "twitch" },
  zendesk: { label: "Zendesk", mark: "Z", hue: "zendesk" },
  mastodon: { label: "Mastodon", mark: "Ma", hue: "mastodon" },
  tiktok: { label: "TikTok", mark: "TT", hue: "tiktok" },
  trustpilot: { label: "Trustpilot", mark: "TP", hue: "trustpilot" },
  google: { label: "Google", mark: "G", hue: "google" },
  reddit: { label: "Reddit", mark: "R", hue: "reddit" },
  wordpress: { label: "WordPress", mark: "WP", hue: "wordpress" },
  generic: { label: "Partner tool", mark: "P", hue: "generic" },
};

const SURFACES: Record<string, string> = {
  comment: "comment",
  dm: "direct message",
  mention: "mention",
  post: "post",
  review: "review",
  live_comment: "live comment",
  issue: "issue",
  discussion: "discussion",
  api: "via API",
};

/** The network a mention was heard on: Meta's channels name Facebook, Instagram, Messenger or WhatsApp. */
export function network(platform: string, channel?: string | null): Network {
  const head = (channel ?? "").split(".")[0] ?? "";
  return NETWORKS[head] ?? NETWORKS[platform] ?? { label: platform, mark: platform.slice(0, 2), hue: "generic" };
}

/** The key of that network, as the API's `network` filter takes it (`instagram`, `github`). */
export function networkKey(platform: string, channel?: string | null): string {
  const head = (channel ?? "").split(".")[0] ?? "";
  return NETWORKS[head] ? head : platform;
}

export function channelLabel(platform: string, channel?: string | null, kind?: string): string {
  const net = network(platform, channel);
  const surface = (channel ?? "").split(".")[1];
  const what = (surface && SURFACES[surface]) || (kind && SURFACES[kind]) || surface || kind || "";
  return what ? `${net.label} ${what}` : net.label;
}

export function authorName(author: { handle?: string | null; name?: string | null; id: string }): string {
  if (author.handle) return author.handle.startsWith("@") ? author.handle : `@${author.handle}`;
  return author.name ?? author.id;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

export function ago(iso: string, now = Date.now()): string {
  const delta = new Date(iso).getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === "second") return relative.format(Math.round(delta / ms), unit);
  }
  return "";
}

export function clock(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "42m", "3h 05m", "2d 4h": how long until (or, negative, since) a deadline. */
export function span(ms: number): string {
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60_000);
  const seconds = Math.floor((abs % 60_000) / 1000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days >= 1) return `${days}d ${hours % 24}h`;
  if (hours >= 1) return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
  if (minutes >= 1) return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
  return `${seconds}s`;
}

export type Urgency = "breached" | "near" | "ok";
const NEAR_MS = 30 * 60_000;

export function urgency(dueIso: string, now: number, state?: string): Urgency {
  const left = new Date(dueIso).getTime() - now;
  if (state === "breached" || left <= 0) return "breached";
  if (state === "near_breach" || left <= NEAR_MS) return "near";
  return "ok";
}

export const SENTIMENT_LABEL: Record<Classification["sentiment"], string> = {
  positive: "Positive",
  neutral: "Neutral",
  negative: "Negative",
  mixed: "Mixed",
};

export function priorityBand(priority: number): "high" | "medium" | "low" {
  return priority >= 70 ? "high" : priority >= 40 ? "medium" : "low";
}

const LANGUAGES = new Intl.DisplayNames(["en"], { type: "language" });
export function languageName(code?: string | null): string {
  if (!code) return "unknown language";
  try {
    return LANGUAGES.of(code) ?? code;
  } catch {
    return code;
  }
}

/** Who may read personal data in mentions: those who answer the person; a viewer (a wall, a report) may not. */
export function maySeePii(me: Me | null): boolean {
  return !!me && me.roles.some((r) => r === "agent" || r === "approver" || r === "safety" || r === "admin");
}

export interface Segment {
  text: string;
  pii?: string; // the kind of personal data hidden here
}

/** The text cut into plain runs and personal-data runs (masked for roles that may not see them). */
export function segments(mention: Pick<Mention, "text" | "classification">, reveal: boolean): Segment[] {
  return spansOf(mention.text, mention.classification?.pii ?? [], reveal);
}

/** The text cut at its personal-data spans. A viewer's copy arrives masked by the API already (•••); either way
 *  the screen says what kind of data is hidden rather than showing dots. */
export function spansOf(text: string, pii: PiiSpan[], reveal: boolean): Segment[] {
  const mention = { text };
  const spans: PiiSpan[] = [...pii]
    .filter((s) => s.start >= 0 && s.start < mention.text.length && s.end > s.start)
    .map((s) => ({ ...s, end: Math.min(s.end, mention.text.length) })) // a shortened text keeps what it cut masked
    .sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue; // overlapping spans: the first one wins
    if (span.start > at) out.push({ text: mention.text.slice(at, span.start) });
    const raw = mention.text.slice(span.start, span.end);
    out.push(reveal ? { text: raw, pii: span.type } : { text: `[${span.type.toLowerCase()} hidden]`, pii: span.type });
    at = span.end;
  }
  if (at < mention.text.length) out.push({ text: mention.text.slice(at) });
  return out;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, " ");
}

/** The same as one string (for a line that shows a text in passing). */
export function shownText(text: string, pii: PiiSpan[] | undefined, reveal: boolean): string {
  return spansOf(text, pii ?? [], reveal)
    .map((s) => s.text)
    .join("");
}
