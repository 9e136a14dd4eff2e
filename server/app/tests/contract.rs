//! The contract end to end, on temporary copies of the repository: a change on the server
//! or in schema.prisma reaches the bindings and fails the frontend's type check where it
//! breaks something, and the database follows through migrations.
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

#[test]
fn on_a_copy_renaming_an_output_field_breaks_drift_check_then_frontend_typecheck() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path();
    copy_repository(&repository_root(), copy);

    let domain = copy.join("server/app/src/procedures/newsletter.rs");
    let source = fs::read_to_string(&domain).unwrap();
    assert!(source.contains("subscriber_count"), "the example field to rename has moved");
    fs::write(&domain, source.replace("subscriber_count", "reader_count")).unwrap();

    let drift = cargo(copy, &["test", "--quiet", "-p", "isthmus-server", "--test", "bindings_drift"]);
    assert!(!drift.status.success(), "the drift test must fail before regenerating");
    assert!(text(&drift).contains("Run `cargo bindings`"), "the failure says how to fix it");

    let export = cargo(copy, &["bindings"]);
    assert!(export.status.success(), "cargo bindings succeeds");
    let bindings = fs::read_to_string(copy.join("bindings/src/generated.ts")).unwrap();
    assert!(bindings.contains("readerCount: number"), "the bindings carry the new name");

    let drift = cargo(copy, &["test", "--quiet", "-p", "isthmus-server", "--test", "bindings_drift"]);
    assert!(drift.status.success(), "after regenerating the drift test passes");

    let tsc = tsc_web(copy);
    assert!(!tsc.status.success(), "the frontend no longer type-checks");
    let report = text(&tsc);
    assert!(
        report.contains("src/routes/index.tsx") && report.contains("subscriberCount"),
        "tsc points at the usage site: {report}"
    );
}

#[test]
fn on_a_copy_schema_changes_flow_to_the_frontend_and_the_databases() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path().join("repo");
    copy_repository(&repository_root(), &copy);
    let copy = copy.as_path();
    let schema = copy.join("schema.prisma");
    let sqlite_url = format!("sqlite:{}", scratch.path().join("dev.db").display());

    // Renaming a column of a model: the client and bindings follow, the page breaks.
    edit(&schema, "  name         String\n  subscribedAt", "  fullName     String\n  subscribedAt");
    let check = cargo(copy, &["prisma", "generate", "--check"]);
    assert!(!check.status.success(), "the committed client no longer matches the schema");
    assert!(text(&check).contains("run `cargo prisma generate`"));
    assert!(cargo(copy, &["prisma", "generate"]).status.success());
    assert!(
        fs::read_to_string(copy.join("prisma/client/src/subscriber.rs")).unwrap().contains("pub full_name: String")
    );
    assert!(cargo(copy, &["bindings"]).status.success());
    let tsc = tsc_web(copy);
    let report = text(&tsc);
    assert!(!tsc.status.success() && report.contains("src/routes/index.tsx"), "tsc fails at the usage site: {report}");
    edit(&schema, "  fullName     String\n  subscribedAt", "  name         String\n  subscribedAt");

    // Adding an optional field keeps the frontend compiling; it needs a migration.
    edit(
        &schema,
        "  subscribedAt DateTime @default(now())",
        "  referrer     String?\n  subscribedAt DateTime @default(now())",
    );
    assert!(cargo(copy, &["prisma", "generate"]).status.success());
    assert!(cargo(copy, &["bindings"]).status.success());
    assert!(tsc_web(copy).status.success(), "an optional field breaks nothing");
    let missing = cargo(copy, &["prisma", "migrate", "check"]);
    assert!(!missing.status.success(), "migrate check fails while a migration is missing");

    let dev = cargo_with_database(copy, &["prisma", "migrate", "dev", "--name", "add_referrer"], Some(&sqlite_url));
    assert!(dev.status.success(), "migrate dev writes and applies the migration");
    for provider in ["sqlite", "postgresql"] {
        let written: Vec<String> = fs::read_dir(copy.join("prisma/migrations").join(provider))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with("_add_referrer"))
            .collect();
        assert_eq!(written.len(), 1, "{provider} got its migration");
        let sql =
            fs::read_to_string(copy.join("prisma/migrations").join(provider).join(&written[0]).join("migration.sql"))
                .unwrap();
        assert!(sql.contains("referrer"), "{provider}: {sql}");
    }
    assert!(cargo(copy, &["prisma", "migrate", "check"]).status.success(), "migrate check passes again");

    // The same migrations deploy to a real PostgreSQL database.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let postgres = runtime.block_on(TempDatabase::create(Provider::Postgresql));
    let deploy = cargo_with_database(copy, &["prisma", "migrate", "deploy"], Some(postgres.url()));
    assert!(deploy.status.success());
    assert!(text(&deploy).contains("_add_referrer"), "both migrations applied");
    let status = cargo_with_database(copy, &["prisma", "migrate", "status"], Some(&sqlite_url));
    assert!(status.status.success(), "the SQLite database is up to date: {}", text(&status));
}

