// `npm run dev`: the server, the bindings and the web app kept in step on every save.
//
// - Rust sources (server/, prisma/, Cargo.toml): `cargo build`, then the server restarts. At
//   start-up it writes the bindings (ISTHMUS_WRITE_BINDINGS), and tsc checks the web app
//   against them; the browser reloads once the new server answers.
// - schema.prisma (or schema/*.prisma): `cargo prisma generate` first, and a word on whether a migration is needed.
// - web/src: Vite's hot module replacement in the browser; the server bundle is rebuilt (vite
//   build --watch) and the server restarted, so pages are still rendered by the server.
// A failed build is reported and the last good server keeps running until the next save.
//
// Open the address it prints: Vite's, which hands every path but its own modules to the server.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";

import { watch } from "chokidar";
import { createServer } from "vite";

const web = import.meta.dirname;
const root = resolve(web, "..");
const serverAddress = process.env.ISTHMUS_ADDRESS ?? "127.0.0.1:3000";
const serverUrl = `http://${serverAddress}`;
const vitePort = Number(process.env.ISTHMUS_DEV_PORT ?? 5173);
// The page template and the server bundle of development, apart from `npm start`'s build.
const templateDir = join(web, "dist-dev");
const bundle = join(web, "dist-dev-server", "entry-server.js");
const binary = join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug", "isthmus-server");
// Vite injects its client, the React refresh preamble and styles inline, and talks to the
// page over a WebSocket: development relaxes the policy for exactly that.
const developmentPolicy =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; connect-src 'self' ws:; object-src 'none'; base-uri 'self'; form-action 'self'; " +
  "frame-ancestors 'none'";

const started = Date.now();
function say(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`\x1b[36m[dev ${seconds}s]\x1b[0m ${message}`);
}

/** Runs a command with its output on the terminal; resolves to whether it succeeded. */
function run(command, args) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit" });
    child.on("exit", (code) => done(code === 0));
    child.on("error", (error) => {
      say(`cannot run ${command}: ${error.message}`);
      done(false);
    });
  });
}

/** Runs a command quietly; resolves to whether it succeeded and what it printed. */
function capture(command, args) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("exit", (code) => done({ ok: code === 0, output }));
  });
}

// --- the server process ---------------------------------------------------------------

let server; // { child, exited }
let vite;
let bundleWatcher; // `vite build --watch`, for as long as this process

async function stopServer() {
  if (!server) return;
  const { child, exited } = server;
  server = undefined;
  child.kill("SIGTERM");
  await exited;
}

/** (Re)starts the server; resolves once it listens, or to false if it exits first. */
async function startServer(reason) {
  await stopServer();
  say(`starting the server (${reason})`);
  const child = spawn(binary, [], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      RUST_LOG: "info",
      ...process.env,
      ISTHMUS_ENV: "development",
      ISTHMUS_ADDRESS: serverAddress,
      ISTHMUS_WEB_DIR: templateDir,
      ISTHMUS_SERVER_BUNDLE: bundle,
      ISTHMUS_PUBLIC_ORIGIN: `http://127.0.0.1:${vitePort}`,
      ISTHMUS_ALLOWED_ORIGINS: `http://localhost:${vitePort}`,
      ISTHMUS_WRITE_BINDINGS: "true",
      ISTHMUS_CONTENT_SECURITY_POLICY: developmentPolicy,
      ISTHMUS_RENDER_WORKERS: "1",
    },
  });
  const exited = new Promise((done) => child.once("exit", done));
  server = { child, exited };
  let wroteBindings = false;
  const listening = await new Promise((done) => {
    void exited.then(() => done(false));
    createInterface({ input: child.stdout }).on("line", (line) => {
      console.log(line);
      if (line.startsWith("wrote ")) wroteBindings = true;
      if (line.startsWith("listening on ")) done(true);
    });
  });
  if (!listening) {
    say("the server stopped before listening (its error is above); waiting for the next save");
    return false;
  }
  say(`the server answers on ${serverUrl}`);
  if (wroteBindings) await typecheck();
  return true;
}

async function typecheck() {
  say("the bindings changed: type-checking the web app (tsc --noEmit)");
  const tsc = await capture(join(root, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "web"]);
  if (tsc.ok) say("types: ok");
  else say(`types: the web app no longer type-checks against the bindings:\n${tsc.output.trimEnd()}`);
}

// --- Rust: build and restart on save -----------------------------------------------------

let building = false;
let pending; // { schema: boolean } of saves during a build

function buildServer() {
  return run("cargo", ["build", "-p", "isthmus-server", "--bin", "isthmus-server"]);
}

function binaryTime() {
  return existsSync(binary) ? statSync(binary).mtimeMs : 0;
}

