// The web page as a reader uses it: served by the Rust server, calling a query, a mutation
// and a subscription, and showing the mutation's typed errors.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { launch } from "./browser";

let browser: Awaited<ReturnType<typeof launch>>;
let page: Page;
let context: BrowserContext;

beforeAll(async () => {
  browser = await launch();
  context = browser.context;
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
});

test("the page shows the count, subscribes a reader and reports typed errors", async () => {
  await page.goto(inject("serverUrl"));
  const count = page.getByTestId("subscriber-count");
  await count.getByText("0 readers subscribed").waitFor();

  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByText("Enter a valid email address.").waitFor();
  await page.getByText("Enter a name of 1 to 100 characters.").waitFor();

  await page.getByLabel("Name").fill("Ada");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByRole("status").getByText("Welcome, Ada!").waitFor();
  await count.getByText("1 readers subscribed").waitFor();

  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByText("ada@example.com is already subscribed.").waitFor();
  expect(await count.textContent()).toBe("1 readers subscribed");
});

test("another tab sees the new reader live, through the subscription", async () => {
  const other = await context.newPage();
  await other.goto(inject("serverUrl"));
  const count = other.getByTestId("subscriber-count");
  await count.getByText("1 readers subscribed").waitFor();

  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByLabel("Name").fill("Grace");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await count.getByText("2 readers subscribed").waitFor();
});

test("client-side routes are served the page, unknown procedures are not", async () => {
  const response = await page.request.get(`${inject("serverUrl")}/some/client/route`);
  expect(response.status()).toBe(200);
  expect(await response.text()).toContain('<div id="root">');
  const rpc = await page.request.get(`${inject("serverUrl")}/rpc/nope`);
  expect(rpc.status()).toBe(404);
  expect((await rpc.json()).error.code).toBe("UNKNOWN_PROCEDURE");
});
