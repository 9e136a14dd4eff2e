#!/usr/bin/env node
// engine.mjs — drive Prisma's official WASM packages (prisma-schema-wasm + schema-engine-wasm)
// from Node 20 without native engines. Prints JSON on stdout.
//
//   node engine.mjs validate   --schema path            [--provider P]
//   node engine.mjs format     --schema path
//   node engine.mjs dmmf       --schema path            [--provider P]
//   node engine.mjs diff-sql   --schema path --provider sqlite|postgresql --migrations dir [--raw]
//
// A multi-file schema is one --schema per file (the Rust side lists a schema folder's files).
//
// These are the commands `cargo prisma` calls (prisma/cli/src/engine.rs); the Rust side applies
// migrations itself.
//
// --provider rewrites the datasource block's provider in memory (one schema, both providers).
// Exit codes: 0 ok (validate returning {errors} is still 0), 1 error ({"error":{...}}), 2 usage.
//
// Arguments may also be given as one JSON object instead of flags:
//   node engine.mjs diff-sql '{"schema":"s.prisma","provider":"postgresql","migrations":"m"}'
//
// Shadow database for diff-sql (the migrations are replayed on it):
//   sqlite:     a temporary file
//   postgresql: --pg-host 127.0.0.1 --pg-port 5432 --pg-user postgres --pg-password '' --pg-database NAME
//               (defaults: PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE env, else 127.0.0.1/5432/postgres/''/postgres)
//               --pg-admin-database (db used to CREATE/DROP the temp shadow database; default "postgres")
//
// Set PRISMA_ENGINE_TRACE=1 to log every driver-adapter call and engine log line to stderr.
//
// Pinned versions: see package.json next to this file.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";
import crypto from "node:crypto";
import { createRequire } from "node:module";
// Driver packages are loaded lazily (only schema-engine commands need them; saves ~100 ms on
// validate/format/dmmf).
let pg, PrismaPg, PrismaLibSql, bindMigrationAwareSqlAdapterFactory, DriverAdapterError, CharFixClient;
async function loadDrivers() {
  if (pg) return;
  pg = (await import("pg")).default;
  ({ PrismaPg } = await import("@prisma/adapter-pg"));
  ({ PrismaLibSql } = await import("@prisma/adapter-libsql"));
  ({ bindMigrationAwareSqlAdapterFactory, DriverAdapterError } = await import("@prisma/driver-adapter-utils"));
  CharFixClient = makeCharFixClient(pg.Client);
}

const require = createRequire(import.meta.url);
const TRACE = !!process.env.PRISMA_ENGINE_TRACE;
const trace = (...a) => {
  if (TRACE) console.error("[trace]", ...a);
};

// Both wasm-bindgen glue files call global.PRISMA_WASM_PANIC_REGISTRY.set_message(msg) right
// before a Rust panic turns into a `RuntimeError: unreachable`. Without this global, a panic
// becomes "Cannot read properties of undefined" and the real message is lost.
globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
  message: null,
  set_message(m) {
    this.message = m;
  },
};

// ---------------------------------------------------------------------------------------------
// prisma-schema-wasm (CommonJS, "nodejs" wasm-bindgen target: loads its own .wasm with readFileSync)
// ---------------------------------------------------------------------------------------------
let _psl;
function psl() {
  // Loaded lazily: after a Rust panic the wasm instance is poisoned, so one instance per process.
  return (_psl ??= require("@prisma/prisma-schema-wasm"));
}