async function rebuild(schemaChanged, reason) {
  if (building) {
    pending = { schema: (pending?.schema ?? false) || schemaChanged };
    return;
  }
  building = true;
  try {
    if (schemaChanged) {
      say("schema.prisma changed: regenerating the client (cargo prisma generate)");
      if (!(await run("cargo", ["prisma", "generate"]))) {
        say("cargo prisma generate failed (above); waiting for the next save");
        return;
      }
      // Alongside the build, and through the binary `generate` just built: `cargo run` would
      // wait for the build's lock.
      void capture(join(dirname(binary), "prisma"), ["migrate", "check"]).then((check) =>
        say(
          check.ok
            ? "the migrations reproduce schema.prisma"
            : "the migrations no longer reproduce schema.prisma: run `cargo prisma migrate dev --name <change>`",
        ),
      );
    }
    say(`building the server (cargo build), after ${reason}`);
    const before = binaryTime();
    if (!(await buildServer())) {
      say("the build failed (above); the last good server keeps running until the next save");
      return;
    }
    if (server && binaryTime() === before) {
      say("the server binary did not change");
      return;
    }
    if ((await startServer("new build")) && vite) {
      vite.ws.send({ type: "full-reload" });
      say("reloaded the page");
    }
  } finally {
    building = false;
    if (pending) {
      const next = pending;
      pending = undefined;
      void rebuild(next.schema, "more saves");
    }
  }
}

const WATCHED = /\.(rs|toml|sql|prisma)$/;
const SKIPPED = /(^|\/)(target|node_modules|fuzz)(\/|$)/;
let debounce;
let schemaSaved = false;
const changed = new Set();

// The application's schema: `schema.prisma`, or a folder `schema/` of `.prisma` files.
const APP_SCHEMA = /^(schema\.prisma|schema\/.*\.prisma)$/;

function saved(path) {
  if (APP_SCHEMA.test(path)) schemaSaved = true;
  changed.add(path);
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    const paths = [...changed].slice(0, 3).join(", ");
    const schema = schemaSaved;
    changed.clear();
    schemaSaved = false;
    void rebuild(schema, `a change to ${paths}`);
  }, 150);
}

function watchRust() {
  const watcher = watch(["server", "prisma", "Cargo.toml", "schema.prisma", "schema"], {
    cwd: root,
    ignoreInitial: true,
    ignored: (path, stats) => SKIPPED.test(path) || (stats?.isFile() && !WATCHED.test(path)),
  });
  for (const event of ["add", "change", "unlink"]) watcher.on(event, saved);
}

// --- the web app -------------------------------------------------------------------------

/** The page template the server renders into: index.html with Vite's client in it. */
async function writeTemplate() {
  mkdirSync(templateDir, { recursive: true });
  const html = await vite.transformIndexHtml("/", readFileSync(join(web, "index.html"), "utf8"));
  writeFileSync(join(templateDir, "index.html"), html);
  cpSync(join(web, "public"), templateDir, { recursive: true });
}

/**
 * Rebuilds the server bundle on every save in web/src, in a process of its own (Vite's dev
 * server has set NODE_ENV=development in this one, which a production bundle must not see);
 * resolves after the first build.
 */
function watchServerBundle() {
  const args = ["build", "--ssr", "src/entry-server.tsx", "--outDir", dirname(bundle), "--emptyOutDir", "--watch"];
  const child = spawn(join(root, "node_modules", ".bin", "vite"), args, {
    cwd: web,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  bundleWatcher = child;
  return new Promise((firstBuild) => {
    let first = true;
    createInterface({ input: child.stdout }).on("line", async (line) => {
      // Vite reports failures on stderr (shown as they come) and waits for the next save.
      if (!/built in/.test(line)) return;
      if (first) {
        first = false;
        firstBuild();
      } else if (server && !building) {
        await startServer("new server bundle");
      }
    });
  });
}

say("starting Vite");
vite = await createServer({
  root: web,
  server: {
    port: vitePort,
    strictPort: true,
    host: "127.0.0.1",
    // The server's files: a change there is the server's to act on.
    watch: { ignored: ["**/dist-dev/**", "**/dist-dev-server/**"] },
  },
});
await vite.listen();
await writeTemplate();
say("building the server bundle (vite build --ssr --watch)");
await watchServerBundle();
watchRust();
say("building the server (cargo build)");
if (await buildServer()) {
  await startServer("first start");
} else {
  say("the build failed (above); fix it and save: the server starts after the next good build");
}
say(`open http://127.0.0.1:${vitePort}/ (pages from the server, modules from Vite), the explorer at /_isthmus`);
say("watching server/, prisma/, Cargo.toml, schema.prisma and web/src; Ctrl-C stops");

async function shutdown() {
  bundleWatcher.kill("SIGTERM");
  await stopServer();
  await vite.close();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
