//! The contract end to end, on temporary copies of the repository in which the example app is
//! replaced by a minimal one (as "Start your own app" in the README says): the replacement
//! builds and serves; a change on the server or in schema.prisma reaches the bindings and fails
//! the frontend's type check where it breaks something; the database follows through
//! migrations. Nothing here depends on the example app.
//!
//! Slow: each copy is built in one shared target directory (`target/contract-copy`), one
//! scenario at a time. Every test here is named `on_a_copy_…`, so that the quick loop
//! (`npm run test:quick`) can skip them with `--skip on_a_copy`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Mutex,
};

use isthmus_db_runtime::{Provider, testing::TempDatabase};
use serde_json::Value;

/// The scenarios share the copy's target directory: run them one after another.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_owned()
}

/// Copies the files git knows about (tracked or new, not ignored): no build output.
fn copy_repository(from: &Path, to: &Path) {
    let listing = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(from)
        .output()
        .expect("git runs");
    assert!(listing.status.success(), "git ls-files failed");
    for relative in listing.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let relative = Path::new(std::str::from_utf8(relative).unwrap());
        let source = from.join(relative);
        if !source.is_file() {
            continue; // deleted in the work tree but still in the index
        }
        let target = to.join(relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&source, &target).unwrap();
    }
    let node_modules = from.join("node_modules");
    assert!(node_modules.is_dir(), "node_modules is missing: run `npm ci` at the repository root first");
    std::os::unix::fs::symlink(node_modules, to.join("node_modules")).unwrap();
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the command starts");
    eprintln!("$ {command:?}\n{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    output
}

fn cargo(copy: &Path, args: &[&str]) -> Output {
    cargo_with_database(copy, args, None)
}

fn cargo_with_database(copy: &Path, args: &[&str], database_url: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO"));
    command.args(args).current_dir(copy).env("CARGO_TARGET_DIR", repository_root().join("target/contract-copy"));
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    run(&mut command)
}

fn tsc_web(copy: &Path) -> Output {
    run(Command::new(copy.join("node_modules/.bin/tsc")).args(["--noEmit", "-p", "web"]).current_dir(copy))
}

fn edit(path: &Path, from: &str, to: &str) {
    let source = fs::read_to_string(path).unwrap();
    assert!(source.contains(from), "{} no longer contains {from:?}", path.display());
    fs::write(path, source.replacen(from, to, 1)).unwrap();
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// What "Start your own app" in the README tells a user to replace, replaced by a minimal app
/// of one model, two queries and one page.
const MINIMAL_APP: &[(&str, &str)] = &[
    (
        "schema.prisma",
        r#"datasource db {
  provider = "sqlite"
}

generator client {
  provider = "cargo prisma generate"
}

/// A note.
model Note {
  id   Int    @id @default(autoincrement())
  text String
}
"#,
    ),
    (
        "server/app/src/procedures/mod.rs",
        r#"//! The procedures, one router per domain.

pub mod notes;

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().merge(notes::router())
}
"#,
    ),
    (
        "server/app/src/procedures/notes.rs",
        r#"use axum::http::StatusCode;
use db::{Client, Note};
use rpc::{Internal, ProcedureError};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().query("notes.count", count).query("notes.list", list).mutation("notes.add", add)
}

#[derive(Deserialize, Type)]
pub struct AddNote {
    pub text: String,
}

#[derive(Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NoteCount {
    pub note_count: u32,
}

#[derive(Debug, Serialize, Type)]
pub struct NotesError(#[serde(skip)] Internal);

impl ProcedureError for NotesError {
    const STATUSES: &'static [StatusCode] = &[];

    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

async fn count(ctx: Ctx) -> Result<NoteCount, NotesError> {
    let count = ctx.state.db.note().count(vec![]).await.map_err(|error| NotesError(error.into()))?;
    Ok(NoteCount { note_count: u32::try_from(count).unwrap_or(u32::MAX) })
}

async fn add(ctx: Ctx, input: AddNote) -> Result<Note, NotesError> {
    ctx.state.db.note().create(db::note::Create::new(input.text)).await.map_err(|error| NotesError(error.into()))
}

async fn list(ctx: Ctx) -> Result<Vec<Note>, NotesError> {
    ctx.state.db.note().find_many(vec![]).exec().await.map_err(|error| NotesError(error.into()))
}
"#,
    ),
    (
        "server/app/src/context.rs",
        r#"use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use rpc::{CacheScope, Never, ResponseCache};

#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub cache: ResponseCache,
}

impl AppState {
    pub async fn start(
        db: db::Db,
        cache: ResponseCache,
        _fetch: fetch::Fetch,
        _settings: &crate::configuration::Settings,
        _public_origin: String,
    ) -> Result<Self, db::DbError> {
        Ok(AppState { db, cache })
    }
}

impl FromRef<AppState> for ResponseCache {
    fn from_ref(state: &AppState) -> Self {
        state.cache.clone()
    }
}

#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Never;

    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, Never> {
        Ok(Ctx { state: state.clone() })
    }
}