// ---------------------------------------------------------------------------------------------
// schema-engine-wasm (ESM "bundler" target: `import * as wasm from "./schema_engine_bg.wasm"`,
// which Node 20 cannot import). Import the JS glue only and instantiate the bytes by hand.
// ---------------------------------------------------------------------------------------------
let _se;
async function schemaEngineModule() {
  if (_se) return _se;
  const bg = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), { "./schema_engine_bg.js": bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return (_se = bg);
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------
// The schema's files as [path, content] pairs, the form Prisma's wasm functions take, each path
// as given: answers name the files by it.
function readSchema(p) {
  if (!p) throw new UserError("--schema is required");
  return [p].flat().map((file) => [file, fs.readFileSync(file, "utf8")]);
}

class UserError extends Error {}

// 1-based line/column from a UTF-16 code-unit offset (what prisma-schema-wasm's lint returns;
// i.e. plain JS string indices, NOT UTF-8 byte offsets). Column counts UTF-16 units too, +1.
function lineCol(text, offset) {
  let line = 1,
    lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const PROVIDERS = {
  sqlite: "sqlite",
  postgresql: "postgresql",
  postgres: "postgresql",
};

// Rewrite the provider of the (single) datasource block, in whichever file holds it, in memory.
// Prisma 7 rejects `url`, `directUrl` and `shadowDatabaseUrl` in the schema, so the provider is the
// only thing to change.
function withProvider(files, provider) {
  if (!provider) return files;
  const p = PROVIDERS[provider];
  if (!p) throw new UserError(`unsupported provider ${provider} (use sqlite or postgresql)`);
  const re = /(\bdatasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*)"[^"]*"/;
  if (!files.some(([, content]) => re.test(content)))
    throw new UserError('no `datasource { provider = "..." }` block found in schema');
  return files.map(([file, content]) => [file, content.replace(re, `$1"${p}"`)]);
}

function schemaParams(files) {
  return JSON.stringify({ prismaSchema: files, noColor: true });
}

function parseWasmError(e) {
  // prisma-schema-wasm throws `Error(JSON)` like {"error_code":"P1012","message":"..."}
  try {
    return JSON.parse(e.message);
  } catch {
    return { message: String(e?.message ?? e) };
  }
}

// ---------------------------------------------------------------------------------------------
// 1. validate
// ---------------------------------------------------------------------------------------------
function cmdValidate(args) {
  const files = withProvider(readSchema(args.schema), args.provider);
  const lint = JSON.parse(psl().lint(JSON.stringify(files)));
  const contentOf = (file) => (files.find(([p]) => p === file) ?? files[0])[1];
  const toDiag = (d) => ({
    message: d.text,
    file: d.file_name,
    ...lineCol(contentOf(d.file_name), d.start),
    end: lineCol(contentOf(d.file_name), d.end),
  });
  lint.sort((a, b) => (a.file_name === b.file_name ? a.start - b.start : a.file_name < b.file_name ? -1 : 1));
  const errors = lint.filter((d) => !d.is_warning).map(toDiag);
  const warnings = lint.filter((d) => d.is_warning).map(toDiag);
  let validateError = null;
  try {
    psl().validate(schemaParams(files));
  } catch (e) {
    validateError = parseWasmError(e);
  }
  if (validateError && errors.length === 0) {
    // validate() found something lint() did not report with a span: return it without position.
    errors.push({ message: validateError.message, file: files[0][0], line: null, column: null });
  }
  if (errors.length) return { errors, ...(warnings.length ? { warnings } : {}) };
  return { ok: true, ...(warnings.length ? { warnings } : {}) };
}

// ---------------------------------------------------------------------------------------------
// 2. format
// ---------------------------------------------------------------------------------------------
function cmdFormat(args) {
  const files = readSchema(args.schema);
  // format(schemaFilesJson, lspDocumentFormattingParamsJson) -> JSON [[path, formatted], ...], every
  // file formatted; without a file: URL of one of them as the document, nothing is.
  const out = psl().format(
    JSON.stringify(files),
    JSON.stringify({
      textDocument: { uri: url.pathToFileURL(path.resolve(files[0][0])).href },
      options: { tabSize: 2, insertSpaces: true },
    }),
  );
  const formatted = new Map(JSON.parse(out));
  return { files: files.map(([file, content]) => [file, formatted.get(file) ?? content]) };
}

// ---------------------------------------------------------------------------------------------
// 3. dmmf / datamodel
// ---------------------------------------------------------------------------------------------
function cmdDmmf(args) {
  const files = withProvider(readSchema(args.schema), args.provider);
  try {
    return JSON.parse(psl().get_dmmf(schemaParams(files)));
  } catch (e) {
    throw new UserError(parseWasmError(e).message);
  }
}

// ---------------------------------------------------------------------------------------------
// migrations directory -> MigrationList (same shape as Prisma CLI's listMigrations())
// ---------------------------------------------------------------------------------------------
// The schema engine takes the connector for `from: migrations` from migration_lock.toml
// ("Could not determine the connector from the migrations directory (missing migration_lock.toml)"),
// so for a missing/empty directory synthesise the lockfile in memory for the requested provider.
const lockfileText = (provider) =>
  `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`;

function listMigrations(dir, provider) {
  const baseDir = path.resolve(dir ?? "migrations");
  const lockPath = path.join(baseDir, "migration_lock.toml");
  const lockfile = {
    path: "migration_lock.toml",
    content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : null,
  };
  if (lockfile.content === null && provider) lockfile.content = lockfileText(PROVIDERS[provider] ?? provider);
  // Pitfall: the engine picks the SQL flavour from the lockfile but replays on the adapter's shadow
  // database, so a sqlite migrations dir with --provider postgresql gives confusing shadow errors.
  const locked = /^\s*provider\s*=\s*"([^"]*)"/m.exec(lockfile.content ?? "")?.[1];
  if (provider && locked && PROVIDERS[locked] !== PROVIDERS[provider]) {
    throw new UserError(`${lockPath} says provider = "${locked}" but --provider is ${provider}`);
  }
  let entries = [];
  try {
    entries = fs.readdirSync(baseDir, { withFileTypes: true });
  } catch {
    /* missing dir = no migrations */
  }
  const migrationDirectories = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const file = path.join(baseDir, name, "migration.sql");
      let content;
      try {
        content = { tag: "ok", value: fs.readFileSync(file, "utf8") };
      } catch (e) {
        content = { tag: "error", value: String(e.message) };
      }
      return { path: name, migrationFile: { path: "migration.sql", content } };
    });
  return { baseDir, lockfile, shadowDbInitScript: "", migrationDirectories };
}

