// Small pieces every screen uses. Text from the outside world is always a child string (a text node), never
// markup: Preact sets it with textContent semantics, and the page's Trusted Types policy forbids HTML sinks.
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { type Segment, type Urgency, network, priorityBand, segments, span, spansOf, urgency } from "../format";
import { Value, useValue } from "../store";
import type { Mention, PiiSpan } from "../types";

export const now = new Value(Date.now());
let ticking = false;
export function startClock(): void {
  if (ticking) return;
  ticking = true;
  setInterval(() => now.set(Date.now()), 1000);
}

export function PlatformIcon({ platform, channel, size = 28 }: { platform: string; channel?: string | null; size?: number }) {
  const net = network(platform, channel);
  return (
    <svg
      class={`net net-${net.hue}`}
      width={size}
      height={size}
      viewBox="0 0 28 28"
      role="img"
      aria-label={net.label}
    >
      <title>{net.label}</title>
      <rect width="28" height="28" rx="7" />
      <text x="14" y="18.5" text-anchor="middle">
        {net.mark}
      </text>
    </svg>
  );
}

export function Priority({ value }: { value: number }) {
  return (
    <span class={`pill prio prio-${priorityBand(value)}`} title={`Priority ${value} of 100`}>
      P{value}
    </span>
  );
}

export function Pill({ children, tone = "plain", title }: { children: ComponentChildren; tone?: string; title?: string }) {
  return (
    <span class={`pill tone-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** A live countdown to a deadline; near breach and breached stand out (colour and words, not colour alone). */
export function Countdown({ due, state, label }: { due: string; state?: string | undefined; label?: string }) {
  const t = useValue(now);
  const left = new Date(due).getTime() - t;
  const level: Urgency = urgency(due, t, state);
  const words = level === "breached" ? `overdue ${span(left)}` : `${span(left)} left`;
  return (
    <span class={`countdown cd-${level}`} title={`${label ?? "Due"} ${new Date(due).toLocaleString()}`}>
      {label ? <span class="cd-label">{label} </span> : null}
      {level === "breached" ? "⚠ " : level === "near" ? "◔ " : ""}
      {words}
    </span>
  );
}

export function MentionText({ mention, reveal }: { mention: Pick<Mention, "text" | "classification">; reveal: boolean }) {
  return <Segments parts={segments(mention, reveal)} reveal={reveal} tag="p" className="mention-text" />;
}

export function PreviewText({ text, pii, reveal }: { text: string; pii: PiiSpan[] | undefined; reveal: boolean }) {
  return <Segments parts={spansOf(text, pii ?? [], reveal)} reveal={reveal} tag="span" className="preview" />;
}

function Segments({ parts, reveal, tag, className }: { parts: Segment[]; reveal: boolean; tag: "p" | "span"; className: string }) {
  const Tag = tag;
  return (
    <Tag class={className}>
      {parts.map((s, i) =>
        s.pii ? (
          <mark key={i} class={reveal ? "pii pii-shown" : "pii pii-hidden"} title={`Personal data: ${s.pii}`}>
            {s.text}
          </mark>
        ) : (
          s.text
        ),
      )}
    </Tag>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p class="error-note" role="alert">
      {error}
    </p>
  ) : null;
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Hark`;
  }, [title]);
}
