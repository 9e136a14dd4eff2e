// The client runtime against a real server (the procedure layer's fixture, a guestbook):
// typed results, typed errors, batching, subscriptions and forms over real HTTP.
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, expectTypeOf, inject, test } from "vitest";

import { createClient, RpcError } from "../src/client";
import { createQueryHelpers } from "../src/react-query";
import type { Procedures, Signature, SignError } from "./fixture/generated";

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
const freshEmail = () => `guest${++emails}-${Date.now()}@example.com`;

describe("calls", () => {
  test("a query without input is called without an argument", async () => {
    const { client } = countingClient();
    const stats = await client.query("guestbook.count");
    expectTypeOf(stats).toEqualTypeOf<{ signatureCount: number }>();
    expect(stats.signatureCount).toBeTypeOf("number");
  });

  test("a mutation returns its typed output", async () => {
    const { client } = countingClient();
    const email = freshEmail();
    const signature = await client.mutation("guestbook.sign", { email, name: "Ada" });
    expectTypeOf(signature).toEqualTypeOf<Signature>();
    expect(signature).toMatchObject({ email, name: "Ada" });
    expect(signature.id).toBeTypeOf("number");
  });

  test("input breaking the rules declared on its type is a 422 with messages per field", async () => {
    const { client } = countingClient();
    const error = await client.mutation("guestbook.sign", { email: "not an email", name: "" }).catch((e) => e);
    expect(error).toBeInstanceOf(RpcError);
    const rpcError = error as RpcError<SignError>;
    expect(rpcError.status).toBe(422);
    expect(rpcError.failure).toMatchObject({ kind: "protocol", error: { code: "VALIDATION" } });
    expect(rpcError.fieldErrors).toEqual({
      email: ["Enter a valid email address."],
      name: ["Enter a name of 1 to 100 characters."],
    });
    const blank = (await client
      .mutation("guestbook.sign", { email: freshEmail(), name: "   " })
      .catch((e) => e)) as RpcError;
    expect(blank.fieldErrors).toEqual({ name: ["Enter a name of 1 to 100 characters."] });
    const email = freshEmail();
    const spaced = await client.mutation("guestbook.sign", { email: ` ${email.toUpperCase()} `, name: " Ada " });
    expect(spaced).toMatchObject({ email, name: "Ada" });
  });

  test("a procedure's typed error arrives as that type with its status", async () => {
    const { client } = countingClient();
    const email = freshEmail();
    await client.mutation("guestbook.sign", { email, name: "Ada" });
    const conflict = (await client
      .mutation("guestbook.sign", { email, name: "Ada" })
      .catch((e) => e)) as RpcError<SignError>;
    expect(conflict.status).toBe(409);
    expect(conflict.procedureError).toEqual({ code: "ALREADY_SIGNED", email });
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
    const missingField = () => client.mutation("guestbook.sign", { email: "a@b.c" });
    // @ts-expect-error: queries cannot be called as mutations.
    const wrongKind = () => client.mutation("guestbook.count");
    // @ts-expect-error: unknown procedure.
    const unknown = () => client.query("guestbook.nope");
    expect([missingField, wrongKind, unknown]).toHaveLength(3);
  });

  test("an unreachable server is a transport error", async () => {
    const client = createClient<Procedures>({ url: "http://127.0.0.1:9/rpc" });
    const error = (await client.query("guestbook.count").catch((e) => e)) as RpcError;
    expect(error.failure.kind).toBe("transport");
  });
});

