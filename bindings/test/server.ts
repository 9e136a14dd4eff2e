// Starts a real server binary on a free loopback port and stops it afterwards: each test run
// gets its own process and state. The Vitest global setup here serves the procedure layer's
// fixture (server/rpc-fixture, no example app); the web's browser tests start the app with
// `startServer` too.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
// Brings `vitest` into every program that includes this file, so that the augmentation below
// resolves even where no test file imports it.
import type {} from "vitest";
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

/** The debug build of a workspace binary, or an error saying how to build it. */
export function cargoBinary(name: string, build: string): string {
  const targetDir = process.env.CARGO_TARGET_DIR ?? resolve(import.meta.dirname, "../../target");
  const binary = join(targetDir, "debug", name);
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`${build}\` first`);
  }
  return binary;
}

/** Runs `binary` until it prints `listening on <url>`. */
export async function startServer(
  binary: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const server = spawn(binary, args, {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((done) => server.once("exit", done));
  const url = await new Promise<string>((resolveUrl, reject) => {
    void exited.then((code) => reject(new Error(`${binary} exited with ${code} before listening`)));
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
    },
  };
}

let running: RunningServer | undefined;

export async function setup(project: TestProject) {
  const fixture = cargoBinary("rpc-fixture", "cargo build -p isthmus-rpc-fixture");
  running = await startServer(fixture, []);
  project.provide("serverUrl", running.url);
}

export async function teardown() {
  await running?.stop();
}
