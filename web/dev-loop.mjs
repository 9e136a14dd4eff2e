// `npm run bench:dev-loop`: how long the development loop takes, measured on a temporary copy
// of the repository with `npm run dev` (dev.mjs) running in it, warm:
//   1. a procedure's output field renamed → tsc names the usage site in the web app
//   2. the same edit → the running server answers with the new shape
//   3. a model added to schema.prisma → the server restarted on the new client
// The copy builds into target/dev-loop, or DEV_LOOP_TARGET_DIR (the first run compiles
// everything once; that is not measured). Prints one line per figure; fails when a step does
// not happen (server/app/tests/dev_loop.rs runs it so).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";

const root = resolve(import.meta.dirname, "..");

// The edits, made on the example app: replace them with the app.
const RENAME = {
  file: "server/app/src/procedures/newsletter.rs",
  from: "subscriber_count",
  to: "reader_count",
  // the old name as the web app uses it, and a query whose answer carries the new one
  usedAs: "subscriberCount",
  query: "/rpc/newsletter.stats",
  answered: '"readerCount"',
};
const MODEL_BEFORE = "model Subscriber {";

async function freePort() {
  const probe = createServer();
  await new Promise((done) => probe.listen(0, "127.0.0.1", done));
  const { port } = probe.address();
  await new Promise((done) => probe.close(done));
  return port;
}

/** The repository's files as git sees them (tracked and new), and its node_modules. */
function copyRepository(to) {
  const listing = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root });
  for (const file of listing.stdout.toString().split("\0").filter(Boolean)) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    try {
      cpSync(join(root, file), join(to, file));
    } catch {
      // deleted in the work tree but still in the index
    }
  }
  symlinkSync(join(root, "node_modules"), join(to, "node_modules"));
}

const copy = mkdtempSync(join(tmpdir(), "isthmus-dev-loop-"));
copyRepository(copy);
const serverPort = await freePort();
const vitePort = await freePort();
const server = `http://127.0.0.1:${serverPort}`;
const dev = spawn("node", ["web/dev.mjs"], {
  cwd: copy,
  stdio: ["ignore", "pipe", "pipe"],
  env: {
    ...process.env,
    CARGO_TARGET_DIR: process.env.DEV_LOOP_TARGET_DIR ?? join(root, "target", "dev-loop"),
    ISTHMUS_ADDRESS: `127.0.0.1:${serverPort}`,
    ISTHMUS_DEV_PORT: String(vitePort),
    DATABASE_URL: `sqlite:${join(copy, "dev.db")}`,
    RUST_LOG: "warn",
  },
});

// Every line the dev loop prints, and who waits for which.
const lines = [];
let waiters = [];
function heard(line) {
  lines.push(line);
  waiters = waiters.filter(({ test, done }) => !(test(line) && (done(line), true)));
}
createInterface({ input: dev.stdout }).on("line", heard);
createInterface({ input: dev.stderr }).on("line", heard);
const exited = new Promise((done) => dev.once("exit", done));

/** Resolves to the next line the dev loop prints that passes `test`. */
function line(test, what, seconds = 900) {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no line ${what} in ${seconds} s:\n${lines.slice(-40).join("\n")}`)),
      seconds * 1000,
    );
    waiters.push({ test, done: (text) => (clearTimeout(timer), done(text)) });
  });
}

async function answers(path, test) {
  for (;;) {
    try {
      const response = await fetch(server + path);
      if (test(await response.text())) return;
    } catch {
      // restarting
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

function edit(file, from, to) {
  const path = join(copy, file);
  const source = readFileSync(path, "utf8");
  if (!source.includes(from)) throw new Error(`${file} has no ${from}`);
  writeFileSync(path, source.replaceAll(from, to));
  return performance.now();
}

const seconds = (start) => ((performance.now() - start) / 1000).toFixed(1);

try {
  console.log(`dev-loop: starting npm run dev in ${copy} (the first run builds target/dev-loop once)`);
  await line((text) => text.includes("Ctrl-C stops"), "saying it watches");
  await answers("/healthz", () => true);
  heard("dev-loop: warm");
  const page = await (await fetch(`http://127.0.0.1:${vitePort}/blog`)).text();
  if (!page.includes('id="isthmus-state"')) throw new Error(`Vite did not hand /blog to the server:\n${page}`);
  console.log("dev-loop: pages through Vite are rendered by the server");
  console.log("dev-loop: warm; measuring");

  const renamed = edit(RENAME.file, RENAME.from, RENAME.to);
  const typeError = line((text) => text.includes("error TS") && text.includes(RENAME.usedAs), "naming the usage site");
  const newShape = answers(RENAME.query, (body) => body.includes(RENAME.answered));
  const usage = await typeError;
  console.log(`procedure output renamed → tsc names the usage site: ${seconds(renamed)} s\n  ${usage.trim()}`);
  await newShape;
  console.log(`procedure output renamed → the server answers the new shape: ${seconds(renamed)} s`);

  const restarted = line((text) => text.includes("the server answers on"), "saying the server answers");
  const migration = line((text) => text.includes("migrate dev"), "saying a migration is needed");
  const schemaSaved = edit("schema.prisma", MODEL_BEFORE, `model LoopProbe {\n  id Int @id\n}\n\n${MODEL_BEFORE}`);
  await restarted;
  await answers("/healthz", () => true);
  console.log(`model added to schema.prisma → the server restarted on the new client: ${seconds(schemaSaved)} s`);
  await migration;
  console.log("model added to schema.prisma → it said `cargo prisma migrate dev --name …` is needed");
  const measured = lines.slice(lines.findIndex((text) => text.includes("warm")));
  console.log(
    `\nwhat npm run dev said meanwhile (its own clock):\n${measured.filter((text) => text.includes("[dev")).join("\n")}`,
  );
} finally {
  dev.kill("SIGTERM");
  await exited;
  rmSync(copy, { recursive: true, force: true });
}
