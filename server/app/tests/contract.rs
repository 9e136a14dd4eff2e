//! The contract end to end, on temporary copies of the repository: a change on the server
//! or in schema.prisma reaches the bindings and fails the frontend's type check where it
//! breaks something, and the database follows through migrations.
//!
//! Slow: each copy is built in one shared target directory (`target/contract-copy`), one
//! scenario at a time.

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
fn renaming_an_output_field_breaks_drift_check_then_frontend_typecheck() {
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
fn schema_changes_flow_to_the_frontend_and_the_databases() {
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