describe("batching", () => {
  test("calls in the same tick share one request, each with its own result", async () => {
    const { client, requests } = countingClient();
    const email = freshEmail();
    await client.mutation("guestbook.sign", { email, name: "Ada" });
    requests.length = 0;

    const [a, b, duplicate, fresh] = await Promise.allSettled([
      client.query("guestbook.count"),
      client.query("guestbook.count"),
      client.mutation("guestbook.sign", { email, name: "Ada" }),
      client.mutation("guestbook.sign", { email: freshEmail(), name: "Grace" }),
    ]);
    expect(requests).toEqual([expect.stringMatching(/^GET \?batch=/), "POST "]);
    expect(a.status === "fulfilled" && a.value.signatureCount).toBeGreaterThan(0);
    expect(b.status).toBe("fulfilled");
    expect(duplicate.status === "rejected" && (duplicate.reason as RpcError).status).toBe(409);
    expect(fresh.status === "fulfilled" && fresh.value.name).toBe("Grace");
  });

  test("a single call uses the plain endpoint, and batching can be turned off", async () => {
    const batched = countingClient();
    await batched.client.query("guestbook.count");
    expect(batched.requests).toEqual(["GET /guestbook.count"]);

    const unbatched = countingClient({ batch: false });
    await Promise.all([unbatched.client.query("guestbook.count"), unbatched.client.query("guestbook.count")]);
    expect(unbatched.requests).toEqual(["GET /guestbook.count", "GET /guestbook.count"]);
  });

  test("calls with an abort signal are batched too, and aborting settles only that call", async () => {
    const { client, requests } = countingClient();
    const controller = new AbortController();
    const aborted = client.query("guestbook.count", undefined, { signal: controller.signal });
    const kept = client.query("guestbook.count", undefined, { signal: new AbortController().signal });
    controller.abort(new Error("navigated away"));
    await expect(aborted).rejects.toThrow("navigated away");
    expect((await kept).signatureCount).toBeTypeOf("number");
    expect(requests).toEqual([expect.stringMatching(/^GET \?batch=/)]);
  });

  test("a batch too long for a URL is posted", async () => {
    const { client, requests } = countingClient({ batch: { maxUrlLength: 10 } });
    await Promise.all([client.query("guestbook.count"), client.query("guestbook.count")]);
    expect(requests).toEqual(["POST "]);
  });
});

describe("subscriptions", () => {
  test("deliver the current value, then each change", async () => {
    const { client } = countingClient();
    const seen: number[] = [];
    let stop = () => {};
    const done = new Promise<void>((resolve, reject) => {
      stop = client.subscribe("guestbook.watchCount", {
        onData: (stats) => {
          expectTypeOf(stats).toEqualTypeOf<{ signatureCount: number }>();
          seen.push(stats.signatureCount);
          if (seen.length === 1) void client.mutation("guestbook.sign", { email: freshEmail(), name: "Lin" });
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
    const signature = await browserLike.submitForm("guestbook.sign", data);
    expect(signature).toMatchObject({ email, name: "Form Reader" });
    expect(browserLike.actionUrl("guestbook.sign")).toBe(`${url}/guestbook.sign`);
  });

  test("field errors of a form post arrive typed, as for a JSON call", async () => {
    const data = new FormData();
    data.set("email", "nope");
    data.set("name", "");
    const error = (await browserLike.submitForm("guestbook.sign", data).catch((e) => e)) as RpcError<SignError>;
    expect(error.status).toBe(422);
    expect(error.fieldErrors).toEqual({
      email: ["Enter a valid email address."],
      name: ["Enter a name of 1 to 100 characters."],
    });
  });

  test("a form post without an Origin is refused", async () => {
    const { client } = countingClient();
    const data = new FormData();
    data.set("email", freshEmail());
    data.set("name", "No Origin");
    const error = (await client.submitForm("guestbook.sign", data).catch((e) => e)) as RpcError;
    expect(error.status).toBe(403);
    expect(error.failure).toMatchObject({ kind: "protocol", error: { code: "CROSS_ORIGIN" } });
  });
});

describe("TanStack Query helpers", () => {
  test("query options fetch through the client, keyed by procedure and input", async () => {
    const { client } = countingClient();
    const rq = createQueryHelpers(client);
    const queryClient = new QueryClient();
    const options = rq.queryOptions("guestbook.count");
    expect(options.queryKey).toEqual(["guestbook.count"]);
    const stats = await queryClient.fetchQuery(options);
    expect(stats.signatureCount).toBeTypeOf("number");
    expect(queryClient.getQueryData(rq.queryKey("guestbook.count"))).toEqual(stats);
  });

  test("queries a page starts together travel in one request", async () => {
    const { client, requests } = countingClient();
    const rq = createQueryHelpers(client);
    const queryClient = new QueryClient();
    await Promise.all([
      queryClient.fetchQuery(rq.queryOptions("guestbook.count")),
      new QueryClient().fetchQuery(rq.queryOptions("guestbook.count")),
    ]);
    expect(requests).toHaveLength(1);
  });

  test("mutation options carry the typed error", async () => {
    const { client } = countingClient();
    const rq = createQueryHelpers(client);
    const options = rq.mutationOptions("guestbook.sign");
    expectTypeOf(options.mutationFn!).parameter(0).toEqualTypeOf<{ email: string; name: string }>();
    const error = (await options.mutationFn!({ email: "x", name: "Ada" }, {} as never).catch(
      (e) => e,
    )) as RpcError<SignError>;
    expect(error.fieldErrors).toEqual({ email: ["Enter a valid email address."] });
  });
});
