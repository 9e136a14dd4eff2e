// The production build served by the real server binary, on a fresh SQLite database.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

import { cargoBinary, startServer, type RunningServer } from "../../bindings/test/server";

let running: RunningServer | undefined;
let scratch: string | undefined;

export async function setup(project: TestProject) {
  const webDir = resolve(import.meta.dirname, "../dist");
  if (!existsSync(resolve(webDir, "index.html"))) {
    throw new Error("web/dist is missing: run `npm run build -w web` first");
  }
  scratch = mkdtempSync(join(tmpdir(), "isthmus-e2e-"));
  const server = cargoBinary("isthmus-server", "cargo build -p isthmus-server");
  running = await startServer(server, [], {
    ISTHMUS_ADDRESS: "127.0.0.1:0",
    ISTHMUS_WEB_DIR: webDir,
    DATABASE_URL: `sqlite:${join(scratch, "test.db")}`,
  });
  project.provide("serverUrl", running.url);
}

export async function teardown() {
  await running?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
