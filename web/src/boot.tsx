// Signing in, shared by the command center (/) and the wall screen (/wall): the key is checked with GET /v1/me and
// kept for this tab's session only; what the deployment serves is read from its OpenAPI document first.
import { type ComponentType, render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { Capabilities, keyStore } from "./api";
import { startClock } from "./components/bits";
import { type Session, SessionContext, signIn } from "./session";
import "./styles.css";

export function mount(Screen: ComponentType, title: string): void {
  startClock();
  const root = document.getElementById("app");
  if (!root) return;
  root.replaceChildren();
  render(<App Screen={Screen} title={title} />, root);
}

function App({ Screen, title }: { Screen: ComponentType; title: string }) {
  const [caps, setCaps] = useState<Capabilities | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(true);

  const signedOut = useCallback((reason?: string) => {
    setSession(null);
    setNotice(reason ?? null);
  }, []);

  useEffect(() => {
    const loading = Capabilities.load();
    const kept = keyStore.get();
    // A returning tab signs in with its kept key while the API description loads.
    const resumed = kept ? signIn(kept, loading, signedOut).catch(() => (keyStore.clear(), null)) : Promise.resolve(null);
    Promise.all([loading, resumed])
      .then(([loaded, session]) => {
        setCaps(loaded);
        if (session) setSession(session);
      })
      .catch(() => setNotice("Hark could not be reached. Is the local stack running (make run)?"))
      .finally(() => setRestoring(false));
  }, [signedOut]);

  if (restoring) return <p class="boot">Loading…</p>;
  if (!caps || !session) {
    return <SignIn title={title} caps={caps} notice={notice} onSignedIn={(s) => (setNotice(null), setSession(s))} signedOut={signedOut} />;
  }
  return (
    <SessionContext.Provider value={session}>
      <Screen />
    </SessionContext.Provider>
  );
}

function SignIn(props: {
  title: string;
  caps: Capabilities | null;
  notice: string | null;
  onSignedIn: (session: Session) => void;
  signedOut: (reason?: string) => void;
}) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!props.caps || !key.trim()) return;
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await signIn(key.trim(), props.caps, props.signedOut));
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <form class="signin-card" onSubmit={submit} aria-describedby="signin-help">
        <h1>
          <span class="logo" aria-hidden="true">
            H
          </span>{" "}
          {props.title}
        </h1>
        <p id="signin-help" class="muted">
          Sign in with your Hark API key. It is kept in this browser tab only and forgotten when you close it.
        </p>
        {props.notice ? (
          <p class="notice" role="status">
            {props.notice}
          </p>
        ) : null}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={error ? "true" : undefined}
          aria-errormessage={error ? "signin-error" : undefined}
        />
        {error ? (
          <p id="signin-error" class="error-note" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy || !props.caps}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="muted small">
          On the local stack (<code>make run</code>) the key is printed at start; by default it is{" "}
          <code>hark-dev-api-key</code>.
        </p>
      </form>
    </main>
  );
}

