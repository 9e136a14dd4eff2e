import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";

import { startServer, type RunningServer } from "../../bindings/test/server";

let running: RunningServer | undefined;

export async function setup(project: TestProject) {
  const webDir = resolve(import.meta.dirname, "../dist");
  if (!existsSync(resolve(webDir, "index.html"))) {
    throw new Error("web/dist is missing: run `npm run build -w web` first");
  }
  running = await startServer({ webDir });
  project.provide("serverUrl", running.url);
}

export async function teardown() {
  await running?.stop();
}
