// The client runtime against the real server: typed results, typed errors, batching and
// subscriptions over real HTTP.
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, expectTypeOf, inject, test } from "vitest";

import { createClient, RpcError, type Procedures, type Subscriber, type SubscribeError } from "../src/index";
import { createQueryHelpers } from "../src/react-query";

const url = `${inject("serverUrl")}/rpc`;

/** A client whose requests are counted, to observe batching. */
function countingClient(options: Parameters<typeof createClient>[0] = {}) {
  const requests: string[] = [];
  const client = createClient<Procedures>({
    url,
    ...options,
    fetch: (input, init) => {
      requests.push(`${init?.method ?? "GET"} ${String(input).replace(url, "")}`);
      return fetch(input, init);
    },
  });
  return { client, requests };
}

let emails = 0;
const freshEmail = () => `reader${++emails}-${Date.now()}@example.com`;

describe("calls", () => {
  test("a query without input is called without an argument", async () => {
    const { client } = countingClient();
    const stats = await client.query("newsletter.stats");
    expectTypeOf(stats).toEqualTypeOf<{ subscriberCount: number }>();
    expect(stats.subscriberCount).toBeTypeOf("number");
  });

  test("a mutation returns its typed output", async () => {
    const { client } = countingClient();
    const email = freshEmail();
    const subscriber = await client.mutation("newsletter.subscribe", { email, name: "Ada" });
    expectTypeOf(subscriber).toEqualTypeOf<Subscriber>();
    expect(subscriber).toMatchObject({ email, name: "Ada" });
    expect(subscriber.id).toBeTypeOf("number");
    // DateTime fields arrive as ISO 8601 strings in UTC.
    expect(subscriber.subscribedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.now() - Date.parse(subscriber.subscribedAt)).toBeLessThan(60_000);
  });

  test("input breaking the rules declared on its type is a 422 with messages per field", async () => {
    const { client } = countingClient();
    const error = await client.mutation("newsletter.subscribe", { email: "not an email", name: "" }).catch((e) => e);
    expect(error).toBeInstanceOf(RpcError);
    const rpcError = error as RpcError<SubscribeError>;
    expect(rpcError.status).toBe(422);
    expect(rpcError.failure).toMatchObject({ kind: "protocol", error: { code: "VALIDATION" } });
    expect(rpcError.fieldErrors).toEqual({
      email: ["Enter a valid email address."],
      name: ["Enter a name of 1 to 100 characters."],
    });
    const blank = (await client.mutation("newsletter.subscribe", { email: freshEmail(), name: "   " }).catch((e) => e)) as RpcError;
    expect(blank.fieldErrors).toEqual({ name: ["Enter a name of 1 to 100 characters."] });
    const email = freshEmail();
    const spaced = await client.mutation("newsletter.subscribe", { email: ` ${email.toUpperCase()} `, name: " Ada " });
    expect(spaced).toMatchObject({ email, name: "Ada" });
  });

  test("a procedure's typed error arrives as that type with its status", async () => {
    const { client } = countingClient();
    const email = freshEmail();
    await client.mutation("newsletter.subscribe", { email, name: "Ada" });
    const conflict = (await client.mutation("newsletter.subscribe", { email, name: "Ada" }).catch((e) => e)) as RpcError<SubscribeError>;
    expect(conflict.status).toBe(409);
    expect(conflict.procedureError).toEqual({ code: "ALREADY_SUBSCRIBED", email });
  });

  test("protocol errors carry their code and the request id", async () => {
    const client = createClient<{ missing: { kind: "query"; input: void; output: null; error: never } }>({ url });
    const error = (await client.query("missing").catch((e) => e)) as RpcError;
    expect(error.status).toBe(404);
    expect(error.failure).toMatchObject({ kind: "protocol", error: { code: "UNKNOWN_PROCEDURE", name: "missing" } });
    expect(error.failure.kind === "protocol" && error.failure.requestId).toBeTruthy();
  });

  test("wrong input types are refused by the compiler", () => {
    const { client } = countingClient();
    // @ts-expect-error: the input needs a name.
    const missingField = () => client.mutation("newsletter.subscribe", { email: "a@b.c" });
    // @ts-expect-error: queries cannot be called as mutations.
    const wrongKind = () => client.mutation("newsletter.stats");
    // @ts-expect-error: unknown procedure.
    const unknown = () => client.query("newsletter.nope");
    expect([missingField, wrongKind, unknown]).toHaveLength(3);
  });

  test("an unreachable server is a transport error", async () => {
    const client = createClient<Procedures>({ url: "http://127.0.0.1:9/rpc" });
    const error = (await client.query("newsletter.stats").catch((e) => e)) as RpcError;
    expect(error.failure.kind).toBe("transport");
  });
});