// ---------------------------------------------------------------------------------------------
// driver adapter factories (SqlMigrationAwareDriverAdapterFactory) with workarounds
// ---------------------------------------------------------------------------------------------
function traced(obj, tag) {
  if (!TRACE) return obj;
  return new Proxy(obj, {
    get(t, k) {
      const v = t[k];
      if (typeof v !== "function") return v;
      return (...a) => {
        const q = a[0];
        trace(
          tag,
          String(k),
          typeof q === "string"
            ? JSON.stringify(q.slice(0, 300))
            : q?.sql
              ? JSON.stringify(q.sql.slice(0, 300)) + (q.args?.length ? " args=" + JSON.stringify(q.args) : "")
              : "",
        );
        const r = v.apply(t, a);
        if (k === "startTransaction" && r?.then) return r.then((tx) => traced(tx, tag + ":tx"));
        return r;
      };
    },
  });
}

// --- SQLite (libsql) ---------------------------------------------------------------------------
// Pitfall: libsql's client.execute() (used by adapter.executeRaw) silently runs only the FIRST
// statement of a multi-statement string. The schema engine sends whole migration scripts through
// executeRaw with no arguments, so route argument-less executeRaw calls to executeScript
// (client.executeMultiple = sqlite3_exec, runs everything).
function fixLibsqlAdapter(adapter) {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (q) => {
    const noArgs = !q.args || q.args.length === 0;
    const body = q.sql.replace(/--[^\n]*/g, "").trim();
    // several statements, or none at all (an empty migration.sql makes client.execute() fail
    // with "SQLITE_UNKNOWN_0: not an error")
    if (noArgs && (body === "" || /;\s*\S/.test(body.replace(/;\s*$/, "")))) {
      await adapter.executeScript(q.sql);
      return 0;
    }
    return executeRaw(q);
  };
  // Pitfall: @libsql/client messages look like "SQLITE_ERROR: no such table: _prisma_migrations",
  // but adapter-libsql only maps messages that START with "no such table" to the
  // TableDoesNotExist kind. The engine relies on that kind to notice a missing _prisma_migrations
  // table (devDiagnostic / diagnoseMigrationHistory on a fresh database), so re-map it.
  const remap = (fn) => async (q) => {
    try {
      return await fn(q);
    } catch (e) {
      const m =
        e?.name === "DriverAdapterError" &&
        e.cause?.kind === "sqlite" &&
        /no such table: (\S+)/.exec(e.cause.message ?? "");
      if (m) throw new DriverAdapterError({ ...e.cause, kind: "TableDoesNotExist", table: m[1] });
      throw e;
    }
  };
  adapter.queryRaw = remap(adapter.queryRaw.bind(adapter));
  adapter.executeRaw = remap(adapter.executeRaw);
  return adapter;
}