/// What "Start your own app" in the README tells a user to replace, replaced by a minimal app
/// of one model, one query and one page.
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
use db::Client;
use rpc::{Internal, ProcedureError};
use serde::Serialize;
use specta::Type;

use crate::context::Ctx;

pub fn router() -> rpc::Router<Ctx> {
    rpc::Router::new().query("notes.count", count)
}

#[derive(Serialize, Type)]
pub struct NoteCount {
    pub count: u32,
}

#[derive(Debug, Serialize, Type)]
pub struct NotesError(#[serde(skip)] Internal);

impl ProcedureError for NotesError {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

async fn count(ctx: Ctx) -> Result<NoteCount, NotesError> {
    let count = ctx.state.db.note().count(vec![]).await.map_err(|error| NotesError(error.into()))?;
    Ok(NoteCount { count: u32::try_from(count).unwrap_or(u32::MAX) })
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
    pub fn new(db: db::Db, cache: ResponseCache) -> Self {
        AppState { db, cache }
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
        "web/src/routes/index.tsx",
        r#"import { useQuery } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";

import { rq } from "../rpc";

export const Route = createFileRoute("/")({ component: Notes });

function Notes() {
  const notes = useQuery(rq.queryOptions("notes.count"));
  return <p>{notes.data ? `${notes.data.count} notes` : "Loading…"}</p>;
}
"#,
    ),
];

#[test]
fn on_a_copy_the_example_app_is_replaceable() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path().join("repo");
    copy_repository(&repository_root(), &copy);
    let copy = copy.as_path();

    // Delete the example: its procedures, models, migrations, pages and browser tests.
    for folder in ["server/app/src/procedures", "prisma/migrations", "web/e2e"] {
        fs::remove_dir_all(copy.join(folder)).unwrap();
    }
    fs::create_dir_all(copy.join("server/app/src/procedures")).unwrap();
    for (path, content) in MINIMAL_APP {
        fs::write(copy.join(path), content).unwrap();
    }

    let sqlite_url = format!("sqlite:{}", scratch.path().join("dev.db").display());
    assert!(cargo(copy, &["prisma", "format"]).status.success());
    let dev = cargo_with_database(copy, &["prisma", "migrate", "dev", "--name", "init"], Some(&sqlite_url));
    assert!(dev.status.success(), "migrations for the new schema: {}", text(&dev));
    assert!(cargo(copy, &["prisma", "generate", "--check"]).status.success(), "migrate dev regenerated the client");
    assert!(cargo(copy, &["build", "-p", "isthmus-server"]).status.success(), "the server builds");
    let export = cargo(copy, &["bindings"]);
    assert!(export.status.success(), "cargo bindings: {}", text(&export));
    let bindings = fs::read_to_string(copy.join("bindings/src/generated.ts")).unwrap();
    assert!(bindings.contains(r#""notes.count""#) && !bindings.contains("newsletter"), "{bindings}");
    let tsc = tsc_web(copy);
    assert!(tsc.status.success(), "the new page type-checks: {}", text(&tsc));

    // The server starts on the new schema and answers the new query.
    let binary = repository_root().join("target/contract-copy/debug/isthmus-server");
    let mut server = std::process::Command::new(binary)
        .current_dir(copy)
        .env("ISTHMUS_ADDRESS", "127.0.0.1:0")
        .env("DATABASE_URL", format!("sqlite:{}", scratch.path().join("app.db").display()))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut first_line).unwrap();
    let url = first_line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{first_line:?}")).to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer = runtime.block_on(async {
        let response = reqwest::get(format!("{url}/rpc/notes.count")).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(answer, (200, r#"{"count":0}"#.to_owned()));
}
