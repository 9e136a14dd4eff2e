// The web page as a reader uses it: served by the Rust server, calling a query, a mutation
// and a subscription, and showing the mutation's typed errors; the double opt-in, confirmed
// from the link in the email the provider received; and the same pages with JavaScript
// disabled, where their forms post to the mutations directly.
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { launch } from "./browser";
import { confirmationLink } from "./provider";

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

let readersBefore = 0;

/** Opens the confirmation link emailed to `email` in `tab` and presses the button. */
async function confirmFromEmail(tab: Page, email: string) {
  await tab.goto(await confirmationLink(inject("providerUrl"), email));
  await tab.getByRole("button", { name: "Confirm my subscription" }).click();
}

test("the page subscribes a reader, who counts once confirmed from the emailed link, and reports typed errors", async () => {
  await page.goto(inject("serverUrl"));
  const count = page.getByTestId("subscriber-count");
  await count.getByText(/^\d+ readers subscribed$/).waitFor();
  // Other suites share the server: count from what is there.
  readersBefore = Number((await count.textContent())!.split(" ")[0]);

  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByText("Enter a valid email address.").waitFor();
  await page.getByText("Enter a name of 1 to 100 characters.").waitFor();
  expect(await page.getByText("Something went wrong").count(), "field errors are not a failure banner").toBe(0);

  await page.getByLabel("Name").fill("Ada");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page
    .getByRole("status")
    .getByText("Almost there, Ada: confirm from the link we sent to ada@example.com.")
    .waitFor();
  expect(await count.textContent(), "not counted before confirming").toBe(`${readersBefore} readers subscribed`);

  const inbox = await context.newPage();
  await confirmFromEmail(inbox, "ada@example.com");
  await inbox.getByRole("status").getByText("You are subscribed, Ada. Thank you!").waitFor();
  await count.getByText(`${readersBefore + 1} readers subscribed`).waitFor();
  await inbox.close();

  await page.getByRole("button", { name: "Subscribe" }).click();
  await page.getByText("ada@example.com is already subscribed.").waitFor();
  expect(await count.textContent()).toBe(`${readersBefore + 1} readers subscribed`);
});

test("another tab sees the new reader live, through the subscription", async () => {
  const other = await context.newPage();
  await other.goto(inject("serverUrl"));
  const count = other.getByTestId("subscriber-count");
  await count.getByText(`${readersBefore + 1} readers subscribed`).waitFor();

  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByLabel("Name").fill("Grace");
  await page.getByRole("button", { name: "Subscribe" }).click();
  await page
    .getByRole("status")
    .getByText(/^Almost there, Grace/)
    .waitFor();
  await confirmFromEmail(page, "grace@example.com");
  await page.getByRole("status").getByText("You are subscribed, Grace. Thank you!").waitFor();
  await count.getByText(`${readersBefore + 2} readers subscribed`).waitFor();

  // The link is single use.
  await confirmFromEmail(page, "grace@example.com");
  await page.getByRole("alert").getByText("This link was used already, or is not valid.").waitFor();
});

test("an unknown path is the app's 404 page, an unknown procedure the typed error", async () => {
  const response = await page.request.get(`${inject("serverUrl")}/some/client/route`);
  expect(response.status()).toBe(404);
  expect(await response.text()).toContain("<h1>Page not found</h1>");
  const rpc = await page.request.get(`${inject("serverUrl")}/rpc/nope`);
  expect(rpc.status()).toBe(404);
  expect((await rpc.json()).error.code).toBe("UNKNOWN_PROCEDURE");
});

test("the home page hydrates without errors and a client-side navigation to an unknown path shows the 404 page", async () => {
  const fresh = await context.newPage();
  const errors: string[] = [];
  fresh.on("pageerror", (error) => errors.push(error.message));
  fresh.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await fresh.goto(inject("serverUrl"));
  await fresh.waitForFunction(() => document.getElementById("root")?.hasAttribute("data-hydrated"));
  await fresh.evaluate(() => {
    history.pushState(null, "", "/some/client/route");
    dispatchEvent(new PopStateEvent("popstate"));
  });
  await fresh.getByRole("heading", { name: "Page not found" }).waitFor();
  expect(errors).toEqual([]);
  await fresh.close();
});

test("without JavaScript the forms post to the mutations, return by 303 to a note, and show field errors", async () => {
  const url = inject("serverUrl");
  const noScript = await launch({ javaScript: false });
  try {
    const reader = await noScript.context.newPage();
    await reader.goto(url);
    // Rendered on the server with its data; the cached page is dropped when the count changes.
    const counted = async () => Number((await reader.getByTestId("subscriber-count").textContent())!.split(" ")[0]);
    const before = await counted();
    const almost = reader.getByText("Almost there: confirm from the link we sent you.");
    expect(await almost.isVisible()).toBe(false);
    await reader.getByLabel("Name").fill("Linus");
    await reader.getByLabel("Email").fill("linus@example.com");
    const back = reader.waitForRequest((request) => request.url() === `${url}/` && request.redirectedFrom() !== null);
    await reader.getByRole("button", { name: "Subscribe" }).click();
    const post = (await back).redirectedFrom()!;
    expect(post.method()).toBe("POST");
    expect(post.url()).toBe(`${url}/rpc/newsletter.subscribe`);
    expect((await post.response())?.status()).toBe(303);
    await almost.waitFor({ state: "visible" });
    expect(reader.url()).toBe(`${url}/#newsletter.subscribe`);
    expect(await counted(), "not counted before confirming").toBe(before);

    // The emailed link, opened without JavaScript: a GET confirms nothing, the button does.
    const link = await confirmationLink(inject("providerUrl"), "linus@example.com");
    await reader.goto(link);
    await reader.getByRole("button", { name: "Confirm my subscription" }).click();
    await reader.getByText("You are subscribed. Thank you!").waitFor({ state: "visible" });
    expect(reader.url()).toBe(`${link}#newsletter.confirm`);
    await reader.goto(url);
    expect(await counted(), "the page after the confirmation shows the new count").toBe(before + 1);

    // Stored: subscribing the same address again is a conflict.
    const again = await fetch(`${url}/rpc/newsletter.subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "linus@example.com", name: "Linus" }),
    });
    expect(again.status).toBe(409);

    await reader.getByLabel("Email").fill("nope");
    await reader.getByRole("button", { name: "Subscribe" }).click();
    await reader.getByText("Enter a valid email address.").waitFor();
    await reader.getByText("Enter a name of 1 to 100 characters.").waitFor();
  } finally {
    await noScript.close();
  }
});
