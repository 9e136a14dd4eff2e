// The production build served by the real server binary, on a fresh SQLite database, in
// production mode (no demo content) with two authors made by `isthmus-server author create`,
// sending email through a provider on loopback (./provider.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

import { cargoBinary, startServer, type RunningServer } from "../../bindings/test/server";
import { PROVIDER_TOKEN, startProvider } from "./provider";

declare module "vitest" {
  export interface ProvidedContext {
    authors: { email: string; password: string }[];
    providerUrl: string;
  }
}

let running: RunningServer | undefined;
let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
let scratch: string | undefined;

export async function setup(project: TestProject) {
  const webDir = resolve(import.meta.dirname, "../dist");
  const serverBundle = resolve(import.meta.dirname, "../dist-server/entry-server.js");
  if (!existsSync(resolve(webDir, "index.html")) || !existsSync(serverBundle)) {
    throw new Error("the web build is missing: run `npm run build -w web` first");
  }
  scratch = mkdtempSync(join(tmpdir(), "isthmus-e2e-"));
  const server = cargoBinary("isthmus-server", "cargo build -p isthmus-server");
  provider = await startProvider();
  const env = {
    ...process.env,
    ISTHMUS_ADDRESS: "127.0.0.1:0",
    ISTHMUS_ENV: "production",
    ISTHMUS_WEB_DIR: webDir,
    ISTHMUS_SERVER_BUNDLE: serverBundle,
    DATABASE_URL: `sqlite:${join(scratch, "test.db")}`,
    ISTHMUS_EMAIL_API_URL: provider.url,
    ISTHMUS_EMAIL_API_TOKEN: PROVIDER_TOKEN,
  };
  const authors = [
    { email: "ada@example.com", name: "Ada Lovelace", password: "analytical engine 1843" },
    { email: "grace@example.com", name: "Grace Hopper", password: "a compiler for cobol" },
  ];
  for (const author of authors) {
    // The password goes in on standard input, never on the command line.
    const created = spawnSync(server, ["author", "create", "--email", author.email, "--name", author.name], {
      env,
      input: `${author.password}\n`,
      encoding: "utf8",
    });
    if (created.status !== 0) throw new Error(`author create failed: ${created.stderr}`);
  }
  running = await startServer(server, [], env);
  project.provide("serverUrl", running.url);
  project.provide("providerUrl", provider.url);
  project.provide(
    "authors",
    authors.map(({ email, password }) => ({ email, password })),
  );
}

export async function teardown() {
  await running?.stop();
  await provider?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