impl CacheScope for Ctx {
    fn cache_scope(&self) -> Option<String> {
        None
    }
}
"#,
    ),
    (
        "server/app/src/lib.rs",
        r#"pub mod bindings;
pub mod commands;
pub mod configuration;
pub mod context;
pub mod procedures;
pub mod routes;
pub mod security_headers;
pub mod startup;
pub mod telemetry;
"#,
    ),
    (
        "server/app/src/routes.rs",
        r#"use crate::context::AppState;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }))
}
"#,
    ),
    (
        "server/app/src/commands.rs",
        r#"use crate::configuration::Settings;

pub async fn run(_settings: Settings, _args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    Err("usage: isthmus-server".into())
}
"#,
    ),
    (
        "server/app/src/bin/seed.rs",
        r#"use db::{Client, note};
use isthmus_server::{configuration::Settings, startup::open_database};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    let db = open_database(&settings.database_url).await?;
    db.note().create(note::Create::new("Hello")).await?;
    Ok(())
}
"#,
    ),
    (
        "web/src/routes/__root.tsx",
        r#"import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Outlet } from "@tanstack/react-router";

export const Route = createRootRouteWithContext<{ queryClient: QueryClient; origin: string }>()({ component: Outlet });
"#,
    ),
    (
        "web/src/routes/index.tsx",
        r#"import { useQuery } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";

import { useFormAction } from "@isthmus/bindings/react-form";
import { loadQuery } from "@isthmus/bindings/router";

import { client, rq } from "../rpc";

export const Route = createFileRoute("/")({
  loader: ({ context }) => loadQuery(context.queryClient, rq.queryOptions("notes.count")),
  component: Notes,
});

function Notes() {
  const count = useQuery(rq.queryOptions("notes.count"));
  const notes = useQuery(rq.queryOptions("notes.list"));
  const add = useFormAction(client, "notes.add", { fields: { text: {} } });
  return (
    <section>
      <p>{count.data ? `${count.data.noteCount} notes` : "Loading…"}</p>
      <ul>{notes.data?.map((note) => <li key={note.id}>{note.text}</li>)}</ul>
      <form {...add.formProps}>
        <input {...add.field("text")} />
      </form>
    </section>
  );
}
"#,
    ),
];

/// A copy of the repository in `scratch/repo` with the example app deleted (its procedures,
/// domain modules, models, migrations, app tests and browser scenarios) and [`MINIMAL_APP`] in its place,
/// migrated with `cargo prisma migrate dev` on `scratch/dev.db`.
fn copy_with_minimal_app(scratch: &Path) -> PathBuf {
    let copy = scratch.join("repo");
    copy_repository(&repository_root(), &copy);
    let example = [
        "server/app/src/procedures",
        "server/app/src/blog",
        "prisma/migrations",
        "server/app/tests/support",
        "web/src/routes",
        "web/src/components",
    ];
    for folder in example {
        fs::remove_dir_all(copy.join(folder)).unwrap();
    }
    for folder in ["server/app/src/procedures", "web/src/routes"] {
        fs::create_dir_all(copy.join(folder)).unwrap();
    }
    for app_test in [
        "multi_process",
        "authorization",
        "blog",
        "pages",
        "security_headers",
        "newsletter",
        "secrets",
        "faults",
        "openapi",
        "dev_loop",
    ] {
        fs::remove_file(copy.join(format!("server/app/tests/{app_test}.rs"))).unwrap();
    }
    for scenario in fs::read_dir(copy.join("web/e2e")).unwrap() {
        let path = scenario.unwrap().path();
        if path.to_string_lossy().ends_with(".test.ts") {
            fs::remove_file(path).unwrap();
        }
    }
    for (path, content) in MINIMAL_APP {
        fs::write(copy.join(path), content).unwrap();
    }
    // The web build regenerates the route tree (web/src/routeTree.gen.ts) for the new pages and
    // writes the server bundle that renders them.
    let web = run(Command::new("npm").args(["run", "build", "-w", "web"]).current_dir(&copy));
    assert!(web.status.success(), "the new pages build: {}", text(&web));
    assert!(cargo(&copy, &["prisma", "format", "--check"]).status.success(), "the minimal schema is formatted");
    let dev = cargo_with_database(&copy, &["prisma", "migrate", "dev", "--name", "init"], Some(&sqlite_url(scratch)));
    assert!(dev.status.success(), "migrations for the minimal schema: {}", text(&dev));
    copy
}

