// Starts the real server binary (built by `cargo build -p isthmus-server`) on a free loopback
// port for the tests, and stops it afterwards. Each test run gets its own process and state.
import { spawn, type ChildProcess } from "node:child_process";
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

let server: ChildProcess | undefined;
let scratch: string | undefined;

export async function setup(project: TestProject) {
  const targetDir = process.env.CARGO_TARGET_DIR ?? resolve(import.meta.dirname, "../../target");
  const binary = join(targetDir, "debug", "isthmus-server");
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build -p isthmus-server\` first`);
  }
  scratch = mkdtempSync(join(tmpdir(), "isthmus-bindings-"));
  server = spawn(binary, [], {
    env: { ...process.env, ISTHMUS_ADDRESS: "127.0.0.1:0", ISTHMUS_WEB_DIR: scratch, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    server!.once("exit", (code) => reject(new Error(`the server exited with ${code} before listening`)));
    createInterface({ input: server!.stdout! }).on("line", (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (match) resolveUrl(match[1]!);
    });
  });
  project.provide("serverUrl", url);
}

export async function teardown() {
  if (server && server.exitCode === null) {
    const exited = new Promise((done) => server!.once("exit", done));
    server.kill("SIGTERM");
    await exited;
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
