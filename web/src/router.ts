// Hash routes: #/queue, #/queue/<task id>, #/inbox, #/inbox/<mention id>, #/overview, #/safety, #/safety/<case id>,
// #/reports.
import { useEffect, useState } from "preact/hooks";

export type View = "queue" | "inbox" | "overview" | "safety" | "reports";
export interface Route {
  view: View;
  id: string | null;
}

export function parse(hash: string): Route {
  const [, view, id] = hash.replace(/^#/, "").split("/");
  const known: View[] = ["queue", "inbox", "overview", "safety", "reports"];
  return {
    view: known.includes(view as View) ? (view as View) : "queue",
    id: id && /^[a-z]{1,2}_[a-z2-7]{26}$/.test(id) ? id : null,
  };
}

export function go(view: View, id: string | null = null): void {
  const target = id ? `#/${view}/${id}` : `#/${view}`;
  if (location.hash !== target) location.hash = target;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const listener = () => setRoute(parse(location.hash));
    window.addEventListener("hashchange", listener);
    return () => window.removeEventListener("hashchange", listener);
  }, []);
  return route;
}
