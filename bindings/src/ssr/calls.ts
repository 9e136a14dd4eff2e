// The calls of the server render in progress (in a QuickJS worker of the Rust server, see
// server/render): answered from the results the server passed in, and recorded when the
// server has not run them yet. A worker renders one page at a time, so one module-level
// render is enough; in the browser none is ever active.

/** A query's answer as the server passed it: what `GET /rpc/{name}` would have answered. */
export interface ServerResult {
  name: string;
  /** The input as JSON text (the bytes a browser sends as `?input=`), or null for none. */
  input: string | null;
  status: number;
  body: unknown;
}

/** A query the render waits for. */
export interface ServerCall {
  name: string;
  input: string | null;
}

interface ActiveRender {
  results: Map<string, ServerResult>;
  waiting: Map<string, ServerCall>;
}

let active: ActiveRender | undefined;

const keyOf = (name: string, input: string | null) => `${name}\n${input ?? ""}`;

export function beginServerRender(results: ServerResult[]): void {
  active = { results: new Map(results.map((r) => [keyOf(r.name, r.input), r])), waiting: new Map() };
}

export function endServerRender(): void {
  active = undefined;
}

/** The calls the render asked for that the server has not answered yet. */
export function waitingCalls(): ServerCall[] {
  return active ? [...active.waiting.values()] : [];
}

/**
 * During a server render: the answer to a query, or a promise that stays pending while the
 * server runs it (the render is then resumed from the start with the answer). Outside one:
 * `undefined`, and the client sends the call over HTTP.
 */
export function answerDuringServerRender(
  kind: "query" | "mutation",
  name: string,
  input: unknown,
): Promise<{ status: number; body: unknown }> | undefined {
  if (!active) return undefined;
  if (kind !== "query") return Promise.reject(new Error(`${name}: mutations do not run during a server render`));
  const encoded = input === undefined ? null : JSON.stringify(input);
  const key = keyOf(name, encoded);
  const result = active.results.get(key);
  if (result) return Promise.resolve({ status: result.status, body: result.body });
  active.waiting.set(key, { name, input: encoded });
  return new Promise(() => {});
}