class SqliteFactory {
  provider = "sqlite";
  adapterName = "@prisma/adapter-libsql";
  async connect() {
    return noMainAdapter("sqlite");
  }
  // The stock connectToShadowDb uses url ":memory:". That happened to work for diff in tests (the
  // replay uses no transactions), but @libsql/client's transaction() hands its connection to the tx
  // and lazily opens a NEW, empty in-memory database for the next call. Use a temp file instead
  // (deleted on dispose) so shadow state can never silently vanish.
  async connectToShadowDb() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prisma-shadow-"));
    const file = path.join(dir, "shadow.db");
    const a = fixLibsqlAdapter(await new PrismaLibSql({ url: `file:${file}` }).connect());
    const dispose = a.dispose.bind(a);
    a.dispose = async () => {
      await dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    trace("sqlite shadow db", file);
    return traced(a, "sqlite:shadow");
  }
}

// --- PostgreSQL (pg) ----------------------------------------------------------------------------
// Pitfall: adapter-pg's fieldToColumnType() throws UnsupportedNativeDataType for oid 18 (the
// internal one-byte "char" type used by pg_catalog columns such as pg_class.relkind,
// pg_constraint.contype...). The values themselves arrive as JS strings, so relabel those
// fields as text (oid 25) in a pg.Client subclass handed to the Pool.
const PG_CHAR = 18,
  PG_TEXT = 25;
function relabelChar(res) {
  for (const r of Array.isArray(res) ? res : [res]) {
    for (const f of r?.fields ?? []) if (f.dataTypeID === PG_CHAR) f.dataTypeID = PG_TEXT;
  }
  return res;
}
function makeCharFixClient(Client) {
  return class CharFixClient extends Client {
    query(config, values, callback) {
      if (typeof values === "function") {
        callback = values;
        values = undefined;
      }
      if (config && typeof config.submit === "function") return super.query(config, values, callback);
      if (callback) return super.query(config, values, (err, res) => callback(err, err ? res : relabelChar(res)));
      return super.query(config, values).then(relabelChar);
    }
  };
}

function pgConfig(args, database) {
  return {
    host: args["pg-host"] ?? process.env.PGHOST ?? "127.0.0.1",
    port: Number(args["pg-port"] ?? process.env.PGPORT ?? 5432),
    user: args["pg-user"] ?? process.env.PGUSER ?? "postgres",
    password: args["pg-password"] ?? process.env.PGPASSWORD ?? "",
    database: database ?? args["pg-database"] ?? process.env.PGDATABASE ?? "postgres",
  };
}

// An external pg.Pool (with the char fix) per adapter; we end it ourselves in dispose().
// Pitfall: the engine never calls dispose() on the MAIN adapter (only on the shadow one), so an
// un-ended pool keeps Node alive for pg's idleTimeoutMillis (10 s). Track pools; end leftovers.
const openPools = new Set();
async function pgAdapter(cfg, tag) {
  const pool = new pg.Pool({ ...cfg, Client: CharFixClient, max: 4 });
  openPools.add(pool);
  const a = await new PrismaPg(pool).connect();
  a.dispose = async () => {
    if (openPools.delete(pool)) await pool.end();
  };
  // Pitfall: adapter-pg's executeScript does script.split(";") and runs the pieces one by one, which
  // breaks any migration with a ';' inside a string, comment or $$ function body. The engine sends
  // every migration script (shadow replay, applyMigrations) through executeScript, so send the
  // script whole instead: pg's simple-query protocol accepts multiple statements (as Prisma's
  // native engine does; PostgreSQL runs them as one implicit transaction).
  a.executeScript = async (script) => {
    try {
      await pool.query(script);
    } catch (e) {
      a.onError(e);
    }
  };
  return traced(a, tag);
}

