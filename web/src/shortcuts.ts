// The agent's loop on the keyboard. Screens register what a key does while they are shown; `?` lists them.
import { useEffect } from "preact/hooks";

export interface Shortcut {
  keys: string;
  what: string;
}

export const SHORTCUTS: { group: string; items: Shortcut[] }[] = [
  {
    group: "Move",
    items: [
      { keys: "j / k", what: "Next / previous item in the list" },
      { keys: "Enter", what: "Open the selected item" },
      { keys: "n", what: "Open the next task in the queue" },
      { keys: "g q · g i · g o", what: "Go to queue · inbox · overview" },
      { keys: "/", what: "Search the inbox" },
      { keys: "Esc", what: "Close this dialog, leave a field" },
    ],
  },
  {
    group: "Work a task",
    items: [
      { keys: "c", what: "Claim the task" },
      { keys: "r", what: "Reply: write the draft" },
      { keys: "Ctrl+Enter", what: "Save the draft (in the reply box)" },
      { keys: "s", what: "Send the reply (or submit it for approval)" },
      { keys: "a", what: "Approve the draft" },
      { keys: "e", what: "Close the task (done)" },
    ],
  },
  { group: "Help", items: [{ keys: "?", what: "Show these shortcuts" }] },
];

type Handler = () => void;
const handlers = new Map<string, Handler>();

/** While the calling component is shown, `key` does `handler`. */
export function useShortcut(key: string, handler: Handler | null): void {
  useEffect(() => {
    if (!handler) return;
    handlers.set(key, handler);
    return () => {
      if (handlers.get(key) === handler) handlers.delete(key);
    };
  }, [key, handler]);
}

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

let pendingG = false;

export function installShortcuts(): () => void {
  const listener = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.altKey || event.metaKey || event.ctrlKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") (event.target as HTMLElement).blur();
      return;
    }
    let key = event.key;
    if (pendingG) {
      pendingG = false;
      key = `g ${key}`;
    } else if (key === "g") {
      pendingG = true;
      setTimeout(() => (pendingG = false), 1200);
      return;
    }
    const handler = handlers.get(key);
    if (handler) {
      event.preventDefault();
      handler();
    }
  };
  document.addEventListener("keydown", listener);
  return () => document.removeEventListener("keydown", listener);
}
