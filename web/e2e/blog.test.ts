// The blog as its authors and readers use it, in Chromium against the real server: signing in,
// writing, publishing, editing and unpublishing a post, what a hostile post body can do (nothing),
// the dashboard refused to strangers, the live subscriber count and the delivery figures.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { launch, screenshot } from "./browser";
import { confirmationLink } from "./provider";

const url = () => inject("serverUrl");
const [ada] = inject("authors");

let author: Awaited<ReturnType<typeof launch>>;
let page: Page;

beforeAll(async () => {
  author = await launch();
  page = await author.context.newPage();
});

afterAll(async () => {
  await author?.close();
});

test("a wrong password is refused, the right one opens the dashboard", async () => {
  await page.goto(`${url()}/login`);
  await page.getByLabel("Email").fill(ada!.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("That email and password do not match.").waitFor();
  await screenshot(page, "login-refused");

  await page.getByLabel("Password").fill(ada!.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await page.getByText("Signed in as Ada Lovelace").waitFor();
  expect(new URL(page.url()).pathname).toBe("/dashboard");
});

test("a post is written with tags, published, read, edited and unpublished, and its script never runs", async () => {
  await page.goto(`${url()}/dashboard/new`);
  await page.getByLabel("Title").fill("Hello from the browser");
  await page.getByLabel("Slug").fill("hello-from-the-browser");
  const hostile =
    'Some **bold** text.\n\n<script>window.pwned = "script"</script>\n\n<img src=x onerror="window.pwned = \'onerror\'">\n\n[a link](javascript:window.pwned=1)';
  await page.getByLabel("Body (markdown)").fill(hostile);
  await page.getByLabel("Tags, separated by commas").fill("Browser, testing");
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByTestId("preview").getByText("bold").waitFor();
  await screenshot(page, "editor");
  await page.getByRole("button", { name: "Save draft" }).click();

  const row = page.getByRole("row", { name: /Hello from the browser/ });
  await row.getByText("Draft").waitFor();
  await row.getByRole("button", { name: "Publish" }).click();
  await row.getByRole("link", { name: "Published" }).waitFor();
  await screenshot(page, "dashboard");

  const readerBrowser = await launch();
  const reader = await readerBrowser.context.newPage();
  try {
    await reader.goto(`${url()}/blog`);
    await reader.getByRole("link", { name: "Hello from the browser" }).click();
    await reader.getByRole("heading", { name: "Hello from the browser" }).waitFor();
    await reader.getByText("bold").waitFor();
    await reader.getByRole("link", { name: "browser" }).first().waitFor();
    expect(await reader.evaluate(() => (window as { pwned?: unknown }).pwned)).toBeUndefined();
    expect(await reader.locator(".prose script, .prose [onerror], .prose a[href^='javascript']").count()).toBe(0);
    await screenshot(reader, "post");

    await page.getByRole("link", { name: "Hello from the browser" }).click();
    await page.getByLabel("Title").fill("Hello again from the browser");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Saved.").waitFor();
    await reader.reload();
    await reader.getByRole("heading", { name: "Hello again from the browser" }).waitFor();

    await page.goto(`${url()}/dashboard`);
    await page
      .getByRole("row", { name: /Hello again/ })
      .getByRole("button", { name: "Unpublish" })
      .click();
    await page
      .getByRole("row", { name: /Hello again/ })
      .getByText("Draft")
      .waitFor();
    await reader.reload();
    await reader.getByRole("heading", { name: "Post not found" }).waitFor();
    await screenshot(reader, "post-not-found");
  } finally {
    await readerBrowser.close();
  }
});

test("a signed-out browser cannot use the dashboard, whatever it calls", async () => {
  const stranger = await launch();
  try {
    const visitor = await stranger.context.newPage();
    const answer = await visitor.request.get(`${url()}/dashboard`, { maxRedirects: 0 });
    expect(answer.status()).toBe(307);
    expect(answer.headers()["location"]).toBe("/login?next=%2Fdashboard");
    await visitor.goto(`${url()}/dashboard`);
    await visitor.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(new URL(visitor.url()).search).toBe("?next=%2Fdashboard");
    const direct = await visitor.request.get(`${url()}/rpc/posts.mine`);
    expect(direct.status()).toBe(401);
    expect((await direct.json()).error.code).toBe("UNAUTHENTICATED");
    await screenshot(visitor, "dashboard-signed-out");
  } finally {
    await stranger.close();
  }
});

test("the dashboard's subscriber count moves when a reader confirms in another browser, and it shows delivery figures", async () => {
  await page.goto(`${url()}/dashboard`);
  const live = page.getByTestId("live-subscribers");
  await live.getByText(/^\d+ subscribers$/).waitFor();
  const before = Number((await live.textContent())!.split(" ")[0]);
  const delivery = page.getByTestId("delivery");
  await delivery.getByText(/^\d+ sent · 0 bounced$/).waitFor();
  const sentBefore = Number((await delivery.textContent())!.split(" ")[0]);

  const readerBrowser = await launch();
  const email = `live-${Date.now()}@example.com`;
  try {
    const reader = await readerBrowser.context.newPage();
    await reader.goto(url());
    await reader.getByLabel("Name").fill("Live Reader");
    await reader.getByLabel("Email").fill(email);
    await reader.getByRole("button", { name: "Subscribe" }).click();
    await reader
      .getByRole("status")
      .getByText(/^Almost there, Live Reader/)
      .waitFor();
    await reader.goto(await confirmationLink(inject("providerUrl"), email));
    await reader.getByRole("button", { name: "Confirm my subscription" }).click();
    await reader.getByRole("status").getByText("You are subscribed, Live Reader. Thank you!").waitFor();
  } finally {
    await readerBrowser.close();
  }
  await live.getByText(`${before + 1} subscribers`).waitFor();
  // Cached for a minute on the server; "Refresh now" revalidates it.
  await page.getByRole("button", { name: "Refresh now" }).click();
  await delivery.getByText(`${sentBefore + 1} sent · 0 bounced`).waitFor();
});

test("without JavaScript, signing in posts the form and comes back signed in", async () => {
  const noScript = await launch({ javaScript: false });
  try {
    const visitor = await noScript.context.newPage();
    await visitor.goto(`${url()}/login`);
    await visitor.getByLabel("Email").fill(ada!.email);
    await visitor.getByLabel("Password").fill(ada!.password);
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await visitor.getByText("You are signed in.").waitFor({ state: "visible" });
    expect(visitor.url()).toBe(`${url()}/login#auth.login`);
    const cookies = await noScript.context.cookies();
    expect(cookies.find((cookie) => cookie.name === "isthmus_session")?.httpOnly).toBe(true);
    await screenshot(visitor, "login-without-javascript");
  } finally {
    await noScript.close();
  }
});
