// One signed-in session: who (GET /v1/me), what this deployment serves (its OpenAPI document), and the live
// inbox and queue that every screen reads.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { Api, ApiError, Capabilities, keyStore } from "./api";
import { MentionFeed } from "./feed";
import { TaskBoard, firstScreenful } from "./tasks";
import type { Me } from "./types";

export interface Session {
  api: Api;
  me: Me;
  caps: Capabilities;
  feed: MentionFeed;
  board: TaskBoard;
  /** The operation exists here and this user's roles may call it. */
  can: (operation: string) => boolean;
  signOut: (reason?: string) => void;
}

const READER_ROLES = ["viewer", "agent", "approver", "safety", "admin"];

export async function signIn(
  key: string,
  capabilities: Capabilities | Promise<Capabilities>,
  onSignedOut: (reason?: string) => void,
): Promise<Session> {
  let expired = false;
  let session: Session | null = null;
  const signOut = (reason?: string) => {
    if (expired) return;
    expired = true;
    keyStore.clear();
    session?.feed.stop();
    session?.board.stop();
    onSignedOut(reason);
  };
  const api = new Api(key, () => signOut("Your API key is no longer accepted. Sign in again."));
  // The queue's first screenful is asked for at once with the key: it does not wait for the sign-in's answer
  // (on a client of its own, so a key refused here is told so once, by the sign-in).
  const first = firstScreenful(new Api(key));
  let me: Me;
  let caps: Capabilities;
  try {
    // Both at once: the first view waits for the slower of the two, not for both in turn.
    [caps, me] = await Promise.all([capabilities, api.get<Me>("/v1/me")]);
  } catch (error) {
    expired = true; // nothing was started
    if (error instanceof ApiError && error.status === 401) throw new Error("That API key is not one Hark issued.");
    throw error;
  }
  if (!me.roles.some((r) => READER_ROLES.includes(r))) {
    throw new Error("This key is for partner tools; it cannot open the command center. Ask for an agent's key.");
  }
  keyStore.set(key);
  const started: Session = {
    api,
    me,
    caps,
    feed: new MentionFeed(api),
    board: new TaskBoard(api, caps, first),
    can: (operation) => caps.allows(operation, me),
    signOut,
  };
  session = started;
  started.board.start(); // the queue is the first view: its request goes first
  void started.feed.start();
  return started;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("no session");
  return session;
}
