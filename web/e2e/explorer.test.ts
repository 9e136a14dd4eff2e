// The procedures explorer at /_isthmus, on a server in development (the only place it is
// mounted): it lists the procedures and calls one with the JSON typed into it, under the
// strict Content-Security-Policy.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { cargoBinary, startServer, type RunningServer } from "../../bindings/test/server";
import { launch, screenshot } from "./browser";

let development: RunningServer;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "isthmus-explorer-"));
  development = await startServer(cargoBinary("isthmus-server", "cargo build -p isthmus-server"), [], {
    ISTHMUS_ADDRESS: "127.0.0.1:0",
    ISTHMUS_ENV: "development",
    ISTHMUS_WEB_DIR: resolve(import.meta.dirname, "../dist"),
    ISTHMUS_SERVER_BUNDLE: resolve(import.meta.dirname, "../dist-server/entry-server.js"),
    DATABASE_URL: `sqlite:${join(scratch, "explorer.db")}`,
  });
});

afterAll(async () => {
  await development?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test("the explorer lists every procedure and calls a query with the typed input", async () => {
  const { context, close } = await launch();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) problems.push(message.text());
    });
    await page.goto(`${development.url}/_isthmus`);
    const list = page.locator("#procedures details");
    await expect.poll(() => list.count()).toBeGreaterThan(10);
    await expect.poll(() => page.locator("#procedures").textContent()).toContain("newsletter.subscribe");

    await page.fill("#filter", "posts.list");
    const procedure = page.locator('details[data-name="posts.list"]');
    await procedure.locator("summary").click();
    await expect.poll(() => procedure.locator("pre").first().textContent()).toContain("ListPosts");
    await procedure.locator("textarea").fill('{ "take": 1 }');
    await procedure.locator("button").click();
    await expect.poll(() => procedure.locator(".status").textContent()).toBe("200 OK");
    const answer = JSON.parse((await procedure.locator("pre").last().textContent())!) as { items: unknown[] };
    expect(answer.items).toHaveLength(1);

    await procedure.locator("textarea").fill('{ "take": 0 }');
    await procedure.locator("button").click();
    await expect.poll(() => procedure.locator(".status").textContent()).toBe("422 Unprocessable Entity");
    await screenshot(page, "explorer");
    expect(problems, "no script or policy errors").toEqual([]);
  } finally {
    await close();
  }
});

test("production mounts no explorer", async () => {
  const response = await fetch(`${inject("serverUrl")}/_isthmus/openapi.json`);
  expect(response.status).toBe(404);
});
