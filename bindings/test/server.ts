// Starts the real server binary (built by `cargo build -p isthmus-server`) on a free loopback
// port, and stops it afterwards. Each test run gets its own process and state. Used as the
// Vitest global setup here and by the web's browser tests.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
  }
}

export interface RunningServer {
  url: string;
  stop: () => Promise<void>;
}

/** Serves `webDir` at `/` (default: an empty directory) and the procedures under `/rpc`,
 * on a fresh SQLite database in a temporary directory. */
export async function startServer(options: { webDir?: string } = {}): Promise<RunningServer> {
  const targetDir = process.env.CARGO_TARGET_DIR ?? resolve(import.meta.dirname, "../../target");
  const binary = join(targetDir, "debug", "isthmus-server");
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build -p isthmus-server\` first`);
  }
  const scratch = mkdtempSync(join(tmpdir(), "isthmus-test-"));
  const server = spawn(binary, [], {
    env: {
      ...process.env,
      ISTHMUS_ADDRESS: "127.0.0.1:0",
      ISTHMUS_WEB_DIR: options.webDir ?? scratch,
      DATABASE_URL: `sqlite:${join(scratch, "test.db")}`,
      RUST_LOG: process.env.RUST_LOG ?? "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((done) => server.once("exit", done));
  const url = await new Promise<string>((resolveUrl, reject) => {
    void exited.then((code) => reject(new Error(`the server exited with ${code} before listening`)));
    createInterface({ input: server.stdout! }).on("line", (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (match) resolveUrl(match[1]!);
    });
  });
  return {
    url,
    stop: async () => {
      if (server.exitCode === null) server.kill("SIGTERM");
      await exited;
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

let running: RunningServer | undefined;

export async function setup(project: TestProject) {
  running = await startServer();
  project.provide("serverUrl", running.url);
}

export async function teardown() {
  await running?.stop();
}