describe("batching", () => {
  test("calls in the same tick share one request, each with its own result", async () => {
    const { client, requests } = countingClient();
    const email = freshEmail();
    await client.mutation("newsletter.subscribe", { email, name: "Ada" });
    requests.length = 0;

    const [a, b, duplicate, fresh] = await Promise.allSettled([
      client.query("newsletter.stats"),
      client.query("newsletter.stats"),
      client.mutation("newsletter.subscribe", { email, name: "Ada" }),
      client.mutation("newsletter.subscribe", { email: freshEmail(), name: "Grace" }),
    ]);
    expect(requests).toEqual([expect.stringMatching(/^GET \?batch=/), "POST "]);
    expect(a.status === "fulfilled" && a.value.subscriberCount).toBeGreaterThan(0);
    expect(b.status).toBe("fulfilled");
    expect(duplicate.status === "rejected" && (duplicate.reason as RpcError).status).toBe(409);
    expect(fresh.status === "fulfilled" && fresh.value.name).toBe("Grace");
  });

  test("a single call uses the plain endpoint, and batching can be turned off", async () => {
    const batched = countingClient();
    await batched.client.query("newsletter.stats");
    expect(batched.requests).toEqual(["GET /newsletter.stats"]);

    const unbatched = countingClient({ batch: false });
    await Promise.all([unbatched.client.query("newsletter.stats"), unbatched.client.query("newsletter.stats")]);
    expect(unbatched.requests).toEqual(["GET /newsletter.stats", "GET /newsletter.stats"]);
  });

  test("calls with an abort signal are batched too, and aborting settles only that call", async () => {
    const { client, requests } = countingClient();
    const controller = new AbortController();
    const aborted = client.query("newsletter.stats", undefined, { signal: controller.signal });
    const kept = client.query("newsletter.stats", undefined, { signal: new AbortController().signal });
    controller.abort(new Error("navigated away"));
    await expect(aborted).rejects.toThrow("navigated away");
    expect((await kept).subscriberCount).toBeTypeOf("number");
    expect(requests).toEqual([expect.stringMatching(/^GET \?batch=/)]);
  });

  test("a batch too long for a URL is posted", async () => {
    const { client, requests } = countingClient({ batch: { maxUrlLength: 10 } });
    await Promise.all([client.query("newsletter.stats"), client.query("newsletter.stats")]);
    expect(requests).toEqual(["POST "]);
  });
});

describe("subscriptions", () => {
  test("deliver the current value, then each change", async () => {
    const { client } = countingClient();
    const seen: number[] = [];
    let stop = () => {};
    const done = new Promise<void>((resolve, reject) => {
      stop = client.subscribe("newsletter.watchStats", {
        onData: (stats) => {
          expectTypeOf(stats).toEqualTypeOf<{ subscriberCount: number }>();
          seen.push(stats.subscriberCount);
          if (seen.length === 1) void client.mutation("newsletter.subscribe", { email: freshEmail(), name: "Lin" });
          if (seen.length === 2) resolve();
        },
        onError: reject,
      });
    });
    await done;
    stop();
    expect(seen[1]).toBe(seen[0]! + 1);
  });
});

describe("forms", () => {
  const serverUrl = inject("serverUrl");
  // Node's fetch sends no Origin; a browser always does, and form posts require it.
  const browserLike = createClient<Procedures>({ url, headers: () => ({ origin: serverUrl }) });

  test("a form posts to a mutation and gets the typed result", async () => {
    const data = new FormData();
    const email = freshEmail();
    data.set("email", email);
    data.set("name", "Form Reader");
    const subscriber = await browserLike.submitForm("newsletter.subscribe", data);
    expect(subscriber).toMatchObject({ email, name: "Form Reader" });
    expect(browserLike.actionUrl("newsletter.subscribe")).toBe(`${url}/newsletter.subscribe`);
  });

  test("field errors of a form post arrive typed, as for a JSON call", async () => {
    const data = new FormData();
    data.set("email", "nope");
    data.set("name", "");
    const error = (await browserLike.submitForm("newsletter.subscribe", data).catch((e) => e)) as RpcError<SubscribeError>;
    expect(error.status).toBe(422);
    expect(error.fieldErrors).toEqual({ email: ["Enter a valid email address."], name: ["Enter a name of 1 to 100 characters."] });
  });

  test("a form post without an Origin is refused", async () => {
    const { client } = countingClient();
    const data = new FormData();
    data.set("email", freshEmail());
    data.set("name", "No Origin");
    const error = (await client.submitForm("newsletter.subscribe", data).catch((e) => e)) as RpcError;
    expect(error.status).toBe(403);
    expect(error.failure).toMatchObject({ kind: "protocol", error: { code: "CROSS_ORIGIN" } });
  });
});

describe("TanStack Query helpers", () => {
  test("query options fetch through the client, keyed by procedure and input", async () => {
    const { client } = countingClient();
    const rq = createQueryHelpers(client);
    const queryClient = new QueryClient();
    const options = rq.queryOptions("newsletter.stats");
    expect(options.queryKey).toEqual(["newsletter.stats"]);
    const stats = await queryClient.fetchQuery(options);
    expect(stats.subscriberCount).toBeTypeOf("number");
    expect(queryClient.getQueryData(rq.queryKey("newsletter.stats"))).toEqual(stats);
  });

  test("queries a page starts together travel in one request", async () => {
    const { client, requests } = countingClient();
    const rq = createQueryHelpers(client);
    const queryClient = new QueryClient();
    await Promise.all([
      queryClient.fetchQuery(rq.queryOptions("newsletter.stats")),
      new QueryClient().fetchQuery(rq.queryOptions("newsletter.stats")),
    ]);
    expect(requests).toHaveLength(1);
  });

  test("mutation options carry the typed error", async () => {
    const { client } = countingClient();
    const rq = createQueryHelpers(client);
    const options = rq.mutationOptions("newsletter.subscribe");
    expectTypeOf(options.mutationFn!).parameter(0).toEqualTypeOf<{ email: string; name: string }>();
    const error = (await options.mutationFn!({ email: "x", name: "Ada" }, {} as never).catch((e) => e)) as RpcError<SubscribeError>;
    expect(error.fieldErrors).toEqual({ email: ["Enter a valid email address."] });
  });
});