class PostgresFactory {
  provider = "postgres";
  adapterName = "@prisma/adapter-pg";
  constructor(args) {
    this.args = args;
  }
  async connect() {
    return noMainAdapter(
      "postgres",
      await pgAdapter(pgConfig(this.args, this.args["pg-admin-database"] ?? "postgres"), "pg:admin"),
    );
  }
  // Stock connectToShadowDb: (a) spreads {...config, database} — with a connectionString config the
  // connectionString wins, so the "shadow" replay runs against the MAIN database; (b) its dispose
  // runs DROP DATABASE before ending the shadow pool (fails: database in use) and never ends the
  // helper pool. Own implementation: explicit fields, end pool first, then DROP ... WITH (FORCE).
  async connectToShadowDb() {
    const adminCfg = pgConfig(this.args, this.args["pg-admin-database"] ?? "postgres");
    const name = `prisma_shadow_${crypto.randomUUID().replace(/-/g, "")}`;
    const admin = new pg.Client(adminCfg);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    trace("pg shadow db", name);
    const a = await pgAdapter({ ...adminCfg, database: name }, "pg:shadow");
    const dispose = a.dispose;
    let disposed = false;
    const drop = async () => {
      if (disposed) return;
      disposed = true;
      try {
        await dispose();
      } catch {
        /* ignore */
      }
      const c = new pg.Client(adminCfg);
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
      trace("pg shadow db dropped", name);
    };
    a.dispose = drop;
    cleanups.push(drop); // in case the engine errors out before disposing
    return a;
  }
}

const cleanups = [];

// SchemaEngine.new() calls factory.connect() eagerly, even for commands (diff from migrations to
// datamodel) that never change the main database. SQLite: the engine issues no query at all, so
// hand it a placeholder adapter that fails loudly if used. PostgreSQL: on connect the engine runs
// one read-only probe on the main connection (`SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE
// nspname = $1), version(), current_setting('server_version_num')::integer`), so it needs a real
// server: give it a connection to the admin database that only lets SELECTs through.
function noMainAdapter(provider, readOnlyInner) {
  const fail = async (q) => {
    throw new Error(`this command has no main database ; refused: ${q?.sql ?? q ?? ""}`);
  };
  return traced(
    {
      provider,
      adapterName: "no-main-database",
      queryRaw: async (q) => (readOnlyInner && /^\s*SELECT\b/i.test(q.sql) ? readOnlyInner.queryRaw(q) : fail(q)),
      executeRaw: fail,
      executeScript: fail,
      startTransaction: fail,
      getConnectionInfo: () =>
        readOnlyInner?.getConnectionInfo?.() ?? { schemaName: undefined, supportsRelationJoins: false },
      dispose: async () => {
        await readOnlyInner?.dispose();
      },
    },
    `${provider}:readonly-main`,
  );
}

// Every command here diffs against a shadow database: none has a main database.
function makeFactory(provider, args) {
  const p = PROVIDERS[provider];
  if (p === "sqlite") return new SqliteFactory();
  if (p === "postgresql") return new PostgresFactory(args);
  throw new UserError(`unsupported provider ${provider} (use sqlite or postgresql)`);
}

async function withEngine(args, fn) {
  const provider = args.provider;
  if (!provider) throw new UserError("--provider is required (sqlite|postgresql)");
  const bg = await schemaEngineModule();
  await loadDrivers();
  const factory = bindMigrationAwareSqlAdapterFactory(makeFactory(provider, args));
  const files = args.schema ? withProvider(readSchema(args.schema), provider) : [];
  const logs = [];
  let engine;
  try {
    engine = await bg.SchemaEngine.new(
      { datamodels: files.length ? files : undefined },
      (line) => {
        logs.push(line);
        trace("engine", line);
      },
      factory,
    );
    return await fn(engine, files);
  } catch (e) {
    throw new EngineError(e, logs, factory.errorRegistry);
  } finally {
    try {
      engine?.free();
    } catch {
      /* ignore */
    }
    while (cleanups.length)
      await cleanups
        .pop()()
        .catch((e) => trace("cleanup failed", e.message));
    for (const pool of openPools) {
      openPools.delete(pool);
      await pool.end().catch(() => {});
    }
  }
}

