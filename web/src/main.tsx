import { useEffect, useRef } from "preact/hooks";
import { mount } from "./boot";
import { type View, go, useRoute } from "./router";
import { useSession } from "./session";
import { SHORTCUTS, installShortcuts, useShortcut } from "./shortcuts";
import { useValue } from "./store";
import { InboxView } from "./views/inbox";
import { OverviewView } from "./views/overview";
import { QueueView } from "./views/queue";
import { ReportsView } from "./views/reports";
import { SafetyView } from "./views/safety";

function Shell() {
  const session = useSession();
  const route = useRoute();
  const feed = useValue(session.feed.state);
  const board = useValue(session.board.state);
  const help = useRef<HTMLDialogElement>(null);
  useEffect(installShortcuts, []);
  useShortcut("?", () => help.current?.showModal());
  useShortcut("g q", () => go("queue"));
  useShortcut("g i", () => go("inbox"));
  useShortcut("g o", () => go("overview"));
  const online = !feed.error && !board.error;
  const tabs: { view: View; label: string; count?: number }[] = [
    { view: "queue", label: "Queue", count: board.byId.size },
    { view: "inbox", label: "Inbox" },
    { view: "overview", label: "Overview" },
  ];
  // Drug safety's screen, for the roles the API lets read the cases.
  if (session.can("listSafetyCases")) tabs.push({ view: "safety", label: "Safety" });
  // Reports and source health: an admin's screen (the routes are readers', the screen is for who runs Hark).
  const admin = session.me.roles.includes("admin") && (session.can("getReport") || session.can("listSources"));
  if (admin) tabs.push({ view: "reports", label: "Reports" });
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">
          <span class="logo" aria-hidden="true">
            H
          </span>
          Hark
        </span>
        <nav aria-label="Screens">
          {tabs.map((tab) => (
            <a href={`#/${tab.view}`} class="tab" aria-current={route.view === tab.view ? "page" : undefined}>
              {tab.label}
              {tab.count !== undefined ? <span class="count">{tab.count}</span> : null}
            </a>
          ))}
        </nav>
        <span class={`live ${online ? "live-on" : "live-off"}`} role="status" aria-live="polite">
          {online ? "Live" : (feed.error ?? board.error)}
        </span>
        <button type="button" class="ghost" onClick={() => help.current?.showModal()} aria-keyshortcuts="?">
          Shortcuts <kbd>?</kbd>
        </button>
        <span class="who" title={`Key ${session.me.key_id}`}>
          <span class="user">{session.me.user}</span>
          <span class="roles">{session.me.roles.join(" · ")}</span>
        </span>
        <button type="button" class="ghost" onClick={() => session.signOut()}>
          Sign out
        </button>
      </header>
      <div id="main" tabIndex={-1}>
        {route.view === "queue" ? <QueueView selected={route.id} /> : null}
        {route.view === "inbox" ? <InboxView selected={route.id} /> : null}
        {route.view === "overview" ? <OverviewView /> : null}
        {route.view === "safety" && session.can("listSafetyCases") ? <SafetyView selected={route.id} /> : null}
        {route.view === "reports" && admin ? <ReportsView /> : null}
      </div>
      <dialog ref={help} class="help" aria-labelledby="help-title">
        <h2 id="help-title">Keyboard shortcuts</h2>
        {SHORTCUTS.map((group) => (
          <section key={group.group}>
            <h3>{group.group}</h3>
            <dl>
              {group.items.map((item) => (
                <div class="shortcut" key={item.keys}>
                  <dt>
                    <kbd>{item.keys}</kbd>
                  </dt>
                  <dd>{item.what}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
        <form method="dialog">
          <button type="submit" class="primary">
            Close
          </button>
        </form>
      </dialog>
    </>
  );
}

mount(Shell, "Hark command center");
