// What the router and React Query need from the platform and QuickJS lacks: URL and
// URLSearchParams (core-js, spec-complete); AbortController (signals are created and checked
// during a render, never aborted by a user); Headers and Response, which the router uses only
// to carry a redirect's status and location (`redirect()`, `isRedirect()`).
import "core-js/actual/url";
import "core-js/actual/url-search-params";

if (typeof globalThis.AbortController === "undefined") {
  class Signal {
    aborted = false;
    reason: unknown = undefined;
    onabort: ((event: { type: string }) => void) | null = null;
    #listeners = new Set<(event: { type: string }) => void>();
    addEventListener(type: string, listener: (event: { type: string }) => void) {
      if (type === "abort") this.#listeners.add(listener);
    }
    removeEventListener(type: string, listener: (event: { type: string }) => void) {
      if (type === "abort") this.#listeners.delete(listener);
    }
    throwIfAborted() {
      if (this.aborted) throw this.reason;
    }
    dispatch() {
      const event = { type: "abort" };
      this.onabort?.(event);
      for (const listener of this.#listeners) listener(event);
    }
  }
  class Controller {
    readonly signal = new Signal();
    abort(reason: unknown = new Error("This operation was aborted")) {
      if (this.signal.aborted) return;
      this.signal.aborted = true;
      this.signal.reason = reason;
      this.signal.dispatch();
    }
  }
  Object.assign(globalThis, { AbortController: Controller, AbortSignal: Signal });
}

if (typeof globalThis.Headers === "undefined") {
  class Headers {
    #entries = new Map<string, string>();
    constructor(init?: Record<string, string> | [string, string][] | Headers) {
      const pairs =
        init instanceof Headers ? [...init.entries()] : Array.isArray(init) ? init : Object.entries(init ?? {});
      for (const [name, value] of pairs) this.set(name, value);
    }
    get(name: string) {
      return this.#entries.get(name.toLowerCase()) ?? null;
    }
    set(name: string, value: string) {
      this.#entries.set(name.toLowerCase(), String(value));
    }
    append(name: string, value: string) {
      const present = this.get(name);
      this.set(name, present === null ? value : `${present}, ${value}`);
    }
    has(name: string) {
      return this.#entries.has(name.toLowerCase());
    }
    delete(name: string) {
      this.#entries.delete(name.toLowerCase());
    }
    entries() {
      return this.#entries.entries();
    }
    forEach(callback: (value: string, name: string) => void) {
      this.#entries.forEach(callback);
    }
  }
  class Response {
    readonly status: number;
    readonly headers: Headers;
    constructor(_body?: unknown, init?: { status?: number; headers?: Headers | Record<string, string> }) {
      this.status = init?.status ?? 200;
      this.headers = new Headers(init?.headers);
    }
    get ok() {
      return this.status >= 200 && this.status < 300;
    }
  }
  Object.assign(globalThis, { Headers, Response });
}