fn sqlite_url(scratch: &Path) -> String {
    format!("sqlite:{}", scratch.join("dev.db").display())
}

/// The copy's server binary, running on a fresh database until dropped.
struct CopyServer {
    child: std::process::Child,
    url: String,
}

impl CopyServer {
    fn start(copy: &Path, database: &Path) -> CopyServer {
        let binary = repository_root().join("target/contract-copy/debug/isthmus-server");
        let child = Command::new(binary)
            .current_dir(copy)
            .env("ISTHMUS_ADDRESS", "127.0.0.1:0")
            .env("DATABASE_URL", format!("sqlite:{}", database.display()))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the copy's server starts");
        // Killed on drop from here on, whatever fails next.
        let mut server = CopyServer { url: String::new(), child };
        let mut line = String::new();
        let stdout = server.child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        server.url =
            line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line {line:?}")).to_owned();
        server
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (status, text) = self.get_text(path);
        (status, serde_json::from_str(&text).unwrap())
    }

    fn get_text(&self, path: &str) -> (u16, String) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let response = reqwest::get(format!("{}{path}", self.url)).await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    }
}

impl Drop for CopyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn on_a_copy_the_example_app_is_replaceable() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = copy_with_minimal_app(scratch.path());
    let copy = copy.as_path();

    assert!(cargo(copy, &["prisma", "generate", "--check"]).status.success(), "migrate dev regenerated the client");
    assert!(cargo(copy, &["prisma", "migrate", "check"]).status.success(), "the migrations reproduce the schema");
    let export = cargo(copy, &["bindings"]);
    assert!(export.status.success(), "cargo bindings: {}", text(&export));
    let bindings = fs::read_to_string(copy.join("bindings/src/generated.ts")).unwrap();
    assert!(bindings.contains(r#""notes.count""#) && !bindings.contains("newsletter"), "{bindings}");
    let openapi = fs::read_to_string(copy.join("bindings/openapi.json")).unwrap();
    assert!(openapi.contains(r#""/rpc/notes.count""#) && !openapi.contains("newsletter"), "{openapi}");
    let tests = cargo(copy, &["test", "-p", "isthmus-server", "--no-run"]);
    assert!(tests.status.success(), "the server and the app's remaining tests build: {}", text(&tests));
    let tsc = tsc_web(copy);
    assert!(tsc.status.success(), "the new page type-checks: {}", text(&tsc));

    let server = CopyServer::start(copy, &scratch.path().join("app.db"));
    assert_eq!(server.get("/rpc/notes.count"), (200, serde_json::json!({ "noteCount": 0 })));
    assert_eq!(server.get("/rpc/notes.list"), (200, serde_json::json!([])));
    let (status, page) = server.get_text("/");
    assert_eq!(status, 200);
    assert!(page.contains("<p>0 notes</p>"), "the new page is rendered on the server with its data: {page}");
}

#[test]
fn on_a_copy_renaming_an_output_field_breaks_drift_check_then_frontend_typecheck() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = copy_with_minimal_app(scratch.path());
    let copy = copy.as_path();
    assert!(cargo(copy, &["bindings"]).status.success());

    let domain = copy.join("server/app/src/procedures/notes.rs");
    let source = fs::read_to_string(&domain).unwrap();
    fs::write(&domain, source.replace("note_count", "total_notes")).unwrap();

    let drift = cargo(copy, &["test", "--quiet", "-p", "isthmus-server", "--test", "bindings_drift"]);
    assert!(!drift.status.success(), "the drift test must fail before regenerating");
    assert!(text(&drift).contains("Run `cargo bindings`"), "the failure says how to fix it");

    let export = cargo(copy, &["bindings"]);
    assert!(export.status.success(), "cargo bindings succeeds");
    let bindings = fs::read_to_string(copy.join("bindings/src/generated.ts")).unwrap();
    assert!(bindings.contains("totalNotes: number"), "the bindings carry the new name");

    let drift = cargo(copy, &["test", "--quiet", "-p", "isthmus-server", "--test", "bindings_drift"]);
    assert!(drift.status.success(), "after regenerating the drift test passes");

    let tsc = tsc_web(copy);
    assert!(!tsc.status.success(), "the frontend no longer type-checks");
    let report = text(&tsc);
    assert!(
        report.contains("src/routes/index.tsx") && report.contains("noteCount"),
        "tsc points at the usage site: {report}"
    );
}

#[test]
fn on_a_copy_schema_changes_flow_to_the_frontend_and_the_databases() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = copy_with_minimal_app(scratch.path());
    let copy = copy.as_path();
    let schema = copy.join("schema.prisma");
    let sqlite_url = sqlite_url(scratch.path());

    // Renaming a column of a model: the client and bindings follow, the page breaks.
    edit(&schema, "  text String\n", "  body String\n");
    let check = cargo(copy, &["prisma", "generate", "--check"]);
    assert!(!check.status.success(), "the committed client no longer matches the schema");
    assert!(text(&check).contains("run `cargo prisma generate`"));
    assert!(cargo(copy, &["prisma", "generate"]).status.success());
    assert!(fs::read_to_string(copy.join("prisma/client/src/note.rs")).unwrap().contains("pub body: String"));
    assert!(cargo(copy, &["bindings"]).status.success());
    let tsc = tsc_web(copy);
    let report = text(&tsc);
    assert!(!tsc.status.success() && report.contains("src/routes/index.tsx"), "tsc fails at the usage site: {report}");
    edit(&schema, "  body String\n", "  text String\n");

    // Adding an optional field keeps the frontend compiling; it needs a migration.
    edit(&schema, "  text String\n", "  text   String\n  author String?\n");
    assert!(cargo(copy, &["prisma", "generate"]).status.success());
    assert!(cargo(copy, &["bindings"]).status.success());
    assert!(tsc_web(copy).status.success(), "an optional field breaks nothing");
    let missing = cargo(copy, &["prisma", "migrate", "check"]);
    assert!(!missing.status.success(), "migrate check fails while a migration is missing");

    let dev = cargo_with_database(copy, &["prisma", "migrate", "dev", "--name", "add_author"], Some(&sqlite_url));
    assert!(dev.status.success(), "migrate dev writes and applies the migration");
    for provider in ["sqlite", "postgresql"] {
        let written: Vec<String> = fs::read_dir(copy.join("prisma/migrations").join(provider))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with("_add_author"))
            .collect();
        assert_eq!(written.len(), 1, "{provider} got its migration");
        let folder = copy.join("prisma/migrations").join(provider).join(&written[0]);
        let sql = fs::read_to_string(folder.join("migration.sql")).unwrap();
        assert!(sql.contains("author"), "{provider}: {sql}");
    }
    assert!(cargo(copy, &["prisma", "migrate", "check"]).status.success(), "migrate check passes again");

    // The same migrations deploy to a real PostgreSQL database.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let postgres = runtime.block_on(TempDatabase::create(Provider::Postgresql));
    let deploy = cargo_with_database(copy, &["prisma", "migrate", "deploy"], Some(postgres.url()));
    assert!(deploy.status.success());
    assert!(text(&deploy).contains("_add_author"), "both migrations applied");
    let status = cargo_with_database(copy, &["prisma", "migrate", "status"], Some(&sqlite_url));
    assert!(status.status.success(), "the SQLite database is up to date: {}", text(&status));
}

