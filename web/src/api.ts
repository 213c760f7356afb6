// The partner API, as the command center calls it: the caller's key on every request, problem+json errors
// turned into ApiError, and what this deployment serves read from its own OpenAPI document, so a screen offers
// only the operations that exist and that the caller's roles may call (the edge would answer 403 otherwise).

import type { Me, Role } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

const TIMEOUT_MS = 15_000;

interface OperationInfo {
  method: string;
  path: string;
  roles: Role[] | null; // null: no key needed; []: any key
}

export class Capabilities {
  constructor(
    readonly operations: Map<string, OperationInfo>,
    /** The task statuses this deployment knows (the `status` filter of GET /v1/tasks). */
    readonly taskStatuses: string[] = ["open", "closed"],
    /** The query parameters GET /v1/tasks takes. */
    readonly taskParameters: Set<string> = new Set(),
  ) {}

  static async load(): Promise<Capabilities> {
    const response = await fetch("/openapi.json", { cache: "no-store" });
    if (!response.ok) throw new ApiError(response.status, "the API description could not be read");
    const document = (await response.json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            operationId: string;
            security?: unknown;
            "x-hark-roles"?: Role[];
            parameters?: { name: string; schema: unknown }[];
          }
        >
      >;
    };
    const operations = new Map<string, OperationInfo>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations.set(op.operationId, {
          method: method.toUpperCase(),
          path,
          roles: op.security ? (op["x-hark-roles"] ?? []) : null,
        });
      }
    }
    const statusParameter = document.paths["/v1/tasks"]?.get?.parameters?.find((p) => p.name === "status");
    const statuses = enumIn(statusParameter?.schema);
    const taskParameters = new Set((document.paths["/v1/tasks"]?.get?.parameters ?? []).map((p) => p.name));
    return new Capabilities(operations, statuses.length ? statuses : undefined, taskParameters);
  }

  has(operation: string): boolean {
    return this.operations.has(operation);
  }

  /** The operation exists here and the caller's roles may call it. */
  allows(operation: string, me: Me | null): boolean {
    const op = this.operations.get(operation);
    if (!op) return false;
    if (op.roles === null || op.roles.length === 0) return true;
    return me !== null && op.roles.some((role) => me.roles.includes(role));
  }
}

function enumIn(schema: unknown): string[] {
  if (schema === null || typeof schema !== "object") return [];
  const node = schema as { enum?: unknown[]; anyOf?: unknown[]; oneOf?: unknown[] };
  if (Array.isArray(node.enum)) return node.enum.filter((v): v is string => typeof v === "string");
  return [...(node.anyOf ?? []), ...(node.oneOf ?? [])].flatMap(enumIn);
}

type Query = Record<string, string | number | boolean | null | undefined>;

export class Api {
  constructor(
    private readonly key: string,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>("GET", path, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("POST", path, {}, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>("PUT", path, {}, body);
  }

  /** A download (an export): the file as a blob, with the name the server gives it. */
  async download(path: string, query: Query = {}): Promise<{ blob: Blob; name: string | null }> {
    const response = await this.send("GET", path, query, undefined, "*/*");
    const disposition = response.headers.get("content-disposition") ?? "";
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null;
    return { blob: await response.blob(), name };
  }

  private async call<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const response = await this.send(method, path, query, body, "application/json");
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, query: Query, body: unknown, accept: string): Promise<Response> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
    }
    const url = params.size ? `${path}?${params}` : path;
    const headers: Record<string, string> = { "x-api-key": this.key, accept };
    if (body !== undefined) headers["content-type"] = "application/json";
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        cache: "no-store",
        body: body === undefined ? null : JSON.stringify(body),
        signal: abort.signal,
      });
    } catch {
      throw new ApiError(0, "Hark could not be reached; retrying");
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) return response;
    let problem: Record<string, unknown> = {};
    try {
      problem = (await response.json()) as Record<string, unknown>;
    } catch {
      // not a problem document (a proxy's error page): the status says enough
    }
    if (response.status === 401) this.onUnauthorized();
    const detail = typeof problem.detail === "string" ? problem.detail : `HTTP ${response.status}`;
    throw new ApiError(response.status, detail, problem);
  }
}

export const SESSION_KEY = "hark.apiKey";

/** The key is kept for this browser tab's session only (sessionStorage), never in localStorage or a cookie. */
export const keyStore = {
  get: (): string | null => sessionStorage.getItem(SESSION_KEY),
  set: (key: string): void => sessionStorage.setItem(SESSION_KEY, key),
  clear: (): void => sessionStorage.removeItem(SESSION_KEY),
};
