//! `cargo prisma migrate reset`: drops everything, data included, and applies the migrations
//! again; asks first unless `--force`, and never runs under `ISTHMUS_ENV=production`.

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

use isthmus_db_runtime::{Db, Provider, testing::TempDatabase};

const MIGRATION: &str = r#"CREATE TABLE "Note" ("id" INTEGER NOT NULL PRIMARY KEY, "body" TEXT NOT NULL);"#;

/// A schema folder with one migration per provider, as `migrate dev` writes them.
fn schema_folder() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    let schema = "datasource db {\n  provider = \"sqlite\"\n}\n\nmodel Note {\n  id   Int    @id\n  body String\n}\n";
    std::fs::write(folder.path().join("schema.prisma"), schema).unwrap();
    for provider in ["sqlite", "postgresql"] {
        let migration = folder.path().join("migrations").join(provider).join("20260101000000_init");
        std::fs::create_dir_all(&migration).unwrap();
        std::fs::write(migration.join("migration.sql"), MIGRATION).unwrap();
    }
    folder
}

/// `cargo prisma --schema … migrate reset <flags>` on `url`, with `stdin` as the answer.
fn reset(folder: &Path, url: &str, flags: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let schema = folder.join("schema.prisma");
    let mut command = Command::new(env!("CARGO_BIN_EXE_prisma"));
    command
        .args(["--schema", schema.to_str().unwrap(), "migrate", "reset"])
        .args(flags)
        .env("DATABASE_URL", url)
        .env_remove("ISTHMUS_ENV")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

async fn notes(database: &TempDatabase) -> i64 {
    let db = Db::connect(database.url()).await.unwrap();
    let count = db.query_as::<(i64,)>(r#"SELECT count(*) FROM "Note""#, vec![]).await.unwrap()[0].0;
    db.close().await;
    count
}

async fn add_note_and_a_stray_table(database: &TempDatabase) {
    let db = Db::connect(database.url()).await.unwrap();
    db.execute_raw(r#"INSERT INTO "Note" ("id", "body") VALUES (1, 'kept?')"#, vec![]).await.unwrap();
    db.execute_raw(r#"CREATE TABLE "Stray" ("id" INTEGER)"#, vec![]).await.unwrap();
    db.close().await;
}

async fn resets(provider: Provider) {
    let folder = schema_folder();
    let database = TempDatabase::create(provider).await;
    let first = reset(folder.path(), database.url(), &["--force"], &[], "");
    assert!(first.status.success(), "{}", text(&first));
    add_note_and_a_stray_table(&database).await;

    let declined = reset(folder.path(), database.url(), &[], &[], "n\n");
    assert!(!declined.status.success(), "{}", text(&declined));
    assert!(text(&declined).contains("nothing was changed"), "{}", text(&declined));
    let production = reset(folder.path(), database.url(), &["--force"], &[("ISTHMUS_ENV", "production")], "");
    assert!(!production.status.success(), "{}", text(&production));
    assert!(text(&production).contains("ISTHMUS_ENV=production"), "{}", text(&production));
    assert_eq!(notes(&database).await, 1, "refused resets change nothing");

    let confirmed = reset(folder.path(), database.url(), &[], &[], "y\n");
    assert!(confirmed.status.success(), "{}", text(&confirmed));
    assert!(text(&confirmed).contains("applied 20260101000000_init"), "{}", text(&confirmed));
    assert_eq!(notes(&database).await, 0, "the data is gone and the table is back");
    // Creating the stray table again fails if the reset left it.
    add_note_and_a_stray_table(&database).await;
}

#[tokio::test]
async fn reset_drops_everything_on_sqlite_and_applies_the_migrations() {
    resets(Provider::Sqlite).await;
}

#[tokio::test]
async fn reset_drops_everything_on_postgresql_and_applies_the_migrations() {
    resets(Provider::Postgresql).await;
}