#[test]
fn on_a_copy_a_form_that_omits_a_required_input_field_fails_the_type_check() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = copy_with_minimal_app(scratch.path());
    let copy = copy.as_path();
    assert!(cargo(copy, &["bindings"]).status.success());
    assert!(tsc_web(copy).status.success(), "the form renders every field of notes.add");

    // A required field on the server: the form that does not render it no longer compiles.
    edit(
        &copy.join("server/app/src/procedures/notes.rs"),
        "    pub text: String,\n}",
        "    pub text: String,\n    pub author: String,\n}",
    );
    edit(
        &copy.join("server/app/src/procedures/notes.rs"),
        "note::Create::new(input.text)",
        "note::Create::new(format!(\"{}: {}\", input.author, input.text))",
    );
    assert!(cargo(copy, &["bindings"]).status.success());
    let tsc = tsc_web(copy);
    let report = text(&tsc);
    assert!(!tsc.status.success() && report.contains("src/routes/index.tsx") && report.contains("author"), "{report}");

    // An optional one leaves it compiling.
    edit(
        &copy.join("server/app/src/procedures/notes.rs"),
        "    pub author: String,",
        "    pub author: Option<String>,",
    );
    edit(
        &copy.join("server/app/src/procedures/notes.rs"),
        "input.author, input.text",
        "input.author.unwrap_or_default(), input.text",
    );
    assert!(cargo(copy, &["bindings"]).status.success());
    let optional = tsc_web(copy);
    assert!(optional.status.success(), "an optional field may be left out: {}", text(&optional));
}