class EngineError extends Error {
  constructor(e, logs, registry) {
    let msg = e?.message ?? String(e);
    // JS exceptions thrown inside adapter calls reach Rust as {kind:"GenericJs", id}; the engine
    // only reports "External error id#N" — look the original error up in the bound factory's registry.
    const m = /External error id#(\d+)/.exec(msg);
    const orig = m && registry?.consumeError(Number(m[1]))?.error;
    if (orig) msg = `${msg}: ${orig?.message ?? String(orig)}`;
    super(msg);
    this.detail = { ...(typeof e === "object" ? e : {}) };
    this.panic = globalThis.PRISMA_WASM_PANIC_REGISTRY.message;
    this.logs = logs;
  }
}

const NO_FILTERS = { externalTables: [], externalEnums: [] };

// ---------------------------------------------------------------------------------------------
// 4. diff-sql: migrations dir (replayed on a shadow db) -> schema datamodel
// ---------------------------------------------------------------------------------------------
async function cmdDiffSql(args) {
  const migrationsList = listMigrations(args.migrations, args.provider);
  return withEngine(args, async (engine, files) => {
    if (!files.length) throw new UserError("--schema is required");
    const res = await engine.diff({
      from: { tag: "migrations", ...migrationsList },
      to: { tag: "schemaDatamodel", files: files.map(([path, content]) => ({ path, content })) },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    let sql = res.stdout ?? "";
    // empty diff is reported as "-- This is an empty migration." — normalise to ""
    if (/^\s*-- This is an empty migration\.\s*$/.test(sql)) sql = "";
    return {
      sql,
      provider: PROVIDERS[args.provider],
      migrations: migrationsList.migrationDirectories.map((m) => m.path),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------
function parseArgs(argv) {
  if (argv.length === 1 && argv[0].trim().startsWith("{")) return JSON.parse(argv[0]);
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new UserError(`unexpected argument ${a}`);
    const k = a.slice(2);
    const value = i + 1 < argv.length && !argv[i + 1].startsWith("--") ? argv[++i] : true;
    // A repeated flag (one --schema per file) collects its values.
    out[k] = k in out ? [out[k], value].flat() : value;
  }
  return out;
}

const COMMANDS = {
  validate: cmdValidate,
  format: cmdFormat,
  dmmf: cmdDmmf,
  "diff-sql": cmdDiffSql,
};

process.stdout.on("error", () => {}); // e.g. EPIPE when piped into `head`

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const fn = COMMANDS[cmd];
  if (!fn) {
    process.stdout.write(
      JSON.stringify({
        error: { message: `usage: node engine.mjs <${Object.keys(COMMANDS).join("|")}> [--flags | json]` },
      }) + "\n",
    );
    return 2;
  }
  const t0 = performance.now();
  let args = {};
  try {
    args = parseArgs(rest);
    const result = await fn(args);
    if (TRACE) trace(`${cmd} took ${(performance.now() - t0).toFixed(1)} ms`);
    if (args.raw && cmd === "diff-sql") process.stdout.write(result.sql);
    else process.stdout.write(JSON.stringify(result) + "\n");
    return 0;
  } catch (e) {
    const error = { message: e?.message ?? String(e) };
    // `require` and `import` of a package that `npm ci` did not install.
    if (e?.code === "MODULE_NOT_FOUND" || e?.code === "ERR_MODULE_NOT_FOUND") error.code = "NOT_INSTALLED";
    if (e instanceof EngineError) {
      if (e.panic) error.panic = e.panic;
      if (Object.keys(e.detail).length) error.detail = e.detail;
    }
    process.stdout.write(JSON.stringify({ error }) + "\n");
    return 1;
  }
}

// The schema engine arms timers through the wasm-bindgen setTimeout import that are never cleared
// (observed: PostgreSQL applyMigrations left a pending Timeout keeping Node alive ~10 s after the
// work was done). Flush stdout and exit explicitly.
const code = await main();
await new Promise((resolve) => process.stdout.write("", resolve));
process.exit(code);
