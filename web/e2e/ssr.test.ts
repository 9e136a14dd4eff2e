// Pages rendered by the server, in Chromium: read without JavaScript, hydrated with it
// without errors and without requesting data the HTML already carries.
import type { Request } from "playwright-core";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { launch, screenshot } from "./browser";

const url = () => inject("serverUrl");
const [, grace] = inject("authors");

const SLUG = `rendered-${Date.now()}`;
const TITLE = "Rendered on the server";

/** Calls a mutation as a signed-in author would, over HTTP. */
async function mutation(name: string, input: unknown, cookie = ""): Promise<Response> {
  const response = await fetch(`${url()}/rpc/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url(), cookie },
    body: JSON.stringify(input),
  });
  expect(response.status, `${name} answered ${await response.clone().text()}`).toBe(200);
  return response;
}

beforeAll(async () => {
  const login = await mutation("auth.login", { email: grace!.email, password: grace!.password });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const post = (await (
    await mutation(
      "posts.create",
      { title: TITLE, slug: SLUG, body: "A paragraph with **weight**.", tags: ["ssr"] },
      cookie,
    )
  ).json()) as { id: number };
  await mutation("posts.publish", { id: post.id }, cookie);
});

let browser: Awaited<ReturnType<typeof launch>> | undefined;
afterAll(async () => {
  await browser?.close();
});

test("without JavaScript the blog and a post are readable", async () => {
  browser = await launch({ javaScript: false });
  const page = await browser.context.newPage();
  await page.goto(`${url()}/blog`);
  await page.getByRole("link", { name: TITLE }).click();
  expect(new URL(page.url()).pathname).toBe(`/blog/${SLUG}`);
  await page.getByRole("heading", { name: TITLE }).waitFor();
  expect(await page.locator(".prose strong").textContent()).toBe("weight");
  expect(await page.title()).toBe(`${TITLE} · Isthmus`);
  await screenshot(page, "post-without-javascript");
  await browser.close();
  browser = undefined;
});

test("with JavaScript the page hydrates without errors and fetches none of the data it carries", async () => {
  browser = await launch();
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  const calls: string[] = [];
  page.on("request", (request: Request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith("/rpc")) calls.push(path);
  });

  await page.goto(`${url()}/blog/${SLUG}`);
  // Hydrated: a client-side navigation works (and only now asks for the list).
  await page.waitForFunction(() => document.getElementById("root")?.hasAttribute("data-hydrated"));
  expect(calls, "the post, the viewer: all in the HTML").toEqual([]);
  await page.getByRole("link", { name: "Blog", exact: true }).click();
  await page.getByRole("heading", { name: "Blog", exact: true }).waitFor();
  expect(calls).toEqual(["/rpc/posts.list"]);
  expect(await page.title()).toBe("Blog · Isthmus");
  expect(errors).toEqual([]);
});

test("an unknown page is the app's 404, and hydrates as such", async () => {
  browser ??= await launch();
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const response = await page.goto(`${url()}/no/such/page`);
  expect(response?.status()).toBe(404);
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  await page.waitForFunction(() => document.getElementById("root")?.hasAttribute("data-hydrated"));
  expect(errors).toEqual([]);
});
